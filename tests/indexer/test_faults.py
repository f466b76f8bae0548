"""Faults the indexer must survive, on SQLite and PostgreSQL: SIGKILL at random points of a backfill; the
node refusing, dropping or freezing connections, or restarted from its saved state, and coming back; the
node gone for longer than the indexer waits; and a second indexer on the same chain and database.

The chain is this module's own Anvil, behind a :class:`FlakyProxy`: thousands of pledges spread over
thousands of blocks, so that a backfill in small batches lasts long enough to be interrupted. Seeds are
fixed; every process and thread started here is stopped however a test ends.
"""

from __future__ import annotations

import random
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from web3 import Web3

from ledger.chain import connect
from ledger.compiler import Build
from ledger.db.engine import make_engine
from ledger.deploy import write_deployment
from ledger.errors import ChainConnectionError, IndexerLockedError
from ledger.indexer.fetch import ChainReader
from ledger.indexer.lock import indexer_lock
from ledger.indexer.rpc import RpcClient
from ledger.indexer.runner import Indexer, IndexerConfig, LedgerSource
from ledger.indexer.store import CursorState, MirrorStore
from ledger.node import LocalNode, start_node
from tests.indexer.faults import (
    FlakyProxy,
    indexer_process,
    spread_pledges,
    unreachable_endpoint,
    wait_for_cursor,
)
from tests.indexer.support import assert_mirror_matches_chain, chain_events, ledger_source, mirror_events
from tests.support.chain import LedgerEnv, make_env

SEED = 20_240_611
#: Logs per batch in these tests: a few hundred batches per backfill, so there is a lot to interrupt.
BATCH_LOGS = 10

Event = tuple[str, dict[str, Any]]


@dataclass
class FaultChain:
    """The module's chain: an Anvil that saves its state when stopped, reached through a proxy."""

    node: LocalNode
    proxy: FlakyProxy
    workdir: Path
    node_args: list[str]
    env: LedgerEnv = field(init=False)
    events: list[Event] = field(init=False)
    head: int = field(init=False)

    @property
    def url(self) -> str:
        return self.proxy.url

    @property
    def chain_id(self) -> int:
        return self.env.deployment.chain_id

    @property
    def deployments(self) -> Path:
        return self.workdir / "deployments"

    @property
    def source(self) -> LedgerSource:
        return ledger_source(self.env)

    def events_up_to(self, block: int) -> list[Event]:
        return [e for e in self.events if e[1]["block_number"] <= block]

    def start_again(self) -> None:
        """Start the node again from its saved state, on a new free port, behind the same proxy. From the
        main thread: the node gets SIGTERM when the thread that started it ends (``PR_SET_PDEATHSIG``)."""
        self.node = start_node("anvil", extra_args=self.node_args, log_dir=self.workdir)
        self.proxy.retarget(self.node.port)
        genesis = Web3.to_hex(self.env.w3.eth.get_block(0)["hash"])
        if genesis != self.env.deployment.genesis_hash:
            # Anvil 1.7 now and then rebuilds the genesis block when it loads a state saved by a node that
            # had itself loaded one (every later block is the same). Record it, as a new deployment would,
            # so that the CLI's check of the deployment file against the node holds in later tests.
            self.env.deployment = replace(self.env.deployment, genesis_hash=genesis)
            write_deployment(self.env.deployment, self.deployments)


@pytest.fixture(scope="module")
def chain(build: Build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultChain]:
    workdir = tmp_path_factory.mktemp("faults")
    # --state: written when Anvil stops, loaded when it starts. --prune-history: no state per block kept
    # in memory, without which mining thousands of empty blocks slows down quadratically.
    node_args = ["--state", str(workdir / "anvil-state.json"), "--prune-history"]
    node = start_node("anvil", extra_args=node_args, log_dir=workdir)
    proxy = FlakyProxy(node.port)
    faults = FaultChain(node, proxy, workdir, node_args)
    try:
        faults.env = make_env(connect(proxy.url), build)
        pledges = spread_pledges(faults.env, blocks=150, per_block=20, gap=50)
        write_deployment(faults.env.deployment, faults.deployments)
        faults.events = chain_events(faults.env)
        faults.head = faults.env.w3.eth.block_number
        assert sum(name == "Pledged" for name, _ in faults.events) > pledges >= 3000
        yield faults
    finally:
        proxy.close()
        faults.node.stop()


