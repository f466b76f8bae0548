"""Keyset pagination over a table's row id, which is also chain order for the mirror.

A page is ``WHERE id > :after ORDER BY id LIMIT :limit + 1``: an index seek, so page 900 costs what page 1
costs (``OFFSET`` would read and drop every row before it). The cursor is the last id of a page, made
opaque so clients do not build their own.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from api.deps import MAX_BIGINT, SettingsDep
from api.errors import InvalidInputError

T = TypeVar("T")
_PREFIX = "id:"


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The row id a cursor continues after; a cursor this API did not hand out is an error."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    digits = raw.removeprefix(_PREFIX)
    if not raw.startswith(_PREFIX) or not digits.isdigit() or int(digits) > MAX_BIGINT:
        raise InvalidInputError(
            f"invalid cursor {cursor!r}: pass back the next_cursor of the previous page unchanged"
        )
    return int(digits)


def keyset_page(
    session: Session,
    statement: Select[T],
    id_column: InstrumentedAttribute[int],
    *,
    limit: int,
    cursor: str | None,
) -> tuple[Sequence[T], str | None]:
    """One page of ``statement`` (a select of one entity) after ``cursor``, and the next page's cursor."""
    if cursor is not None:
        statement = statement.where(id_column > decode_cursor(cursor))
    rows = session.scalars(statement.order_by(id_column).limit(limit + 1)).all()
    if len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    last: Any = page[-1]
    return page, encode_cursor(int(last.id))


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None


def page_params(
    settings: SettingsDep,
    limit: Annotated[
        int,
        Query(ge=1, le=MAX_BIGINT, description="Rows per page; more than the server's maximum is capped"),
    ] = 100,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern="^[A-Za-z0-9_-]+$",
            description="The `next_cursor` of the previous page (omit for the first)",
        ),
    ] = None,
) -> PageParams:
    return PageParams(limit=min(limit, settings.api_max_page_size), cursor=cursor)


PageDep = Annotated[PageParams, Depends(page_params)]


def where_equal(statement: Select[T], model: Any, **values: object) -> Select[T]:
    """``statement`` narrowed to the rows whose columns equal ``values``; a ``None`` value filters nothing."""
    for column, value in values.items():
        if value is not None:
            statement = statement.where(getattr(model, column) == value)
    return statement
