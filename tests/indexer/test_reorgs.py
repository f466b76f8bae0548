"""Reorganisations: after any of them the SQL mirror holds exactly the new branch, on SQLite and PostgreSQL.

Two ways a local chain reorganises: Anvil's ``anvil_reorg`` replaces the newest blocks in place (the tip
keeps its height, only its hash changes), and ``evm_snapshot``/``evm_revert`` followed by new activity
grows a different, longer branch from an earlier block. Each test builds a branch of pledges, mirrors it,
replaces it with other pledges, mirrors again and checks that the dropped pledges are gone, the new ones
are there, and everything else still equals the chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, select

from ledger.chain import connect
from ledger.compiler import Build
from ledger.db.models import Pledged
from ledger.errors import ReorgTooDeepError
from ledger.indexer.fetch import ChainReader, RawLog
from ledger.indexer.rpc import RpcClient
from ledger.indexer.runner import Indexer, IndexerConfig
from ledger.indexer.store import CursorState, MirrorStore
from ledger.node import local_node
from tests.indexer.support import assert_mirror_matches_chain, ledger_source, rpc_url, run_indexer
from tests.support.chain import LedgerEnv, make_env, reverted

ETH_UNIT = 10**15
DAI_UNIT = 10**18
GAS = 400_000
GWEI = 10**9


@pytest.fixture(scope="module")
def _reorg_chain(build: Build) -> Iterator[LedgerEnv]:
    """An Anvil of this module's own. On the session's chain, after other modules' snapshots and reverts,
    Anvil 1.7's ``anvil_reorg`` now and then produced a chain these tests could not rely on (the new
    branch's pledges absent, contract calls answering nothing); on a chain of their own they are stable."""
    with local_node("anvil") as node:
        yield make_env(connect(node.rpc_url), build)


@pytest.fixture
def env(_reorg_chain: LedgerEnv) -> Iterator[LedgerEnv]:
    """This module's deployment, reverted after each test."""
    with reverted(_reorg_chain) as ledger_env:
        yield ledger_env


# ─── helpers ─────────────────────────────────────────────────────────────────────────────────────────


def _depth_id(depth: int) -> str:
    return f"depth-{depth}"


def _rpc(env: LedgerEnv, method: str, params: list[Any]) -> Any:
    answer = env.w3.provider.make_request(method, params)  # type: ignore[arg-type]
    assert "error" not in answer, f"{method}: {answer['error']}"
    return answer.get("result")


@dataclass(frozen=True)
class Round:
    campaign_id: int
    round_id: int
    kept_pledge: str  # made before any reorganisation: it must survive them all


def _open_round(env: LedgerEnv) -> Round:
    """A campaign taking ETH and DAI with an open round, donors that approved DAI, and one pledge."""
    campaign_id = env.create_campaign(("ETH", "DAI"))
    round_id = env.open_round(campaign_id, goal_usd=10**9 * 10**8)
    for donor in env.donors[1::2]:  # those who pledge DAI
        donor.send(env.tokens["DAI"].functions.approve(env.ledger.address, 10**9 * DAI_UNIT))
    receipt = env.pledge(env.donors[0], campaign_id, round_id, "ETH", 42 * ETH_UNIT)
    return Round(campaign_id, round_id, receipt.tx_hash)


def _pledge_blocks(env: LedgerEnv, r: Round, count: int) -> list[str]:
    """``count`` blocks, each with one pledge (ETH and DAI in turn); returns their transaction hashes."""
    hashes = []
    for i in range(count):
        donor = env.donors[i % len(env.donors)]
        if i % 2:
            call = env.f.pledgeToken(r.campaign_id, r.round_id, env.token_address("DAI"), (i + 1) * DAI_UNIT)
            receipt = donor.send(call)
        else:
            receipt = donor.send(env.f.pledge(r.campaign_id, r.round_id), value=(i + 1) * ETH_UNIT)
        hashes.append(receipt["transactionHash"].to_0x_hex())
    return hashes


@dataclass(frozen=True)
class SignedPledge:
    raw: str
    tx_hash: str


