"""A change scheduled on chain and not yet in force, as the reconciliation and the API show it: a supplier
approval waiting out its delay, a timelock operation, an admin transfer or an admin delay change (read
from the mirror by :mod:`ledger.reconcile.pending`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from ledger.reconcile.calls import (
    DecodedFunction,
    selector_text,
    short_address,
)

PendingKind = Literal["supplier_approval", "timelock_operation", "admin_transfer", "admin_delay_change"]
TargetName = Literal["ledger", "timelock"]
#: OpenZeppelin's DEFAULT_ADMIN_ROLE.
DEFAULT_ADMIN_ROLE = "0x" + "00" * 32
ZERO_ADDRESS = "0x" + "00" * 20

#: A position on the chain: (block number, log index).
Position = tuple[int, int]


@dataclass(frozen=True)
class ScheduledAt:
    """The event that scheduled a change: where anyone can look it up."""

    block_number: int
    block_timestamp: int
    tx_hash: str
    log_index: int


@dataclass(frozen=True)
class PendingCall:
    """One call of a timelock operation, decoded when its target is the ledger or the timelock."""

    index: int
    target: str
    target_name: TargetName | None
    value: int
    data: str
    function: DecodedFunction | None

    @property
    def campaign_id(self) -> int | None:
        """The campaign the call acts on; None when it touches all campaigns."""
        if self.target_name != "ledger" or self.function is None:
            return None
        return self.function.campaign_id

    def text(self) -> str:
        if self.function is not None:
            where = " on the timelock" if self.target_name == "timelock" else ""
            call = self.function.text() + where
        else:
            what = "the ledger" if self.target_name == "ledger" else short_address(self.target)
            call = f"{selector_text(self.data)} on {what} (not decoded)"
        return call + (f" sending {self.value} wei" if self.value else "")


@dataclass(frozen=True)
class PendingOperation:
    """A timelock operation as last scheduled: its calls in index order."""

    operation_id: str
    predecessor: str
    salt: str | None
    delay: int
    calls: tuple[PendingCall, ...]


@dataclass(frozen=True)
class PendingChange:
    """A change scheduled on chain and not yet in force as of the mirror's block."""

    kind: PendingKind
    #: The campaigns it touches (sorted); empty when it touches all of them.
    campaign_ids: tuple[int, ...]
    all_campaigns: bool
    #: When it takes effect (approval, delay change) or can be carried out (operation, admin transfer).
    effective_at: int
    #: Whether it can be carried out now (an operation ready to execute, a transfer ready to accept).
    ready: bool
    description: str
    scheduled: ScheduledAt
    supplier: str | None = None
    record_hash: str | None = None
    new_admin: str | None = None
    new_delay: int | None = None
    operation: PendingOperation | None = None

    def touches(self, campaign_id: int) -> bool:
        return self.all_campaigns or campaign_id in self.campaign_ids

    @property
    def key(self) -> str:
        """What names it in a finding's records: the operation id, the supplier, or the event's kind."""
        if self.operation is not None:
            return self.operation.operation_id
        return self.supplier or self.kind


def utc_datetime(timestamp: int) -> datetime | None:
    """A Unix time as an aware UTC datetime; None past what a datetime holds (the year 9999: a timelock's
    delay is any uint256)."""
    try:
        return datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, ValueError, OSError):
        return None


def utc_text(timestamp: int) -> str:
    """``2026-12-20 14:00 UTC`` (``Unix time …`` past the year 9999)."""
    moment = utc_datetime(timestamp)
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else f"Unix time {timestamp}"
