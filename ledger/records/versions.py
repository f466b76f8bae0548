"""The write rules every record shares: each create and edit stores a version, an edit names the version it
was made on, and a refused write raises before anything is kept.

A record is created with :func:`create_record` and edited between :func:`start_edit` (locks the row, checks
the scope and the version, takes the values before) and :func:`finish_edit` (sets the new values, bumps the
version, stores the history entry). The history entry and the record flush together; a unique-key clash
with a concurrent writer becomes a :class:`~ledger.errors.RecordConflictError` (409), so two edits
made on the same version cannot both win.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.db.models import Base
from ledger.db.records import VERSIONED_RECORDS, Delivery, PurchaseOrder, RecordVersion, Shipment
from ledger.db.types import Uint256
from ledger.errors import InvalidRecordError, RecordConflictError, RecordNotFoundError
from ledger.records.ownership import authorize_history, authorize_write
from ledger.records.schemas import RecordUpdate
from ledger.scope import EVERY_CAMPAIGN, KeyScope

#: The record types with a history, by the name the API uses.
HISTORY_TYPES = (*VERSIONED_RECORDS, "document")
#: Fields an edit may clear by sending ``null``.
_CLEARABLE = frozenset({"document_id", "as_of"})
#: Stored columns a version's snapshot leaves out (the file itself, and what the version row says anyway).
_NOT_IN_SNAPSHOT = frozenset({"content", "created_at", "updated_at", "updated_by"})

R = TypeVar("R", bound=Base)


def now() -> datetime:
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
        if column.key not in _NOT_IN_SNAPSHOT
    }
    if isinstance(record, PurchaseOrder):
        values["lines"] = [snapshot(line) for line in record.lines]
    elif isinstance(record, Shipment | Delivery):
        values["items"] = [
            {"order_line_id": item.order_line_id, "quantity": item.quantity} for item in record.items
        ]
    return values


def flush(s: Session, what: str) -> None:
    """Flush, turning a unique-key clash with a concurrent writer into a conflict the caller can retry."""
    try:
        s.flush()
    except IntegrityError as exc:
        raise RecordConflictError(
            f"the {what} clashes with a stored one (a duplicate, or an edit made at the same time): "
            "reload and retry"
        ) from exc


def record_version(
    s: Session, record_type: str, record: Base, *, actor: str, before: dict[str, Any] | None, version: int
) -> None:
    """Store ``record`` (flushed) and its history entry: the values ``before`` (none for a creation)
    and after."""
    flush(s, record_type)
    s.add(
        RecordVersion(
            record_type=record_type,
            record_id=record.id,  # type: ignore[attr-defined]
            version=version,
            action="create" if before is None else "update",
            actor=actor,
            changed_at=now(),
            before=before,
            after=snapshot(record),
        )
    )
    flush(s, record_type)


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


def type_name(model: type[Base]) -> str:
    """The name a versioned record's history uses (``order`` for a purchase order)."""
    return next(name for name, cls in VERSIONED_RECORDS.items() if cls is model)


def create_record(s: Session, record: R, *, actor: str) -> R:
    """Add a new versioned record at version 1, with its history entry."""
    stamped: Any = record
    at = now()
    stamped.version, stamped.created_at, stamped.updated_at, stamped.updated_by = 1, at, at, actor
    s.add(record)
    record_version(s, type_name(type(record)), record, actor=actor, before=None, version=1)
    return record


def start_edit(
    s: Session, model: type[R], record_id: int, version: int, scope: KeyScope
) -> tuple[R, dict[str, Any]]:
    """The record to edit, locked until commit, and its values before the edit. Refused when it does not
    exist (404), is outside ``scope`` (403) or is no longer at ``version`` (409)."""
    record = s.get(model, record_id, populate_existing=True, with_for_update=True)
    name = type_name(model)
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


def finish_edit(s: Session, record: R, before: dict[str, Any], values: Mapping[str, Any], *, actor: str) -> R:
    """Set ``values`` on ``record``, move it to its next version and store the history entry."""
    edited: Any = record
    for name, value in values.items():
        setattr(edited, name, value)
    edited.version += 1
    edited.updated_at, edited.updated_by = now(), actor
    record_version(s, type_name(type(record)), record, actor=actor, before=before, version=edited.version)
    return record


def plain_update(model: type[R], schema: type[RecordUpdate]) -> Callable[..., R]:
    """The edit of a ``model`` record bound by no rule beyond its ``schema``'s: the fields set, versioned.
    ``changes`` is annotated with ``schema``, from which the API builds the route's body."""

    def update(
        s: Session, *, record_id: int, changes: RecordUpdate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
    ) -> R:
        record, before = start_edit(s, model, record_id, changes.version, scope)
        return finish_edit(s, record, before, edited_values(changes), actor=actor)

    update.__annotations__ = {**update.__annotations__, "changes": schema}
    return update


def edited_values(update: BaseModel, *, skip: Iterable[str] = ()) -> dict[str, Any]:
    """The fields an edit sets (``version`` and ``skip`` aside); ``null`` only where a field may be empty."""
    fields = update.model_fields_set - {"version", *skip}
    values = {name: getattr(update, name) for name in fields}
    for name, value in values.items():
        if value is None and name not in _CLEARABLE:
            raise InvalidRecordError(f"{name} cannot be null")
    return values


def must_exist(s: Session, model: type[R], record_id: int, what: str, *, lock: bool = False) -> R:
    """A record named in a request body (not the URL): a missing one makes the input invalid (422).
    ``lock`` holds its row until commit (PostgreSQL), so quantity checks against it stay true."""
    record = s.get(model, record_id, with_for_update=lock)
    if record is None:
        raise InvalidRecordError(f"{what} {record_id} does not exist")
    return record
