"""Funding rounds: openRound, closeRound (the manager early once the goal is met; anyone after the end),
outcomes, and the round views."""

from __future__ import annotations

import pytest

from tests.contracts.support import (
    FAILED,
    OPEN,
    SUCCEEDED,
    approve_supplier,
    assert_round_closed,
    call_reverts,
    close,
    disburse,
    end_round,
    mine_at,
    only_event,
    round_end,
)
from tests.support.chain import LedgerEnv, reverts
from tests.support.units import DAY, ETH, USD


def test_open_round_stores_round_and_emits_event(env: LedgerEnv) -> None:
    c = env.create_campaign()
    start, end = env.now() + 100, env.now() + 7 * DAY
    call = env.f.openRound(c, start, end, 5_000 * USD, False)
    assert call.call({"from": env.manager.address}) == 1
    receipt = env.manager.send(call)
    assert dict(only_event(env, receipt, "RoundOpened")) == {
        "campaignId": c,
        "roundId": 1,
        "start": start,
        "end": end,
        "goalUsd": 5_000 * USD,
        "allOrNothing": False,
    }
    assert env.f.round(c, 1).call() == (start, end, OPEN, False, 5_000 * USD, 0)
    assert env.f.campaign(c).call()[2] == 1


def test_open_round_after_previous_closed_gets_next_id(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r1 = env.open_round(c, goal_usd=USD)
    env.pledge(env.donors[0], c, r1, "USDC", 10**6)
    close(env, c, r1)
    r2 = env.open_round(c)
    assert (r1, r2) == (1, 2)
    assert env.f.campaign(c).call()[2] == 2
    assert env.f.round(c, r2).call()[2] == OPEN


def test_round_ids_are_per_campaign(env: LedgerEnv) -> None:
    c1, c2 = env.create_campaign(), env.create_campaign()
    assert env.open_round(c1) == 1
    assert env.open_round(c2) == 1


def test_open_round_with_start_in_the_past_is_running(env: LedgerEnv) -> None:
    c = env.create_campaign(("ETH",))
    env.manager.send(env.f.openRound(c, 0, env.now() + DAY, USD, True))
    env.pledge(env.donors[0], c, 1, "ETH", 10**15)
    assert env.f.pledgeOf(c, 1, ETH, env.donors[0].address).call() == 10**15


def test_open_round_reverts_while_another_is_open(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    with reverts("LedgerRoundStillOpen", c, r):
        env.open_round(c)


def test_open_round_reverts_while_ended_round_awaits_closing(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    end_round(env, c, r)
    with reverts("LedgerRoundStillOpen", c, r):
        env.open_round(c)


def test_open_round_reverts_on_empty_window(env: LedgerEnv) -> None:
    c = env.create_campaign()
    t = env.now() + DAY
    with reverts("LedgerInvalidRoundWindow", t, t):
        env.manager.send(env.f.openRound(c, t, t, USD, True))
    with reverts("LedgerInvalidRoundWindow", t + 1, t):
        env.manager.send(env.f.openRound(c, t + 1, t, USD, True))


def test_open_round_reverts_when_end_not_in_future(env: LedgerEnv) -> None:
    c = env.create_campaign()
    now = env.now()  # gas estimates run at the latest block's time
    with reverts("LedgerInvalidRoundWindow", now - DAY, now):
        env.manager.send(env.f.openRound(c, now - DAY, now, USD, True))
    env.manager.send(env.f.openRound(c, now - DAY, now + 60, USD, True))


def test_open_round_reverts_on_zero_goal(env: LedgerEnv) -> None:
    c = env.create_campaign()
    now = env.now()
    with reverts("LedgerInvalidGoal", 0):
        env.manager.send(env.f.openRound(c, now, now + DAY, 0, True))


def test_open_round_reverts_on_cancelled_campaign(env: LedgerEnv) -> None:
    c = env.create_campaign()
    env.admin.send(env.f.cancelCampaign(c))
    now = env.now()
    with reverts("LedgerCampaignCancelled", c):
        env.manager.send(env.f.openRound(c, now, now + DAY, USD, True))


def test_open_round_reverts_on_unknown_campaign(env: LedgerEnv) -> None:
    now = env.now()
    with reverts("LedgerUnknownCampaign", 4):
        env.manager.send(env.f.openRound(4, now, now + DAY, USD, True))


def test_round_view_reverts_for_unknown_round(env: LedgerEnv) -> None:
    c = env.create_campaign()
    env.open_round(c)
    with call_reverts(env, "LedgerUnknownRound", c, 2):
        env.f.round(c, 2).call()
    with call_reverts(env, "LedgerUnknownRound", 9, 1):
        env.f.round(9, 1).call()


def test_close_round_early_once_goal_met(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c, goal_usd=100 * USD)
    env.pledge(env.donors[0], c, r, "USDC", 60 * 10**6)
    env.pledge(env.donors[1], c, r, "DAI", 40 * 10**18)  # exactly the goal
    assert env.f.closeRound(c, r).call({"from": env.manager.address}) == SUCCEEDED
    receipt = close(env, c, r)
    assert_round_closed(env, receipt, c, r, SUCCEEDED, 100 * USD)
    assert env.f.round(c, r).call()[2] == SUCCEEDED
    assert env.f.tokenTotals(c, env.token_address("USDC")).call() == (
        60 * 10**6,
        0,
        0,
        60 * 10**6,
        60 * 10**6,
    )
    assert env.f.tokenTotals(c, env.token_address("DAI")).call()[4] == 40 * 10**18


def test_close_round_reverts_before_end_when_goal_not_met(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c, goal_usd=100 * USD)
    env.pledge(env.donors[0], c, r, "USDC", 100 * 10**6 - 1)  # one base unit short
    end = round_end(env, c, r)
    with reverts("LedgerRoundNotEnded", c, r, end):
        close(env, c, r)
    mine_at(env, end - 1)
    with call_reverts(env, "LedgerRoundNotEnded", c, r, end):
        env.f.closeRound(c, r).call({"from": env.manager.address})
    mine_at(env, end)  # the end is exclusive: closable from this second on
    assert env.f.closeRound(c, r).call({"from": env.manager.address}) == FAILED


def test_all_or_nothing_round_that_misses_goal_fails_and_is_not_spendable(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c, goal_usd=1_000 * USD, aon=True)
    env.pledge(env.donors[0], c, r, "ETH", 10**17)  # 200 USD
    end_round(env, c, r)
    receipt = close(env, c, r)
    assert_round_closed(env, receipt, c, r, FAILED, 200 * USD)
    assert env.f.round(c, r).call()[2] == FAILED
    assert env.f.tokenTotals(c, ETH).call() == (10**17, 0, 0, 10**17, 0)
    assert env.f.refundableAmount(c, r, ETH, env.donors[0].address).call() == 10**17


def test_all_or_nothing_round_that_meets_goal_after_end_succeeds(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c, goal_usd=200 * USD, aon=True)
    env.pledge(env.donors[0], c, r, "ETH", 10**17)
    end_round(env, c, r)
    receipt = close(env, c, r)
    assert only_event(env, receipt, "RoundClosed")["outcome"] == SUCCEEDED
    assert env.f.tokenTotals(c, ETH).call()[4] == 10**17


def test_keep_it_all_round_that_misses_goal_fails_but_funds_are_kept(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c, goal_usd=1_000 * USD, aon=False)
    env.pledge(env.donors[0], c, r, "USDC", 250 * 10**6)
    end_round(env, c, r)
    receipt = close(env, c, r)
    assert only_event(env, receipt, "RoundClosed")["outcome"] == FAILED
    assert env.f.round(c, r).call()[2] == FAILED
    assert env.f.tokenTotals(c, env.token_address("USDC")).call()[4] == 250 * 10**6
    assert env.f.refundableAmount(c, r, env.token_address("USDC"), env.donors[0].address).call() == 0
    with reverts("LedgerNotRefundable", c, r):
        env.donors[0].send(env.f.claimRefund(c, r, env.token_address("USDC")))
    approve_supplier(env, c)
    disburse(env, c, "USDC", 250 * 10**6)
    assert env.balance("USDC", env.supplier.address) == 250 * 10**6


def test_keep_it_all_round_that_meets_goal_succeeds_early(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c, goal_usd=100 * USD, aon=False)
    env.pledge(env.donors[0], c, r, "USDT", 150 * 10**6)
    receipt = close(env, c, r)
    assert_round_closed(env, receipt, c, r, SUCCEEDED, 150 * USD)
    assert env.f.tokenTotals(c, env.token_address("USDT")).call()[4] == 150 * 10**6


# ─── Anyone may close a round once its end has passed ──────────────────────────────────────────────────


@pytest.mark.parametrize("closer", ["outsider", "donor", "supplier", "guardian", "admin", "auditor"])
def test_anyone_closes_a_round_once_its_end_has_passed(env: LedgerEnv, closer: str) -> None:
    c = env.create_campaign()
    r = env.open_round(c, goal_usd=1_000 * USD, aon=True)
    d0 = env.donors[0]
    env.pledge(d0, c, r, "ETH", 10**17)  # 200 USD: the goal is missed
    sender = d0 if closer == "donor" else getattr(env, closer)
    end = round_end(env, c, r)
    mine_at(env, end - 1)
    with call_reverts(env, "LedgerRoundNotEnded", c, r, end):
        env.f.closeRound(c, r).call({"from": sender.address})
    mine_at(env, end)  # the end is exclusive: closable by anyone from this second on
    receipt = sender.send(env.f.closeRound(c, r))
    assert_round_closed(env, receipt, c, r, FAILED, 200 * USD, sender.address)
    # The donors of a failed all-or-nothing round depended on nobody to get their refund.
    assert env.f.refundableAmount(c, r, ETH, d0.address).call() == 10**17
    d0.send(env.f.claimRefund(c, r, ETH))
    assert env.balance_of_ledger("ETH") == 0


def test_anyone_closes_a_round_that_met_its_goal_once_its_end_has_passed(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c, goal_usd=100 * USD)
    env.pledge(env.donors[0], c, r, "USDC", 150 * 10**6)
    end_round(env, c, r)
    receipt = env.outsider.send(env.f.closeRound(c, r))
    assert only_event(env, receipt, "RoundClosed")["outcome"] == SUCCEEDED
    assert env.f.tokenTotals(c, env.token_address("USDC")).call()[4] == 150 * 10**6


@pytest.mark.parametrize("closer", ["outsider", "donor", "supplier", "guardian", "admin", "auditor"])
def test_only_the_manager_closes_early_even_with_the_goal_met(env: LedgerEnv, closer: str) -> None:
    c = env.create_campaign()
    r = env.open_round(c, goal_usd=100 * USD)
    d0 = env.donors[0]
    env.pledge(d0, c, r, "USDC", 100 * 10**6)  # exactly the goal
    sender = d0 if closer == "donor" else getattr(env, closer)
    end = round_end(env, c, r)
    with reverts("LedgerRoundNotEnded", c, r, end):
        sender.send(env.f.closeRound(c, r))
    mine_at(env, end - 1)
    with call_reverts(env, "LedgerRoundNotEnded", c, r, end):
        env.f.closeRound(c, r).call({"from": sender.address})
    assert env.f.closeRound(c, r).call({"from": env.manager.address}) == SUCCEEDED
    assert env.f.round(c, r).call()[2] == OPEN


def test_closing_an_ended_round_twice_reverts_whoever_tries(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    end_round(env, c, r)
    env.outsider.send(env.f.closeRound(c, r))
    with reverts("LedgerRoundNotOpen", c, r):
        close(env, c, r)
    with reverts("LedgerRoundNotOpen", c, r):
        env.donors[0].send(env.f.closeRound(c, r))


def test_empty_round_fails_at_end(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    end_round(env, c, r)
    receipt = close(env, c, r)
    assert only_event(env, receipt, "RoundClosed")["raisedUsd"] == 0
    assert env.f.round(c, r).call()[2] == FAILED


def test_close_round_reverts_on_unknown_round(env: LedgerEnv) -> None:
    c = env.create_campaign()
    with reverts("LedgerUnknownRound", c, 1):
        close(env, c, 1)


def test_close_round_reverts_when_already_closed(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c, goal_usd=USD)
    env.pledge(env.donors[0], c, r, "USDC", 10**6)
    close(env, c, r)
    with reverts("LedgerRoundNotOpen", c, r):
        close(env, c, r)


def test_close_round_reverts_when_round_cancelled(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    env.admin.send(env.f.cancelCampaign(c))
    with reverts("LedgerRoundNotOpen", c, r):
        close(env, c, r)


def test_close_round_reverts_on_unknown_campaign(env: LedgerEnv) -> None:
    with reverts("LedgerUnknownCampaign", 3):
        close(env, 3, 1)


def test_raised_usd_sums_every_token(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c, goal_usd=10_000 * USD)
    env.pledge(env.donors[0], c, r, "ETH", 10**18)  # 2,000
    env.pledge(env.donors[1], c, r, "USDC", 5 * 10**6)  # 5
    env.pledge(env.donors[2], c, r, "DAI", 7 * 10**18)  # 7
    env.pledge(env.donors[3], c, r, "USDT", 11 * 10**6)  # 11
    env.pledge(env.donors[0], c, r, "FEE", 100 * 10**18)  # 99 after the fee
    assert env.f.round(c, r).call()[5] == 2_122 * USD


def test_token_totals_count_open_round_but_nothing_is_available(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    env.pledge(env.donors[0], c, r, "USDC", 10 * 10**6)
    assert env.f.tokenTotals(c, env.token_address("USDC")).call() == (10 * 10**6, 0, 0, 10 * 10**6, 0)
    assert env.f.roundTokenTotals(c, r, env.token_address("USDC")).call() == [10 * 10**6, 0]
