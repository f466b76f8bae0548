"""The indexer's loop: fetch → decode → store, batch after batch, then follow the head.

Each step reads the head, checks that the block the mirror ends at is still on the chain (comparing
hashes, not numbers: Anvil's ``anvil_reorg`` replaces the tip at the same height), and stores the next
range of logs. The finalized block and those newer are stored with their headers, and their logs are
checked against those headers, so that a reorganisation during a fetch is caught before anything is
written. On a mismatch the mirror is rolled back to the last block both branches share, and indexing
resumes from there.

When the chain no longer holds the mirror and the indexer cannot tell where it forked (a reorganisation
deeper than the blocks it keeps, a node restarted on a new chain), it records a halt in its cursor, with the
reason, and stops: the API then reports it and calls no mirrored event final. The halt clears when the
indexer next finds its mirror on the chain (the node is back on the right branch) or is reset.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from sqlalchemy import Engine

from ledger.db.models import EVENT_TABLES, TIMELOCK_EVENT_TABLES, ChainEvent
from ledger.errors import (
    ChainMovedError,
    ChainResetError,
    LedgerError,
    RangeTooLargeError,
    ReorgTooDeepError,
    RpcError,
)
from ledger.gcpause import gc_paused
from ledger.indexer.decode import ContractEvents, ContractsDecoder
from ledger.indexer.fetch import ChainReader, Header, RawLog
from ledger.indexer.lock import indexer_lock
from ledger.indexer.rpc import RpcClient
from ledger.indexer.store import CursorState, MirrorStore

if TYPE_CHECKING:
    from ledger.compiler import Build
    from ledger.deploy import Deployment

log = logging.getLogger(__name__)

Finality = int | Literal["finalized"]

_Halt = TypeVar("_Halt", bound=LedgerError)


@dataclass(frozen=True)
class IndexerConfig:
    """How far behind the head to stay, and how reorganisations are bounded."""

    #: Index only blocks with at least this many blocks on top of them (0: up to the head).
    confirmations: int = 0
    #: Blocks this deep are final (no reorg is looked for below them), or ``"finalized"`` to ask the node.
    finality: Finality = 64
    #: Seconds between polls of the head once the mirror has caught up.
    poll_interval: float = 1.0
    #: Logs wanted per ``eth_getLogs`` request (and so per stored batch).
    target_logs: int = 10_000
    #: Error answers from the node tolerated in a row before the indexer stops (transport failures are
    #: retried separately, by the RPC client).
    rpc_error_retries: int = 5


@dataclass(frozen=True)
class LedgerSource:
    """What to mirror: one ledger contract, from the block it was deployed in, and the timelock that
    administers it, if any (what it schedules against the ledger is mirrored from the same block on)."""

    address: str
    start_block: int
    abi: list[dict[str, Any]]
    timelock: str | None = None
    #: The timelock's ABI (OpenZeppelin ``TimelockController``); needed with :attr:`timelock`.
    timelock_abi: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.timelock is not None and not self.timelock_abi:
            raise ValueError("a LedgerSource with a timelock needs the timelock's ABI")

    @classmethod
    def from_deployment(cls, deployment: Deployment, build: Build) -> LedgerSource:
        """The ledger of ``deployment`` and, when its admin is a timelock, that timelock."""
        from ledger.governance.timelock import TIMELOCK_CONTRACT  # web3 stays out of the indexer's imports

        timelock = deployment.timelock
        return cls(
            address=deployment.ledger,
            start_block=deployment.block_number,
            abi=build["PledgeLedger"].abi,
            timelock=timelock,
            timelock_abi=build[TIMELOCK_CONTRACT].abi if timelock is not None else [],
        )

    @classmethod
    def from_packaged_abis(cls, deployment: Deployment) -> LedgerSource:
        """As :meth:`from_deployment`, with the ABIs packaged with the code (no compiler needed)."""
        from ledger.contract_abi import packaged_abi

        timelock = deployment.timelock
        return cls(
            address=deployment.ledger,
            start_block=deployment.block_number,
            abi=list(packaged_abi("PledgeLedger")),
            timelock=timelock,
            timelock_abi=list(packaged_abi("TimelockController")) if timelock is not None else [],
        )

    @property
    def addresses(self) -> list[str]:
        """The contracts whose logs are fetched."""
        return [self.address] if self.timelock is None else [self.address, self.timelock]

    def contracts(self) -> list[ContractEvents]:
        """Each contract with its ABI and the table of each event kept: the ledger's events all, the
        timelock's only those of :data:`~ledger.db.models.TIMELOCK_EVENT_TABLES`."""
        found = [ContractEvents(self.address, self.abi, _table_names(EVENT_TABLES))]
        if self.timelock is not None:
            found.append(
                ContractEvents(self.timelock, self.timelock_abi, _table_names(TIMELOCK_EVENT_TABLES))
            )
        return found


