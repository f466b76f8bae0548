"""The guardian's protective actions, which take effect at once: pauseCampaign and unpauseCampaign (they stop
and resume disbursements, nothing else), and cancelCampaign. Who may take them is in test_roles.py; revoking a
supplier is in test_suppliers_and_disbursements.py."""

from __future__ import annotations

import pytest

from tests.contracts.support import (
    CANCELLED,
    FAILED,
    SUCCEEDED,
    approve_supplier,
    close,
    disburse,
    end_round,
    events,
    failed_aon_round,
    only_event,
    succeeded_round,
)
from tests.support.chain import LedgerEnv, reverts
from tests.support.units import ETH, USD

PAUSED = 4  # index of the paused flag in the campaign view
REPORT = b"\x5a" * 32


def funded_campaign(env: LedgerEnv) -> int:
    """A campaign with 1 ETH and 100 USDC spendable and the supplier approved."""
    c = env.create_campaign()
    succeeded_round(env, c, [(env.donors[0], "ETH", 10**18), (env.donors[1], "USDC", 100 * 10**6)])
    approve_supplier(env, c)
    return c


@pytest.mark.parametrize("caller", ["guardian", "admin"])
def test_pause_and_unpause_emit_who_acted(env: LedgerEnv, caller: str) -> None:
    c = env.create_campaign()
    sender = getattr(env, caller)
    assert env.f.campaign(c).call()[PAUSED] is False
    receipt = sender.send(env.f.pauseCampaign(c))
    assert dict(only_event(env, receipt, "CampaignPaused")) == {"campaignId": c, "account": sender.address}
    assert env.f.campaign(c).call()[PAUSED] is True
    receipt = sender.send(env.f.unpauseCampaign(c))
    assert dict(only_event(env, receipt, "CampaignUnpaused")) == {"campaignId": c, "account": sender.address}
    assert env.f.campaign(c).call()[PAUSED] is False


def test_guardian_pause_can_be_lifted_by_the_admin(env: LedgerEnv) -> None:
    c = env.create_campaign()
    env.guardian.send(env.f.pauseCampaign(c))
    receipt = env.admin.send(env.f.unpauseCampaign(c))
    assert only_event(env, receipt, "CampaignUnpaused")["account"] == env.admin.address


def test_pause_blocks_disbursements(env: LedgerEnv) -> None:
    c = funded_campaign(env)
    env.guardian.send(env.f.pauseCampaign(c))
    before = {s: env.balance(s, env.supplier.address) for s in ("ETH", "USDC")}
    for symbol in ("ETH", "USDC"):
        with reverts("LedgerCampaignPaused", c):
            disburse(env, c, symbol, 1)
    assert {s: env.balance(s, env.supplier.address) for s in ("ETH", "USDC")} == before
    assert env.f.tokenTotals(c, ETH).call() == (10**18, 0, 0, 10**18, 10**18)


def test_unpause_lets_disbursements_resume(env: LedgerEnv) -> None:
    c = funded_campaign(env)
    env.guardian.send(env.f.pauseCampaign(c))
    env.guardian.send(env.f.unpauseCampaign(c))
    disburse(env, c, "USDC", 40 * 10**6)
    assert env.balance("USDC", env.supplier.address) == 40 * 10**6


def test_pledges_and_closes_go_on_while_paused(env: LedgerEnv) -> None:
    c = funded_campaign(env)
    env.guardian.send(env.f.pauseCampaign(c))
    r = env.open_round(c, goal_usd=100 * USD)
    env.pledge(env.donors[2], c, r, "USDC", 100 * 10**6)
    receipt = close(env, c, r)
    assert only_event(env, receipt, "RoundClosed")["outcome"] == SUCCEEDED
    r = env.open_round(c, goal_usd=10**6 * USD)
    env.pledge(env.donors[2], c, r, "ETH", 10**17)
    end_round(env, c, r)
    receipt = env.outsider.send(env.f.closeRound(c, r))
    assert only_event(env, receipt, "RoundClosed")["outcome"] == FAILED
    assert env.f.tokenTotals(c, env.token_address("USDC")).call()[4] == 200 * 10**6


def test_refunds_go_on_while_paused(env: LedgerEnv) -> None:
    c = env.create_campaign()
    d0, d1 = env.donors[0], env.donors[1]
    r = failed_aon_round(env, c, [(d0, "ETH", 10**17), (d1, "USDC", 10**6)])
    env.guardian.send(env.f.pauseCampaign(c))
    d0.send(env.f.claimRefund(c, r, ETH))
    receipt = env.outsider.send(env.f.pushRefunds(c, r, env.token_address("USDC"), [d1.address]))
    assert only_event(env, receipt, "Refunded")["amount"] == 10**6
    assert env.balance_of_ledger("ETH") == env.balance_of_ledger("USDC") == 0