def _sign_pledges(
    env: LedgerEnv, r: Round, count: int, *, at_block: int, amounts_from: int = 1000
) -> list[SignedPledge]:
    """``count`` pledges other than :func:`_pledge_blocks`'s (other donors, amounts and tokens), signed
    with the nonces the donors had at ``at_block``, for a branch that grows from that block."""
    nonces: dict[int, int] = {}
    pledges = []
    for i in range(count):
        index = (i + 1) % len(env.donors)
        donor = env.donors[index]
        if index not in nonces:
            nonces[index] = env.w3.eth.get_transaction_count(donor.address, at_block)
        params: dict[str, Any] = {
            "from": donor.address,
            "nonce": nonces[index],
            "gas": GAS,
            "maxFeePerGas": 100 * GWEI,
            "maxPriorityFeePerGas": GWEI,
            "chainId": env.w3.eth.chain_id,
        }
        nonces[index] += 1
        if i % 2:
            params["value"] = (amounts_from + i) * ETH_UNIT
            tx = env.f.pledge(r.campaign_id, r.round_id).build_transaction(params)
        else:
            amount = (amounts_from + i) * DAI_UNIT
            call = env.f.pledgeToken(r.campaign_id, r.round_id, env.token_address("DAI"), amount)
            tx = call.build_transaction({**params, "value": 0})
        signed = donor.account.sign_transaction(tx)
        pledges.append(SignedPledge(signed.raw_transaction.to_0x_hex(), signed.hash.to_0x_hex()))
    return pledges


def _anvil_reorg(env: LedgerEnv, depth: int, placed: list[tuple[SignedPledge, int]]) -> None:
    """Replace the newest ``depth`` blocks with as many new ones holding ``placed`` (pledge, block offset
    from the first new block); the head keeps its number."""
    _rpc(env, "anvil_reorg", [depth, [[p.raw, offset] for p, offset in placed]])
    env.forget_nonces()


def _spread(pledges: list[SignedPledge], depth: int) -> list[tuple[SignedPledge, int]]:
    """The pledges over ``depth`` new blocks in order (a donor's nonces must rise): several in a block when
    there are more pledges than blocks, empty blocks between them when there are fewer."""
    return [(p, k * depth // len(pledges)) for k, p in enumerate(pledges)]


def _mirrored_pledges(engine: Engine, env: LedgerEnv) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(select(Pledged.tx_hash).where(Pledged.chain_id == env.w3.eth.chain_id))
        return {tx_hash.lower() for (tx_hash,) in rows}


def _head_hash(env: LedgerEnv) -> str:
    return env.w3.eth.get_block("latest")["hash"].to_0x_hex()


def _assert_mirror_is_the_new_branch(
    env: LedgerEnv, engine: Engine, cursor: CursorState, *, kept: set[str], dropped: set[str], added: set[str]
) -> None:
    """Exactly the pledges of the branch now on the chain, the cursor on its head, the kept block headers
    those of the chain, and every event and total equal to the chain's."""
    mirrored = _mirrored_pledges(engine, env)
    assert not mirrored & dropped, "pledges of the dropped branch are still mirrored"
    assert mirrored == kept | added
    assert cursor.block_number == env.w3.eth.block_number
    assert cursor.block_hash == _head_hash(env)
    kept_headers = MirrorStore(engine).recent_blocks(env.w3.eth.chain_id)
    assert kept_headers, "the recent blocks' headers are kept for the next reorganisation"
    with RpcClient(rpc_url(env)) as rpc:
        chain_headers = ChainReader(rpc, env.ledger.address).headers(sorted(kept_headers))
    assert {n: h.hash for n, h in chain_headers.items() if h is not None} == kept_headers
    assert_mirror_matches_chain(env, engine)


def _reindexed(
    env: LedgerEnv,
    engine: Engine,
    r: Round,
    reorgs: int,
    *,
    dropped: list[str],
    added: list[SignedPledge],
    config: IndexerConfig | None = None,
) -> CursorState:
    """Index up to the head, having seen ``reorgs`` reorganisations in all; the mirror is the new branch, with
    ``r``'s first pledge kept, ``dropped`` gone and ``added`` in. Returns the cursor."""
    cursor = run_indexer(env, engine, config)
    assert cursor.reorgs == reorgs
    _assert_mirror_is_the_new_branch(
        env, engine, cursor, kept={r.kept_pledge}, dropped=set(dropped), added={p.tx_hash for p in added}
    )
    return cursor


# ─── anvil_reorg: the newest blocks replaced in place ────────────────────────────────────────────────


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5], ids=_depth_id)
def test_anvil_reorg_at_the_tip_replaces_the_dropped_pledges_with_the_new_ones(
    env: LedgerEnv, engine: Engine, depth: int
) -> None:
    r = _open_round(env)
    dropped = _pledge_blocks(env, r, depth)
    before = run_indexer(env, engine)
    assert set(dropped) <= _mirrored_pledges(engine, env)
    head = env.w3.eth.block_number
    assert before.block_number == head  # the mirror's cursor is on the very block replaced at the tip

    added = _sign_pledges(env, r, depth + 1, at_block=head - depth)
    _anvil_reorg(env, depth, _spread(added, depth))
    assert env.w3.eth.block_number == head, "anvil_reorg keeps the head's height: only its hash changes"
    assert _head_hash(env) != before.block_hash

    _reindexed(env, engine, r, before.reorgs + 1, dropped=dropped, added=added)


