"""The ledger's timelock mirrored beside it (``deploy_local``'s set-up): its operations' events, exactly and
only from the timelock, and the pending operations read from them — decoded, ready or not, gone once
executed or cancelled — also in the reconciliation, idempotently and across a reorganisation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select, update

from ledger.compiler import Build
from ledger.db.models import (
    TIMELOCK_EVENT_TABLES,
    IndexerCursor,
    RoleGranted,
    TimelockCallScheduled,
)
from ledger.errors import ChainResetError
from ledger.governance.timelock import CANCELLER_ROLE, Call
from ledger.indexer.rpc import RpcClient
from ledger.indexer.runner import Indexer, LedgerSource
from tests.indexer.governed import CAMPAIGNS, GovernedChain, governed_chain
from tests.indexer.support import contract_events, mirror_events, mirrored_kinds, pending, pending_findings
from tests.support.chain import reverted


@pytest.fixture(scope="module")
def _governed(build: Build) -> Iterator[GovernedChain]:
    yield from governed_chain(build)


@pytest.fixture
def chain(_governed: GovernedChain) -> Iterator[GovernedChain]:
    """This module's set-up, reverted after each test."""
    with reverted(_governed) as governed:
        yield governed


def _pending_findings(engine: Engine, campaign_id: int) -> list[str]:
    return [f.message for f in pending_findings(engine, campaign_id)]


def _assert_mirror_is_the_chain(chain: GovernedChain, engine: Engine) -> None:
    start = chain.deployment.block_number
    chain_id = chain.w3.eth.chain_id
    assert mirror_events(engine, chain_id) == contract_events(chain.w3, chain.ledger, start)
    expected = contract_events(chain.w3, chain.timelock, start, TIMELOCK_EVENT_TABLES)
    assert mirror_events(engine, chain_id, TIMELOCK_EVENT_TABLES) == expected


def test_the_timelocks_operations_are_mirrored_exactly_and_its_roles_stay_out_of_the_ledgers(
    chain: GovernedChain, engine: Engine
) -> None:
    new_canceller = chain.outsider.address
    chain.governance.run([chain.timelock_call("grantRole", CANCELLER_ROLE, new_canceller)], chain.advance)
    executed, _ = chain.schedule(chain.calls.set_manager(1, chain.outsider.address))
    chain.execute(executed)
    cancelled, _ = chain.schedule(chain.calls.pause_campaign(2))
    chain.cancel_as_guardian(cancelled)
    chain.index(engine)

    _assert_mirror_is_the_chain(chain, engine)
    # The timelock's MinDelayChange is emitted by its constructor, before the ledger's block.
    assert mirrored_kinds(engine, TIMELOCK_EVENT_TABLES) == set(TIMELOCK_EVENT_TABLES) - {"MinDelayChange"}
    with engine.connect() as conn:
        granted = conn.execute(select(RoleGranted.contract, RoleGranted.account)).all()
    # The timelock granted CANCELLER_ROLE in the mirrored blocks; only the ledger's grants are its roles.
    assert {contract for contract, _ in granted} <= {chain.ledger.address}
    assert new_canceller not in {account for _, account in granted}


