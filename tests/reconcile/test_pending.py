"""Pending changes of the ledger itself (its admin a plain account here; the timelock's operations are in
tests/indexer/test_timelock.py): supplier approvals in their delay, admin transfers and delay changes, each
a ``pending_change`` warning in the reports of the campaigns it touches until it is in force."""

from __future__ import annotations

import json

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ledger.compiler import Build
from ledger.contract_abi import PACKAGED, abi_json, abi_path
from ledger.reconcile import reconcile_campaign
from ledger.reconcile.calls import CallDecoder
from ledger.reconcile.changes import utc_text
from tests.contracts.support import RECORD
from tests.indexer.support import busy_life, pending, pending_findings, run_indexer
from tests.support.chain import LedgerEnv
from tests.support.units import DAY


def _warnings(engine: Engine, campaign_id: int) -> list[str]:
    found = pending_findings(engine, campaign_id)
    assert all(f.severity == "warning" for f in found)
    return [f.message for f in found]


def test_a_supplier_approval_is_pending_until_the_campaigns_delay_has_passed(
    env: LedgerEnv, engine: Engine
) -> None:
    delayed = env.create_campaign(("ETH",), supplier_delay=3 * DAY)
    immediate = env.create_campaign(("ETH",))
    receipt = env.manager.send(env.f.approveSupplier(delayed, env.supplier.address, RECORD))
    env.manager.send(env.f.approveSupplier(immediate, env.supplier.address, RECORD))
    approved_at = int(env.w3.eth.get_block(receipt["blockNumber"])["timestamp"])
    run_indexer(env, engine)

    [change] = pending(engine)
    supplier = env.supplier.address
    assert (change.kind, change.campaign_ids, change.all_campaigns) == (
        "supplier_approval",
        (delayed,),
        False,
    )
    assert (change.effective_at, change.ready, change.supplier) == (approved_at + 3 * DAY, False, supplier)
    assert change.record_hash == "0x" + RECORD.hex()
    assert change.description == (
        f"Supplier {supplier[:6]}…{supplier[-4:]} approved for campaign {delayed} takes effect "
        f"{utc_text(approved_at + 3 * DAY)}"
    )
    assert change.scheduled.tx_hash == receipt["transactionHash"].to_0x_hex()
    assert pending(engine, immediate) == []
    assert _warnings(engine, delayed) == [change.description]
    assert _warnings(engine, immediate) == []

    env.advance(3 * DAY - 60)  # not yet
    run_indexer(env, engine)
    assert pending(engine) == [change]
    env.advance(60)
    run_indexer(env, engine)
    assert pending(engine) == []
    assert _warnings(engine, delayed) == []


