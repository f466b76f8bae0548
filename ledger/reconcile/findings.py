"""The rules: what does not add up between the chain's money and the procurement records.

Each rule reads rows already fetched (see :mod:`ledger.reads`) and returns findings; none
queries the database. Severities are fixed per kind (:data:`ledger.reconcile.report.SEVERITY`):

- ``error``: money unaccounted for, or records contradicting the chain — a payment naming no order of the
  campaign (``payment_without_order``), more paid than agreed or anything paid for a cancelled order
  (``overpayment``), a payment in another token than agreed (``wrong_payment_token``), an invoice hash on
  chain that is not the SHA-256 of an invoice of that order (``invoice_hash_mismatch``), a payment against
  an order to another address than its supplier's wallet (``wrong_supplier``), the SQL mirror disagreeing
  with the contract (``mirror_mismatch``).
- ``warning``: to follow up, possibly still in progress — an open order with no payment
  (``order_unpaid``), less paid than agreed (``underpayment``), an order paid to a supplier whose vetting
  status is not ``approved`` (``supplier_not_vetted``), less delivered than ordered once an order is
  paid or deliveries started (``delivered_short``), a unit price above the reference by more than the
  tolerance (``price_above_reference``), funds held with no round open and no movement for longer than
  allowed (``funds_idle``), the chain not reachable to check the mirror (``chain_unreachable``), a change
  scheduled on chain and not yet in force that touches the campaign (``pending_change``, one per change:
  a supplier approval still in its delay, a timelock operation on the ledger not executed or cancelled yet,
  an admin transfer or admin delay change; see :mod:`ledger.reconcile.pending`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from ledger.orderref import reference_of
from ledger.reads.aggregates import Sums
from ledger.reads.payments import DisbursedRow
from ledger.reads.procurement import Custody, DocumentRow, LineRow, OrderRow, ReferenceRow
from ledger.reads.rounds import Round
from ledger.reads.units import EXACT, TokenUnits
from ledger.reconcile.changes import PendingChange
from ledger.reconcile.report import SEVERITY, Finding, FindingKind, RecordRef, TokenTotals

_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def finding(kind: FindingKind, message: str, records: Iterable[RecordRef] = ()) -> Finding:
    return Finding(kind=kind, severity=SEVERITY[kind], message=message, records=list(records))


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then by kind and the records involved: a stable order, so a stable report hash."""

    def key(f: Finding) -> tuple[int, str, list[tuple[str, int, str, str, int]], str]:
        records = [(r.type, r.id or 0, r.key or "", r.tx_hash or "", r.log_index or 0) for r in f.records]
        return (_SEVERITY_RANK[f.severity], f.kind, records, f.message)

    return sorted(findings, key=key)


def payment_ref(payment: DisbursedRow) -> RecordRef:
    return RecordRef(type="disbursed", tx_hash=payment.tx_hash, log_index=payment.log_index)


def order_ref(order: OrderRow) -> RecordRef:
    return RecordRef(type="order", id=order.id, key=order.reference)


def _ref_text(payment: DisbursedRow) -> str:
    readable = reference_of(payment.purchase_order_ref)
    return repr(readable) if readable is not None else payment.purchase_order_ref


# ─── payments ──────────────────────────────────────────────────────────────────────────────────────────


def payments_without_order(
    unmatched: Sequence[DisbursedRow], units: TokenUnits, foreign_orders: Mapping[str, int]
) -> list[Finding]:
    """Payments whose purchase order reference is none of the campaign's orders. ``foreign_orders`` maps
    references that belong to another campaign's order to that campaign."""
    found = []
    for p in unmatched:
        where = (
            f" (an order of campaign {foreign_orders[p.purchase_order_ref]})"
            if p.purchase_order_ref in foreign_orders
            else ""
        )
        found.append(
            finding(
                "payment_without_order",
                f"{units.amount(p.amount, p.token)} paid to {p.supplier} "
                f"(tx {p.tx_hash}) names purchase order {_ref_text(p)}, which is not an order of this "
                f"campaign{where}",
                [payment_ref(p)],
            )
        )
    return found


