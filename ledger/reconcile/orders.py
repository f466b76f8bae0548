"""The procurement side of a report: payments matched to orders, each order with its lines, invoices and
custody, suppliers' totals and the campaign's procurement totals."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.db.records import PurchaseOrder
from ledger.orderref import reference_of
from ledger.reads.payments import DisbursedRow
from ledger.reads.procurement import (
    Custody,
    DocumentRow,
    LineRow,
    OrderRow,
    SupplierRow,
    documents_by_sha256,
)
from ledger.reads.tokens import per_token
from ledger.reads.units import EXACT, money
from ledger.reconcile.report import (
    InvoiceRef,
    ItemTotals,
    MoneyAmount,
    OrderLineReport,
    OrderReport,
    Payment,
    ProcurementTotals,
    RecipientTotals,
    SupplierTotals,
    TokenAmount,
)

K = TypeVar("K")
V = TypeVar("V")


def by(rows: Iterable[V], key: Callable[[V], K]) -> dict[K, list[V]]:
    """``rows`` grouped by ``key``, each group in the rows' order."""
    grouped: dict[K, list[V]] = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    return grouped


def payment_model(p: DisbursedRow) -> Payment:
    return Payment(**vars(p), order_reference=reference_of(p.purchase_order_ref))


def token_amounts(pairs: Iterable[tuple[str, int]]) -> list[TokenAmount]:
    """Amounts added up per token, in address order."""
    return [TokenAmount(token=t, amount=a) for t, a in sorted(per_token(pairs).items())]


def money_amounts(pairs: Iterable[tuple[str, Decimal]]) -> list[MoneyAmount]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for currency, amount in pairs:
        sums[currency] = EXACT.add(sums[currency], amount)
    return [MoneyAmount(currency=c, amount=a) for c, a in sorted(sums.items())]


def supplier_totals(
    payments: Sequence[DisbursedRow], records: Mapping[str, SupplierRow]
) -> list[SupplierTotals]:
    by_supplier = by(payments, lambda p: p.supplier)
    result = []
    for wallet in sorted(by_supplier):
        record = records.get(wallet)
        rows = by_supplier[wallet]
        result.append(
            SupplierTotals(
                supplier=wallet,
                supplier_id=record.id if record else None,
                name=record.name if record else None,
                vetting_status=record.vetting_status if record else None,
                payments=len(rows),
                paid=token_amounts((p.token, p.amount) for p in rows),
            )
        )
    return result


def line_value(line: LineRow) -> Decimal:
    return money(EXACT.multiply(Decimal(line.quantity), line.unit_price))


def order_report(
    order: OrderRow,
    payments: Sequence[DisbursedRow],
    lines: Mapping[int, Sequence[LineRow]],
    invoices: Mapping[int, Sequence[DocumentRow]],
    custody: Custody,
) -> OrderReport:
    order_lines = lines.get(order.id, ())
    order_invoices = invoices.get(order.id, ())
    # The order's and its lines' own fields are copied by name (their ids as order_id and line_id).
    return OrderReport(
        **vars(order),
        order_id=order.id,
        paid=sum(p.amount for p in payments if p.token == order.payment_token),
        paid_other=token_amounts((p.token, p.amount) for p in payments if p.token != order.payment_token),
        payments=[payment_model(p) for p in payments],
        ordered=money_amounts((line.currency, line_value(line)) for line in order_lines),
        invoiced=money_amounts(
            (d.currency, d.amount) for d in order_invoices if d.amount is not None and d.currency
        ),
        invoices=[
            InvoiceRef(document_id=d.id, sha256=d.sha256, amount=d.amount, currency=d.currency)
            for d in order_invoices
        ],
        lines=[
            OrderLineReport(
                **vars(line),
                line_id=line.id,
                value=line_value(line),
                shipped=custody.shipped.get(line.id, 0),
                delivered=custody.delivered.get(line.id, 0),
                distributed=custody.distributed.get(line.id, 0),
            )
            for line in order_lines
        ],
    )


def procurement_totals(
    orders: Sequence[OrderRow],
    reports: Sequence[OrderReport],
    unmatched: Sequence[DisbursedRow],
    recipients: list[RecipientTotals],
) -> ProcurementTotals:
    live = [r for r in reports if r.status != "cancelled"]
    items: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in live:
        for line in r.lines:
            counts = items[(line.item, line.unit)]
            counts[0] += line.quantity
            counts[1] += line.shipped
            counts[2] += line.delivered
            counts[3] += line.distributed
    return ProcurementTotals(
        orders=len(orders),
        open_orders=sum(1 for o in orders if o.status != "cancelled"),
        ordered=money_amounts((m.currency, m.amount) for r in live for m in r.ordered),
        invoiced=money_amounts((m.currency, m.amount) for r in reports for m in r.invoiced),
        paid=token_amounts((p.token, p.amount) for r in reports for p in r.payments),
        unmatched=token_amounts((p.token, p.amount) for p in unmatched),
        items=[
            ItemTotals(item=item, unit=unit, ordered=o, shipped=s, delivered=d, distributed=x)
            for (item, unit), (o, s, d, x) in sorted(items.items())
        ],
        recipients=recipients,
    )


def recipient_totals(custody: Custody) -> list[RecipientTotals]:
    return [
        RecipientTotals(recipient=r, item=i, unit=u, quantity=n)
        for (r, i, u), n in sorted(custody.recipients.items())
    ]


def foreign_orders(s: Session, campaign_id: int, unmatched: Sequence[DisbursedRow]) -> dict[str, int]:
    """Unmatched payment references that are orders of other campaigns, with their campaign."""
    refs = sorted({p.purchase_order_ref for p in unmatched})
    if not refs:
        return {}
    rows = s.execute(
        select(PurchaseOrder.order_ref, PurchaseOrder.campaign_id).where(
            PurchaseOrder.order_ref.in_(refs), PurchaseOrder.campaign_id != campaign_id
        )
    )
    return {ref.lower(): int(cid) for ref, cid in rows}


def stored_documents(
    s: Session,
    orders: Sequence[OrderRow],
    paid: Mapping[int, Sequence[DisbursedRow]],
    invoices: Mapping[int, Sequence[DocumentRow]],
) -> dict[str, DocumentRow]:
    """Documents whose hash a payment carries without being an invoice of the payment's order."""
    strays = []
    for order in orders:
        own = {"0x" + d.sha256 for d in invoices.get(order.id, ())}
        strays += [
            p.invoice_hash.removeprefix("0x") for p in paid.get(order.id, ()) if p.invoice_hash not in own
        ]
    return documents_by_sha256(s, strays)