@pytest.mark.parametrize("depth", [2, 3, 4, 5], ids=_depth_id)
def test_anvil_reorg_around_the_cursor_rolls_back_what_was_mirrored_of_the_dropped_branch(
    env: LedgerEnv, engine: Engine, depth: int
) -> None:
    r = _open_round(env)
    dropped = _pledge_blocks(env, r, depth)
    head = env.w3.eth.block_number
    behind = depth // 2  # the mirror ends inside the range about to be replaced
    before = run_indexer(env, engine, IndexerConfig(confirmations=behind))
    assert head - depth < before.block_number < head
    assert set(dropped[: depth - behind]) <= _mirrored_pledges(engine, env)

    added = _sign_pledges(env, r, depth, at_block=head - depth)
    _anvil_reorg(env, depth, _spread(added, depth))

    _reindexed(env, engine, r, before.reorgs + 1, dropped=dropped, added=added)


def test_anvil_reorg_with_empty_blocks_removes_the_dropped_pledges(env: LedgerEnv, engine: Engine) -> None:
    r = _open_round(env)
    dropped = _pledge_blocks(env, r, 3)
    run_indexer(env, engine)
    _anvil_reorg(env, 3, [])
    _reindexed(env, engine, r, 1, dropped=dropped, added=[])


def test_anvil_reorg_below_the_cursor_is_no_reorg_for_the_mirror(env: LedgerEnv, engine: Engine) -> None:
    """Blocks not mirrored yet may change freely: the mirror just reads the new ones."""
    r = _open_round(env)
    dropped = _pledge_blocks(env, r, 3)
    head = env.w3.eth.block_number
    run_indexer(env, engine, IndexerConfig(confirmations=3))
    added = _sign_pledges(env, r, 3, at_block=head - 3)
    _anvil_reorg(env, 3, _spread(added, 3))
    _reindexed(env, engine, r, 0, dropped=dropped, added=added)


def test_successive_reorgs_of_different_depths_are_each_undone(env: LedgerEnv, engine: Engine) -> None:
    r = _open_round(env)
    made = set(_pledge_blocks(env, r, 5))
    run_indexer(env, engine)
    for n, depth in enumerate((2, 1, 3)):
        head = env.w3.eth.block_number
        pledges = _sign_pledges(env, r, depth, at_block=head - depth, amounts_from=1000 * (n + 1))
        _anvil_reorg(env, depth, [(p, k) for k, p in enumerate(pledges)])
        made |= {p.tx_hash for p in pledges}
        cursor = run_indexer(env, engine)
    on_chain = {tx for tx in made if _rpc(env, "eth_getTransactionReceipt", [tx]) is not None}
    # 5 pledges; the last 2 replaced by 2 others; the newest of those by 1; then the last 3 by 3 others.
    assert (len(on_chain), len(made - on_chain)) == (5, 6)
    assert cursor.reorgs == 3
    _assert_mirror_is_the_new_branch(
        env, engine, cursor, kept={r.kept_pledge}, dropped=made - on_chain, added=on_chain
    )


# ─── evm_snapshot / evm_revert: a longer, different branch from an earlier block ─────────────────────


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 5], ids=_depth_id)
def test_revert_and_a_longer_branch_replace_the_dropped_pledges(
    env: LedgerEnv, engine: Engine, depth: int
) -> None:
    r = _open_round(env)
    snapshot = _rpc(env, "evm_snapshot", [])
    fork = env.w3.eth.block_number
    dropped = _pledge_blocks(env, r, depth)
    before = run_indexer(env, engine)
    assert before.block_number == fork + depth

    _rpc(env, "evm_revert", [snapshot])
    env.forget_nonces()
    assert env.w3.eth.block_number == fork
    added = _sign_pledges(env, r, depth + 1, at_block=fork)
    for pledge in added:  # one block each, then two empty blocks: longer than the dropped branch
        _rpc(env, "eth_sendRawTransaction", [pledge.raw])
    for _ in range(2):
        _rpc(env, "evm_mine", [])
    assert env.w3.eth.block_number == fork + depth + 3

    _reindexed(env, engine, r, before.reorgs + 1, dropped=dropped, added=added)


