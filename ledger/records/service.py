"""Writes of off-chain records, each with its version history, inside the caller's transaction.

Every function takes a :class:`~sqlalchemy.orm.Session` whose transaction the caller owns
(``with Session(engine) as s, s.begin(): ...``) so that a refused write leaves nothing behind: a
function either returns the stored record, flushed, or raises a :class:`~ledger.records.errors.RecordError`
and the caller's transaction rolls back. Each create and edit writes a :class:`RecordVersion` with the
values before and after; an edit names the version it was made on, and one made on a stale version is
refused (two concurrent edits cannot both win: the second clashes on the history's unique version).

Quantities must add up along the chain of custody: shipped ≤ ordered per order line, delivered ≤
shipped per shipment, distributed ≤ delivered per delivery. Those checks read what concurrent writers
may be changing, so a write locks the record it adds to (``FOR UPDATE`` on PostgreSQL; on SQLite the
session from :func:`ledger.db.session.write_session` holds the database's write lock from its start).
Locks are taken from the record edited towards its order (distribution → delivery → shipment → order),
always in that direction, so two writers cannot wait on each other.

Every write takes the ``scope`` of the key it is made with and refuses (:class:`~ledger.scope.ScopeError`)
a record of a campaign outside it, found through the record's parents; the rules for records shared by
every campaign are in :mod:`ledger.records.ownership`. Callers with the database in hand (CLI, scripts)
act on every campaign, the default.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.db.models import Base, CampaignCreated, TokenAccepted
from ledger.db.records import (
    VERSIONED_RECORDS,
    Delivery,
    DeliveryItem,
    Distribution,
    Document,
    OrderLine,
    PurchaseOrder,
    RecordVersion,
    ReferencePrice,
    Shipment,
    ShipmentItem,
    Supplier,
    Token,
)
from ledger.db.types import Uint256
from ledger.orderref import order_ref
from ledger.records.errors import (
    DocumentTooLargeError,
    InvalidRecordError,
    RecordConflictError,
    RecordNotFoundError,
)
from ledger.records.names import forbidden_in_name
from ledger.records.ownership import (
    authorize_campaign_record,
    authorize_history,
    authorize_new_wallet,
    authorize_shared,
    authorize_write,
)
from ledger.records.schemas import (
    DeliveryCreate,
    DeliveryUpdate,
    DistributionCreate,
    DistributionUpdate,
    DocumentMeta,
    ItemQuantity,
    OrderCreate,
    OrderLineIn,
    OrderUpdate,
    ReferencePriceCreate,
    ReferencePriceUpdate,
    ShipmentCreate,
    ShipmentUpdate,
    SupplierCreate,
    SupplierUpdate,
    TokenCreate,
    TokenUpdate,
)
from ledger.scope import EVERY_CAMPAIGN, KeyScope

#: Uploads above this are refused unless the caller passes its own limit.
DEFAULT_DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
#: Kinds of document that prove a delivery.
DELIVERY_PROOF_KINDS = ("delivery_note", "handover_certificate")
#: The record types with a history, by the name the API uses.
HISTORY_TYPES = (*VERSIONED_RECORDS, "document")
#: Fields an edit may clear by sending ``null``.
_CLEARABLE = frozenset({"document_id", "as_of"})

R = TypeVar("R", bound=Base)


# ─── history ────────────────────────────────────────────────────────────────────────────────────────────


def _now() -> datetime:
    return datetime.now(UTC)


def _json_value(value: Any, *, big: bool = False) -> Any:
    if isinstance(value, Decimal) or (big and isinstance(value, int)):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def snapshot(record: Base) -> dict[str, Any]:
    """A record's stored values as JSON (amounts and prices as strings), with its lines or items."""
    values = {
        column.key: _json_value(getattr(record, column.key), big=isinstance(column.type, Uint256))
        for column in record.__table__.columns
        if column.key not in ("content", "created_at", "updated_at", "updated_by")
    }
    if isinstance(record, PurchaseOrder):
        values["lines"] = [snapshot(line) for line in record.lines]
    elif isinstance(record, Shipment | Delivery):
        values["items"] = [
            {"order_line_id": item.order_line_id, "quantity": item.quantity} for item in record.items
        ]
    return values


