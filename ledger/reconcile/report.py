"""The reconciliation report as pydantic models (the API returns them as they are; the donor view's are in
:mod:`ledger.reconcile.donor`).

Token amounts are Python ``int`` base units and USD values ``Decimal`` with 8 places; both go to JSON as
decimal strings (JavaScript loses digits above 2**53, and floats lose cents). Every list is in a fixed
order, so the same mirror and records give the same JSON, and :func:`report_hash` the same hash.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import orjson
from eth_utils.crypto import keccak
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from ledger.rounds import RoundWord


def _signed_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("must be an integer")
    if isinstance(value, str):
        return int(value)
    if not isinstance(value, int):
        raise ValueError("must be an integer")
    return value


def _plain_decimal(value: Decimal) -> str:
    """``12.5`` and ``0.00000000``, never ``1.25E+1`` or ``0E-8``."""
    return format(value, "f")


#: A token amount in base units (negative only in a broken mirror, e.g. ``held`` after a lost pledge row).
Amount = Annotated[
    int,
    BeforeValidator(_signed_int),
    PlainSerializer(str, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": "^-?[0-9]{1,78}$"}),
]
#: An exact decimal (USD with 8 places, prices, shares, quantities), written to JSON as a plain string.
Dec = Annotated[
    Decimal,
    PlainSerializer(_plain_decimal, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}),
]

Severity = Literal["error", "warning", "info"]
FindingKind = Literal[
    "payment_without_order",
    "order_unpaid",
    "overpayment",
    "underpayment",
    "wrong_payment_token",
    "invoice_hash_mismatch",
    "wrong_supplier",
    "supplier_not_vetted",
    "delivered_short",
    "price_above_reference",
    "funds_idle",
    "mirror_mismatch",
    "chain_unreachable",
    "pending_change",
]
#: What each kind of finding means for an auditor: ``error`` — money unaccounted for or records that
#: contradict the chain; ``warning`` — something to follow up that may still be in progress.
SEVERITY: dict[str, Severity] = {
    "payment_without_order": "error",
    "overpayment": "error",
    "wrong_payment_token": "error",
    "invoice_hash_mismatch": "error",
    "wrong_supplier": "error",
    "mirror_mismatch": "error",
    "order_unpaid": "warning",
    "underpayment": "warning",
    "supplier_not_vetted": "warning",
    "delivered_short": "warning",
    "price_above_reference": "warning",
    "funds_idle": "warning",
    "chain_unreachable": "warning",
    "pending_change": "warning",
}
ChainCheckStatus = Literal["not_checked", "verified", "mismatch", "unreachable"]


class Model(BaseModel):
    """Base of the report's models: frozen."""

    model_config = ConfigDict(frozen=True)


# ─── findings ───────────────────────────────────────────────────────────────────────────────────────────


class RecordRef(Model):
    """A record a finding is about: an event row (``tx_hash`` + ``log_index``), an off-chain record (``id``),
    or a token or order reference (``key``)."""

    type: str
    id: int | None = None
    key: str | None = None
    tx_hash: str | None = None
    log_index: int | None = None


class Finding(Model):
    kind: FindingKind
    severity: Severity
    message: str
    records: list[RecordRef] = []


# ─── the campaign on chain ─────────────────────────────────────────────────────────────────────────────


class CampaignInfo(Model):
    campaign_id: int
    manager: str
    beneficiary: str
    metadata_hash: str
    created_block: int
    created_tx: str
    cancelled: bool
    cancelled_block: int | None = None
    #: Whether the guardian (or the admin) has paused the campaign's disbursements.
    paused: bool = False
    #: Seconds between a supplier's approval and its taking effect.
    supplier_delay: int = 0


class TokenAmount(Model):
    token: str
    amount: Amount


class MoneyAmount(Model):
    """An amount in an off-chain currency (order lines, invoices): ``USD``, ``CNY``, ``USDT``…"""

    currency: str
    amount: Dec


class TokenTotals(Model):
    """A campaign's totals in one token (base units); ``held`` = pledged − refunded − disbursed."""

    token: str
    symbol: str = Field(description="The symbol of the token's record; ETH; else the address shortened")
    decimals: int
    pledged: Amount
    pledged_usd: Dec
    pledges: int
    refunded: Amount
    disbursed: Amount
    held: Amount


class RoundTokenTotals(Model):
    token: str
    decimals: int
    pledged: Amount
    pledged_usd: Dec
    pledges: int
    refunded: Amount


class RoundReport(Model):
    """One funding round. ``raised_usd`` is the sum of its pledges' USD at receipt; ``spendable`` says
    whether its funds went to the campaign (succeeded, or failed without all-or-nothing)."""

    round_id: int
    start: int
    end: int
    goal_usd: Dec
    all_or_nothing: bool
    outcome: RoundWord
    spendable: bool
    raised_usd: Dec
    pledges: int
    donors: int
    closed_block: int | None = None
    closed_at: int | None = None
    tokens: list[RoundTokenTotals]


# ─── payments and procurement ──────────────────────────────────────────────────────────────────────────


class Payment(Model):
    """One ``Disbursed`` event; ``order_reference`` is the readable text of ``purchase_order_ref``."""

    tx_hash: str
    log_index: int
    block_number: int
    block_timestamp: int
    supplier: str
    token: str
    amount: Amount
    purchase_order_ref: str
    order_reference: str | None
    invoice_hash: str