def test_a_revoked_approval_is_not_pending_and_a_new_one_restarts_the_delay(
    env: LedgerEnv, engine: Engine
) -> None:
    campaign = env.create_campaign(("ETH",), supplier_delay=DAY)
    env.manager.send(env.f.approveSupplier(campaign, env.supplier.address, RECORD))
    env.guardian.send(env.f.revokeSupplier(campaign, env.supplier.address))
    run_indexer(env, engine)
    assert pending(engine) == []

    env.manager.send(env.f.approveSupplier(campaign, env.supplier.address, RECORD))
    env.advance(DAY // 2)
    receipt = env.manager.send(env.f.approveSupplier(campaign, env.supplier.address, b"\x0d" * 32))
    run_indexer(env, engine)
    [change] = pending(engine)
    assert change.scheduled.tx_hash == receipt["transactionHash"].to_0x_hex()
    assert change.record_hash == "0x" + "0d" * 32
    assert len(_warnings(engine, campaign)) == 1


def test_the_pending_list_is_as_of_the_reports_block(env: LedgerEnv, engine: Engine) -> None:
    """The report's block, not the chain's head: the same mirror gives the same report hash."""
    campaign = env.create_campaign(("ETH",), supplier_delay=DAY)
    env.manager.send(env.f.approveSupplier(campaign, env.supplier.address, RECORD))
    run_indexer(env, engine)
    with Session(engine) as s:
        before = reconcile_campaign(s, campaign_id=campaign)
    env.advance(2 * DAY)  # in force on chain, not in the mirror yet
    with Session(engine) as s:
        again = reconcile_campaign(s, campaign_id=campaign)
    assert again.report_hash == before.report_hash
    assert [f.kind for f in again.findings].count("pending_change") == 1


def test_an_admin_transfer_is_pending_for_every_campaign_until_accepted(
    env: LedgerEnv, engine: Engine
) -> None:
    first, second = env.create_campaign(("ETH",)), env.create_campaign(("ETH",))
    env.admin.send(env.f.beginDefaultAdminTransfer(env.outsider.address))
    accept_at = env.f.pendingDefaultAdmin().call()[1]
    run_indexer(env, engine)
    [change] = pending(engine)
    assert (change.kind, change.all_campaigns, change.new_admin) == (
        "admin_transfer",
        True,
        env.outsider.address,
    )
    assert (change.effective_at, change.ready) == (accept_at, False)
    assert "can be accepted from" in change.description
    for campaign in (first, second):
        assert _warnings(engine, campaign) == [change.description]

    env.advance(accept_at - env.now() + 1)
    run_indexer(env, engine)
    [ready] = pending(engine)
    assert ready.ready and "can be accepted now" in ready.description

    env.outsider.send(env.f.acceptDefaultAdminTransfer())
    run_indexer(env, engine)
    assert pending(engine) == []
    assert _warnings(engine, first) == []


def test_a_cancelled_or_replaced_admin_transfer_is_not_pending(env: LedgerEnv, engine: Engine) -> None:
    env.create_campaign(("ETH",))
    env.admin.send(env.f.beginDefaultAdminTransfer(env.outsider.address))
    env.admin.send(env.f.beginDefaultAdminTransfer(env.auditor.address))  # replaces the first
    run_indexer(env, engine)
    assert [c.new_admin for c in pending(engine)] == [env.auditor.address]
    env.admin.send(env.f.cancelDefaultAdminTransfer())
    run_indexer(env, engine)
    assert pending(engine) == []


def test_an_admin_delay_change_is_pending_until_it_takes_effect(env: LedgerEnv, engine: Engine) -> None:
    campaign = env.create_campaign(("ETH",))
    env.admin.send(env.f.changeDefaultAdminDelay(3 * DAY))
    effect_at = env.f.pendingDefaultAdminDelay().call()[1]
    run_indexer(env, engine)
    [change] = pending(engine)
    assert (change.kind, change.new_delay, change.effective_at) == ("admin_delay_change", 3 * DAY, effect_at)
    assert change.description.startswith("The admin transfer delay becomes 3 days at ")
    assert _warnings(engine, campaign) == [change.description]
    env.advance(effect_at - env.now() + 1)
    run_indexer(env, engine)
    assert pending(engine) == []


def test_the_reference_activity_leaves_nothing_pending(env: LedgerEnv, engine: Engine) -> None:
    """Every change of a life with no supplier delay is in force at once: no warning anywhere."""
    ids = busy_life(env)
    run_indexer(env, engine)
    assert pending(engine) == []
    for campaign in (ids["c1"], ids["c2"]):
        assert _warnings(engine, campaign) == []


# ─── decoding calls ────────────────────────────────────────────────────────────────────────────────────


def test_the_packaged_abis_are_the_compiled_ones(build: Build) -> None:
    """ledger/abi/*.json: regenerate with `python -m ledger.contract_abi` after the contracts change."""
    for name in PACKAGED:
        assert abi_path(name).read_text() == abi_json(build[name].abi), name
        assert json.loads(abi_path(name).read_text()) == build[name].abi


def test_calls_decode_with_the_abi_or_not_at_all(env: LedgerEnv) -> None:
    decoder = CallDecoder(env.build["PledgeLedger"].abi)
    data = env.ledger.encode_abi("pushRefunds", [3, 1, env.supplier.address, [env.donors[0].address]])
    decoded = decoder.decode(data)
    assert decoded is not None and decoded.campaign_id == 3
    assert decoded.argument("donors") == [env.donors[0].address]
    assert decoded.text().startswith("pushRefunds(campaign 3, 1, ") and decoded.text().endswith(", [1 item])")
    assert decoder.decode("0x12345678") is None  # no such function
    assert decoder.decode(data[:20]) is None  # truncated arguments
    assert decoder.decode("0xzz") is None
    assert decoder.decode("0x") is None
