"""The off-chain records of a campaign's procurement, as the reconciliation reads them: orders and their
lines, invoices, the quantities along the chain of custody, reference prices and suppliers. Each read is
one query whatever the size of the campaign."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, literal, select, union_all
from sqlalchemy.orm import Session

from ledger.db.records import (
    DeliveryItem,
    Distribution,
    Document,
    OrderLine,
    PurchaseOrder,
    ReferencePrice,
    ShipmentItem,
    Supplier,
)
from ledger.reads.rows import select_fields
from ledger.reads.units import money


@dataclass(frozen=True)
class OrderRow:
    id: int
    reference: str
    order_ref: str
    status: str
    issued_on: date
    supplier_id: int
    supplier_name: str
    supplier_wallet: str
    supplier_vetting: str
    payment_token: str
    payment_amount: int


def orders(s: Session, campaign_id: int) -> list[OrderRow]:
    rows = s.execute(
        select(
            PurchaseOrder.id,
            PurchaseOrder.reference,
            PurchaseOrder.order_ref,
            PurchaseOrder.status,
            PurchaseOrder.issued_on,
            PurchaseOrder.supplier_id,
            Supplier.name,
            Supplier.wallet,
            Supplier.vetting_status,
            PurchaseOrder.payment_token,
            PurchaseOrder.payment_amount,
        )
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .where(PurchaseOrder.campaign_id == campaign_id)
        .order_by(PurchaseOrder.id)
    )
    return [
        OrderRow(i, ref, oref.lower(), st, iss, sid, name, wallet, vetting, tok, int(amt))
        for i, ref, oref, st, iss, sid, name, wallet, vetting, tok, amt in rows
    ]


@dataclass(frozen=True)
class LineRow:
    id: int
    order_id: int
    line_no: int
    item: str
    unit: str
    quantity: int
    unit_price: Decimal
    currency: str


def _campaign_orders(campaign_id: int) -> Any:
    return select(PurchaseOrder.id).where(PurchaseOrder.campaign_id == campaign_id)


def order_lines(s: Session, campaign_id: int) -> list[LineRow]:
    rows = s.execute(
        select_fields(OrderLine, LineRow)
        .where(OrderLine.order_id.in_(_campaign_orders(campaign_id)))
        .order_by(OrderLine.order_id, OrderLine.line_no)
    )
    return [replace(line, unit_price=money(line.unit_price)) for line in (LineRow(*row) for row in rows)]


@dataclass(frozen=True)
class DocumentRow:
    id: int
    kind: str
    order_id: int | None
    sha256: str
    amount: Decimal | None
    currency: str | None


def _document(row: Any) -> DocumentRow:
    document = DocumentRow(*row)
    return document if document.amount is None else replace(document, amount=money(document.amount))


def invoices(s: Session, campaign_id: int) -> list[DocumentRow]:
    """The invoices of the campaign's orders (the files themselves are not read)."""
    rows = s.execute(
        select_fields(Document, DocumentRow)
        .where(Document.kind == "invoice", Document.order_id.in_(_campaign_orders(campaign_id)))
        .order_by(Document.id)
    )
    return [_document(row) for row in rows]


def documents_by_sha256(s: Session, digests: Iterable[str]) -> dict[str, DocumentRow]:
    """Stored documents with these SHA-256 digests (64 hex digits), whatever their order."""
    wanted = sorted(set(digests))
    if not wanted:
        return {}
    rows = s.execute(select_fields(Document, DocumentRow).where(Document.sha256.in_(wanted)))
    return {row.sha256: _document(row) for row in rows}


@dataclass(frozen=True)
class Custody:
    """Quantities along the chain of custody per order line, and per recipient of each item."""

    shipped: dict[int, int]
    delivered: dict[int, int]
    distributed: dict[int, int]
    #: (recipient, item, unit) → quantity distributed.
    recipients: dict[tuple[str, str, str], int]


def custody(s: Session, campaign_id: int) -> Custody:
    """Shipped, delivered and distributed quantities per order line, and distributed per recipient and
    item, in one round trip."""
    lines = select(OrderLine.id).where(OrderLine.order_id.in_(_campaign_orders(campaign_id)))
    empty = literal("")

    def per_line(stage: str, line: Any, quantity: Any) -> Select[Any]:
        return (
            select(literal(stage), empty, empty, empty, line, func.sum(quantity))
            .where(line.in_(lines))
            .group_by(line)
        )

    recipients = (
        select(
            literal("recipient"),
            Distribution.recipient,
            OrderLine.item,
            OrderLine.unit,
            literal(0),
            func.sum(Distribution.quantity),
        )
        .join(OrderLine, OrderLine.id == Distribution.order_line_id)
        .where(OrderLine.order_id.in_(_campaign_orders(campaign_id)))
        .group_by(Distribution.recipient, OrderLine.item, OrderLine.unit)
    )
    parts: Any = union_all(
        per_line("shipped", ShipmentItem.order_line_id, ShipmentItem.quantity),
        per_line("delivered", DeliveryItem.order_line_id, DeliveryItem.quantity),
        per_line("distributed", Distribution.order_line_id, Distribution.quantity),
        recipients,
    )
    result = Custody({}, {}, {}, {})
    by_line = {"shipped": result.shipped, "delivered": result.delivered, "distributed": result.distributed}
    for stage, recipient, item, unit, line_id, quantity in s.execute(parts):
        if stage == "recipient":
            result.recipients[(recipient, item, unit)] = int(quantity)
        else:
            by_line[stage][int(line_id)] = int(quantity)
    return result


@dataclass(frozen=True)
class ReferenceRow:
    id: int
    unit_price: Decimal


def reference_prices(s: Session, campaign_id: int) -> dict[tuple[str, str, str], ReferenceRow]:
    """Reference prices of the items the campaign's orders buy, by (item, unit, currency)."""
    items = (
        select(OrderLine.item, OrderLine.unit, OrderLine.currency)
        .where(OrderLine.order_id.in_(_campaign_orders(campaign_id)))
        .distinct()
        .subquery()
    )
    rows = s.execute(
        select(
            ReferencePrice.item,
            ReferencePrice.unit,
            ReferencePrice.currency,
            ReferencePrice.id,
            ReferencePrice.unit_price,
        ).join(
            items,
            (items.c.item == ReferencePrice.item)
            & (items.c.unit == ReferencePrice.unit)
            & (items.c.currency == ReferencePrice.currency),
        )
    )
    return {(item, unit, cur): ReferenceRow(rid, money(price)) for item, unit, cur, rid, price in rows}


@dataclass(frozen=True)
class SupplierRow:
    id: int
    name: str
    wallet: str
    vetting_status: str


def suppliers_by_wallet(s: Session, wallets: Sequence[str]) -> dict[str, SupplierRow]:
    if not wallets:
        return {}
    rows = s.execute(select_fields(Supplier, SupplierRow).where(Supplier.wallet.in_(sorted(set(wallets)))))
    return {row.wallet: SupplierRow(*row) for row in rows}
