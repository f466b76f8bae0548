"""The chain of custody: shipments, deliveries and distributions, and the limits along it.

Quantities add up per order line: shipped ≤ ordered, delivered ≤ shipped per shipment, distributed ≤
delivered per delivery; and an edit cannot take a record below what was already passed on from it. Those
checks read what concurrent writers may be changing, so a write locks the record it adds to (``FOR
UPDATE`` on PostgreSQL; on SQLite the session from :func:`ledger.db.session.write_session` holds the
database's write lock from its start). Locks are taken from the record edited towards its order
(distribution → delivery → shipment → order), always in that direction, so two writers cannot wait on
each other. Every limit is checked here and only here (:mod:`ledger.records.orders` asks
:func:`shipped_per_line` before an order line is cut).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ledger.db.records import (
    Delivery,
    DeliveryItem,
    Distribution,
    PurchaseOrder,
    Shipment,
    ShipmentItem,
)
from ledger.errors import InvalidRecordError
from ledger.records.documents import DELIVERY_PROOF_KINDS, check_document
from ledger.records.ownership import authorize_write
from ledger.records.schemas import (
    DeliveryCreate,
    DeliveryUpdate,
    DistributionCreate,
    DistributionUpdate,
    ItemQuantity,
    ShipmentCreate,
    ShipmentUpdate,
)
from ledger.records.versions import (
    create_record,
    edited_values,
    finish_edit,
    must_exist,
    start_edit,
    type_name,
)
from ledger.scope import EVERY_CAMPAIGN, KeyScope

R = TypeVar("R", Shipment, Delivery)
P = TypeVar("P", PurchaseOrder, Shipment, Delivery)

# ─── what has passed along the chain, per order line ──────────────────────────────────────────────────


def _sum_by_line(s: Session, quantity: Any, line: Any, *where: ColumnElement[bool]) -> dict[int, int]:
    rows = s.execute(select(line, func.sum(quantity)).where(*where).group_by(line)).all()
    return {int(line_id): int(total) for line_id, total in rows}


def shipped_per_line(
    s: Session, line_ids: Iterable[int], *, but_shipment: int | None = None
) -> dict[int, int]:
    """Units shipped of each of ``line_ids`` (lines with none left out), ``but_shipment`` aside."""
    where: list[ColumnElement[bool]] = [ShipmentItem.order_line_id.in_(list(line_ids))]
    if but_shipment is not None:
        where.append(ShipmentItem.shipment_id != but_shipment)
    return _sum_by_line(s, ShipmentItem.quantity, ShipmentItem.order_line_id, *where)


def _delivered_per_line(s: Session, shipment_id: int, *, but_delivery: int | None = None) -> dict[int, int]:
    where: list[ColumnElement[bool]] = [Delivery.shipment_id == shipment_id]
    if but_delivery is not None:
        where.append(Delivery.id != but_delivery)
    return _sum_by_line(
        s,
        DeliveryItem.quantity,
        DeliveryItem.order_line_id,
        DeliveryItem.delivery_id.in_(select(Delivery.id).where(*where)),
    )


def _distributed_per_line(s: Session, delivery_id: int) -> dict[int, int]:
    return _sum_by_line(
        s, Distribution.quantity, Distribution.order_line_id, Distribution.delivery_id == delivery_id
    )


def _no_duplicate_lines(items: Sequence[ItemQuantity]) -> None:
    seen: set[int] = set()
    for item in items:
        if item.order_line_id in seen:
            raise InvalidRecordError(f"order line {item.order_line_id} is listed twice")
        seen.add(item.order_line_id)


#: The item rows of each record of the chain of custody that has items.
_ITEMS: dict[type[Any], type[Any]] = {Shipment: ShipmentItem, Delivery: DeliveryItem}


def _with_items(model: type[R], data: ShipmentCreate | DeliveryCreate) -> R:
    """A new shipment or delivery from ``data``, with its items."""
    items = [_ITEMS[model](**item.model_dump()) for item in data.items]
    return model(**data.model_dump(exclude={"items"}), items=items)


def _replace_items(record: R, items: Sequence[ItemQuantity], *, passed_on: dict[int, int], verb: str) -> None:
    """Make a shipment's or delivery's items match ``items``, which must keep at least what was ``passed_on``
    (``verb``: delivered, distributed) from it per line. Rows are edited in place (their ids stay, and no
    row is deleted and re-inserted under the same unique key)."""
    wanted = {item.order_line_id: item.quantity for item in items}
    for line_id, done in passed_on.items():
        if wanted.get(line_id, 0) < done:
            raise InvalidRecordError(
                f"order line {line_id}: {done:,} units of this {type_name(type(record))} were {verb} already"
            )
    for existing in list(record.items):
        if existing.order_line_id in wanted:
            existing.quantity = wanted.pop(existing.order_line_id)
        else:
            record.items.remove(existing)
    for line_id, quantity in wanted.items():
        record.items.append(_ITEMS[type(record)](order_line_id=line_id, quantity=quantity))


def _parent(s: Session, model: type[P], record_id: int, what: str, scope: KeyScope) -> P:
    """The record a new one is added to: it must exist and be ``scope``'s to write, and it stays locked
    until commit (the first lock of the write, see the module's notes on their order)."""
    parent = must_exist(s, model, record_id, what, lock=True)
    authorize_write(s, scope, parent)
    return parent


# ─── shipments ──────────────────────────────────────────────────────────────────────────────────────────


def create_shipment(
    s: Session, *, data: ShipmentCreate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> Shipment:
    """Record goods of one order leaving the supplier; never more per line than was ordered."""
    order = _parent(s, PurchaseOrder, data.order_id, "order", scope)
    if order.status == "cancelled":
        raise InvalidRecordError(f"order {order.id} is cancelled")
    check_document(s, data.document_id, scope)
    _check_shipped(s, order, data.items, shipment_id=None)
    return create_record(s, _with_items(Shipment, data), actor=actor)


def update_shipment(
    s: Session, *, record_id: int, changes: ShipmentUpdate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> Shipment:
    shipment, before = start_edit(s, Shipment, record_id, changes.version, scope)
    values = edited_values(changes, skip=("items",))
    check_document(s, values.get("document_id"), scope)
    if changes.items is not None:
        order = s.get_one(PurchaseOrder, shipment.order_id, with_for_update=True)
        _check_shipped(s, order, changes.items, shipment_id=shipment.id)
        delivered = _delivered_per_line(s, shipment.id)
        _replace_items(shipment, changes.items, passed_on=delivered, verb="delivered")
    return finish_edit(s, shipment, before, values, actor=actor)


def _check_shipped(
    s: Session, order: PurchaseOrder, items: Sequence[ItemQuantity], *, shipment_id: int | None
) -> None:
    _no_duplicate_lines(items)
    lines = {line.id: line for line in order.lines}
    shipped = shipped_per_line(s, lines, but_shipment=shipment_id)
    for item in items:
        line = lines.get(item.order_line_id)
        if line is None:
            raise InvalidRecordError(f"order line {item.order_line_id} is not a line of order {order.id}")
        _at_most(
            line.quantity,
            shipped.get(line.id, 0),
            item.quantity,
            f"order line {line.line_no} ({line.item}): {line.quantity:,} ordered",
            "shipped",
        )


# ─── deliveries ─────────────────────────────────────────────────────────────────────────────────────────


def create_delivery(
    s: Session, *, data: DeliveryCreate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> Delivery:
    """Record a shipment's arrival with its proof; never more per line than the shipment carried."""
    shipment = _parent(s, Shipment, data.shipment_id, "shipment", scope)
    check_document(s, data.document_id, scope, DELIVERY_PROOF_KINDS)
    _check_delivered(s, shipment, data.items, delivery_id=None)
    return create_record(s, _with_items(Delivery, data), actor=actor)


def update_delivery(
    s: Session, *, record_id: int, changes: DeliveryUpdate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> Delivery:
    delivery, before = start_edit(s, Delivery, record_id, changes.version, scope)
    values = edited_values(changes, skip=("items",))
    check_document(s, values.get("document_id"), scope, DELIVERY_PROOF_KINDS)
    if changes.items is not None:
        shipment = s.get_one(Shipment, delivery.shipment_id, with_for_update=True)
        _check_delivered(s, shipment, changes.items, delivery_id=delivery.id)
        distributed = _distributed_per_line(s, delivery.id)
        _replace_items(delivery, changes.items, passed_on=distributed, verb="distributed")
    return finish_edit(s, delivery, before, values, actor=actor)


def _check_delivered(
    s: Session, shipment: Shipment, items: Sequence[ItemQuantity], *, delivery_id: int | None
) -> None:
    _no_duplicate_lines(items)
    shipped = {item.order_line_id: item.quantity for item in shipment.items}
    delivered = _delivered_per_line(s, shipment.id, but_delivery=delivery_id)
    for item in items:
        if item.order_line_id not in shipped:
            raise InvalidRecordError(
                f"shipment {shipment.id} carried nothing of order line {item.order_line_id}"
            )
        carried = shipped[item.order_line_id]
        _at_most(
            carried,
            delivered.get(item.order_line_id, 0),
            item.quantity,
            f"order line {item.order_line_id}: shipment {shipment.id} carried {carried:,}",
            "delivered",
        )


# ─── distributions ─────────────────────────────────────────────────────────────────────────────────────


def create_distribution(
    s: Session, *, data: DistributionCreate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> Distribution:
    """Record part of a delivery handed to a final recipient; never more than was delivered."""
    delivery = _parent(s, Delivery, data.delivery_id, "delivery", scope)
    check_document(s, data.document_id, scope)
    _check_distributed(s, delivery, data.order_line_id, data.quantity, distribution_id=None)
    return create_record(s, Distribution(**data.model_dump()), actor=actor)


def update_distribution(
    s: Session, *, record_id: int, changes: DistributionUpdate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> Distribution:
    distribution, before = start_edit(s, Distribution, record_id, changes.version, scope)
    values = edited_values(changes)
    check_document(s, values.get("document_id"), scope)
    if "quantity" in values:
        delivery = s.get_one(Delivery, distribution.delivery_id, with_for_update=True)
        _check_distributed(
            s, delivery, distribution.order_line_id, values["quantity"], distribution_id=distribution.id
        )
    return finish_edit(s, distribution, before, values, actor=actor)


def _check_distributed(
    s: Session, delivery: Delivery, line_id: int, quantity: int, *, distribution_id: int | None
) -> None:
    delivered = {item.order_line_id: item.quantity for item in delivery.items}
    if line_id not in delivered:
        raise InvalidRecordError(f"delivery {delivery.id} brought nothing of order line {line_id}")
    where: list[ColumnElement[bool]] = [
        Distribution.delivery_id == delivery.id,
        Distribution.order_line_id == line_id,
    ]
    if distribution_id is not None:
        where.append(Distribution.id != distribution_id)
    before = s.scalar(select(func.coalesce(func.sum(Distribution.quantity), 0)).where(*where)) or 0
    brought = delivered[line_id]
    _at_most(
        brought,
        int(before),
        quantity,
        f"order line {line_id}: delivery {delivery.id} brought {brought:,}",
        "distributed",
    )


def _at_most(allowed: int, before: int, more: int, says: str, verb: str) -> None:
    """The one chain-of-custody limit: what went on before plus ``more`` stays within ``allowed``; else
    the refusal says how much was allowed (``says``), how much was ``verb`` before, and how much more."""
    if before + more > allowed:
        raise InvalidRecordError(f"{says}, {before:,} {verb} before; {more:,} more is too many")