class Plan:
    """An :class:`~ledger.indexer.runner.IndexerObserver` that does something after given batches."""

    def __init__(self, actions: dict[int, Callable[[], None]]) -> None:
        self.actions = actions
        self.batches = 0
        self.reorgs = 0

    def started(self, cursor: CursorState, head: int) -> None:
        pass

    def batch_stored(self, cursor: CursorState, events: int, head: int) -> None:
        self.batches += 1
        action = self.actions.pop(self.batches, None)
        if action is not None:
            action()

    def reorged(self, fork_block: int, from_block: int, rows_deleted: int) -> None:
        self.reorgs += 1

    def caught_up(self, cursor: CursorState, head: int) -> None:
        pass


def _index(chain: FaultChain, engine: Engine, rpc: RpcClient, plan: Plan | None = None) -> CursorState:
    return Indexer(rpc, engine, chain.source, IndexerConfig(target_logs=BATCH_LOGS), plan).run(once=True)


def _assert_mirror_equals_the_chain(chain: FaultChain, engine: Engine) -> None:
    """Every event, field for field, against the module's events read once through web3.py (the full
    :func:`assert_mirror_matches_chain`, which reads them again and checks totals against the contract's
    views, ends the crash test)."""
    assert mirror_events(engine, chain.chain_id) == chain.events


def _assert_mirror_at_a_batch_boundary(chain: FaultChain, engine: Engine) -> CursorState:
    """Whatever stopped the indexer, the mirror holds every event up to its cursor and none after."""
    cursor = MirrorStore(engine).cursor(chain.chain_id)
    assert cursor is not None
    assert mirror_events(engine, chain.chain_id) == chain.events_up_to(cursor.block_number)
    return cursor


# ─── crash safety ────────────────────────────────────────────────────────────────────────────────────


