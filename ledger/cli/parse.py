"""What users type, read strictly: durations (``2d``, ``36h``, ``90m``, ``3600``), times (``now``, ``+2d``,
an ISO date-time) and amounts. Each mistake is a one-line error that shows the form expected."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from ledger.errors import LedgerError

_UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
_DURATION = re.compile(r"^\s*(\d{1,12})\s*([smhdw]?)\s*$")


def duration(text: str, what: str) -> int:
    """Seconds from ``2d``, ``36h``, ``90m``, ``45s``, ``1w`` or a bare number of seconds."""
    match = _DURATION.match(text.lower())
    if match is None:
        raise LedgerError(f"{what} {text!r} is not a duration: e.g. 2d, 36h, 90m or 3600 (seconds)")
    return int(match.group(1)) * _UNITS[match.group(2) or "s"]


def moment(text: str, what: str, *, now: int) -> int:
    """A Unix time from ``now``, ``+DURATION`` (after ``now``: the chain's clock) or an ISO date-time (UTC
    unless it says otherwise)."""
    cleaned = text.strip()
    if cleaned.lower() == "now":
        return now
    if cleaned.startswith("+"):
        return now + duration(cleaned[1:], what)
    try:
        parsed = datetime.fromisoformat(cleaned.replace("Z", "+00:00"))
    except ValueError:
        raise LedgerError(
            f"{what} {text!r} is not a time: now, +2d (from now) or 2026-12-20T14:00 (UTC)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def amount(text: str, decimals: int, what: str) -> int:
    """Whole tokens (``70,000.5``) as base units, exactly."""
    from ledger.reads.units import base_units

    try:
        return base_units(text, decimals)
    except ValueError as exc:
        raise LedgerError(f"{what}: {exc}") from None