def test_a_scheduled_operation_is_pending_decoded_until_it_is_executed(
    chain: GovernedChain, engine: Engine
) -> None:
    new_manager = chain.outsider.address
    operation, receipt = chain.schedule(
        chain.calls.set_manager(1, new_manager), chain.calls.pause_campaign(1)
    )
    scheduled_at = int(chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"])
    chain.index(engine)

    [change] = pending(engine)
    assert change.kind == "timelock_operation"
    assert change.operation is not None and change.operation.operation_id == "0x" + operation.id.hex()
    assert change.campaign_ids == (1,) and not change.all_campaigns
    delay = chain.governance.timelock.min_delay()
    assert (change.effective_at, change.ready) == (scheduled_at + delay, False)
    first, second = change.operation.calls
    assert (first.index, first.target_name, second.index) == (0, "ledger", 1)
    assert first.function is not None and first.function.name == "setManager"
    assert [(a.name, a.value) for a in first.function.arguments] == [
        ("campaignId", "1"),
        ("newManager", new_manager),
    ]
    assert second.function is not None and second.function.signature == "pauseCampaign(uint256)"
    assert change.description.startswith(
        f"Timelock will call setManager(campaign 1, {new_manager[:6]}…{new_manager[-4:]}) and "
        "pauseCampaign(campaign 1) from "
    )
    assert pending(engine, 2) == []
    assert _pending_findings(engine, 1) == [change.description]
    assert _pending_findings(engine, 2) == []

    chain.advance(delay + 1)  # ready, not executed yet
    chain.index(engine)
    [ready] = pending(engine)
    assert ready.ready and ready.description.startswith("Timelock can call setManager(")
    assert _pending_findings(engine, 1) == [ready.description]

    chain.execute(operation)
    chain.index(engine)
    assert pending(engine) == []
    assert _pending_findings(engine, 1) == []
    assert chain.f.campaign(1).call()[0] == new_manager


def test_an_operation_cancelled_by_the_guardian_is_no_longer_pending(
    chain: GovernedChain, engine: Engine
) -> None:
    auditor_role = chain.f.AUDITOR_ROLE().call()
    operation, _ = chain.schedule(chain.calls.grant_role(auditor_role, chain.outsider.address))
    chain.index(engine)
    [change] = pending(engine)
    assert change.all_campaigns and change.campaign_ids == ()
    for campaign_id in CAMPAIGNS:  # a role touches every campaign
        assert pending(engine, campaign_id) == [change]
        assert _pending_findings(engine, campaign_id) == [change.description]

    chain.cancel_as_guardian(operation)
    chain.index(engine)
    assert pending(engine) == []
    for campaign_id in CAMPAIGNS:
        assert _pending_findings(engine, campaign_id) == []


def test_an_operation_scheduled_again_after_a_cancellation_is_pending_again(
    chain: GovernedChain, engine: Engine
) -> None:
    operation, _ = chain.schedule(chain.calls.set_manager(2, chain.outsider.address))
    chain.cancel_as_guardian(operation)
    chain.governance.schedule(operation)  # the same id again
    chain.index(engine)
    [change] = pending(engine)
    assert change.operation is not None and len(change.operation.calls) == 1
    assert change.campaign_ids == (2,)


def test_a_change_of_the_timelock_itself_is_decoded_with_its_abi_and_touches_every_campaign(
    chain: GovernedChain, engine: Engine
) -> None:
    chain.schedule(chain.timelock_call("updateDelay", 7 * 86_400))
    chain.index(engine)
    [change] = pending(engine)
    assert change.all_campaigns
    assert change.operation is not None
    [call] = change.operation.calls
    assert call.target_name == "timelock"
    assert call.function is not None and call.function.text() == "updateDelay(604800)"
    assert "updateDelay(604800) on the timelock" in change.description


def test_a_call_to_another_contract_is_listed_undecoded_for_every_campaign(
    chain: GovernedChain, engine: Engine
) -> None:
    feed = chain.deployment.tokens["ETH"].feed
    chain.schedule(Call(feed, bytes.fromhex("12345678")))
    chain.index(engine)
    [change] = pending(engine)
    assert change.all_campaigns
    assert change.operation is not None and change.operation.calls[0].function is None
    assert f"0x12345678 on {feed[:6]}…{feed[-4:]} (not decoded)" in change.description


def test_indexing_again_changes_nothing_and_a_reorg_drops_the_operation(
    chain: GovernedChain, engine: Engine
) -> None:
    chain_id = chain.w3.eth.chain_id
    before_schedule = chain.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    chain.schedule(chain.calls.set_manager(1, chain.outsider.address))
    chain.index(engine)
    mirrored = mirror_events(engine, chain_id, TIMELOCK_EVENT_TABLES)
    assert len(pending(engine)) == 1
    chain.index(engine)
    with engine.begin() as conn:  # as if the last batches had been stored but the cursor not moved
        conn.execute(
            update(IndexerCursor)
            .where(IndexerCursor.chain_id == chain_id)
            .values(block_number=chain.deployment.block_number + 1, block_hash=None)
        )
    chain.index(engine)
    assert mirror_events(engine, chain_id, TIMELOCK_EVENT_TABLES) == mirrored
    assert len(pending(engine)) == 1

    # Another branch from before the scheduling, longer than the mirrored one: the operation never was.
    chain.w3.provider.make_request("evm_revert", [before_schedule])  # type: ignore[arg-type]
    chain.deployer.reset_nonce()
    for _ in range(4):
        chain.advance(1)
    cursor = chain.index(engine)
    assert cursor.reorgs == 1
    _assert_mirror_is_the_chain(chain, engine)
    with engine.connect() as conn:
        scheduled = conn.execute(select(func.count()).select_from(TimelockCallScheduled)).scalar()
    assert scheduled == [name for name, _ in mirrored].count("CallScheduled") - 1
    assert pending(engine) == []


def test_a_mirror_started_without_the_timelock_asks_for_a_reset(chain: GovernedChain, engine: Engine) -> None:
    without = LedgerSource(
        chain.deployment.ledger, chain.deployment.block_number, chain.build["PledgeLedger"].abi
    )
    with RpcClient(chain.node.rpc_url, give_up_after=30) as rpc:
        Indexer(rpc, engine, without).run(once=True)
        with pytest.raises(ChainResetError, match=r"no timelock.*--reset"):
            Indexer(rpc, engine, chain.source()).run(once=True)
    cursor = chain.index(engine, reset=True)
    assert cursor.timelock == chain.deployment.timelock
    _assert_mirror_is_the_chain(chain, engine)