def test_backfill_killed_at_random_points_ends_equal_to_the_chain(
    chain: FaultChain, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """Five SIGKILLs at random moments after the cursor has moved (while fetching, decoding, or inside the
    transaction of a batch); each run must have moved the cursor, and each kill must leave the mirror at a
    batch boundary. Then a last run finishes the backfill."""
    rng = random.Random(SEED)
    store = MirrorStore(engine)

    def read() -> CursorState | None:
        return store.cursor(chain.chain_id)

    first = chain.env.deployment.block_number
    span = chain.head - first
    targets = sorted(rng.sample(range(first + span // 10, first + span * 3 // 5), 4))
    args = ["--rpc-url", chain.url, "--database-url", database_url, "--once", "--batch-logs", str(BATCH_LOGS)]
    moves: list[tuple[int | None, int]] = []
    for run, target in enumerate([None, *targets]):
        before = read()
        with indexer_process(
            args, workdir=tmp_path, deployments=chain.deployments, name=f"run-{run}"
        ) as proc:
            # The first run is killed once it has created the cursor, in its first batch; the others once
            # the cursor has passed their target and moved since the last kill.
            goal = -1 if before is None else max(target or 0, before.block_number + 1)
            wait_for_cursor(
                read, lambda c, g=goal: c is not None and c.block_number >= g, timeout=90, proc=proc
            )
            time.sleep(rng.uniform(0, 0.05))
            status = proc.kill()
        assert status == -signal.SIGKILL, (
            f"run {run} ended by itself ({status}) before the kill:\n{proc.output}"
        )
        after = _assert_mirror_at_a_batch_boundary(chain, engine)
        assert after.block_number < chain.head, f"run {run} was killed after the backfill had finished"
        moves.append((before.block_number if before else None, after.block_number))
    assert all(b is None or a > b for b, a in moves), f"no progress between kills: {moves}"

    with indexer_process(args, workdir=tmp_path, deployments=chain.deployments, name="final") as proc:
        assert proc.wait(timeout=120) == 0, proc.output
    assert f"mirrored up to block {chain.head} (head {chain.head}, lag 0)" in proc.output
    assert_mirror_matches_chain(chain.env, engine)


# ─── the node goes away ──────────────────────────────────────────────────────────────────────────────


def test_backfill_waits_out_a_node_that_refuses_drops_and_freezes(chain: FaultChain, engine: Engine) -> None:
    """Each outage hits an ``eth_getLogs`` request. A frozen node makes requests time out: the indexer must
    not take that for a range too large to answer, shrink to one block and give up, but wait."""
    problems: list[str] = []
    proxy = chain.proxy
    earlier = len(proxy.outages)
    plan = Plan(
        {
            3: lambda: proxy.arm("refuse", 0.5, on=b"eth_getLogs"),
            12: lambda: proxy.arm("drop", 0.5, on=b"eth_getLogs"),
            25: lambda: proxy.arm("hang", 3.0, on=b"eth_getLogs"),
        }
    )
    try:
        with RpcClient(
            chain.url,
            timeout=0.3,
            give_up_after=30,
            backoff=(0.05, 0.25),
            on_retry=lambda problem, _delay: problems.append(problem),
        ) as rpc:
            cursor = _index(chain, engine, rpc, plan)
    finally:
        proxy.restore()
    assert proxy.outages[earlier:] == ["refuse", "drop", "hang"]
    assert "ConnectionError" in problems and "timed out" in problems, problems
    assert cursor.block_number == chain.head
    assert plan.reorgs == 0
    _assert_mirror_equals_the_chain(chain, engine)
    assert not proxy.errors


def test_node_restarted_from_its_saved_state_mid_backfill_loses_nothing(
    chain: FaultChain, engine: Engine
) -> None:
    """The indexer runs in a thread; after its fifth batch it waits while the node is stopped (Anvil writes
    its state), then goes on against no node for a second, until the node is back with the same chain."""
    w3 = chain.env.w3
    first = chain.env.deployment.block_number
    hashes = {n: w3.eth.get_block(n)["hash"] for n in (first, (first + chain.head) // 2, chain.head)}
    problems: list[str] = []
    reached, node_down = threading.Event(), threading.Event()

    def wait_for_the_node_to_stop() -> None:
        reached.set()
        node_down.wait(timeout=60)

    plan = Plan({5: wait_for_the_node_to_stop})
    outcome: dict[str, Any] = {}

    def index() -> None:
        try:
            with RpcClient(
                chain.url,
                give_up_after=30,
                backoff=(0.05, 0.25),
                on_retry=lambda problem, _delay: problems.append(problem),
            ) as rpc:
                outcome["cursor"] = _index(chain, engine, rpc, plan)
        except BaseException as exc:  # re-raised by the test
            outcome["error"] = exc

    worker = threading.Thread(target=index, name="indexer", daemon=True)
    worker.start()
    try:
        assert reached.wait(timeout=60), "the indexer did not store five batches"
        chain.node.stop()  # SIGTERM: Anvil writes its state as it stops
        node_down.set()
        time.sleep(1.0)
        chain.start_again()
    finally:
        node_down.set()
        worker.join(timeout=120)
    assert not worker.is_alive(), "the indexer did not finish"
    if "error" in outcome:
        raise outcome["error"]
    cursor: CursorState = outcome["cursor"]
    assert "ConnectionError" in problems, "the indexer never saw the node down"
    assert {n: w3.eth.get_block(n)["hash"] for n in hashes} == hashes, "the node came back with another chain"
    assert cursor.block_number == chain.head
    assert plan.reorgs == 0 and cursor.reorgs == 0
    _assert_mirror_equals_the_chain(chain, engine)  # the chain is the one before the restart (hashes above)


def test_node_gone_for_longer_than_give_up_after_stops_the_indexer_with_a_clear_error(
    chain: FaultChain, engine: Engine
) -> None:
    plan = Plan({5: lambda: chain.proxy.fail("refuse")})
    started = time.monotonic()
    try:
        with (
            RpcClient(chain.url, give_up_after=1.5, backoff=(0.05, 0.2)) as rpc,
            pytest.raises(ChainConnectionError) as caught,
        ):
            _index(chain, engine, rpc, plan)
    finally:
        chain.proxy.restore()
    assert time.monotonic() - started < 30
    assert re.fullmatch(
        rf"the node at {re.escape(chain.url)} has not answered for \d+ s \(ConnectionError\); "
        r"is it running\?",
        str(caught.value),
    )
    cursor = _assert_mirror_at_a_batch_boundary(chain, engine)
    assert chain.env.deployment.block_number <= cursor.block_number < chain.head
    # Once the node is back, the next indexer carries on from the cursor (the lock went with the first).
    with RpcClient(chain.url) as rpc:
        assert _index(chain, engine, rpc).block_number == chain.head
    _assert_mirror_equals_the_chain(chain, engine)


def test_unreachable_node_is_waited_for_not_taken_for_a_range_too_large() -> None:
    """Connect timeouts (a node host that drops packets) say nothing about the size of a log query."""
    with (
        unreachable_endpoint() as url,
        RpcClient(url, timeout=0.2, give_up_after=1.0, backoff=(0.05, 0.1)) as rpc,
    ):
        reader = ChainReader(rpc, "0x" + "11" * 20, initial_span=64)
        with pytest.raises(ChainConnectionError, match=r"has not answered for \d+ s"):
            reader.next_range(1, 1_000)
        assert reader.span == 64


# ─── one indexer per chain and database ──────────────────────────────────────────────────────────────


def test_lock_is_per_chain_and_database_and_released_on_exit(database_url: str) -> None:
    first, second = make_engine(database_url), make_engine(database_url)
    try:
        with indexer_lock(first, 31337):
            with (
                pytest.raises(IndexerLockedError, match=r"another indexer .*already mirroring chain 31337"),
                indexer_lock(second, 31337),
            ):
                pass
            with indexer_lock(second, 4242):  # another chain in the same database
                pass
        with indexer_lock(second, 31337):
            pass
    finally:
        first.dispose()
        second.dispose()


def test_second_indexer_exits_with_a_clear_message_and_the_next_starts_once_the_first_is_killed(
    chain: FaultChain, database_url: str, engine: Engine, tmp_path: Path
) -> None:
    store = MirrorStore(engine)
    follow = ["--rpc-url", chain.url, "--database-url", database_url, "--poll-interval", "0.2"]
    with indexer_process(follow, workdir=tmp_path, deployments=chain.deployments, name="first") as first:
        wait_for_cursor(
            lambda: store.cursor(chain.chain_id),
            lambda c: c is not None and c.block_number == chain.head,
            timeout=90,
            proc=first,
            poll=0.05,
        )
        with indexer_process(
            [*follow, "--once"], workdir=tmp_path, deployments=chain.deployments, name="second"
        ) as second:
            assert second.wait(timeout=60) == 1, second.output
        message = second.stderr
        assert "Traceback" not in second.output
        assert re.search(
            rf"^Error: another indexer .*is already mirroring chain {chain.chain_id} ", message, re.M
        )
        assert "stop it first" in message
        holder = f"(pid {first.pid})" if database_url.startswith("sqlite") else "(PostgreSQL backend "
        assert holder in message
        assert first.alive(), "the second indexer disturbed the first"
        assert first.kill() == -signal.SIGKILL
    # The operating system (flock) or the server (advisory lock of a dead session) let the lock go with
    # the process: another indexer starts without anyone cleaning up. PostgreSQL notices the closed socket
    # within milliseconds; the short retry absorbs that.
    deadline = time.monotonic() + 5
    while True:
        try:
            with RpcClient(chain.url) as rpc:
                assert _index(chain, engine, rpc).block_number == chain.head
            break
        except IndexerLockedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    _assert_mirror_equals_the_chain(chain, engine)
