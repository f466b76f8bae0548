"""Response models of the off-chain records: one ``*Public`` per record and a ``*sPublic`` page of them.

Prices and amounts of fiat are decimal strings (exact), token amounts in base units are decimal strings
too (:data:`UintStr`). Each editable record shows its ``version``: an edit sends it back.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import Field, computed_field

from api.schemas.common import Page, PublicModel, UintStr, UtcDatetime
from ledger.db.types import canonical_decimal


class VersionedPublic(PublicModel):
    id: int
    version: int = Field(description="Send it back with an edit; an edit of an older version is refused")
    created_at: UtcDatetime
    updated_at: UtcDatetime
    updated_by: str


class SupplierPublic(VersionedPublic):
    name: str
    country: str
    wallet: str
    vetting_status: str
    notes: str


class SuppliersPublic(Page):
    data: list[SupplierPublic]


class TokenPublic(VersionedPublic):
    address: str = Field(description="Token address; 0x000…000 is native ETH")
    symbol: str
    name: str


class TokensPublic(Page):
    data: list[TokenPublic]


class ReferencePricePublic(VersionedPublic):
    item: str
    unit: str
    currency: str
    unit_price: Decimal
    source: str
    as_of: date | None


class ReferencePricesPublic(Page):
    data: list[ReferencePricePublic]


class OrderLinePublic(PublicModel):
    id: int
    line_no: int
    item: str
    quantity: int
    unit: str
    unit_price: Decimal
    currency: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def value(self) -> Decimal:
        """quantity × unit price, in the line's currency."""
        return canonical_decimal(self.quantity * self.unit_price)


class OrderPublic(VersionedPublic):
    campaign_id: int
    supplier_id: int
    reference: str
    order_ref: str = Field(description="The bytes32 a payment for this order carries as purchaseOrderRef")
    payment_token: str
    payment_amount: UintStr = Field(description="Agreed payment, in the payment token's base units")
    issued_on: date
    status: str
    notes: str
    lines: list[OrderLinePublic]


class OrdersPublic(Page):
    data: list[OrderPublic]


class DocumentPublic(PublicModel):
    id: int
    kind: str
    sha256: str
    filename: str
    content_type: str
    size: int
    order_id: int | None
    amount: Decimal | None
    currency: str | None
    description: str
    uploaded_by: str
    uploaded_at: UtcDatetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def onchain_hash(self) -> str:
        """The document's hash as a payment's invoiceHash carries it (bytes32)."""
        return "0x" + self.sha256

    @computed_field  # type: ignore[prop-decorator]
    @property
    def content_url(self) -> str:
        return f"/api/v1/documents/{self.id}/content"


class DocumentsPublic(Page):
    data: list[DocumentPublic]


class ItemQuantityPublic(PublicModel):
    order_line_id: int
    quantity: int


class ShipmentPublic(VersionedPublic):
    order_id: int
    reference: str
    carrier: str
    origin: str
    destination: str
    shipped_on: date
    document_id: int | None
    items: list[ItemQuantityPublic]


class ShipmentsPublic(Page):
    data: list[ShipmentPublic]


class DeliveryPublic(VersionedPublic):
    shipment_id: int
    consignee: str
    place: str
    delivered_on: date
    document_id: int | None
    items: list[ItemQuantityPublic]


class DeliveriesPublic(Page):
    data: list[DeliveryPublic]


class DistributionPublic(VersionedPublic):
    delivery_id: int
    order_line_id: int
    recipient: str
    quantity: int
    distributed_on: date
    document_id: int | None


class DistributionsPublic(Page):
    data: list[DistributionPublic]


class RecordVersionPublic(PublicModel):
    record_type: str
    record_id: int
    version: int
    action: str
    actor: str
    changed_at: UtcDatetime
    before: dict[str, Any] | None = Field(description="Values before the change; null for the creation")
    after: dict[str, Any]


class HistoryPublic(PublicModel):
    data: list[RecordVersionPublic]