def order_payment_findings(
    orders: Sequence[OrderRow], payments: Mapping[int, Sequence[DisbursedRow]], units: TokenUnits
) -> list[Finding]:
    """Each order's payments against its agreed token and amount (exact, in base units; said in tokens)."""
    found = []
    for order in orders:
        paid_rows = payments.get(order.id, ())
        records = [order_ref(order), *(payment_ref(p) for p in paid_rows)]
        if order.status == "cancelled":
            if paid_rows:
                found.append(
                    finding(
                        "overpayment",
                        f"order {order.reference!r} is cancelled but was paid {len(paid_rows)} time(s)",
                        records,
                    )
                )
            continue
        if not paid_rows:
            agreed = units.amount(order.payment_amount, order.payment_token)
            found.append(
                finding("order_unpaid", f"order {order.reference!r} ({agreed}) has no payment", records)
            )
            continue
        for p in paid_rows:
            if p.token != order.payment_token:
                found.append(
                    finding(
                        "wrong_payment_token",
                        f"order {order.reference!r} is payable in {units.label(order.payment_token)} but "
                        f"tx {p.tx_hash} paid {units.amount(p.amount, p.token)}",
                        [order_ref(order), payment_ref(p)],
                    )
                )
        paid = sum(p.amount for p in paid_rows if p.token == order.payment_token)
        if paid == 0:
            continue
        token = order.payment_token
        agreed_text, paid_text = units.amount(order.payment_amount, token), units.amount(paid, token)
        if paid > order.payment_amount:
            found.append(
                finding(
                    "overpayment",
                    f"order {order.reference!r}: paid {paid_text}, agreed {agreed_text} "
                    f"({units.amount(paid - order.payment_amount, token)} too many)",
                    records,
                )
            )
        elif paid < order.payment_amount:
            found.append(
                finding(
                    "underpayment",
                    f"order {order.reference!r}: paid {paid_text}, agreed {agreed_text} "
                    f"({units.amount(order.payment_amount - paid, token)} short)",
                    records,
                )
            )
    return found


def supplier_findings(
    orders: Sequence[OrderRow], payments: Mapping[int, Sequence[DisbursedRow]], units: TokenUnits
) -> list[Finding]:
    """Payments against an order must go to that order's supplier, and that supplier must be vetted."""
    found = []
    for order in orders:
        paid_rows = payments.get(order.id, ())
        for p in paid_rows:
            if p.supplier != order.supplier_wallet:
                found.append(
                    finding(
                        "wrong_supplier",
                        f"tx {p.tx_hash} paid {units.amount(p.amount, p.token)} "
                        f"against order {order.reference!r} to {p.supplier}, not to the order's supplier "
                        f"{order.supplier_name} ({order.supplier_wallet})",
                        [order_ref(order), payment_ref(p)],
                    )
                )
        if paid_rows and order.supplier_vetting != "approved":
            found.append(
                finding(
                    "supplier_not_vetted",
                    f"order {order.reference!r} was paid, but its supplier {order.supplier_name} is "
                    f"{order.supplier_vetting}, not approved",
                    [order_ref(order), RecordRef(type="supplier", id=order.supplier_id)],
                )
            )
    return found


def invoice_findings(
    orders: Sequence[OrderRow],
    payments: Mapping[int, Sequence[DisbursedRow]],
    invoices: Mapping[int, Sequence[DocumentRow]],
    stored: Mapping[str, DocumentRow],
) -> list[Finding]:
    """Each payment's invoice hash must be ``0x`` + the SHA-256 of an invoice stored for its order.
    ``stored`` are documents found by the hashes that matched no invoice, to say what they are instead."""
    found = []
    for order in orders:
        own = {"0x" + d.sha256: d for d in invoices.get(order.id, ())}
        for p in payments.get(order.id, ()):
            if p.invoice_hash in own:
                continue
            other = stored.get(p.invoice_hash.removeprefix("0x"))
            if other is not None:
                what = f"the hash of document {other.id}, a {other.kind}" + (
                    f" of order {other.order_id}" if other.order_id is not None else ""
                )
            elif not own:
                what = "no invoice is stored for the order"
            else:
                what = "no stored document has that hash"
            records = [order_ref(order), payment_ref(p)]
            if other is not None:
                records.append(RecordRef(type="document", id=other.id))
            found.append(
                finding(
                    "invoice_hash_mismatch",
                    f"payment tx {p.tx_hash} for order {order.reference!r} carries invoice hash "
                    f"{p.invoice_hash}: {what}",
                    records,
                )
            )
    return found


# ─── goods ──────────────────────────────────────────────────────────────────────────────────────────────


