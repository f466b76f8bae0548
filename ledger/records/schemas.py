"""What a caller may write: one pydantic model per record and action, checked before anything is stored.

These models check each value on its own (a checksummed wallet, a positive quantity, a price with at
most 8 decimals, a name without invisible characters: :mod:`ledger.records.names`);
:mod:`ledger.records.service` checks how it fits the stored records. Unknown fields are
refused so that a misspelt field is an error rather than silently ignored. Every ``*Update`` carries the
``version`` it edits and only the fields to change.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from eth_utils.address import is_checksum_address, is_hex_address, to_checksum_address
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
)

from ledger.db.types import canonical_decimal
from ledger.records.names import NAME_RULE

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
UINT256_MAX = 2**256 - 1
INT64_MAX = 2**63 - 1


def _checksummed(value: str) -> str:
    if value == ZERO_ADDRESS:
        return value
    if not is_hex_address(value):
        raise ValueError("must be a 0x-prefixed 20-byte hex address")
    if not is_checksum_address(value):
        raise ValueError(f"must be checksummed (EIP-55): {to_checksum_address(value)}")
    return value


def _not_zero_address(value: str) -> str:
    if value == ZERO_ADDRESS:
        raise ValueError("must not be the zero address: nothing sent to it can ever be spent")
    return value


def _uint256(value: Any) -> int:
    """Token amounts come as JSON integers or, since JavaScript loses digits above 2**53, decimal strings."""
    if isinstance(value, bool):
        raise ValueError("must be an integer amount in base units")
    if isinstance(value, str):
        if not value.isascii() or not value.isdigit():
            raise ValueError("must be a non-negative integer in base units (a decimal string)")
        value = int(value)
    if not isinstance(value, int):
        raise ValueError("must be an integer amount in base units")
    if not 0 <= value <= UINT256_MAX:
        raise ValueError("must be between 0 and 2**256 - 1")
    return value


#: A checksummed EVM address of a token (the zero address stands for native ETH, as on chain).
ChecksumAddress = Annotated[str, AfterValidator(_checksummed)]
#: A checksummed address that receives funds: never the zero address, which burns them.
Wallet = Annotated[str, AfterValidator(_checksummed), AfterValidator(_not_zero_address)]
#: A token amount in base units, written to JSON as a decimal string.
BaseUnits = Annotated[
    int,
    BeforeValidator(_uint256),
    PlainSerializer(str, return_type=str, when_used="json"),
    Field(json_schema_extra={"type": "string", "pattern": "^[0-9]{1,78}$"}),
]
Quantity = Annotated[int, Field(gt=0, le=INT64_MAX, description="A whole number of units, > 0")]
Price = Annotated[
    Decimal,
    Field(ge=0, max_digits=38, decimal_places=8, allow_inf_nan=False),
    AfterValidator(canonical_decimal),
]
PositivePrice = Annotated[
    Decimal,
    Field(gt=0, max_digits=38, decimal_places=8, allow_inf_nan=False),
    AfterValidator(canonical_decimal),
]
Currency = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{2,9}$", description="e.g. USD, CNY, USDT")]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code, e.g. CN")]
#: A purchase order reference: it goes on chain as bytes32, so at most 32 printable ASCII characters.
OrderReference = Annotated[str, Field(pattern=r"^[!-~](?:[ -~]{0,30}[!-~])?$", max_length=32)]
#: A name people read (supplier, item, consignee, place, recipient…): NFC, nothing invisible in it.
Name = Annotated[str, Field(min_length=1, max_length=200), NAME_RULE]
#: A name that may be left empty (a carrier, a token's full name).
OptionalName = Annotated[str, Field(max_length=200), NAME_RULE]
#: A unit of measure, e.g. piece, box of 50.
Unit = Annotated[str, Field(min_length=1, max_length=40), NAME_RULE]
#: A shipment's reference (airway bill, container number…).
ShipmentReference = Annotated[str, Field(max_length=100), NAME_RULE]
Notes = Annotated[str, Field(max_length=10_000)]
RowId = Annotated[int, Field(gt=0, le=INT64_MAX)]
Version = Annotated[int, Field(gt=0, description="The version being edited, as last read")]

#: A token's ticker as wallets show it, e.g. USDC, USD.e, $DAI.
TokenSymbol = Annotated[str, Field(pattern=r"^[A-Za-z0-9.$_-]{1,12}$", description="e.g. USDC"), NAME_RULE]

VettingStatus = Literal["pending", "approved", "rejected", "suspended"]
OrderStatus = Literal["open", "cancelled"]
DocumentKind = Literal[
    "invoice", "purchase_order", "bill_of_lading", "delivery_note", "handover_certificate", "other"
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        """PostgreSQL text cannot hold NUL: refused here as bad input, on every backend alike, rather than
        failing at the insert."""
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL (\\u0000) characters")
        return value


class RecordUpdate(_Input):
    """An edit: the version it was made against (a stale one is refused) and the fields it sets."""

    version: Version


class SupplierCreate(_Input):
    name: Name
    country: Country
    wallet: Wallet
    vetting_status: VettingStatus = "pending"
    notes: Notes = ""


class SupplierUpdate(RecordUpdate):
    name: Name | None = None
    country: Country | None = None
    wallet: Wallet | None = None
    vetting_status: VettingStatus | None = None
    notes: Notes | None = None


class ReferencePriceCreate(_Input):
    item: Name
    unit: Unit
    currency: Currency
    unit_price: PositivePrice
    source: Notes = ""
    as_of: date | None = None


class ReferencePriceUpdate(RecordUpdate):
    unit_price: PositivePrice | None = None
    source: Notes | None = None
    as_of: date | None = None


class OrderLineIn(_Input):
    #: Position of the line in the order; lines are matched by it when an order is edited.
    line_no: Annotated[int, Field(gt=0, le=10_000)] | None = None
    item: Name
    quantity: Quantity
    unit: Unit
    unit_price: Price
    currency: Currency


class OrderCreate(_Input):
    campaign_id: Annotated[int, Field(ge=0, le=INT64_MAX)]
    supplier_id: RowId
    reference: OrderReference
    #: The token the supplier is paid in (zero address: ETH) and the agreed amount in its base units.
    payment_token: ChecksumAddress
    payment_amount: BaseUnits
    issued_on: date
    notes: Notes = ""
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=1_000)]


class OrderUpdate(RecordUpdate):
    supplier_id: RowId | None = None
    payment_token: ChecksumAddress | None = None
    payment_amount: BaseUnits | None = None
    issued_on: date | None = None
    status: OrderStatus | None = None
    notes: Notes | None = None
    #: The order's lines after the edit, matched to the stored ones by ``line_no``.
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=1_000)] | None = None


class DocumentMeta(_Input):
    kind: DocumentKind
    order_id: RowId | None = None
    #: An invoice's total and its currency.
    amount: Price | None = None
    currency: Currency | None = None
    description: Notes = ""


class ItemQuantity(_Input):
    order_line_id: RowId
    quantity: Quantity


Items = Annotated[list[ItemQuantity], Field(min_length=1, max_length=1_000)]


class ShipmentCreate(_Input):
    order_id: RowId
    reference: ShipmentReference = ""
    carrier: OptionalName = ""
    origin: Name
    destination: Name
    shipped_on: date
    document_id: RowId | None = None
    items: Items


class ShipmentUpdate(RecordUpdate):
    reference: ShipmentReference | None = None
    carrier: OptionalName | None = None
    origin: Name | None = None
    destination: Name | None = None
    shipped_on: date | None = None
    document_id: RowId | None = None
    items: Items | None = None


class DeliveryCreate(_Input):
    shipment_id: RowId
    consignee: Name
    place: Name
    delivered_on: date
    #: The delivery note or hand-over certificate.
    document_id: RowId | None = None
    items: Items


class DeliveryUpdate(RecordUpdate):
    consignee: Name | None = None
    place: Name | None = None
    delivered_on: date | None = None
    document_id: RowId | None = None
    items: Items | None = None


class DistributionCreate(_Input):
    delivery_id: RowId
    order_line_id: RowId
    recipient: Name
    quantity: Quantity
    distributed_on: date
    document_id: RowId | None = None


class DistributionUpdate(RecordUpdate):
    recipient: Name | None = None
    quantity: Quantity | None = None
    distributed_on: date | None = None
    document_id: RowId | None = None


class TokenCreate(_Input):
    #: The token's contract (zero address: native ETH); one record per address.
    address: ChecksumAddress
    symbol: TokenSymbol
    name: OptionalName = ""


class TokenUpdate(RecordUpdate):
    symbol: TokenSymbol | None = None
    name: OptionalName | None = None
