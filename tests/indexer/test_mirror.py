"""The SQL mirror equals the chain, on SQLite and PostgreSQL, however often and from wherever it is run."""

from __future__ import annotations

from sqlalchemy import Engine, func, select, update

from ledger.db.models import EVENT_TABLES, IndexerCursor, Pledged
from ledger.indexer.runner import IndexerConfig
from tests.indexer.support import (
    assert_mirror_matches_chain,
    busy_life,
    mirror_events,
    mirrored_kinds,
    run_indexer,
    some_pledges,
)
from tests.support.chain import LedgerEnv


def test_mirror_equals_the_chain_after_a_busy_campaign_life(env: LedgerEnv, engine: Engine) -> None:
    busy_life(env)
    cursor = run_indexer(env, engine)
    assert cursor.block_number == env.w3.eth.block_number
    assert cursor.lag == 0
    assert_mirror_matches_chain(env, engine)
    kinds = mirrored_kinds(engine, EVENT_TABLES)
    # Every event kind was produced and mirrored, but two the life does not provoke: RoleAdminChanged (the
    # ledger never changes a role's admin) and RefundDeferred (needs a donor contract rejecting ETH).
    assert kinds == set(EVENT_TABLES) - {"RoleAdminChanged", "RefundDeferred"}


def test_indexing_in_many_small_steps_gives_the_same_mirror(env: LedgerEnv, engine: Engine) -> None:
    ids = busy_life(env)
    run_indexer(env, engine)
    r = env.open_round(ids["c1"])
    for step in range(4):
        some_pledges(env, ids["c1"], r, 3, offset=step * 3)
        run_indexer(env, engine, IndexerConfig(target_logs=2))  # tiny batches
    assert_mirror_matches_chain(env, engine)


def test_running_again_changes_nothing(env: LedgerEnv, engine: Engine) -> None:
    busy_life(env)
    run_indexer(env, engine)
    before = mirror_events(engine, env.w3.eth.chain_id)
    cursor = run_indexer(env, engine)
    assert mirror_events(engine, env.w3.eth.chain_id) == before
    assert cursor.block_number == env.w3.eth.block_number


def test_indexing_again_from_an_older_cursor_changes_nothing(env: LedgerEnv, engine: Engine) -> None:
    busy_life(env)
    run_indexer(env, engine)
    chain_id = env.w3.eth.chain_id
    before = mirror_events(engine, chain_id)
    with engine.begin() as conn:  # as if the last batches had been stored but the cursor not moved
        conn.execute(
            update(IndexerCursor)
            .where(IndexerCursor.chain_id == chain_id)
            .values(block_number=env.deployment.block_number + 3, block_hash=None)
        )
    run_indexer(env, engine)
    assert mirror_events(engine, chain_id) == before
    assert_mirror_matches_chain(env, engine)


def test_mirror_follows_new_activity_after_catching_up(env: LedgerEnv, engine: Engine) -> None:
    ids = busy_life(env)
    run_indexer(env, engine)
    r = env.open_round(ids["c1"])
    some_pledges(env, ids["c1"], r, 5)
    cursor = run_indexer(env, engine)
    assert cursor.block_number == env.w3.eth.block_number
    with engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).select_from(Pledged).where(Pledged.round_id == r)).scalar() == 5
        )
    assert_mirror_matches_chain(env, engine)


def test_confirmations_keep_the_newest_blocks_out(env: LedgerEnv, engine: Engine) -> None:
    busy_life(env)
    head = env.w3.eth.block_number
    cursor = run_indexer(env, engine, IndexerConfig(confirmations=3))
    assert cursor.block_number == head - 3
    assert cursor.head_block == head
    assert cursor.lag == 3
