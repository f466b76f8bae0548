"""A server's memory of reports and of the aggregates behind them, exact as long as only the indexer
writes the mirror and only :mod:`ledger.records.service` writes the records.

A campaign of 100,000 pledges takes a scan of every pledge per aggregate. Those aggregates change only
when the indexer writes, and the indexer only appends blocks (moving its cursor in the same transaction)
or rolls blocks back (counting a reorganisation). So aggregates computed as of block N stay true as long
as block N is still the mirror's, and reach block M > N by adding the rows of blocks N+1..M, an index
range on ``(chain_id, block_number)``. A reorganisation, a reset or a cursor that moved back recomputes
them from scratch.

A whole report is a function of the mirror's position, the records and the options: it is kept until
the cursor moves or a record is written (every write of the records service adds a row to
``record_versions``, whose count is read each time). A report whose chain check could not reach the node
is not kept. Rows changed behind the indexer's or the service's back are not seen by what is kept: the
cache is for servers; the CLI and the tests compute every report afresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from ledger.db.models import Block
from ledger.db.records import RecordVersion
from ledger.reads import aggregates
from ledger.reads.mirror import MirrorPosition
from ledger.reads.rounds import raised_by_round
from ledger.reads.tokens import ledger_held as held_in_mirror
from ledger.reconcile.changes import PendingChange
from ledger.reconcile.pending import pending_changes


@dataclass(frozen=True)
class _Entry:
    genesis_hash: str
    reorgs: int
    block_number: int
    block_hash: str | None
    value: Any


@dataclass(frozen=True)
class ReportKey:
    which: tuple[object, ...]
    state: tuple[object, ...]


class _Lru:
    """A bounded, thread-safe mapping that forgets the least recently used key."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[object, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple[object, ...], value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class ReconcileCache:
    """Campaign aggregates per (database, chain, campaign), every campaign's holdings per (database,
    chain), and whole reports. Thread-safe: share one per process (e.g. on the API app) and pass it to
    :func:`~ledger.reconcile.reconcile_campaign` and :func:`~ledger.reconcile.donor_view`."""

    def __init__(self, size: int = 256, reports: int = 16) -> None:
        self._entries = _Lru(size)
        self._reports = _Lru(reports)
        #: How the last aggregates were served, for tests and metrics: "hit", "delta" or "full".
        self.last: str = ""

    # ─── aggregates ────────────────────────────────────────────────────────────────────────────────────

    def _entry(self, key: tuple[object, ...]) -> _Entry | None:
        entry: _Entry | None = self._entries.get(key)
        return entry

    def _put(self, key: tuple[object, ...], pos: MirrorPosition, value: object) -> None:
        self._entries.put(key, _Entry(pos.genesis_hash, pos.reorgs, pos.block_number, pos.block_hash, value))

    @staticmethod
    def _usable(s: Session, entry: _Entry | None, pos: MirrorPosition) -> str:
        """How ``entry`` can serve ``pos``: "hit" as it is, "delta" with the blocks since, or "full"."""
        if entry is None or (entry.genesis_hash, entry.reorgs) != (pos.genesis_hash, pos.reorgs):
            return "full"
        if entry.block_number == pos.block_number:
            return "hit" if entry.block_hash == pos.block_hash else "full"
        if entry.block_number > pos.block_number:
            return "full"
        # The entry's block must still be the mirror's (stored headers cover the blocks a reorg may undo).
        stored = s.scalar(
            select(Block.hash).where(Block.chain_id == pos.chain_id, Block.number == entry.block_number)
        )
        return "delta" if stored is not None and stored == entry.block_hash else "full"

    def campaign(self, s: Session, pos: MirrorPosition, campaign_id: int) -> aggregates.CampaignAggregates:
        key = (database(s), pos.chain_id, "campaign", campaign_id)
        entry = self._entry(key)
        how = self._usable(s, entry, pos)
        value: aggregates.CampaignAggregates | None = None
        if how == "hit":
            assert entry is not None
            value = entry.value
        elif how == "delta":
            assert entry is not None
            value = aggregates.advance(s, pos, campaign_id, entry.value, entry.block_number)
            if value is None:
                how = "full"
        if value is None:
            value = aggregates.compute(s, pos, campaign_id)
        self.last = how
        if how != "hit":
            self._put(key, pos, value)
        return value

    def ledger_held(self, s: Session, pos: MirrorPosition) -> dict[str, int]:
        key = (database(s), pos.chain_id, "held")
        entry = self._entry(key)
        how = self._usable(s, entry, pos)
        if how == "hit":
            assert entry is not None
            return dict(entry.value)
        if how == "delta":
            assert entry is not None
            held: dict[str, int] = dict(entry.value)
            for token, change in held_in_mirror(s, pos, after_block=entry.block_number).items():
                held[token] = held.get(token, 0) + change
        else:
            held = held_in_mirror(s, pos)
        self._put(key, pos, held)
        return dict(held)

    # ─── pending changes ───────────────────────────────────────────────────────────────────────────────

    def pending(self, s: Session, pos: MirrorPosition) -> list[PendingChange]:
        """Every change pending as of ``pos``: they depend on the mirror alone, so a record written (which
        makes the report be computed again) does not read them again; any move of the mirror does."""
        key = (database(s), pos.chain_id, "pending")
        entry = self._entry(key)
        if self._usable(s, entry, pos) == "hit":
            assert entry is not None
            return list(entry.value)
        changes = pending_changes(s, pos)
        self._put(key, pos, tuple(changes))
        return changes

    # ─── whole reports ─────────────────────────────────────────────────────────────────────────────────

    @staticmethod
    def report_key(s: Session, pos: MirrorPosition, *parts: object) -> ReportKey:
        """Which report (the database, the chain and ``parts``: campaign, round, options, verifier), and the
        state it depends on: the mirror's position and how many record versions were written."""
        # A count, not max(id): ids are handed out before commit, so a lower one can commit later.
        versions = s.scalar(select(func.count()).select_from(RecordVersion))
        state = (pos.genesis_hash, pos.reorgs, pos.block_number, pos.block_hash, versions)
        return ReportKey((database(s), pos.chain_id, *parts), state)

    def report(self, key: ReportKey) -> Any:
        """The report kept for ``key.which`` if it was made in the state ``key.state``, else None."""
        kept = self._reports.get(key.which)
        if kept is None or kept[0] != key.state:
            return None
        return kept[1]

    def keep_report(self, key: ReportKey, report: object) -> None:
        """Keep ``report``, replacing the one kept for the same campaign in an older state."""
        self._reports.put(key.which, (key.state, report))


