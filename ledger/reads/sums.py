"""Exact grouped sums of uint256 columns, fast on SQLite too.

:func:`ledger.db.types.uint_sum` is exact everywhere, but on SQLite it calls a Python aggregate once per
row, which triples the time of a scan of 100,000 pledges. SQLite's own ``SUM`` of integers is exact (it
raises on overflow rather than rounding), so each decimal string is cut into 12-digit limbs that SQLite
sums natively; Python puts the limbs back together. Values of more than 36 digits (10^36 base units), or
sums of a limb overflowing 64 bits (over 9 million rows in one group), fall back to ``uint_sum``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, cast, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ledger.db.types import uint_sum

LIMB_DIGITS = 12
LIMBS = 3
_SCALES: tuple[int, ...] = tuple(10 ** (LIMB_DIGITS * k) for k in range(LIMBS))


def _limbs(column: Any) -> list[ColumnElement[Any]]:
    parts: list[ColumnElement[Any]] = [func.max(func.length(column))]
    for k in range(LIMBS):
        start = -LIMB_DIGITS * (k + 1)
        parts.append(func.sum(cast(func.substr(column, start, LIMB_DIGITS), Integer)))
    return parts


def _join(parts: Sequence[Any]) -> int | None:
    longest, *limbs = parts
    if longest is not None and int(longest) > LIMB_DIGITS * LIMBS:
        return None
    total = 0
    for scale, limb in zip(_SCALES, limbs, strict=True):
        total += int(limb or 0) * scale
    return total


def grouped_sums(
    s: Session,
    keys: Sequence[Any],
    extras: Sequence[Any],
    summed: Sequence[Any],
    where: Sequence[ColumnElement[bool]],
) -> list[tuple[Any, ...]]:
    """Rows of ``keys + extras + one exact int per summed column``, grouped by ``keys``."""
    if s.get_bind().dialect.name == "sqlite":
        limbed = select(*keys, *extras, *(part for column in summed for part in _limbs(column)))
        try:
            rows = s.execute(limbed.where(*where).group_by(*keys)).all()
        except OperationalError as exc:  # "integer overflow": a limb's sum passed 2**63
            if "overflow" not in str(exc):
                raise
        else:
            head = len(keys) + len(extras)
            width = 1 + LIMBS
            result = []
            for row in rows:
                values = [_join(row[head + i * width : head + (i + 1) * width]) for i in range(len(summed))]
                if any(v is None for v in values):
                    break
                result.append((*row[:head], *values))
            else:
                return result
    plain: Select[Any] = select(*keys, *extras, *(uint_sum(column) for column in summed))
    return [
        (*row[: -len(summed)], *(int(v) for v in row[-len(summed) :]))
        for row in s.execute(plain.where(*where).group_by(*keys))
    ]
