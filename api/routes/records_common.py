"""The routes every editable record has: read one, create (manager), edit a version (manager).

Writes run in :func:`ledger.db.session.write_session`: the record, its history entry and every check
commit together or not at all, and the caller's key name is the history's actor. The key's scope goes to
the service, which refuses a record of another campaign (403) inside that transaction. This module builds
routes for a resource from its models, so it does not use postponed annotations: FastAPI reads the
parameter types from the closures below.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy.orm import Session

from api.deps import MAX_BIGINT, EngineDep, ManagerKey, SessionDep
from api.errors import AUTH_RESPONSES, NOT_FOUND
from api.schemas.common import ErrorBody, PublicModel
from ledger.db.models import Base
from ledger.db.session import write_session
from ledger.records.errors import RecordNotFoundError

RecordId = Annotated[int, Path(ge=1, le=MAX_BIGINT, description="The record's id")]
FilterId = Annotated[int | None, Query(ge=1, le=MAX_BIGINT)]

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "A duplicate, or an edit of a version that is not the latest"}
}


def get_record(session: Session, model: type[Base], record_id: int, label: str) -> Any:
    record = session.get(model, record_id)
    if record is None:
        raise RecordNotFoundError(f"{label} {record_id} does not exist")
    return record


def add_record_routes(
    router: APIRouter,
    *,
    label: str,
    model: type[Base],
    public: type[PublicModel],
    create_schema: type[Any],
    update_schema: type[Any],
    create: Callable[..., Any],
    update: Callable[..., Any],
) -> None:
    """Add ``GET /{id}``, ``POST`` and ``PATCH /{id}`` for one kind of record to ``router``."""

    @router.get("/{record_id}", response_model=public, responses=NOT_FOUND, summary=f"Read a {label}")
    def read_one(record_id: RecordId, session: SessionDep) -> Any:
        return public.model_validate(get_record(session, model, record_id, label))

    @router.post(
        "",
        status_code=201,
        response_model=public,
        responses={**AUTH_RESPONSES, **CONFLICT},
        summary=f"Record a {label} (manager key)",
    )
    def create_one(body: create_schema, key: ManagerKey, engine: EngineDep) -> Any:  # type: ignore[valid-type]
        with write_session(engine) as s:
            return public.model_validate(create(s, data=body, actor=key.name, scope=key.scope))

    @router.patch(
        "/{record_id}",
        response_model=public,
        responses={**AUTH_RESPONSES, **NOT_FOUND, **CONFLICT},
        summary=f"Edit a {label} (manager key); send the version you read",
    )
    def update_one(record_id: RecordId, body: update_schema, key: ManagerKey, engine: EngineDep) -> Any:  # type: ignore[valid-type]
        with write_session(engine) as s:
            return public.model_validate(
                update(s, record_id=record_id, changes=body, actor=key.name, scope=key.scope)
            )
