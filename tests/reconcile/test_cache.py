"""A server's cache gives the same reports as computing afresh: kept while nothing changes, brought up to
date by the blocks since (or recomputed) when the mirror moves, recomputed when a record is written."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, insert, update
from sqlalchemy.orm import Session

from ledger.db.models import Block, CampaignCreated, IndexerCursor, Pledged, Refunded, RoundOpened
from ledger.reads import aggregates
from ledger.reads.mirror import mirror_position
from ledger.reads.tokens import ledger_held
from ledger.reconcile import MirrorVerifier, ReconcileCache, donor_view, reconcile_campaign
from tests.contracts.support import RECORD, unit
from tests.reconcile.support import add_order, index, reference_campaign
from tests.support.chain import LedgerEnv
from tests.support.units import DAY, ETH, USD


def cached(engine: Engine, cache: ReconcileCache, campaign_id: int, **kwargs: Any) -> Any:
    with Session(engine) as s:
        return reconcile_campaign(s, campaign_id=campaign_id, cache=cache, **kwargs)


def fresh(engine: Engine, campaign_id: int, **kwargs: Any) -> Any:
    with Session(engine) as s:
        return reconcile_campaign(s, campaign_id=campaign_id, **kwargs)


def test_a_kept_report_is_served_until_the_mirror_or_the_records_change(
    env: LedgerEnv, engine: Engine
) -> None:
    ref = reference_campaign(env, engine)
    cache = ReconcileCache()
    first = cached(engine, cache, ref.campaign_id, verifier=MirrorVerifier(env.ledger))
    again = cached(engine, cache, ref.campaign_id, verifier=MirrorVerifier(env.ledger))
    assert not first.generated_from.from_cache and first.chain_check.status == "verified"
    assert again.generated_from.from_cache is False  # another verifier: another report
    kept = cached(engine, cache, ref.campaign_id)
    assert cached(engine, cache, ref.campaign_id).generated_from.from_cache
    assert kept.report_hash == fresh(engine, ref.campaign_id).report_hash

    # A record written through the service: the report is made again.
    add_order(
        engine,
        campaign_id=ref.campaign_id,
        supplier_id=ref.supplier_id,
        reference="FCSSC-PO-2020-002",
        token=env.token_address("DAI"),
        amount=unit("DAI"),
        lines=[("face shield", 10, "piece", Decimal("2"), "USD")],
    )
    after_order = cached(engine, cache, ref.campaign_id)
    assert [f.kind for f in after_order.findings] == ["order_unpaid"]
    assert after_order.report_hash == fresh(engine, ref.campaign_id).report_hash

    # New blocks indexed: the pledge aggregates are brought up to date from the blocks since.
    env.refresh_feeds()
    round_id = env.open_round(ref.campaign_id, goal_usd=1_000 * USD, days=7)
    env.pledge(env.donors[3], ref.campaign_id, round_id, "USDC", 5_000 * unit("USDC"))
    env.pledge(env.donors[0], ref.campaign_id, round_id, "DAI", 10 * unit("DAI"))
    index(env, engine)
    moved = cached(engine, cache, ref.campaign_id)
    assert cache.last == "delta"
    assert (moved.donors, moved.pledges) == (4, 5)
    assert moved.report_hash == fresh(engine, ref.campaign_id).report_hash
    with Session(engine) as s:
        donor = env.donors[0].address
        assert donor_view(s, campaign_id=ref.campaign_id, donor=donor, cache=cache) == donor_view(
            s, campaign_id=ref.campaign_id, donor=donor
        )


def test_an_unreachable_check_is_not_kept(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    cache = ReconcileCache()
    verifier = MirrorVerifier.from_rpc("http://127.0.0.1:9", timeout=2)
    for _ in range(2):
        report = cached(engine, cache, ref.campaign_id, verifier=verifier)
        assert report.chain_check.status == "unreachable" and not report.generated_from.from_cache


# ─── the aggregates, block by block, against a full computation ────────────────────────────────────────

CHAIN = 31337
CONTRACT = "0x" + "cd" * 20
TOKENS = ("0x" + "00" * 20, "0x" + "ab" * 20)


def _event(block: int, index: int) -> dict[str, Any]:
    return {
        "chain_id": CHAIN,
        "contract": CONTRACT,
        "block_number": block,
        "block_hash": f"0x{block:064x}",
        "block_timestamp": 1_700_000_000 + block,
        "tx_hash": f"0x{block * 1000 + index:064x}",
        "tx_index": 0,
        "log_index": index,
    }


def _mirror_block(engine: Engine, block: int, pledges: list[tuple[int, int, int, int]], refunds: int) -> None:
    """Store one block's pledges (round, donor, token, amount) and refunds, and move the cursor to it, as
    the indexer does: rows, header and cursor in one transaction."""
    with engine.begin() as conn:
        rows = [
            {
                **_event(block, i),
                "campaign_id": 1,
                "round_id": round_id,
                "donor": f"0x{donor + 1:040x}",
                "token": TOKENS[token],
                "amount": amount,
                "usd_value": amount * 3,
                "price": 3,
            }
            for i, (round_id, donor, token, amount) in enumerate(pledges)
        ]
        if rows:
            conn.execute(insert(Pledged), rows)
        if refunds:
            conn.execute(
                insert(Refunded),
                [
                    {
                        **_event(block, 500 + i),
                        "campaign_id": 1,
                        "round_id": 1,
                        "donor": f"0x{i + 1:040x}",
                        "token": TOKENS[0],
                        "amount": 7,
                        "caller": CONTRACT,
                    }
                    for i in range(refunds)
                ],
            )
        conn.execute(
            insert(Block),
            [
                {
                    "chain_id": CHAIN,
                    "number": block,
                    "hash": f"0x{block:064x}",
                    "parent_hash": "0x",
                    "timestamp": 0,
                }
            ],
        )
        conn.execute(update(IndexerCursor).values(block_number=block, block_hash=f"0x{block:064x}"))


blocks_strategy = st.lists(
    st.tuples(
        st.lists(
            st.tuples(st.integers(1, 3), st.integers(0, 9), st.integers(0, 1), st.integers(1, 10**30)),
            max_size=8,
        ),
        st.integers(0, 2),
        st.booleans(),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blocks=blocks_strategy)
def test_aggregates_brought_up_to_date_equal_a_full_computation(
    engine: Engine, blocks: list[tuple[list[tuple[int, int, int, int]], int, bool]]
) -> None:
    with engine.begin() as conn:
        for model in (Pledged, Refunded, Block, IndexerCursor, CampaignCreated, RoundOpened):
            conn.execute(delete(model))
        conn.execute(
            insert(IndexerCursor),
            [
                {
                    "chain_id": CHAIN,
                    "contract": CONTRACT,
                    "genesis_hash": "0x" + "00" * 32,
                    "start_block": 0,
                    "block_number": 0,
                    "block_hash": None,
                    "head_block": 0,
                    "finalized_block": 0,
                    "confirmations": 0,
                    "reorgs": 0,
                    "updated_at": datetime.now(UTC),
                }
            ],
        )
    cache = ReconcileCache()
    for number, (pledges, refunds, look) in enumerate(blocks, start=1):
        _mirror_block(engine, number, pledges, refunds)
        if not look and number < len(blocks):
            continue  # the cache sees the mirror only now and then, and catches up over several blocks
        with Session(engine) as s:
            pos = mirror_position(s, CHAIN)
            assert cache.campaign(s, pos, 1) == aggregates.compute(s, pos, 1)
            assert cache.ledger_held(s, pos) == ledger_held(s, pos)


def test_kept_pending_changes_follow_the_mirror_not_the_records(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    cache = ReconcileCache()
    env.manager.send(env.f.approveSupplier(ref.campaign_id, env.outsider.address, RECORD))  # delay 0
    delayed = env.create_campaign(("ETH",), supplier_delay=2 * DAY)
    env.manager.send(env.f.approveSupplier(delayed, env.supplier.address, RECORD))
    index(env, engine)

    def warnings(campaign_id: int) -> list[str]:
        report = cached(engine, cache, campaign_id)
        assert report.report_hash == fresh(engine, campaign_id).report_hash
        return [f.kind for f in report.findings if f.kind == "pending_change"]

    assert warnings(delayed) == ["pending_change"]
    assert warnings(ref.campaign_id) == []
    # A record written: the report is made again, its pending changes (the mirror's) read from the cache.
    add_order(
        engine,
        campaign_id=delayed,
        supplier_id=ref.supplier_id,
        reference="FCSSC-PO-2020-003",
        token=ETH,
        amount=10**15,
        lines=[("face shield", 1, "piece", Decimal("2"), "USD")],
    )
    assert warnings(delayed) == ["pending_change"]
    # The delay passes on the chain and the mirror follows: the approval is in force, no warning.
    env.advance(2 * DAY)
    index(env, engine)
    assert warnings(delayed) == []