def _table_names(tables: dict[str, type[ChainEvent]]) -> dict[str, str]:
    return {event: model.__tablename__ for event, model in tables.items()}


class IndexerObserver(Protocol):
    """Receives progress; the CLI draws it, tests may record it."""

    def started(self, cursor: CursorState, head: int) -> None: ...
    def batch_stored(self, cursor: CursorState, events: int, head: int) -> None: ...
    def reorged(self, fork_block: int, from_block: int, rows_deleted: int) -> None: ...
    def caught_up(self, cursor: CursorState, head: int) -> None: ...


class Indexer:
    """Mirrors one ledger contract of one chain into SQL."""

    def __init__(
        self,
        rpc: RpcClient,
        engine: Engine,
        source: LedgerSource,
        config: IndexerConfig | None = None,
        observer: IndexerObserver | None = None,
    ) -> None:
        self.config = config or IndexerConfig()
        self.source = source
        self.reader = ChainReader(rpc, source.addresses, target_logs=self.config.target_logs)
        self.store = MirrorStore(engine)
        self.engine = engine
        self.observer = observer
        self.chain_id = self.reader.chain_id()
        self.decoder = ContractsDecoder(source.contracts(), self.chain_id)
        self._cursor: CursorState | None = None
        self._reported_head = -1

    # ─── the loop ──────────────────────────────────────────────────────────────────────────────────

    def run(
        self, *, once: bool = False, reset: bool = False, stop: threading.Event | None = None
    ) -> CursorState:
        """Index up to the head; then, unless ``once``, follow it until ``stop`` is set."""
        stop = stop or threading.Event()
        with indexer_lock(self.engine, self.chain_id):
            if reset:
                self.store.reset(self.chain_id)
            cursor = self._open_cursor()
            if self.observer:
                self.observer.started(cursor, self._head().number)
            caught_up = False
            failures = 0
            while not stop.is_set():
                try:
                    # With the collector paused until the batch is freed: paused only around its parts, it
                    # would walk every log and row still alive each time it resumes.
                    with gc_paused():
                        progressed = self.step()
                except RangeTooLargeError:
                    raise
                except RpcError as exc:
                    # A node may answer an error for a moment (a block not found mid-reorg, an overloaded
                    # provider): back off and try the step again, but not forever.
                    failures += 1
                    if failures > self.config.rpc_error_retries:
                        raise
                    delay = min(0.2 * 2**failures, 10.0)
                    log.warning(
                        "%s; retrying in %.1f s (%d/%d)", exc, delay, failures, self.config.rpc_error_retries
                    )
                    stop.wait(delay)
                    continue
                failures = 0
                if self.cursor.halted:
                    self._resume()
                if progressed:
                    caught_up = False
                    continue
                if not caught_up and self.observer:
                    self.observer.caught_up(self.cursor, self._reported_head)
                caught_up = True
                if once:
                    break
                stop.wait(self.config.poll_interval)
            return self.cursor

    @property
    def cursor(self) -> CursorState:
        assert self._cursor is not None, "run() opens the cursor"
        return self._cursor

    def _open_cursor(self) -> CursorState:
        genesis = self._genesis_hash()
        cursor = self.store.cursor(self.chain_id)
        if cursor is None:
            cursor = self.store.start(
                chain_id=self.chain_id,
                contract=self.source.address,
                genesis_hash=genesis,
                start_block=self.source.start_block,
                confirmations=self.config.confirmations,
                timelock=self.source.timelock,
            )
        elif cursor.genesis_hash != genesis:
            raise self._halt(self._reset_error(genesis, cursor), cursor)
        elif cursor.contract != self.source.address:
            raise ChainResetError(
                f"this database mirrors the ledger at {cursor.contract} on chain {self.chain_id}, not "
                f"{self.source.address}; run `pledgeledger index --reset` to mirror the new one"
            )
        elif cursor.timelock != self.source.timelock:
            mirrored = f"its timelock {cursor.timelock}" if cursor.timelock else "no timelock"
            wanted = f"the timelock {self.source.timelock}" if self.source.timelock else "none"
            raise ChainResetError(
                f"this database mirrors the ledger at {cursor.contract} on chain {self.chain_id} with "
                f"{mirrored}, not {wanted}: the timelock's earlier operations would be missing. Run "
                "`pledgeledger index --reset` to mirror both from the ledger's deployment"
            )
        self._cursor = cursor
        return cursor

    def step(self) -> bool:
        """Do one unit of work: undo a reorganisation or store one batch. False when caught up."""
        head = self._head()
        cursor = self.cursor
        if cursor.block_hash is not None:
            if head.number == cursor.block_number:
                current: Header | None = head
            elif head.number > cursor.block_number:
                current = self.reader.header(cursor.block_number)
            else:
                current = None  # the chain is now shorter than the mirror
            if current is None or current.hash != cursor.block_hash:
                self._rewind(head)
                return True
        finalized = self._finalized(head)
        target = head.number - self.config.confirmations
        if cursor.block_number >= target:
            if head.number != self._reported_head:
                self.store.update_status(self.chain_id, head=head.number, finalized=finalized)
                self._cursor = replace(cursor, head_block=head.number, finalized_block=max(finalized, -1))
                self._reported_head = head.number
            return False
        try:
            self._store_next_batch(cursor, head, finalized, target)
        except ChainMovedError as moved:
            log.info("%s; fetching again", moved)
        return True

    # ─── one batch ─────────────────────────────────────────────────────────────────────────────────

    def _store_next_batch(self, cursor: CursorState, head: Header, finalized: int, target: int) -> None:
        first = cursor.block_number + 1
        last, logs = self.reader.next_range(first, target)
        window, logs = self._window_headers(cursor, first, last, finalized, logs)
        last_header = window.get(last) or self.reader.header(last)
        if last_header is None:
            raise ChainMovedError(f"block {last} is gone")
        rows = self.decoder.decode(logs, self._timestamps(logs, window))
        self.store.write_batch(
            self.chain_id,
            rows,
            list(window.values()),
            block_number=last,
            block_hash=last_header.hash,
            head=head.number,
            finalized=finalized,
        )
        self._cursor = replace(
            cursor,
            block_number=last,
            block_hash=last_header.hash,
            head_block=head.number,
            finalized_block=max(finalized, -1),
        )
        self._reported_head = head.number
        if self.observer:
            self.observer.batch_stored(self.cursor, len(logs), head.number)

    def _window_headers(
        self, cursor: CursorState, first: int, last: int, finalized: int, logs: list[RawLog]
    ) -> tuple[dict[int, Header], list[RawLog]]:
        """Headers of the batch's blocks that may still be reorganised, and of the finalized block (the
        deepest fork point a reorganisation may have), checked to form one chain with the mirror; and the
        batch's logs, those of the unfinalized blocks read again by the headers' hashes.

        Logs fetched by block range before the headers could come from a branch replaced in between, and
        where that branch had no logs, nothing would tell. Read by block hash, they are exactly the logs of
        the blocks whose headers are stored; if those blocks are replaced later, the cursor's hash is
        stale and the next step rolls them back.
        """
        window_first = max(first, finalized)
        if window_first > last:
            return {}, logs
        found = self.reader.headers(list(range(window_first, last + 1)))
        headers: dict[int, Header] = {}
        parent = cursor.block_hash if window_first == first else None
        for number in range(window_first, last + 1):
            header = found[number]
            if header is None:
                raise ChainMovedError(f"block {number} is gone")
            if parent is not None and header.parent_hash != parent:
                raise ChainMovedError(f"block {number} does not follow block {number - 1}")
            headers[number] = header
            parent = header.hash
        unfinal = max(first, finalized + 1)
        if unfinal <= last:
            logs = [raw for raw in logs if int(raw["blockNumber"], 16) < unfinal]
            try:
                logs += self.reader.block_logs([headers[n].hash for n in range(unfinal, last + 1)])
            except RpcError as exc:  # a block asked for by hash is no longer known: it was replaced
                raise ChainMovedError(f"the logs of blocks {unfinal}-{last}: {exc}") from exc
        for raw in logs:
            number = int(raw["blockNumber"], 16)
            if number in headers and raw["blockHash"] != headers[number].hash:
                raise ChainMovedError(f"the logs of block {number} came from another branch")
        return headers, logs

    def _timestamps(self, logs: list[RawLog], window: dict[int, Header]) -> dict[int, int]:
        """Block times for logs that do not carry ``blockTimestamp`` (older nodes, Ganache)."""
        times = {n: h.timestamp for n, h in window.items()}
        missing = sorted(
            {int(raw["blockNumber"], 16) for raw in logs if not raw.get("blockTimestamp")} - set(times)
        )
        for number, header in self.reader.headers(missing).items():
            if header is None:
                raise ChainMovedError(f"block {number} is gone")
            times[number] = header.timestamp
        return times

    # ─── reorganisations ───────────────────────────────────────────────────────────────────────────

    def _rewind(self, head: Header) -> None:
        """Roll the mirror back to the newest block it shares with the chain."""
        cursor = self.cursor
        genesis = self._genesis_hash()
        if genesis != cursor.genesis_hash:
            raise self._halt(self._reset_error(genesis, cursor), cursor)
        kept = self.store.recent_blocks(self.chain_id)
        numbers = sorted((n for n in kept if n <= cursor.block_number), reverse=True)
        canonical = self.reader.headers(numbers)
        fork: int | None = next(
            (n for n in numbers if (h := canonical[n]) is not None and h.hash == kept[n]), None
        )
        fork_hash: str | None
        if fork is not None:
            fork_hash = kept[fork]
        elif not numbers or min(numbers) > cursor.start_block:
            lowest = min(numbers) if numbers else cursor.block_number
            error = ReorgTooDeepError(
                f"chain {self.chain_id} changed below block {lowest}, deeper than the blocks kept for "
                f"reorganisations (finality {self.config.finality}); run `pledgeledger index --reset`"
            )
            raise self._halt(error, cursor, head=head.number)
        else:  # every block indexed is gone: start again from the deployment
            fork, fork_hash = cursor.start_block - 1, None
        deleted = self.store.rollback(self.chain_id, fork_block=fork, fork_hash=fork_hash)
        log.warning(
            "reorganisation on chain %d: blocks %d-%d replaced, %d events removed; re-indexing",
            self.chain_id,
            fork + 1,
            cursor.block_number,
            deleted,
        )
        if self.observer:
            self.observer.reorged(fork, cursor.block_number, deleted)
        self._cursor = replace(cursor, block_number=fork, block_hash=fork_hash, reorgs=cursor.reorgs + 1)

    def _halt(self, error: _Halt, cursor: CursorState, *, head: int | None = None) -> _Halt:
        """Record in the cursor that the chain no longer holds the mirror, and why; returns ``error`` to
        raise. Nothing is rolled back on a guess: the mirror stays as it was, reported as not final."""
        self.store.halt(self.chain_id, reason=str(error), block=cursor.block_number, head=head)
        return error  # its caller reports it: logged here too, the CLI would print it twice

    def _resume(self) -> None:
        """Clear a recorded halt: a step found the mirror on the chain again."""
        cursor = self.cursor
        self.store.resume(self.chain_id)
        log.warning("indexer of chain %d resumed: its mirror is on the chain again", self.chain_id)
        self._cursor = replace(cursor, halt_reason=None, halted_at=None, halted_block=None)

    # ─── chain reads ───────────────────────────────────────────────────────────────────────────────

    def _head(self) -> Header:
        head = self.reader.header("latest")
        if head is None:
            raise RpcError("the node has no latest block")
        return head

    def _genesis_hash(self) -> str:
        genesis = self.reader.header(0)
        if genesis is None:
            raise RpcError("the node has no genesis block")
        return genesis.hash

    def _finalized(self, head: Header) -> int:
        if self.config.finality == "finalized":
            try:
                finalized = self.reader.header("finalized")
            except RpcError:
                finalized = None
            if finalized is not None:
                return finalized.number
            log.warning("the node knows no finalized block; treating blocks 64 deep as final")
            return head.number - 64
        return head.number - self.config.finality

    def _reset_error(self, genesis: str, cursor: CursorState) -> ChainResetError:
        return ChainResetError(
            f"the node's chain {self.chain_id} starts at genesis {genesis[:18]}…, but this database mirrors "
            f"a chain {cursor.chain_id} that started at {cursor.genesis_hash[:18]}…: the node was restarted "
            "or replaced. Run `pledgeledger index --reset` to mirror the new chain"
        )