def _record(
    s: Session, record_type: str, record: Base, *, actor: str, before: dict[str, Any] | None, version: int
) -> None:
    _flush(s, record_type)
    s.add(
        RecordVersion(
            record_type=record_type,
            record_id=record.id,  # type: ignore[attr-defined]
            version=version,
            action="create" if before is None else "update",
            actor=actor,
            changed_at=_now(),
            before=before,
            after=snapshot(record),
        )
    )
    _flush(s, record_type)


def _flush(s: Session, what: str) -> None:
    """Flush, turning a unique-key clash with a concurrent writer into a conflict the caller can retry."""
    try:
        s.flush()
    except IntegrityError as exc:
        raise RecordConflictError(
            f"the {what} clashes with a stored one (a duplicate, or an edit made at the same time): "
            "reload and retry"
        ) from exc


def history(
    s: Session, *, record_type: str, record_id: int, scope: KeyScope = EVERY_CAMPAIGN
) -> list[RecordVersion]:
    """Every version of a record, oldest first (another campaign's record is refused to a scoped key)."""
    if record_type not in HISTORY_TYPES:
        raise RecordNotFoundError(f"no history for '{record_type}': one of {', '.join(HISTORY_TYPES)}")
    authorize_history(s, scope, record_type, record_id)
    versions = s.scalars(
        select(RecordVersion)
        .where(RecordVersion.record_type == record_type, RecordVersion.record_id == record_id)
        .order_by(RecordVersion.version)
    ).all()
    if not versions:
        raise RecordNotFoundError(f"{record_type} {record_id} does not exist")
    return list(versions)


def _create(s: Session, record_type: str, record: Any, *, actor: str) -> None:
    now = _now()
    record.version, record.created_at, record.updated_at, record.updated_by = 1, now, now, actor
    s.add(record)
    _record(s, record_type, record, actor=actor, before=None, version=1)


def _start_edit(
    s: Session, model: type[R], record_id: int, version: int, scope: KeyScope
) -> tuple[R, dict[str, Any]]:
    record = s.get(model, record_id, populate_existing=True, with_for_update=True)
    name = _type_name(model)
    if record is None:
        raise RecordNotFoundError(f"{name} {record_id} does not exist")
    authorize_write(s, scope, record)
    current = record.version  # type: ignore[attr-defined]
    if version != current:
        raise RecordConflictError(
            f"{name} {record_id} is at version {current}, the edit was made on version {version}: "
            "reload it and apply the edit again"
        )
    return record, snapshot(record)


def _finish_edit(s: Session, record: Any, before: dict[str, Any], *, actor: str) -> None:
    record.version += 1
    record.updated_at, record.updated_by = _now(), actor
    _record(s, _type_name(type(record)), record, actor=actor, before=before, version=record.version)


def _type_name(model: type[Base]) -> str:
    return next(name for name, cls in VERSIONED_RECORDS.items() if cls is model)


def _changes(update: Any, *, skip: Iterable[str] = ()) -> dict[str, Any]:
    """The fields an edit sets (``version`` and ``skip`` aside); ``null`` only where a field may be empty."""
    fields = update.model_fields_set - {"version", *skip}
    changes = {name: getattr(update, name) for name in fields}
    for name, value in changes.items():
        if value is None and name not in _CLEARABLE:
            raise InvalidRecordError(f"{name} cannot be null")
    return changes


# ─── lookups that a write depends on ───────────────────────────────────────────────────────────────────