def database(s: Session) -> str:
    """The session's database, as a cache key (password hidden)."""
    bind = s.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    return engine.url.render_as_string(hide_password=True)


def campaign_aggregates(
    s: Session, pos: MirrorPosition, campaign_id: int, cache: ReconcileCache | None
) -> aggregates.CampaignAggregates:
    return aggregates.compute(s, pos, campaign_id) if cache is None else cache.campaign(s, pos, campaign_id)


def round_usd(
    s: Session, pos: MirrorPosition, campaign_id: int, cache: ReconcileCache | None
) -> dict[int, int]:
    """USD at receipt per round: one aggregate without a cache, the cached aggregates with one."""
    if cache is None:
        found = raised_by_round(
            s, chain_id=pos.chain_id, campaign_ids=[campaign_id], upto_block=pos.block_number
        )
        return {round_id: usd for (_, round_id), usd in found.items()}
    return cache.campaign(s, pos, campaign_id).round_usd()


def ledger_held(s: Session, pos: MirrorPosition, cache: ReconcileCache | None) -> dict[str, int]:
    return held_in_mirror(s, pos) if cache is None else cache.ledger_held(s, pos)


def campaign_pending_changes(
    s: Session, pos: MirrorPosition, campaign_id: int, cache: ReconcileCache | None
) -> list[PendingChange]:
    """The changes pending as of ``pos`` that touch the campaign (all-campaign changes included)."""
    if cache is None:
        return pending_changes(s, pos, campaign_id=campaign_id)
    return [c for c in cache.pending(s, pos) if c.touches(campaign_id)]