def delivery_findings(
    orders: Sequence[OrderRow],
    lines: Mapping[int, Sequence[LineRow]],
    custody: Custody,
    paid_orders: set[int],
) -> list[Finding]:
    """Lines delivered short, once their order is paid or any of its goods were delivered."""
    found = []
    for order in orders:
        order_lines = lines.get(order.id, ())
        if order.status == "cancelled":
            continue
        started = any(custody.delivered.get(line.id, 0) for line in order_lines)
        if order.id not in paid_orders and not started:
            continue
        for line in order_lines:
            delivered = custody.delivered.get(line.id, 0)
            if delivered < line.quantity:
                found.append(
                    finding(
                        "delivered_short",
                        f"order {order.reference!r} line {line.line_no} ({line.item}): {line.quantity:,} "
                        f"{line.unit} ordered, {delivered:,} delivered",
                        [order_ref(order), RecordRef(type="order_line", id=line.id)],
                    )
                )
    return found


def price_findings(
    orders: Sequence[OrderRow],
    lines: Mapping[int, Sequence[LineRow]],
    references: Mapping[tuple[str, str, str], ReferenceRow],
    tolerance: Decimal,
) -> list[Finding]:
    """Unit prices above (1 + tolerance) × the reference price of the same item, unit and currency."""
    found = []
    factor = EXACT.add(Decimal(1), tolerance)
    for order in orders:
        if order.status == "cancelled":
            continue
        for line in lines.get(order.id, ()):
            ref = references.get((line.item, line.unit, line.currency))
            if ref is None:
                continue
            ceiling = EXACT.multiply(ref.unit_price, factor)
            if line.unit_price > ceiling:
                ratio = EXACT.divide(line.unit_price, ref.unit_price).quantize(Decimal("0.01"))
                found.append(
                    finding(
                        "price_above_reference",
                        f"order {order.reference!r} line {line.line_no} ({line.item}): "
                        f"{line.unit_price.normalize():f} {line.currency} per {line.unit}, {ratio}× the "
                        f"reference {ref.unit_price.normalize():f} (tolerance {tolerance.normalize():f})",
                        [
                            order_ref(order),
                            RecordRef(type="order_line", id=line.id),
                            RecordRef(type="reference_price", id=ref.id),
                        ],
                    )
                )
    return found


# ─── funds ──────────────────────────────────────────────────────────────────────────────────────────────


def idle_findings(
    totals: Sequence[TokenTotals],
    rounds: Mapping[int, Round],
    payments: Sequence[DisbursedRow],
    refunds: Mapping[tuple[int, str], Sums],
    *,
    cancelled_at: int | None,
    now: int | None,
    idle_after: int,
    units: TokenUnits,
) -> list[Finding]:
    """Tokens still held while no round is open and nothing moved (a round closed, a payment or a refund
    in that token, the campaign's cancellation) for longer than ``idle_after`` seconds of chain time."""
    if now is None or any(r.outcome is None for r in rounds.values()):
        return []
    closes = [r.closed_timestamp for r in rounds.values() if r.closed_timestamp is not None]
    found = []
    for t in totals:
        if t.held <= 0:
            continue
        moves = [
            *closes,
            *(p.block_timestamp for p in payments if p.token == t.token),
            *(s.last_timestamp for (_, token), s in refunds.items() if token == t.token),
        ]
        if cancelled_at is not None:
            moves.append(cancelled_at)
        if not moves:
            continue
        idle = now - max(moves)
        if idle > idle_after:
            found.append(
                finding(
                    "funds_idle",
                    f"{units.amount(t.held, t.token)} held with no round open and no movement "
                    f"for {idle / 86_400:.1f} days (limit {idle_after / 86_400:g})",
                    [RecordRef(type="token", key=t.token)],
                )
            )
    return found


# ─── pending changes ────────────────────────────────────────────────────────────────────────────────────

#: The event that scheduled each kind of pending change, as its mirror table is named.
_SCHEDULED_BY = {
    "supplier_approval": "supplier_approved",
    "timelock_operation": "timelock_call_scheduled",
    "admin_transfer": "default_admin_transfer_scheduled",
    "admin_delay_change": "default_admin_delay_change_scheduled",
}


def pending_findings(changes: Sequence[PendingChange]) -> list[Finding]:
    """One warning per pending change (those that touch the campaign, passed in), named by its scheduling
    event: it is not in force yet, so the report cannot show its effect, and someone should know."""
    return [
        finding(
            "pending_change",
            change.description,
            [
                RecordRef(
                    type=_SCHEDULED_BY[change.kind],
                    key=change.key,
                    tx_hash=change.scheduled.tx_hash,
                    log_index=change.scheduled.log_index,
                )
            ],
        )
        for change in changes
    ]
