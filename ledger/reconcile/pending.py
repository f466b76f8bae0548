"""Pending changes: what is scheduled on chain but not yet in force, as of a block of the mirror.

The one definition of pending-ness, read by the API (as of the mirror's block), the reconciliation (as of the
report's block, so that its hash stays a function of the mirror) and, through the API, the dashboard:

- a **supplier approval** whose ``effective_at`` is later than the block's time, and that no later approval
  or revocation of the same supplier in the same campaign replaced;
- a **timelock operation** (its calls grouped by operation id, in index order, as last scheduled) that was
  neither executed nor cancelled since; ready once the time of its scheduling block plus its delay is reached;
- an **admin transfer** (``DefaultAdminTransferScheduled``) not cancelled or replaced since, and not yet
  accepted (the admin role has not changed hands since);
- an **admin delay change** (``DefaultAdminDelayChangeScheduled``) not cancelled or replaced since, whose
  ``effect_schedule`` is later than the block's time.

Each change touches one or more campaigns (the ``campaignId`` of an approval or of a decoded call), or all
of them: creating campaigns, role changes, the admin transfer and its delay, the timelock's own settings and
any call that is not a decodable call of the ledger (another target's state may be what the ledger reads).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from ledger.contract_abi import packaged_abi
from ledger.db.models import (
    ChainEvent,
    DefaultAdminDelayChangeCanceled,
    DefaultAdminDelayChangeScheduled,
    DefaultAdminTransferCanceled,
    DefaultAdminTransferScheduled,
    RoleGranted,
    RoleRevoked,
    SupplierApproved,
    SupplierRevoked,
    TimelockCallExecuted,
    TimelockCallSalt,
    TimelockCallScheduled,
    TimelockCancelled,
)
from ledger.reads.mirror import MirrorPosition
from ledger.reconcile.calls import (
    CallDecoder,
    short_address,
    short_calls,
)
from ledger.reconcile.changes import (
    DEFAULT_ADMIN_ROLE,
    ZERO_ADDRESS,
    PendingCall,
    PendingChange,
    PendingOperation,
    Position,
    ScheduledAt,
    TargetName,
    utc_text,
)


def pending_changes(
    s: Session, pos: MirrorPosition, *, campaign_id: int | None = None
) -> list[PendingChange]:
    """The changes pending as of ``pos`` (its block and that block's time), in the order they were
    scheduled; with ``campaign_id``, those that touch it (all-campaign changes included)."""
    now = block_time(s, pos)
    changes = [
        *_supplier_approvals(s, pos, now, campaign_id),
        *_timelock_operations(s, pos, now),
        *_admin_transfer(s, pos, now),
        *_admin_delay_change(s, pos, now),
    ]
    if campaign_id is not None:
        changes = [c for c in changes if c.touches(campaign_id)]
    return sorted(changes, key=lambda c: (c.scheduled.block_number, c.scheduled.log_index, c.kind, c.key))


def block_time(s: Session, pos: MirrorPosition) -> int:
    """The time of the mirror's block; without its header (blocks older than the finality depth are not
    kept), the newest time of a change read, so that nothing pending is left out."""
    if pos.timestamp is not None:
        return pos.timestamp
    models: tuple[type[ChainEvent], ...] = (
        SupplierApproved,
        TimelockCallScheduled,
        DefaultAdminTransferScheduled,
    )
    times = [s.scalar(select(func.max(m.block_timestamp)).where(*_upto(m, pos))) for m in models]
    return max((int(t) for t in times if t is not None), default=0)


def _upto(model: type[ChainEvent], pos: MirrorPosition) -> list[ColumnElement[bool]]:
    return [model.chain_id == pos.chain_id, model.block_number <= pos.block_number]


def _scheduled(row: ChainEvent) -> ScheduledAt:
    return ScheduledAt(row.block_number, row.block_timestamp, row.tx_hash, row.log_index)


def _position(row: ChainEvent) -> Position:
    return (row.block_number, row.log_index)


# ─── supplier approvals ─────────────────────────────────────────────────────────────────────────────────


def _supplier_approvals(
    s: Session, pos: MirrorPosition, now: int, campaign_id: int | None
) -> list[PendingChange]:
    query = select(SupplierApproved).where(*_upto(SupplierApproved, pos), SupplierApproved.effective_at > now)
    if campaign_id is not None:
        query = query.where(SupplierApproved.campaign_id == campaign_id)
    candidates = list(s.scalars(query))
    if not candidates:
        return []
    # Anything later for the same supplier and campaign replaces the approval (a revocation ends it; a new
    # approval restarts the delay, and is a candidate of its own).
    campaigns = sorted({c.campaign_id for c in candidates})
    latest: dict[tuple[int, str], Position] = defaultdict(lambda: (-1, -1))
    for model in (SupplierApproved, SupplierRevoked):
        rows = s.execute(
            select(model.campaign_id, model.supplier, model.block_number, model.log_index).where(
                *_upto(model, pos),
                model.campaign_id.in_(campaigns),
            )
        )
        for cid, supplier, block, log_index in rows:
            latest[(int(cid), supplier)] = max(latest[(int(cid), supplier)], (block, log_index))
    return [
        PendingChange(
            kind="supplier_approval",
            campaign_ids=(a.campaign_id,),
            all_campaigns=False,
            effective_at=a.effective_at,
            ready=False,
            description=(
                f"Supplier {short_address(a.supplier)} approved for campaign {a.campaign_id} takes effect "
                f"{utc_text(a.effective_at)}"
            ),
            scheduled=_scheduled(a),
            supplier=a.supplier,
            record_hash=a.record_hash,
        )
        for a in candidates
        if latest[(a.campaign_id, a.supplier)] == _position(a)
    ]


# ─── timelock operations ────────────────────────────────────────────────────────────────────────────────


def _timelock_operations(s: Session, pos: MirrorPosition, now: int) -> list[PendingChange]:
    executed = select(TimelockCallExecuted.operation_id).where(*_upto(TimelockCallExecuted, pos))
    rows = list(
        s.scalars(
            select(TimelockCallScheduled)
            .where(*_upto(TimelockCallScheduled, pos), TimelockCallScheduled.operation_id.not_in(executed))
            .order_by(TimelockCallScheduled.block_number, TimelockCallScheduled.log_index)
        )
    )
    if not rows:
        return []
    by_id: dict[str, list[TimelockCallScheduled]] = defaultdict(list)
    for row in rows:
        by_id[row.operation_id].append(row)
    ids = sorted(by_id)
    cancelled = _latest_by_id(s, pos, TimelockCancelled, ids)
    salts = _latest_salt(s, pos, ids)
    changes = []
    for operation_id, scheduled in by_id.items():
        # As last scheduled (a cancelled operation may be scheduled again, under the same id).
        last_tx = scheduled[-1].tx_hash
        calls = sorted((r for r in scheduled if r.tx_hash == last_tx), key=lambda r: r.call_index)
        first = min(calls, key=_position)
        if cancelled.get(operation_id, (-1, -1)) > _position(first):
            continue
        changes.append(_operation_change(pos, now, operation_id, calls, first, salts.get(operation_id)))
    return changes


def _latest_by_id(
    s: Session, pos: MirrorPosition, model: type[TimelockCancelled], ids: Sequence[str]
) -> dict[str, Position]:
    latest: dict[str, Position] = {}
    rows = s.execute(
        select(model.operation_id, model.block_number, model.log_index).where(
            *_upto(model, pos), model.operation_id.in_(ids)
        )
    )
    for operation_id, block, log_index in rows:
        latest[operation_id] = max(latest.get(operation_id, (-1, -1)), (block, log_index))
    return latest


def _latest_salt(s: Session, pos: MirrorPosition, ids: Sequence[str]) -> dict[str, str]:
    salts: dict[str, tuple[Position, str]] = {}
    rows = s.execute(
        select(
            TimelockCallSalt.operation_id,
            TimelockCallSalt.block_number,
            TimelockCallSalt.log_index,
            TimelockCallSalt.salt,
        ).where(*_upto(TimelockCallSalt, pos), TimelockCallSalt.operation_id.in_(ids))
    )
    for operation_id, block, log_index, salt in rows:
        if (block, log_index) > salts.get(operation_id, ((-1, -1), ""))[0]:
            salts[operation_id] = ((block, log_index), salt)
    return {operation_id: salt for operation_id, (_, salt) in salts.items()}


def _operation_change(
    pos: MirrorPosition,
    now: int,
    operation_id: str,
    calls: Sequence[TimelockCallScheduled],
    first: TimelockCallScheduled,
    salt: str | None,
) -> PendingChange:
    decoded = tuple(_call(pos, row) for row in calls)
    ready_at = first.block_timestamp + first.delay
    ready = ready_at <= now
    campaigns = {c.campaign_id for c in decoded}
    touches_all = None in campaigns
    what = short_calls([c.text() for c in decoded])
    description = (
        f"Timelock can call {what} now: ready since {utc_text(ready_at)}, not yet executed"
        if ready
        else f"Timelock will call {what} from {utc_text(ready_at)}"
    )
    return PendingChange(
        kind="timelock_operation",
        campaign_ids=() if touches_all else tuple(sorted(c for c in campaigns if c is not None)),
        all_campaigns=touches_all,
        effective_at=ready_at,
        ready=ready,
        description=f"{description} (operation {operation_id[:10]}…)",
        scheduled=_scheduled(first),
        operation=PendingOperation(
            operation_id=operation_id,
            predecessor=first.predecessor,
            salt=salt,
            delay=first.delay,
            calls=decoded,
        ),
    )


@cache
def _decoder(contract: str) -> CallDecoder:
    return CallDecoder(packaged_abi(contract))


def _call(pos: MirrorPosition, row: TimelockCallScheduled) -> PendingCall:
    target_name: TargetName | None = None
    if row.target.lower() == pos.contract.lower():
        target_name = "ledger"
    elif pos.timelock is not None and row.target.lower() == pos.timelock.lower():
        target_name = "timelock"
    function = None
    if target_name is not None:
        function = _decoder("PledgeLedger" if target_name == "ledger" else "TimelockController").decode(
            row.data
        )
    return PendingCall(
        index=row.call_index,
        target=row.target,
        target_name=target_name,
        value=row.value,
        data=row.data,
        function=function,
    )


# ─── the admin role (AccessControlDefaultAdminRules) ───────────────────────────────────────────────────


def _last(s: Session, query: Select[Any]) -> object:
    return s.scalars(query.limit(1)).first()


def _latest(model: type[ChainEvent], pos: MirrorPosition) -> Select[Any]:
    return select(model).where(*_upto(model, pos)).order_by(model.block_number.desc(), model.log_index.desc())


def _after(model: type[ChainEvent], row: ChainEvent, pos: MirrorPosition) -> list[ColumnElement[bool]]:
    """Rows of ``model`` later than ``row``, up to the mirror's block."""
    later = (model.block_number > row.block_number) | and_(
        model.block_number == row.block_number, model.log_index > row.log_index
    )
    return [*_upto(model, pos), later]


