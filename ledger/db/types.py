"""Column types for EVM values, lossless on every backend.

A uint256 needs 78 decimal digits: PostgreSQL stores it as ``NUMERIC(78, 0)``; SQLite, whose integers
stop at 2**63, stores its decimal string. Python always sees an ``int``. SQLite's ``SUM`` would turn such
strings into floats, so :func:`uint_sum` compiles to an exact aggregate registered on every SQLite
connection (see :mod:`ledger.db.engine`).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Dialect, Numeric, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import GenericFunction
from sqlalchemy.types import TypeDecorator, TypeEngine

_T = TypeVar("_T")

#: Name of the exact big-integer SUM registered on SQLite connections.
SQLITE_UINT_SUM = "pl_uint_sum"


class _NumericAsText(TypeDecorator[_T]):
    """``NUMERIC(precision, scale)`` on PostgreSQL; on SQLite, whose numbers are 64-bit integers or binary
    floats, the value's decimal string in a ``VARCHAR(sqlite_length)``."""

    precision: int
    scale: int
    sqlite_length: int
    to_text: Callable[[_T], str]
    from_stored: Callable[[Any], _T]

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(self.sqlite_length))
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: _T | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return self.to_text(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> _T | None:
        return None if value is None else self.from_stored(value)


class Uint256(_NumericAsText[int]):
    """An EVM integer (unsigned or signed, up to 256 bits) as a Python ``int``, exact on every backend."""

    impl = Numeric(78, 0)
    cache_ok = True
    precision, scale, sqlite_length = 78, 0, 79

    to_text = staticmethod(str)
    from_stored = staticmethod(int)


def canonical_decimal(value: Decimal) -> Decimal:
    """The same number without trailing zeros, so every backend shows it alike (``0.40000000`` → ``0.4``,
    ``100000.00`` → ``100000``)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


class ExactDecimal(_NumericAsText[Decimal]):
    """A price or fiat amount as a ``Decimal``: ``NUMERIC(38, 8)`` on PostgreSQL; on SQLite, whose
    NUMERIC is a binary float, its decimal string. Values come back without trailing zeros."""

    impl = Numeric(38, 8)
    cache_ok = True
    precision, scale, sqlite_length = 38, 8, 60

    @staticmethod
    def to_text(value: Decimal) -> str:
        return format(canonical_decimal(Decimal(value)), "f")

    @staticmethod
    def from_stored(value: Any) -> Decimal:
        return canonical_decimal(Decimal(value))


class uint_sum(GenericFunction[int]):  # noqa: N801 - SQL function names are lower case
    """``SUM`` of a :class:`Uint256` column, exact on SQLite too; 0 when there are no rows."""

    type = Uint256()
    inherit_cache = True


@compiles(uint_sum)
def _uint_sum_default(element: uint_sum, compiler: SQLCompiler, **kw: Any) -> str:
    return f"COALESCE(SUM({compiler.process(element.clauses, **kw)}), 0)"


@compiles(uint_sum, "sqlite")
def _uint_sum_sqlite(element: uint_sum, compiler: SQLCompiler, **kw: Any) -> str:
    # Python's sqlite3 returns NULL for an aggregate over no rows without calling it.
    return f"COALESCE({SQLITE_UINT_SUM}({compiler.process(element.clauses, **kw)}), '0')"


class SqliteUintSum:
    """The SQLite aggregate behind :func:`uint_sum`: Python ints, so nothing is rounded."""

    def __init__(self) -> None:
        self.total = 0

    def step(self, value: str | int | None) -> None:
        if value is not None:
            self.total += int(value)

    def finalize(self) -> str:
        return str(self.total)
