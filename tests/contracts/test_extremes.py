"""Amounts at the edge of the ledger's types: a 36-decimal token (the most the ledger accepts) with rounds of
nearly 2**128 base units each, the most one round may hold. A round's total is checked when pledged; the
campaign's totals are uint256, so no sum over rounds can overflow and lock a close, a cancellation or a
refund."""

from __future__ import annotations

from typing import Any

import pytest
from web3.contract import Contract

from ledger.chain import Transactor
from tests.contracts.support import (
    CANCELLED,
    FAILED,
    SUCCEEDED,
    approve_supplier,
    close,
    deploy_token,
    end_round,
    events,
    only_event,
)
from tests.support.chain import LedgerEnv, reverts
from tests.support.units import DAY, USD

BIG = 2**128 - 1  # the most one round may hold of a token; about 340 whole tokens of 36 decimals (340 USD)


def token36_campaign(env: LedgerEnv) -> tuple[int, Contract]:
    """A campaign accepting only a fresh 36-decimal token at 1 USD (the DAI feed)."""
    token = deploy_token(env, 36)
    c = env.create_campaign(())
    env.admin.send(env.f.acceptToken(c, token.address, env.feeds["DAI"].address, DAY))
    return c, token


def pledge(env: LedgerEnv, donor: Transactor, c: int, r: int, token: Contract, amount: int) -> Any:
    env.admin.send(token.functions.mint(donor.address, amount))
    donor.send(token.functions.approve(env.ledger.address, amount))
    return donor.send(env.f.pledgeToken(c, r, token.address, amount))


def run_round(
    env: LedgerEnv, c: int, token: Contract, pledges: list[tuple[Transactor, int]], outcome: str
) -> int:
    """A round of ``pledges``, closed as ``outcome``: succeeded (early), failed (all or nothing, after the
    end) or kept (keep-it-all, failed after the end)."""
    goal = USD if outcome == "succeeded" else 10**9 * USD
    r = env.open_round(c, goal_usd=goal, aon=outcome != "kept")
    for donor, amount in pledges:
        pledge(env, donor, c, r, token, amount)
    if outcome != "succeeded":
        end_round(env, c, r)
    close(env, c, r)
    assert env.f.round(c, r).call()[2] == (SUCCEEDED if outcome == "succeeded" else FAILED)
    return r


def balance(token: Contract, account: str) -> int:
    return int(token.functions.balanceOf(account).call())


def test_rounds_of_nearly_2_128_each_close_and_sum_past_uint128(env: LedgerEnv) -> None:
    c, token = token36_campaign(env)
    d0, d1, d2 = env.donors[:3]
    for donor in (d0, d1, d2):
        r = run_round(env, c, token, [(donor, BIG)], "succeeded")
        assert env.f.roundTokenTotals(c, r, token.address).call() == [BIG, 0]
        assert env.f.round(c, r).call()[5] == BIG * USD // 10**36  # about 340 USD
    assert env.f.tokenTotals(c, token.address).call() == (3 * BIG, 0, 0, 3 * BIG, 3 * BIG)
    # One payment of more than any round holds.
    approve_supplier(env, c)
    supplier = env.supplier.address
    env.manager.send(env.f.disburse(c, token.address, supplier, 2 * BIG + 1, b"\x0a" * 32, b"\x0b" * 32))
    assert balance(token, supplier) == 2 * BIG + 1
    assert env.f.tokenTotals(c, token.address).call() == (3 * BIG, 0, 2 * BIG + 1, BIG - 1, BIG - 1)
    assert balance(token, env.ledger.address) == BIG - 1


