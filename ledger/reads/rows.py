"""Rows read as frozen dataclasses whose fields are named after the columns they are read from."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, select

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def select_fields(model: Any, row_type: type[DataclassInstance]) -> Select[Any]:
    """A select of ``model``'s columns named by ``row_type``'s fields, in their order (``row_type(*row)``)."""
    return select(*(getattr(model, f.name) for f in fields(row_type)))