def test_revert_to_an_earlier_block_rolls_the_mirror_back_before_the_chain_grows_again(
    env: LedgerEnv, engine: Engine
) -> None:
    r = _open_round(env)
    snapshot = _rpc(env, "evm_snapshot", [])
    fork = env.w3.eth.block_number
    dropped = _pledge_blocks(env, r, 4)
    run_indexer(env, engine)

    _rpc(env, "evm_revert", [snapshot])  # the chain is now shorter than the mirror
    env.forget_nonces()
    cursor = _reindexed(env, engine, r, 1, dropped=dropped, added=[])
    assert cursor.block_number == fork

    added = _sign_pledges(env, r, 6, at_block=fork)
    for pledge in added:
        _rpc(env, "eth_sendRawTransaction", [pledge.raw])
    _reindexed(env, engine, r, 1, dropped=dropped, added=added)


def test_a_pledge_moved_to_another_block_is_mirrored_at_its_new_place(env: LedgerEnv, engine: Engine) -> None:
    """The commonest real reorganisation: the same transaction, included in a later block of the new
    branch. It keeps its hash, so only the block it is stored with tells the two apart."""
    r = _open_round(env)
    snapshot = _rpc(env, "evm_snapshot", [])
    fork = env.w3.eth.block_number
    moved = _sign_pledges(env, r, 2, at_block=fork)
    for pledge in moved:
        _rpc(env, "eth_sendRawTransaction", [pledge.raw])
    run_indexer(env, engine)
    old_blocks = {
        tx: _rpc(env, "eth_getTransactionReceipt", [tx])["blockHash"] for tx in _mirrored_pledges(engine, env)
    }

    _rpc(env, "evm_revert", [snapshot])
    env.forget_nonces()
    for _ in range(2):
        _rpc(env, "evm_mine", [])  # the new branch starts with empty blocks
    for pledge in moved:
        _rpc(env, "eth_sendRawTransaction", [pledge.raw])

    cursor = run_indexer(env, engine)
    assert cursor.reorgs == 1
    hashes = {p.tx_hash for p in moved}
    for tx in hashes:
        assert _rpc(env, "eth_getTransactionReceipt", [tx])["blockHash"] != old_blocks[tx]
    _assert_mirror_is_the_new_branch(env, engine, cursor, kept={r.kept_pledge}, dropped=set(), added=hashes)


# ─── while the indexer runs ──────────────────────────────────────────────────────────────────────────


def test_a_long_running_indexer_undoes_a_reorg_between_its_steps(env: LedgerEnv, engine: Engine) -> None:
    r = _open_round(env)
    with RpcClient(rpc_url(env), give_up_after=30) as rpc:
        indexer = Indexer(rpc, engine, ledger_source(env))
        indexer.run(once=True)
        dropped = _pledge_blocks(env, r, 3)
        assert indexer.step()  # one batch: the three pledges
        assert not indexer.step()  # caught up
        head = env.w3.eth.block_number
        added = _sign_pledges(env, r, 3, at_block=head - 3)
        _anvil_reorg(env, 3, _spread(added, 3))
        steps = 0
        while indexer.step():
            steps += 1
        assert steps == 2  # one to roll back, one to store the new branch
    cursor = MirrorStore(engine).cursor(env.w3.eth.chain_id)
    assert cursor is not None
    assert (cursor.block_number, cursor.block_hash) == (
        indexer.cursor.block_number,
        indexer.cursor.block_hash,
    )
    assert cursor.reorgs == indexer.cursor.reorgs == 1
    _assert_mirror_is_the_new_branch(
        env, engine, cursor, kept={r.kept_pledge}, dropped=set(dropped), added={p.tx_hash for p in added}
    )


@dataclass
class _ReorgDuringFetch:
    """Wraps the reader's log fetch: right after the first fetch, the chain reorganises, so that the logs
    in hand come from a branch that is already gone."""

    fetch: Callable[[int, int], tuple[int, list[RawLog]]]
    reorganise: Callable[[], None]
    calls: int = 0
    stale_logs: int = 0

    def __call__(self, first: int, last: int) -> tuple[int, list[RawLog]]:
        end, logs = self.fetch(first, last)
        self.calls += 1
        if self.calls == 1:
            self.stale_logs = len(logs)
            self.reorganise()
        return end, logs