class SupplierTotals(Model):
    """What one supplier address was paid, with its off-chain record when one has that wallet."""

    supplier: str
    supplier_id: int | None = None
    name: str | None = None
    vetting_status: str | None = None
    payments: int
    paid: list[TokenAmount]


class OrderLineReport(Model):
    line_id: int
    line_no: int
    item: str
    unit: str
    quantity: int
    unit_price: Dec
    currency: str
    value: Dec
    shipped: int
    delivered: int
    distributed: int


class InvoiceRef(Model):
    document_id: int
    sha256: str
    amount: Dec | None = None
    currency: str | None = None


class OrderReport(Model):
    """A purchase order against what was paid for it on chain (matched by ``order_ref``), invoiced,
    shipped, delivered and distributed. ``paid`` is in ``payment_token``; ``paid_other`` in other tokens."""

    order_id: int
    reference: str
    order_ref: str
    status: str
    issued_on: date
    supplier_id: int
    supplier_name: str
    supplier_wallet: str
    payment_token: str
    payment_amount: Amount
    paid: Amount
    paid_other: list[TokenAmount]
    payments: list[Payment]
    ordered: list[MoneyAmount]
    invoiced: list[MoneyAmount]
    invoices: list[InvoiceRef]
    lines: list[OrderLineReport]


class ItemTotals(Model):
    """Quantities of one item (per unit) over the campaign's orders that are not cancelled."""

    item: str
    unit: str
    ordered: int
    shipped: int
    delivered: int
    distributed: int


class RecipientTotals(Model):
    recipient: str
    item: str
    unit: str
    quantity: int


class ProcurementTotals(Model):
    orders: int
    open_orders: int
    ordered: list[MoneyAmount]
    invoiced: list[MoneyAmount]
    #: Paid against the campaign's orders, per token.
    paid: list[TokenAmount]
    #: Paid with a reference that matches none of the campaign's orders.
    unmatched: list[TokenAmount]
    items: list[ItemTotals]
    recipients: list[RecipientTotals]


# ─── the report ────────────────────────────────────────────────────────────────────────────────────────


class ChainCheck(Model):
    """Whether the SQL totals were compared with the contract's views at ``block``, and how it went."""

    status: ChainCheckStatus
    block: int | None = None
    values_compared: int = 0
    mismatches: int = 0
    detail: str = ""


class ReconcileOptions(Model):
    """The thresholds of the findings; part of the report (and of its hash), since they shape it."""

    price_tolerance: Dec = Field(default=Decimal("0.25"), ge=0)
    idle_after_seconds: int = Field(default=90 * 86_400, gt=0)

    @classmethod
    def from_settings(cls, settings: Any) -> ReconcileOptions:
        """From :class:`ledger.settings.Settings` (``price_tolerance``, ``idle_after_days``)."""
        return cls(
            price_tolerance=settings.price_tolerance,
            idle_after_seconds=round(float(settings.idle_after_days) * 86_400),
        )


class GeneratedFrom(Model):
    """Where and when the report was computed: not part of the report's hash (the same mirror state gives
    the same hash on SQLite and PostgreSQL, today and tomorrow)."""

    database: str
    generated_at: datetime
    software_version: str
    indexer_head_block: int
    indexer_updated_at: datetime
    #: Served again from a server's cache (see ledger.reconcile.cache), unchanged since ``generated_at``.
    from_cache: bool = False


#: Fields left out of the canonical JSON that :func:`report_hash` hashes.
VOLATILE_FIELDS = frozenset({"report_hash", "generated_from"})


class CampaignReport(Model):
    """Where every unit pledged to a campaign went, as of ``as_of_block`` of the mirror of ``chain_id``.

    With ``round_id`` set, ``rounds`` holds that round only; the token totals, payments, orders and
    findings stay campaign-wide, since the campaign pays suppliers from the funds of all its rounds.
    """

    chain_id: int
    contract: str
    as_of_block: int
    as_of_block_hash: str | None
    #: Time of the latest indexed block: "now" for the idle-funds rule (local chains fast-forward time).
    as_of_timestamp: int | None
    round_id: int | None
    campaign: CampaignInfo
    tokens: list[TokenTotals]
    pledges: int
    donors: int
    pledged_usd: Dec
    rounds: list[RoundReport]
    suppliers: list[SupplierTotals]
    orders: list[OrderReport]
    unmatched_payments: list[Payment]
    procurement: ProcurementTotals
    findings: list[Finding]
    chain_check: ChainCheck
    options: ReconcileOptions
    generated_from: GeneratedFrom
    report_hash: str = Field(description="0x keccak256 of the canonical JSON without volatile fields")

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


# ─── the report's hash ─────────────────────────────────────────────────────────────────────────────────


def canonical_json(data: dict[str, Any]) -> bytes:
    """UTF-8 JSON with keys sorted and no whitespace — the same bytes as Python's
    ``json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` — that
    :func:`report_hash` hashes. Every amount in a report is a string, so no number formatting is involved."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def report_hash(report: CampaignReport | dict[str, Any]) -> str:
    """``0x`` + keccak256 of the report's canonical JSON without its volatile fields.

    Works on the model and on the report's JSON as published (a parsed ``dict``), so anyone holding the JSON
    can check it against the hash an auditor anchored with ``attestReport``.
    """
    if isinstance(report, CampaignReport):
        data = orjson.loads(report.model_dump_json(exclude=set(VOLATILE_FIELDS)))
    else:
        data = {k: v for k, v in report.items() if k not in VOLATILE_FIELDS}
    return "0x" + keccak(canonical_json(data)).hex()