def test_supplier_vetting_and_attestations_go_on_while_paused(env: LedgerEnv) -> None:
    c = funded_campaign(env)
    env.guardian.send(env.f.pauseCampaign(c))
    env.manager.send(env.f.approveSupplier(c, env.outsider.address, b"\x0c" * 32))
    env.manager.send(env.f.revokeSupplier(c, env.outsider.address))
    env.auditor.send(env.f.attestReport(c, REPORT, 1, ""))
    assert env.f.attestedAt(c, REPORT, env.auditor.address).call() > 0


def test_a_paused_campaign_can_be_cancelled_and_refunded(env: LedgerEnv) -> None:
    c = funded_campaign(env)
    r = env.open_round(c, goal_usd=10**6 * USD)
    env.pledge(env.donors[2], c, r, "ETH", 10**17)
    env.guardian.send(env.f.pauseCampaign(c))
    receipt = env.guardian.send(env.f.cancelCampaign(c))
    assert only_event(env, receipt, "RoundClosed")["outcome"] == CANCELLED
    env.donors[2].send(env.f.claimRefund(c, r, ETH))
    receipt = env.outsider.send(env.f.pushRefunds(c, 1, ETH, [env.donors[0].address]))
    assert only_event(env, receipt, "Refunded")["amount"] == 10**18
    # Pausing and unpausing stay possible after the cancellation; disbursing does not.
    env.guardian.send(env.f.unpauseCampaign(c))
    with reverts("LedgerCampaignCancelled", c):
        disburse(env, c, "USDC", 1)


def test_pause_reverts_when_already_paused(env: LedgerEnv) -> None:
    c = env.create_campaign()
    env.guardian.send(env.f.pauseCampaign(c))
    with reverts("LedgerCampaignPaused", c):
        env.guardian.send(env.f.pauseCampaign(c))
    with reverts("LedgerCampaignPaused", c):
        env.admin.send(env.f.pauseCampaign(c))


def test_unpause_reverts_when_not_paused(env: LedgerEnv) -> None:
    c = env.create_campaign()
    with reverts("LedgerCampaignNotPaused", c):
        env.guardian.send(env.f.unpauseCampaign(c))
    env.guardian.send(env.f.pauseCampaign(c))
    env.guardian.send(env.f.unpauseCampaign(c))
    with reverts("LedgerCampaignNotPaused", c):
        env.admin.send(env.f.unpauseCampaign(c))


@pytest.mark.parametrize("function", ["pauseCampaign", "unpauseCampaign", "cancelCampaign"])
def test_guardian_actions_revert_on_unknown_campaign(env: LedgerEnv, function: str) -> None:
    env.create_campaign(())
    with reverts("LedgerUnknownCampaign", 2):
        env.guardian.send(getattr(env.f, function)(2))
    with reverts("LedgerUnknownCampaign", 0):
        env.guardian.send(getattr(env.f, function)(0))


def test_pausing_one_campaign_leaves_others_paying(env: LedgerEnv) -> None:
    c1, c2 = funded_campaign(env), funded_campaign(env)
    env.guardian.send(env.f.pauseCampaign(c1))
    disburse(env, c2, "USDC", 10**6)
    with reverts("LedgerCampaignPaused", c1):
        disburse(env, c1, "USDC", 10**6)
    assert env.f.campaign(c2).call()[PAUSED] is False


def test_guardian_actions_move_no_funds(env: LedgerEnv) -> None:
    c = funded_campaign(env)
    held = {s: env.balance_of_ledger(s) for s in ("ETH", "USDC")}
    guardian_eth = env.balance("ETH", env.guardian.address)
    receipts = [
        env.guardian.send(env.f.pauseCampaign(c)),
        env.guardian.send(env.f.revokeSupplier(c, env.supplier.address)),
        env.guardian.send(env.f.unpauseCampaign(c)),
        env.guardian.send(env.f.cancelCampaign(c)),
    ]
    for receipt in receipts:
        assert events(env, receipt, "Disbursed") == events(env, receipt, "Refunded") == []
    assert {s: env.balance_of_ledger(s) for s in ("ETH", "USDC")} == held
    assert env.balance("USDC", env.guardian.address) == 0
    assert env.balance("ETH", env.guardian.address) < guardian_eth  # it paid the gas, and received nothing