@pytest.mark.parametrize(
    ("depth", "reorgs"),
    [
        pytest.param(3, 0, id="within-the-batch"),  # the logs are read again after the headers: none stale
        pytest.param(4, 1, id="reaching-the-cursor"),  # the batch no longer follows the mirror: rolled back
    ],
)
def test_a_reorg_during_a_fetch_is_caught_before_the_stale_logs_are_stored(
    env: LedgerEnv, engine: Engine, monkeypatch: pytest.MonkeyPatch, depth: int, reorgs: int
) -> None:
    r = _open_round(env)
    _rpc(env, "evm_mine", [])  # the mirror will end on an empty block, which the deeper reorg replaces
    added: list[SignedPledge] = []

    def reorganise() -> None:
        head = env.w3.eth.block_number
        added.extend(_sign_pledges(env, r, depth, at_block=head - depth))
        _anvil_reorg(env, depth, [(p, k) for k, p in enumerate(added)])

    with RpcClient(rpc_url(env), give_up_after=30) as rpc:
        indexer = Indexer(rpc, engine, ledger_source(env))
        indexer.run(once=True)
        dropped = _pledge_blocks(env, r, 3)
        wrapper = _ReorgDuringFetch(indexer.reader.next_range, reorganise)
        monkeypatch.setattr(indexer.reader, "next_range", wrapper)
        stored: list[int] = []
        monkeypatch.setattr(indexer.store, "write_batch", _recording(indexer.store.write_batch, stored))
        cursor = indexer.run(once=True)
    assert wrapper.stale_logs == 3, "the first fetch returned the pledges of the branch then current"
    assert len(stored) == 1, "the stale batch was never written"
    assert cursor.reorgs == reorgs
    _assert_mirror_is_the_new_branch(
        env, engine, cursor, kept={r.kept_pledge}, dropped=set(dropped), added={p.tx_hash for p in added}
    )


def test_empty_blocks_replaced_by_pledges_during_a_fetch_are_not_missed(
    env: LedgerEnv, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The logs in hand say the blocks were empty; the branch that replaced them has pledges. No log of
    the old branch is there to betray it by its block hash: the indexer must read the logs again."""
    r = _open_round(env)
    added: list[SignedPledge] = []

    def reorganise() -> None:
        head = env.w3.eth.block_number
        added.extend(_sign_pledges(env, r, 2, at_block=head - 3))
        _anvil_reorg(env, 3, [(added[0], 1), (added[1], 2)])

    with RpcClient(rpc_url(env), give_up_after=30) as rpc:
        indexer = Indexer(rpc, engine, ledger_source(env))
        indexer.run(once=True)
        for _ in range(3):
            _rpc(env, "evm_mine", [])
        wrapper = _ReorgDuringFetch(indexer.reader.next_range, reorganise)
        monkeypatch.setattr(indexer.reader, "next_range", wrapper)
        cursor = indexer.run(once=True)
    assert wrapper.stale_logs == 0, "the first fetch saw the empty blocks of the branch then current"
    _assert_mirror_is_the_new_branch(
        env, engine, cursor, kept={r.kept_pledge}, dropped=set(), added={p.tx_hash for p in added}
    )


def _recording(write_batch: Callable[..., None], calls: list[int]) -> Callable[..., None]:
    def record(*args: Any, **kwargs: Any) -> None:
        calls.append(kwargs["block_number"])
        write_batch(*args, **kwargs)

    return record


# ─── how deep a reorganisation may go ────────────────────────────────────────────────────────────────


def test_a_reorg_as_deep_as_the_finality_depth_is_undone(env: LedgerEnv, engine: Engine) -> None:
    r = _open_round(env)
    dropped = _pledge_blocks(env, r, 3)
    config = IndexerConfig(finality=3)
    run_indexer(env, engine, config)
    head = env.w3.eth.block_number
    added = _sign_pledges(env, r, 3, at_block=head - 3)
    _anvil_reorg(env, 3, _spread(added, 3))
    _reindexed(env, engine, r, 1, dropped=dropped, added=added, config=config)


def test_a_reorg_deeper_than_the_finality_depth_stops_the_indexer_with_a_clear_error(
    env: LedgerEnv, engine: Engine
) -> None:
    r = _open_round(env)
    _pledge_blocks(env, r, 4)
    config = IndexerConfig(finality=3)
    before = run_indexer(env, engine, config)
    head = env.w3.eth.block_number
    _anvil_reorg(env, 4, _spread(_sign_pledges(env, r, 2, at_block=head - 4), 4))
    with pytest.raises(ReorgTooDeepError, match=r"deeper than the blocks kept .*--reset"):
        run_indexer(env, engine, config)
    after = MirrorStore(engine).cursor(env.w3.eth.chain_id)
    assert after is not None
    assert (after.block_number, after.block_hash, after.reorgs) == (
        before.block_number,
        before.block_hash,
        before.reorgs,
    ), "nothing is rolled back on a guess"
    cursor = run_indexer(env, engine, config, reset=True)
    assert cursor.block_hash == _head_hash(env)
    assert_mirror_matches_chain(env, engine)