def _must_exist(s: Session, model: type[R], record_id: int, what: str, *, lock: bool = False) -> R:
    """A record named in a request body (not the URL): a missing one makes the input invalid (422).
    ``lock`` holds its row until commit (PostgreSQL), so quantity checks against it stay true."""
    record = s.get(model, record_id, with_for_update=lock)
    if record is None:
        raise InvalidRecordError(f"{what} {record_id} does not exist")
    return record


def _check_campaign(s: Session, campaign_id: int) -> None:
    created = select(CampaignCreated.id).where(CampaignCreated.campaign_id == campaign_id)
    if s.scalar(created.limit(1)) is None:
        raise InvalidRecordError(f"campaign {campaign_id} is not on chain (or not indexed yet)")


def _check_token(s: Session, campaign_id: int, token: str) -> None:
    accepted = select(TokenAccepted.id).where(
        TokenAccepted.campaign_id == campaign_id, TokenAccepted.token == token
    )
    if s.scalar(accepted.limit(1)) is None:
        raise InvalidRecordError(f"campaign {campaign_id} does not accept token {token}")


def _check_document(s: Session, document_id: int | None, scope: KeyScope, kinds: Sequence[str] = ()) -> None:
    if document_id is None:
        return
    document = _must_exist(s, Document, document_id, "document")
    authorize_campaign_record(s, scope, document)
    if kinds and document.kind not in kinds:
        raise InvalidRecordError(
            f"document {document_id} is a {document.kind}; expected one of: {', '.join(kinds)}"
        )


def _sum_by_line(s: Session, quantity: Any, line: Any, *where: ColumnElement[bool]) -> dict[int, int]:
    rows = s.execute(select(line, func.sum(quantity)).where(*where).group_by(line)).all()
    return {int(line_id): int(total) for line_id, total in rows}


def _no_duplicate_lines(items: Sequence[ItemQuantity]) -> None:
    seen: set[int] = set()
    for item in items:
        if item.order_line_id in seen:
            raise InvalidRecordError(f"order line {item.order_line_id} is listed twice")
        seen.add(item.order_line_id)


def _set_items(stored: list[Any], items: Sequence[ItemQuantity], factory: type[Any]) -> None:
    """Make a shipment's or delivery's ``stored`` items match ``items``, editing rows in place (their ids
    stay, and no row is deleted and re-inserted under the same unique key)."""
    wanted = {item.order_line_id: item.quantity for item in items}
    for existing in list(stored):
        if existing.order_line_id in wanted:
            existing.quantity = wanted.pop(existing.order_line_id)
        else:
            stored.remove(existing)
    for line_id, quantity in wanted.items():
        stored.append(factory(order_line_id=line_id, quantity=quantity))


# ─── suppliers and reference prices ───────────────────────────────────────────────────────────────────