def test_cancellation_after_rounds_of_nearly_2_128_refunds_everything_left(env: LedgerEnv) -> None:
    c, token = token36_campaign(env)
    d0, d1, d2, d3 = env.donors
    r1 = run_round(env, c, token, [(d0, BIG)], "succeeded")
    r2 = run_round(env, c, token, [(d1, BIG // 3), (d2, BIG - BIG // 3)], "kept")
    r3 = run_round(env, c, token, [(d3, BIG)], "failed")
    approve_supplier(env, c)
    spent = BIG // 7
    env.manager.send(
        env.f.disburse(c, token.address, env.supplier.address, spent, b"\x0a" * 32, b"\x0b" * 32)
    )
    r4 = env.open_round(c, goal_usd=10**9 * USD)
    pledge(env, d0, c, r4, token, BIG)
    assert env.f.tokenTotals(c, token.address).call()[0] == 4 * BIG

    receipt = env.guardian.send(env.f.cancelCampaign(c))
    assert only_event(env, receipt, "RoundClosed")["outcome"] == CANCELLED
    assert env.f.refundPool(c, token.address).call() == [2 * BIG - spent, 2 * BIG]
    before = {d.address: balance(token, d.address) for d in (d0, d1, d2, d3)}
    paid: dict[str, int] = dict.fromkeys(before, 0)
    for r, donors in ((r1, [d0]), (r2, [d1, d2]), (r3, [d3]), (r4, [d0])):
        receipt = env.outsider.send(env.f.pushRefunds(c, r, token.address, [d.address for d in donors]))
        for event in events(env, receipt, "Refunded"):
            paid[event["donor"]] += event["amount"]
    # Rounds 1 and 2 share what is left of them, each claim taking its share of what remains of the pool and
    # of the base; the failed round 3 and the cancelled round 4 are refunded in full.
    pool, base = 2 * BIG - spent, 2 * BIG
    expected = {d3.address: BIG, d0.address: BIG}
    for donor, amount in ((d0, BIG), (d1, BIG // 3), (d2, BIG - BIG // 3)):
        share = pool if amount >= base else amount * pool // base
        expected[donor.address] = expected.get(donor.address, 0) + share
        pool, base = pool - share, base - amount
    assert (pool, base) == (0, 0)
    assert paid == expected
    assert sum(paid.values()) == 4 * BIG - spent  # what was left, exactly
    assert {a: balance(token, a) - b for a, b in before.items()} == paid
    assert balance(token, env.ledger.address) == 0
    assert env.f.tokenTotals(c, token.address).call() == (4 * BIG, 4 * BIG - spent, spent, 0, 0)


def test_many_rounds_of_nearly_2_128_keep_exact_totals(env: LedgerEnv) -> None:
    c, token = token36_campaign(env)
    outcomes = ["succeeded", "failed", "kept"] * 4
    pledged = spendable = 0
    failed_rounds: list[tuple[int, Transactor, int]] = []
    for i, outcome in enumerate(outcomes):
        donor, amount = env.donors[i % 4], BIG - i
        r = run_round(env, c, token, [(donor, amount)], outcome)
        pledged += amount
        if outcome == "failed":
            failed_rounds.append((r, donor, amount))
        else:
            spendable += amount
    assert env.f.campaign(c).call()[2] == len(outcomes)
    assert env.f.tokenTotals(c, token.address).call() == (pledged, 0, 0, pledged, spendable)
    assert pledged > 11 * 2**128
    for r, donor, amount in failed_rounds:
        receipt = donor.send(env.f.claimRefund(c, r, token.address))
        assert only_event(env, receipt, "Refunded")["amount"] == amount
    refunded = sum(amount for _, _, amount in failed_rounds)
    assert env.f.tokenTotals(c, token.address).call() == (pledged, refunded, 0, pledged - refunded, spendable)
    assert balance(token, env.ledger.address) == pledged - refunded == spendable


def test_round_total_is_capped_at_uint128_when_pledged(env: LedgerEnv) -> None:
    c, token = token36_campaign(env)
    r = env.open_round(c, goal_usd=10**9 * USD)
    d0, d1 = env.donors[0], env.donors[1]
    env.admin.send(token.functions.mint(d0.address, 2**128))
    d0.send(token.functions.approve(env.ledger.address, 2**128))
    with reverts("SafeCastOverflowedUintDowncast", 128, 2**128):
        d0.send(env.f.pledgeToken(c, r, token.address, 2**128))
    pledge(env, d0, c, r, token, BIG - 1)
    pledge(env, d1, c, r, token, 1)  # exactly 2**128 - 1 in all
    env.admin.send(token.functions.mint(d1.address, 1))
    d1.send(token.functions.approve(env.ledger.address, 1))
    with reverts("Panic", 0x11):  # one more base unit would overflow the round's uint128 total
        d1.send(env.f.pledgeToken(c, r, token.address, 1))
    assert env.f.roundTokenTotals(c, r, token.address).call() == [BIG, 0]


@pytest.mark.parametrize("outcome", ["failed", "cancelled"])
def test_refunds_of_a_round_of_nearly_2_128_after_others_are_paid_in_full(
    env: LedgerEnv, outcome: str
) -> None:
    c, token = token36_campaign(env)
    d0, d1 = env.donors[0], env.donors[1]
    run_round(env, c, token, [(d0, BIG)], "succeeded")
    run_round(env, c, token, [(d0, BIG)], "kept")
    if outcome == "failed":
        r = run_round(env, c, token, [(d1, BIG - 5), (d0, 5)], "failed")
    else:
        r = env.open_round(c, goal_usd=10**9 * USD)
        pledge(env, d1, c, r, token, BIG - 5)
        pledge(env, d0, c, r, token, 5)
        env.guardian.send(env.f.cancelCampaign(c))
        assert env.f.round(c, r).call()[2] == CANCELLED
    before = balance(token, d1.address)
    receipt = env.outsider.send(env.f.pushRefunds(c, r, token.address, [d1.address, d0.address]))
    assert [e["amount"] for e in events(env, receipt, "Refunded")] == [BIG - 5, 5]
    assert balance(token, d1.address) == before + BIG - 5
    assert env.f.roundTokenTotals(c, r, token.address).call() == [BIG, BIG]