def _exists(s: Session, model: type[ChainEvent], where: Iterable[ColumnElement[bool]]) -> bool:
    return s.scalar(select(func.count()).select_from(model).where(*where)) != 0


def _admin_transfer(s: Session, pos: MirrorPosition, now: int) -> list[PendingChange]:
    row = _last(s, _latest(DefaultAdminTransferScheduled, pos))
    if not isinstance(row, DefaultAdminTransferScheduled):
        return []
    # Cancelled (or replaced: a new schedule cancels the old one first), or done: the admin role changes
    # hands only by accepting a transfer (or renouncing it, after a transfer to the zero address).
    if _exists(s, DefaultAdminTransferCanceled, _after(DefaultAdminTransferCanceled, row, pos)):
        return []
    for model in (RoleGranted, RoleRevoked):
        if _exists(s, model, [*_after(model, row, pos), model.role == DEFAULT_ADMIN_ROLE]):
            return []
    ready = row.accept_schedule <= now
    if row.new_admin == ZERO_ADDRESS:
        action = "The admin may renounce the admin role, leaving the ledger without one,"
    else:
        action = f"Admin role transfer to {short_address(row.new_admin)} can be accepted"
    when = (
        f"now (since {utc_text(row.accept_schedule)})" if ready else f"from {utc_text(row.accept_schedule)}"
    )
    return [
        PendingChange(
            kind="admin_transfer",
            campaign_ids=(),
            all_campaigns=True,
            effective_at=row.accept_schedule,
            ready=ready,
            description=f"{action} {when}",
            scheduled=_scheduled(row),
            new_admin=row.new_admin,
        )
    ]


def _admin_delay_change(s: Session, pos: MirrorPosition, now: int) -> list[PendingChange]:
    row = _last(s, _latest(DefaultAdminDelayChangeScheduled, pos))
    if not isinstance(row, DefaultAdminDelayChangeScheduled) or row.effect_schedule <= now:
        return []
    if _exists(s, DefaultAdminDelayChangeCanceled, _after(DefaultAdminDelayChangeCanceled, row, pos)):
        return []
    return [
        PendingChange(
            kind="admin_delay_change",
            campaign_ids=(),
            all_campaigns=True,
            effective_at=row.effect_schedule,
            ready=False,
            description=(
                f"The admin transfer delay becomes {_duration(row.new_delay)} "
                f"at {utc_text(row.effect_schedule)}"
            ),
            scheduled=_scheduled(row),
            new_delay=row.new_delay,
        )
    ]


def _duration(seconds: int) -> str:
    """``5 days``, ``36 hours``, ``90 seconds``: the largest unit that divides it."""
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'' if n == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"