def create_supplier(
    s: Session, *, data: SupplierCreate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> Supplier:
    """Register a supplier; its wallet must not belong to another supplier."""
    authorize_new_wallet(s, scope, data.wallet)
    _unique_wallet(s, data.wallet, None)
    supplier = Supplier(**data.model_dump())
    _create(s, "supplier", supplier, actor=actor)
    return supplier


def update_supplier(
    s: Session, *, record_id: int, changes: SupplierUpdate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> Supplier:
    supplier, before = _start_edit(s, Supplier, record_id, changes.version, scope)
    values = _changes(changes)
    if "wallet" in values:
        authorize_new_wallet(s, scope, values["wallet"])
        _unique_wallet(s, values["wallet"], record_id)
    for name, value in values.items():
        setattr(supplier, name, value)
    _finish_edit(s, supplier, before, actor=actor)
    return supplier


def _unique_wallet(s: Session, wallet: str, own_id: int | None) -> None:
    other = s.scalar(select(Supplier.id).where(Supplier.wallet == wallet))
    if other is not None and other != own_id:
        raise RecordConflictError(f"wallet {wallet} already belongs to supplier {other}")


def create_reference_price(
    s: Session, *, data: ReferencePriceCreate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> ReferencePrice:
    """Record what one unit of an item normally costs (one price per item, unit and currency)."""
    authorize_shared(scope, "a reference price")
    clash = s.scalar(
        select(ReferencePrice.id).where(
            ReferencePrice.item == data.item,
            ReferencePrice.unit == data.unit,
            ReferencePrice.currency == data.currency,
        )
    )
    if clash is not None:
        raise RecordConflictError(
            f"a reference price for {data.item!r} per {data.unit} in {data.currency} exists already "
            f"(reference price {clash}): edit it instead"
        )
    price = ReferencePrice(**data.model_dump())
    _create(s, "reference_price", price, actor=actor)
    return price


def update_reference_price(
    s: Session,
    *,
    record_id: int,
    changes: ReferencePriceUpdate,
    actor: str,
    scope: KeyScope = EVERY_CAMPAIGN,
) -> ReferencePrice:
    price, before = _start_edit(s, ReferencePrice, record_id, changes.version, scope)
    for name, value in _changes(changes).items():
        setattr(price, name, value)
    _finish_edit(s, price, before, actor=actor)
    return price


# ─── token names ──────────────────────────────────────────────────────────────────────────────────────────


def create_token(s: Session, *, data: TokenCreate, actor: str, scope: KeyScope = EVERY_CAMPAIGN) -> Token:
    """Name a token by its address (one record per address; the address cannot be edited)."""
    authorize_shared(scope, "a token name")
    other = s.scalar(select(Token.id).where(Token.address == data.address))
    if other is not None:
        raise RecordConflictError(
            f"token {data.address} is recorded already (token {other}): edit it instead"
        )
    token = Token(**data.model_dump())
    _create(s, "token", token, actor=actor)
    return token


def update_token(
    s: Session, *, record_id: int, changes: TokenUpdate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> Token:
    token, before = _start_edit(s, Token, record_id, changes.version, scope)
    for name, value in _changes(changes).items():
        setattr(token, name, value)
    _finish_edit(s, token, before, actor=actor)
    return token


# ─── purchase orders ──────────────────────────────────────────────────────────────────────────────────


def create_order(
    s: Session, *, data: OrderCreate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> PurchaseOrder:
    """Record a purchase order for a campaign that is on chain, from a known supplier, with its lines.

    The supplier's row is locked until commit, so a concurrent edit of the supplier sees this order among
    the ones that use it (see :mod:`ledger.records.ownership`)."""
    scope.require(data.campaign_id, "the order")
    _check_campaign(s, data.campaign_id)
    _must_exist(s, Supplier, data.supplier_id, "supplier", lock=True)
    _check_token(s, data.campaign_id, data.payment_token)
    ref = order_ref(data.reference)
    clash = s.scalar(
        select(PurchaseOrder.id).where(
            PurchaseOrder.campaign_id == data.campaign_id, PurchaseOrder.order_ref == ref
        )
    )
    if clash is not None:
        raise RecordConflictError(
            f"campaign {data.campaign_id} already has an order with reference {data.reference!r} "
            f"(order {clash})"
        )
    order = PurchaseOrder(
        **data.model_dump(exclude={"lines"}),
        order_ref=ref,
        lines=[OrderLine(**line) for line in _numbered(data.lines)],
    )
    _create(s, "order", order, actor=actor)
    return order


def update_order(
    s: Session, *, record_id: int, changes: OrderUpdate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> PurchaseOrder:
    """Edit an order. Lines are matched by ``line_no``: a line that has been shipped cannot be removed
    or reduced below what was shipped."""
    order, before = _start_edit(s, PurchaseOrder, record_id, changes.version, scope)
    values = _changes(changes, skip=("lines",))
    if "supplier_id" in values:
        _must_exist(s, Supplier, values["supplier_id"], "supplier", lock=True)
    if "payment_token" in values:
        _check_token(s, order.campaign_id, values["payment_token"])
    for name, value in values.items():
        setattr(order, name, value)
    if changes.lines is not None:
        _set_lines(s, order, changes.lines)
    _finish_edit(s, order, before, actor=actor)
    return order


def _numbered(lines: Sequence[OrderLineIn]) -> list[dict[str, Any]]:
    numbered = [{**line.model_dump(), "line_no": line.line_no or i} for i, line in enumerate(lines, 1)]
    numbers = [line["line_no"] for line in numbered]
    if len(set(numbers)) != len(numbers):
        raise InvalidRecordError("two order lines have the same line_no")
    return numbered


def _set_lines(s: Session, order: PurchaseOrder, lines: Sequence[OrderLineIn]) -> None:
    wanted = {line["line_no"]: line for line in _numbered(lines)}
    shipped = _sum_by_line(
        s,
        ShipmentItem.quantity,
        ShipmentItem.order_line_id,
        ShipmentItem.order_line_id.in_([line.id for line in order.lines]),
    )
    for line in list(order.lines):
        new = wanted.pop(line.line_no, None)
        done = shipped.get(line.id, 0)
        if new is None:
            if done:
                raise InvalidRecordError(f"order line {line.line_no} has shipments and cannot be removed")
            order.lines.remove(line)
            continue
        if new["quantity"] < done:
            raise InvalidRecordError(
                f"order line {line.line_no}: {done:,} units were shipped already, "
                f"more than the new quantity {new['quantity']:,}"
            )
        for name, value in new.items():
            setattr(line, name, value)
    order.lines.extend(OrderLine(**line) for line in wanted.values())


# ─── documents ─────────────────────────────────────────────────────────────────────────────────────────


def _safe_filename(filename: str) -> str:
    """The name a file is stored under: its last path part, in NFC, every control, bidirectional or
    zero-width character replaced by ``_`` (``invoice`` U+202E ``fdp.exe`` shows as ``invoiceexe.pdf``)."""
    base = unicodedata.normalize("NFC", filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1])
    return "".join("_" if forbidden_in_name(c) else c for c in base).strip()[:255] or "document"


#: A media type as RFC 6838 names them (parameters dropped); anything else is stored as octet-stream, since
#: it is sent back as the download's Content-Type header.
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,48}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,48}")


def _media_type(declared: str) -> str:
    media_type = declared.split(";", 1)[0].strip().lower()
    return media_type if _MEDIA_TYPE.fullmatch(media_type) else "application/octet-stream"


def add_document(
    s: Session,
    *,
    meta: DocumentMeta,
    filename: str,
    content_type: str,
    content: bytes,
    actor: str,
    max_bytes: int = DEFAULT_DOCUMENT_MAX_BYTES,
    scope: KeyScope = EVERY_CAMPAIGN,
) -> Document:
    """Store a file and its SHA-256. The same content is stored once; an invoice belongs to an order."""
    if len(content) > max_bytes:
        raise DocumentTooLargeError(f"the file has {len(content):,} bytes; the limit is {max_bytes:,}")
    if not content:
        raise InvalidRecordError("the file is empty")
    if meta.kind == "invoice" and meta.order_id is None:
        raise InvalidRecordError("an invoice must name the order_id it bills")
    if (meta.amount is None) != (meta.currency is None):
        raise InvalidRecordError("amount and currency go together")
    if meta.order_id is not None:
        authorize_write(s, scope, _must_exist(s, PurchaseOrder, meta.order_id, "order"))
    digest = hashlib.sha256(content).hexdigest()
    stored = s.scalar(select(Document.id).where(Document.sha256 == digest))
    if stored is not None:
        raise RecordConflictError(f"this file is stored already as document {stored} (sha256 {digest})")
    document = Document(
        **meta.model_dump(),
        sha256=digest,
        filename=_safe_filename(filename),
        content_type=_media_type(content_type),
        size=len(content),
        content=content,
        uploaded_by=actor,
        uploaded_at=_now(),
    )
    s.add(document)
    _record(s, "document", document, actor=actor, before=None, version=1)
    return document


# ─── shipments, deliveries, distributions ─────────────────────────────────────────────────────────────


def create_shipment(
    s: Session, *, data: ShipmentCreate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> Shipment:
    """Record goods of one order leaving the supplier; never more per line than was ordered."""
    order = _must_exist(s, PurchaseOrder, data.order_id, "order", lock=True)
    authorize_write(s, scope, order)
    if order.status == "cancelled":
        raise InvalidRecordError(f"order {order.id} is cancelled")
    _check_document(s, data.document_id, scope)
    _check_shipped(s, order, data.items, shipment_id=None)
    shipment = Shipment(
        **data.model_dump(exclude={"items"}),
        items=[ShipmentItem(**item.model_dump()) for item in data.items],
    )
    _create(s, "shipment", shipment, actor=actor)
    return shipment


def update_shipment(
    s: Session, *, record_id: int, changes: ShipmentUpdate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> Shipment:
    shipment, before = _start_edit(s, Shipment, record_id, changes.version, scope)
    values = _changes(changes, skip=("items",))
    _check_document(s, values.get("document_id"), scope)
    if changes.items is not None:
        order = s.get_one(PurchaseOrder, shipment.order_id, with_for_update=True)
        _check_shipped(s, order, changes.items, shipment_id=shipment.id)
        delivered = _sum_by_line(
            s,
            DeliveryItem.quantity,
            DeliveryItem.order_line_id,
            DeliveryItem.delivery_id.in_(select(Delivery.id).where(Delivery.shipment_id == shipment.id)),
        )
        new = {item.order_line_id: item.quantity for item in changes.items}
        for line_id, done in delivered.items():
            if new.get(line_id, 0) < done:
                raise InvalidRecordError(
                    f"order line {line_id}: {done:,} units of this shipment were delivered already"
                )
        _set_items(shipment.items, changes.items, ShipmentItem)
    for name, value in values.items():
        setattr(shipment, name, value)
    _finish_edit(s, shipment, before, actor=actor)
    return shipment


def _check_shipped(
    s: Session, order: PurchaseOrder, items: Sequence[ItemQuantity], *, shipment_id: int | None
) -> None:
    _no_duplicate_lines(items)
    lines = {line.id: line for line in order.lines}
    where: list[ColumnElement[bool]] = [ShipmentItem.order_line_id.in_(list(lines))]
    if shipment_id is not None:
        where.append(ShipmentItem.shipment_id != shipment_id)
    shipped = _sum_by_line(s, ShipmentItem.quantity, ShipmentItem.order_line_id, *where)
    for item in items:
        line = lines.get(item.order_line_id)
        if line is None:
            raise InvalidRecordError(f"order line {item.order_line_id} is not a line of order {order.id}")
        before = shipped.get(line.id, 0)
        if before + item.quantity > line.quantity:
            raise InvalidRecordError(
                f"order line {line.line_no} ({line.item}): {line.quantity:,} ordered, {before:,} shipped "
                f"before; {item.quantity:,} more is too many"
            )


def create_delivery(
    s: Session, *, data: DeliveryCreate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> Delivery:
    """Record a shipment's arrival with its proof; never more per line than the shipment carried."""
    shipment = _must_exist(s, Shipment, data.shipment_id, "shipment", lock=True)
    authorize_write(s, scope, shipment)
    _check_document(s, data.document_id, scope, DELIVERY_PROOF_KINDS)
    _check_delivered(s, shipment, data.items, delivery_id=None)
    delivery = Delivery(
        **data.model_dump(exclude={"items"}),
        items=[DeliveryItem(**item.model_dump()) for item in data.items],
    )
    _create(s, "delivery", delivery, actor=actor)
    return delivery


def update_delivery(
    s: Session, *, record_id: int, changes: DeliveryUpdate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> Delivery:
    delivery, before = _start_edit(s, Delivery, record_id, changes.version, scope)
    values = _changes(changes, skip=("items",))
    _check_document(s, values.get("document_id"), scope, DELIVERY_PROOF_KINDS)
    if changes.items is not None:
        shipment = s.get_one(Shipment, delivery.shipment_id, with_for_update=True)
        _check_delivered(s, shipment, changes.items, delivery_id=delivery.id)
        distributed = _sum_by_line(
            s,
            Distribution.quantity,
            Distribution.order_line_id,
            Distribution.delivery_id == delivery.id,
        )
        new = {item.order_line_id: item.quantity for item in changes.items}
        for line_id, done in distributed.items():
            if new.get(line_id, 0) < done:
                raise InvalidRecordError(
                    f"order line {line_id}: {done:,} units of this delivery were distributed already"
                )
        _set_items(delivery.items, changes.items, DeliveryItem)
    for name, value in values.items():
        setattr(delivery, name, value)
    _finish_edit(s, delivery, before, actor=actor)
    return delivery


def _check_delivered(
    s: Session, shipment: Shipment, items: Sequence[ItemQuantity], *, delivery_id: int | None
) -> None:
    _no_duplicate_lines(items)
    shipped = {item.order_line_id: item.quantity for item in shipment.items}
    where: list[ColumnElement[bool]] = [Delivery.shipment_id == shipment.id]
    if delivery_id is not None:
        where.append(Delivery.id != delivery_id)
    delivered = _sum_by_line(
        s,
        DeliveryItem.quantity,
        DeliveryItem.order_line_id,
        DeliveryItem.delivery_id.in_(select(Delivery.id).where(*where)),
    )
    for item in items:
        if item.order_line_id not in shipped:
            raise InvalidRecordError(
                f"shipment {shipment.id} carried nothing of order line {item.order_line_id}"
            )
        before = delivered.get(item.order_line_id, 0)
        if before + item.quantity > shipped[item.order_line_id]:
            raise InvalidRecordError(
                f"order line {item.order_line_id}: shipment {shipment.id} carried "
                f"{shipped[item.order_line_id]:,}, {before:,} delivered before; "
                f"{item.quantity:,} more is too many"
            )


def create_distribution(
    s: Session, *, data: DistributionCreate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> Distribution:
    """Record part of a delivery handed to a final recipient; never more than was delivered."""
    delivery = _must_exist(s, Delivery, data.delivery_id, "delivery", lock=True)
    authorize_write(s, scope, delivery)
    _check_document(s, data.document_id, scope)
    _check_distributed(s, delivery, data.order_line_id, data.quantity, distribution_id=None)
    distribution = Distribution(**data.model_dump())
    _create(s, "distribution", distribution, actor=actor)
    return distribution


def update_distribution(
    s: Session,
    *,
    record_id: int,
    changes: DistributionUpdate,
    actor: str,
    scope: KeyScope = EVERY_CAMPAIGN,
) -> Distribution:
    distribution, before = _start_edit(s, Distribution, record_id, changes.version, scope)
    values = _changes(changes)
    _check_document(s, values.get("document_id"), scope)
    if "quantity" in values:
        delivery = s.get_one(Delivery, distribution.delivery_id, with_for_update=True)
        _check_distributed(
            s, delivery, distribution.order_line_id, values["quantity"], distribution_id=distribution.id
        )
    for name, value in values.items():
        setattr(distribution, name, value)
    _finish_edit(s, distribution, before, actor=actor)
    return distribution


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
    if before + quantity > delivered[line_id]:
        raise InvalidRecordError(
            f"order line {line_id}: delivery {delivery.id} brought {delivered[line_id]:,}, "
            f"{int(before):,} distributed before; {quantity:,} more is too many"
        )
