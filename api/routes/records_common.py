"""The routes every kind of record has, built from the kind's models: list (with its filters), read one,
create (manager key), edit a version (manager key).

A kind is named as in the records' history (``supplier``, ``reference_price``, ``order``, …): that name
gives the stored model (:data:`~ledger.db.records.VERSIONED_RECORDS`) and the service's writes
(:data:`ledger.records.service.WRITES`), whose signatures give the bodies a create and an edit take. A
kind's page model (``SuppliersPublic``) gives the public model of one record (its ``data`` items), built
from the row (``from_attributes``).

Writes run in :func:`ledger.db.session.write_session`: the record, its history entry and every check
commit together or not at all, and the caller's key name is the history's actor. The key's scope goes to
the service, which refuses a record of another campaign (403) inside that transaction. This module builds
routes from models, so it does not use postponed annotations: FastAPI reads the parameter types from the
closures below.
"""

from collections.abc import Callable, Sequence
from typing import Annotated, Any, get_args, get_type_hints

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import LoaderOption

from api.deps import MAX_BIGINT, EngineDep, ManagerKey, SessionDep
from api.errors import AUTH_RESPONSES, NOT_FOUND
from api.pagination import PageDep, keyset_page, where_equal
from api.schemas.common import ErrorBody, Page, PublicModel
from ledger.db.models import Base
from ledger.db.records import VERSIONED_RECORDS
from ledger.db.session import write_session
from ledger.errors import RecordNotFoundError
from ledger.records.service import WRITES

RecordId = Annotated[int, Path(ge=1, le=MAX_BIGINT, description="The record's id")]
FilterId = Annotated[int | None, Field(ge=1, le=MAX_BIGINT)]

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "A duplicate, or an edit of a version that is not the latest"}
}


class RecordFilters(BaseModel):
    """A list's query parameters: each one set keeps the records whose column of that name equals it."""


def get_record(session: Session, model: type[Base], record_id: int, label: str) -> Any:
    record = session.get(model, record_id)
    if record is None:
        raise RecordNotFoundError(f"{label} {record_id} does not exist")
    return record


def _named(name: str, endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint`` under ``name``, which FastAPI makes the route's name and operation id."""
    endpoint.__name__ = endpoint.__qualname__ = name
    return endpoint


def public_of(page: type[Page]) -> type[PublicModel]:
    """The public model of one record of a page model (the items of its ``data``)."""
    (public,) = get_args(page.model_fields["data"].annotation)
    return public  # type: ignore[no-any-return]


def add_list_route(
    router: APIRouter,
    *,
    name: str,
    summary: str,
    model: type[Base],
    page: type[Page],
    filters: type[RecordFilters],
    load: Sequence[LoaderOption] = (),
) -> None:
    """Add ``GET ""``: one page of ``model``'s rows, oldest first, narrowed by ``filters``."""
    public = public_of(page)
    id_column = model.id  # type: ignore[attr-defined]

    def list_records(session: SessionDep, paging: PageDep, where: Annotated[filters, Query()]) -> Any:  # type: ignore[valid-type]
        statement = where_equal(select(model).options(*load), model, **where.model_dump())  # type: ignore[attr-defined]
        rows, next_cursor = keyset_page(
            session, statement, id_column, limit=paging.limit, cursor=paging.cursor
        )
        return page.model_validate(
            {"data": [public.model_validate(row) for row in rows], "next_cursor": next_cursor}
        )

    router.get("", response_model=page, summary=summary)(_named(f"list_{name}", list_records))


def add_read_route(
    router: APIRouter, *, name: str, model: type[Base], public: type[PublicModel], summary: str
) -> None:
    """Add ``GET /{record_id}``: one record, or 404."""
    label = name.replace("_", " ")

    def read_record(record_id: RecordId, session: SessionDep) -> Any:
        return public.model_validate(get_record(session, model, record_id, label))

    router.get("/{record_id}", response_model=public, responses=NOT_FOUND, summary=summary)(
        _named(f"read_{name}", read_record)
    )


def record_router(
    prefix: str,
    name: str,
    page: type[Page],
    filters: type[RecordFilters],
    *,
    summary: str | None = None,
    load: Sequence[LoaderOption] = (),
) -> APIRouter:
    """The routes of the editable record kind ``name`` under ``prefix``: list (``summary``, by default
    "List" and the prefix's words; ``load`` the loader options of its rows), read, create, edit."""
    model, public, (create, update) = VERSIONED_RECORDS[name], public_of(page), WRITES[name]
    create_schema = get_type_hints(create)["data"]
    update_schema = get_type_hints(update)["changes"]
    label = name.replace("_", " ")
    router = APIRouter(prefix=prefix, tags=["records"])
    add_list_route(
        router,
        name=prefix.strip("/").replace("-", "_"),
        summary=summary or f"List {prefix.strip('/').replace('-', ' ')}",
        model=model,
        page=page,
        filters=filters,
        load=load,
    )
    add_read_route(router, name=name, model=model, public=public, summary=f"Read a {label}")

    def create_record(body: create_schema, key: ManagerKey, engine: EngineDep) -> Any:  # type: ignore[valid-type]
        with write_session(engine) as s:
            return public.model_validate(create(s, data=body, actor=key.name, scope=key.scope))

    def update_record(record_id: RecordId, body: update_schema, key: ManagerKey, engine: EngineDep) -> Any:  # type: ignore[valid-type]
        with write_session(engine) as s:
            return public.model_validate(
                update(s, record_id=record_id, changes=body, actor=key.name, scope=key.scope)
            )

    router.post(
        "",
        status_code=201,
        response_model=public,
        responses={**AUTH_RESPONSES, **CONFLICT},
        summary=f"Record a {label} (manager key)",
    )(_named(f"create_{name}", create_record))
    router.patch(
        "/{record_id}",
        response_model=public,
        responses={**AUTH_RESPONSES, **NOT_FOUND, **CONFLICT},
        summary=f"Edit a {label} (manager key); send the version you read",
    )(_named(f"update_{name}", update_record))
    return router
