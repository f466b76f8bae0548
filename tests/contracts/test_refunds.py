"""Refunds: claimRefund (pull) and pushRefunds (push) from failed all-or-nothing rounds, the round open when a
campaign is cancelled, and the unspent remainder of a cancelled campaign's spendable rounds (pro rata)."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError, Web3RPCError

from ledger.chain import Transactor
from ledger.errors import TransactionFailedError
from tests.contracts.support import (
    BURN_GAS,
    CANCELLED,
    FAILED,
    PUSH_REFUND_GAS,
    PUSH_REFUND_NEEDED,
    RETURN_BOMB,
    approve_supplier,
    call_error,
    close,
    deploy_griefing_donor,
    deploy_rejecting_donor,
    deploy_token,
    disburse,
    end_round,
    events,
    failed_aon_round,
    gas_cost,
    make_transfers_fail,
    only_event,
    succeeded_round,
    unit,
)
from tests.support.chain import LedgerEnv, reverts
from tests.support.units import DAY, ETH, USD

TOKENS = ["USDC", "DAI", "USDT", "FEE"]


def net(symbol: str, amount: int) -> int:
    """What a transfer of ``amount`` delivers (the FEE token burns 1%)."""
    return amount - amount // 100 if symbol == "FEE" else amount


def claim(env: LedgerEnv, donor: Transactor, c: int, r: int, symbol: str) -> Any:
    return donor.send(env.f.claimRefund(c, r, env.token_address(symbol)))


def push(
    env: LedgerEnv, c: int, r: int, symbol: str, donors: list[str], sender: Transactor | None = None
) -> Any:
    return (sender or env.outsider).send(env.f.pushRefunds(c, r, env.token_address(symbol), donors))


def refundable(env: LedgerEnv, c: int, r: int, symbol: str, donor: str) -> int:
    return int(env.f.refundableAmount(c, r, env.token_address(symbol), donor).call())


def claim_in_full(env: LedgerEnv, donor: Transactor, c: int, r: int, symbol: str, amount: int) -> Any:
    """Claim ``donor``'s refund and check it was settled: one Refunded event of ``amount`` (paid to
    ``donor``), the pledge cleared. Returns the receipt."""
    token = env.token_address(symbol)
    before = env.balance(symbol, donor.address)
    receipt = claim(env, donor, c, r, symbol)
    assert dict(only_event(env, receipt, "Refunded")) == {
        "campaignId": c,
        "roundId": r,
        "donor": donor.address,
        "token": token,
        "amount": amount,
        "caller": donor.address,
    }
    gas = gas_cost(receipt) if symbol == "ETH" else 0
    assert env.balance(symbol, donor.address) == before + amount - gas
    assert env.f.pledgeOf(c, r, token, donor.address).call() == 0
    return receipt


# ─── Pull refunds from failed all-or-nothing rounds ────────────────────────────────────────────────────


def test_claim_refund_eth_from_failed_all_or_nothing_round(env: LedgerEnv) -> None:
    c = env.create_campaign()
    d0, d1 = env.donors[0], env.donors[1]
    r = failed_aon_round(env, c, [(d0, "ETH", 3 * 10**17), (d1, "ETH", 2 * 10**17)])
    assert refundable(env, c, r, "ETH", d0.address) == 3 * 10**17
    assert env.f.claimRefund(c, r, ETH).call({"from": d0.address}) == 3 * 10**17
    claim_in_full(env, d0, c, r, "ETH", 3 * 10**17)
    assert env.balance_of_ledger("ETH") == 2 * 10**17
    assert refundable(env, c, r, "ETH", d0.address) == 0
    assert env.f.roundTokenTotals(c, r, ETH).call() == [5 * 10**17, 3 * 10**17]
    assert env.f.tokenTotals(c, ETH).call() == (5 * 10**17, 3 * 10**17, 0, 2 * 10**17, 0)
    # The other donor's claim is untouched.
    assert refundable(env, c, r, "ETH", d1.address) == 2 * 10**17


@pytest.mark.parametrize("symbol", TOKENS)
def test_claim_refund_erc20_from_failed_all_or_nothing_round(env: LedgerEnv, symbol: str) -> None:
    c = env.create_campaign()
    donor, token = env.donors[1], env.token_address(symbol)
    amount = 250 * unit(symbol)
    credited = net(symbol, amount)
    r = failed_aon_round(env, c, [(donor, symbol, amount)])
    before = env.balance(symbol, donor.address)
    receipt = claim(env, donor, c, r, symbol)
    event = only_event(env, receipt, "Refunded")
    assert (event["donor"], event["token"], event["amount"], event["caller"]) == (
        donor.address,
        token,
        credited,
        donor.address,
    )
    # The ledger sends what it was credited; a fee-on-transfer token burns its fee on the way out too.
    assert env.balance(symbol, donor.address) == before + net(symbol, credited)
    assert env.balance_of_ledger(symbol) == 0
    assert env.f.tokenTotals(c, token).call() == (credited, credited, 0, 0, 0)


def test_claim_refund_reverts_on_second_claim(env: LedgerEnv) -> None:
    c = env.create_campaign()
    d0 = env.donors[0]
    r = failed_aon_round(env, c, [(d0, "ETH", 10**17), (d0, "USDC", 10**6)])
    claim(env, d0, c, r, "ETH")
    with reverts("LedgerNothingToRefund", c, r, ETH, d0.address):
        claim(env, d0, c, r, "ETH")
    # A claim in one token leaves the donor's other token alone.
    assert refundable(env, c, r, "USDC", d0.address) == 10**6
    claim(env, d0, c, r, "USDC")
    with reverts("LedgerNothingToRefund", c, r, env.token_address("USDC"), d0.address):
        claim(env, d0, c, r, "USDC")


def test_claim_refund_reverts_for_account_that_never_pledged(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = failed_aon_round(env, c, [(env.donors[0], "DAI", 10**18)])
    with reverts("LedgerNothingToRefund", c, r, env.token_address("DAI"), env.outsider.address):
        claim(env, env.outsider, c, r, "DAI")
    with reverts("LedgerNothingToRefund", c, r, ETH, env.donors[0].address):
        claim(env, env.donors[0], c, r, "ETH")  # pledged DAI, not ETH


def test_claim_refund_reverts_when_round_open(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    env.pledge(env.donors[0], c, r, "ETH", 10**17)
    assert refundable(env, c, r, "ETH", env.donors[0].address) == 0
    with reverts("LedgerNotRefundable", c, r):
        claim(env, env.donors[0], c, r, "ETH")


def test_claim_refund_reverts_when_round_succeeded(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = succeeded_round(env, c, [(env.donors[0], "USDC", 10 * 10**6)])
    assert refundable(env, c, r, "USDC", env.donors[0].address) == 0
    with reverts("LedgerNotRefundable", c, r):
        claim(env, env.donors[0], c, r, "USDC")


def test_claim_refund_reverts_when_keep_it_all_round_failed(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c, goal_usd=10**6 * USD, aon=False)
    env.pledge(env.donors[0], c, r, "DAI", 10**18)
    end_round(env, c, r)
    close(env, c, r)
    assert env.f.round(c, r).call()[2] == FAILED
    assert refundable(env, c, r, "DAI", env.donors[0].address) == 0
    with reverts("LedgerNotRefundable", c, r):
        claim(env, env.donors[0], c, r, "DAI")


def test_claim_refund_reverts_on_unknown_round(env: LedgerEnv) -> None:
    c = env.create_campaign()
    with reverts("LedgerNotRefundable", c, 3):
        claim(env, env.donors[0], c, 3, "ETH")
    with reverts("LedgerNotRefundable", 9, 1):
        env.donors[0].send(env.f.claimRefund(9, 1, ETH))
    assert env.f.refundableAmount(9, 1, ETH, env.donors[0].address).call() == 0


# ─── Push refunds ──────────────────────────────────────────────────────────────────────────────────────


def test_push_refunds_pays_donors_and_skips_those_with_nothing(env: LedgerEnv) -> None:
    c = env.create_campaign()
    d0, d1, d2 = env.donors[0], env.donors[1], env.donors[2]
    r = failed_aon_round(env, c, [(d0, "ETH", 10**17), (d1, "ETH", 2 * 10**17), (d2, "ETH", 4 * 10**17)])
    batch = [d0.address, env.outsider.address, d1.address, d0.address]  # a non-donor and a duplicate
    assert env.f.pushRefunds(c, r, ETH, batch).call({"from": env.supplier.address}) == 3 * 10**17
    before = {a: env.balance("ETH", a) for a in (d0.address, d1.address, d2.address)}
    receipt = push(env, c, r, "ETH", batch, sender=env.supplier)
    refunded = events(env, receipt, "Refunded")
    assert [dict(e) for e in refunded] == [
        {"campaignId": c, "roundId": r, "donor": d0.address, "token": ETH, "amount": 10**17,
         "caller": env.supplier.address},
        {"campaignId": c, "roundId": r, "donor": d1.address, "token": ETH, "amount": 2 * 10**17,
         "caller": env.supplier.address},
    ]  # fmt: skip
    assert events(env, receipt, "RefundDeferred") == []
    # The donors paid no gas: their balances rise by exactly their refunds.
    assert env.balance("ETH", d0.address) == before[d0.address] + 10**17
    assert env.balance("ETH", d1.address) == before[d1.address] + 2 * 10**17
    assert env.balance("ETH", d2.address) == before[d2.address]
    assert env.balance_of_ledger("ETH") == 4 * 10**17
    assert env.f.roundTokenTotals(c, r, ETH).call() == [7 * 10**17, 3 * 10**17]
    # Pushing again sends nothing and does not fail; the remaining donor can still claim.
    assert env.f.pushRefunds(c, r, ETH, batch).call() == 0
    receipt = push(env, c, r, "ETH", batch)
    assert events(env, receipt, "Refunded") == []
    claim(env, d2, c, r, "ETH")
    assert env.balance_of_ledger("ETH") == 0


@pytest.mark.parametrize("symbol", TOKENS)
def test_push_refunds_erc20(env: LedgerEnv, symbol: str) -> None:
    c = env.create_campaign()
    d0, d1 = env.donors[0], env.donors[1]
    a0, a1 = 3 * unit(symbol), 5 * unit(symbol)
    r = failed_aon_round(env, c, [(d0, symbol, a0), (d1, symbol, a1)])
    before0, before1 = env.balance(symbol, d0.address), env.balance(symbol, d1.address)
    receipt = push(env, c, r, symbol, [d0.address, d1.address])
    assert [e["amount"] for e in events(env, receipt, "Refunded")] == [net(symbol, a0), net(symbol, a1)]
    assert env.balance(symbol, d0.address) == before0 + net(symbol, net(symbol, a0))
    assert env.balance(symbol, d1.address) == before1 + net(symbol, net(symbol, a1))
    assert env.balance_of_ledger(symbol) == 0


def test_push_refunds_accepts_empty_batch(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = failed_aon_round(env, c, [(env.donors[0], "ETH", 10**17)])
    assert env.f.pushRefunds(c, r, ETH, []).call() == 0
    receipt = push(env, c, r, "ETH", [])
    assert events(env, receipt, "Refunded") == []


def test_push_refunds_reverts_when_batch_too_large(env: LedgerEnv) -> None:
    c = env.create_campaign()
    d0 = env.donors[0]
    r = failed_aon_round(env, c, [(d0, "ETH", 10**17)])
    fillers = [Web3.to_checksum_address(f"0x{i:040x}") for i in range(1, 100)]
    with reverts("LedgerBatchTooLarge", 101, 100):
        push(env, c, r, "ETH", [d0.address, *fillers, env.outsider.address])
    assert refundable(env, c, r, "ETH", d0.address) == 10**17
    receipt = push(env, c, r, "ETH", [*fillers, d0.address])  # exactly MAX_REFUND_BATCH
    assert only_event(env, receipt, "Refunded")["donor"] == d0.address


@pytest.mark.parametrize("state", ["open", "succeeded", "unknown"])
def test_push_refunds_reverts_when_round_not_refundable(env: LedgerEnv, state: str) -> None:
    c = env.create_campaign()
    d0 = env.donors[0]
    if state == "open":
        r = env.open_round(c)
        env.pledge(d0, c, r, "ETH", 10**17)
    elif state == "succeeded":
        r = succeeded_round(env, c, [(d0, "ETH", 10**17)])
    else:
        r = 5
    with reverts("LedgerNotRefundable", c, r):
        push(env, c, r, "ETH", [d0.address])


# ─── Contract donors that refuse ETH or re-enter ──────────────────────────────────────────────────────


def rejecting_donor_in_failed_round(env: LedgerEnv, mode: int) -> tuple[int, int, Contract]:
    """A failed round where a RejectingDonor (``mode`` 0 Reject, 1 Reenter) pledged 0.1 ETH, donor 1 0.2."""
    c = env.create_campaign()
    donor_contract = deploy_rejecting_donor(env)
    r = env.open_round(c, goal_usd=10**9 * USD)
    env.donors[0].send(donor_contract.functions.pledge(c, r), value=10**17)
    env.pledge(env.donors[1], c, r, "ETH", 2 * 10**17)
    end_round(env, c, r)
    close(env, c, r)
    env.admin.send(donor_contract.functions.setMode(mode))
    return c, r, donor_contract


@pytest.mark.parametrize("mode", [0, 1], ids=["reject", "reenter"])
def test_push_refunds_defers_donor_that_rejects_eth(env: LedgerEnv, mode: int) -> None:
    c, r, rejecting = rejecting_donor_in_failed_round(env, mode)
    d1 = env.donors[1]
    batch = [rejecting.address, d1.address]
    assert env.f.pushRefunds(c, r, ETH, batch).call() == 2 * 10**17
    before = env.balance("ETH", d1.address)
    receipt = push(env, c, r, "ETH", batch)
    assert dict(only_event(env, receipt, "RefundDeferred")) == {
        "campaignId": c,
        "roundId": r,
        "donor": rejecting.address,
        "token": ETH,
        "amount": 10**17,
    }
    assert only_event(env, receipt, "Refunded")["donor"] == d1.address
    assert env.balance("ETH", d1.address) == before + 2 * 10**17
    # The rejecting donor keeps its claim, and the books say it was not refunded.
    assert env.f.pledgeOf(c, r, ETH, rejecting.address).call() == 10**17
    assert env.f.refundableAmount(c, r, ETH, rejecting.address).call() == 10**17
    assert env.f.roundTokenTotals(c, r, ETH).call() == [3 * 10**17, 2 * 10**17]
    assert env.f.tokenTotals(c, ETH).call() == (3 * 10**17, 2 * 10**17, 0, 10**17, 0)
    assert env.balance_of_ledger("ETH") == 10**17
    assert env.balance("ETH", rejecting.address) == 0


def test_claim_refund_reverts_when_donor_rejects_eth(env: LedgerEnv) -> None:
    c, r, rejecting = rejecting_donor_in_failed_round(env, 0)
    with reverts("LedgerEthTransferFailed", rejecting.address, 10**17):
        env.outsider.send(rejecting.functions.claim())
    assert env.f.refundableAmount(c, r, ETH, rejecting.address).call() == 10**17
    assert env.balance_of_ledger("ETH") == 3 * 10**17


def _reverted_outputs(frame: dict[str, Any]) -> list[tuple[str, str]]:
    """(callee, revert data) of every reverted call in a callTracer frame, innermost first."""
    found: list[tuple[str, str]] = []
    for inner in frame.get("calls", []):
        found += _reverted_outputs(inner)
    if "error" in frame:
        found.append((frame["to"].lower(), frame.get("output", "0x")))
    return found


def test_reentrant_donor_is_stopped_by_the_guard(env: LedgerEnv) -> None:
    c, r, reentrant = rejecting_donor_in_failed_round(env, 1)
    with reverts("LedgerEthTransferFailed", reentrant.address, 10**17):
        env.outsider.send(reentrant.functions.claim())
    # Trace the attempt: the donor's receive() re-entered claimRefund, which the guard refused.
    tx = reentrant.functions.claim().build_transaction({"from": env.outsider.address, "gas": 1_000_000})
    call = {"from": tx["from"], "to": tx["to"], "data": tx["data"], "gas": hex(1_000_000)}
    trace = env.w3.provider.make_request(
        "debug_traceCall",  # type: ignore[arg-type]
        [call, "latest", {"tracer": "callTracer"}],
    )["result"]
    innermost_callee, innermost_data = _reverted_outputs(trace)[0]
    assert innermost_callee == env.ledger.address.lower()
    decoded = env.admin.errors.decode(innermost_data)
    assert decoded is not None and decoded.name == "ReentrancyGuardReentrantCall"
    # Nothing moved: the claim stands and the ETH stays in escrow.
    assert env.f.refundableAmount(c, r, ETH, reentrant.address).call() == 10**17
    assert env.balance_of_ledger("ETH") == 3 * 10**17
    assert env.balance("ETH", reentrant.address) == 0


def test_erc20_refund_that_fails_is_deferred_when_pushed_and_reverts_when_claimed(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    token = deploy_token(env, 6)
    env.admin.send(env.f.acceptToken(c, token.address, env.feeds["USDC"].address, DAY))
    r = env.open_round(c, goal_usd=10**9 * USD)
    d0 = env.donors[0]
    env.admin.send(token.functions.mint(d0.address, 10**6))
    d0.send(token.functions.approve(env.ledger.address, 10**6))
    d0.send(env.f.pledgeToken(c, r, token.address, 10**6))
    end_round(env, c, r)
    close(env, c, r)
    make_transfers_fail(env, token)  # e.g. the token was paused
    with reverts("SafeERC20FailedOperation", token.address):
        d0.send(env.f.claimRefund(c, r, token.address))
    receipt = env.outsider.send(env.f.pushRefunds(c, r, token.address, [d0.address]))
    assert dict(only_event(env, receipt, "RefundDeferred")) == {
        "campaignId": c,
        "roundId": r,
        "donor": d0.address,
        "token": token.address,
        "amount": 10**6,
    }
    assert events(env, receipt, "Refunded") == []
    assert env.f.refundableAmount(c, r, token.address, d0.address).call() == 10**6
    assert env.f.roundTokenTotals(c, r, token.address).call() == [10**6, 0]


# ─── Cancellation: the open round is refunded in full ─────────────────────────────────────────────────


def test_round_open_at_cancellation_is_refunded_in_full(env: LedgerEnv) -> None:
    c = env.create_campaign()
    d0, d1, d2 = env.donors[0], env.donors[1], env.donors[2]
    r = env.open_round(c, goal_usd=100 * USD)
    env.pledge(d0, c, r, "ETH", 10**18)  # 2,000 USD: goal met, but the round was not closed
    env.pledge(d1, c, r, "USDC", 100 * 10**6)
    env.pledge(d2, c, r, "FEE", 10 * 10**18)
    env.guardian.send(env.f.cancelCampaign(c))
    assert env.f.round(c, r).call()[2] == CANCELLED
    assert refundable(env, c, r, "ETH", d0.address) == 10**18
    assert refundable(env, c, r, "USDC", d1.address) == 100 * 10**6
    assert refundable(env, c, r, "FEE", d2.address) == 99 * 10**17
    claim_in_full(env, d0, c, r, "ETH", 10**18)
    before = env.balance("USDC", d1.address)
    receipt = push(env, c, r, "USDC", [d1.address, d0.address])
    assert [(e["donor"], e["amount"]) for e in events(env, receipt, "Refunded")] == [
        (d1.address, 100 * 10**6)
    ]
    assert env.balance("USDC", d1.address) == before + 100 * 10**6
    claim(env, d2, c, r, "FEE")
    for symbol in ("ETH", "USDC", "FEE"):
        assert env.balance_of_ledger(symbol) == 0
        totals = env.f.tokenTotals(c, env.token_address(symbol)).call()
        assert totals[0] == totals[1] and totals[3:] == (0, 0)
    with reverts("LedgerNothingToRefund", c, r, ETH, d0.address):
        claim(env, d0, c, r, "ETH")


# ─── Cancellation: the unspent remainder of spendable rounds, pro rata ───────────────────────────────


def test_cancelled_campaign_refunds_unspent_remainder_pro_rata(env: LedgerEnv) -> None:
    c = env.create_campaign()
    d0, d1, d2, d3 = env.donors
    usdc = env.token_address("USDC")
    # Round 1 succeeds and round 2 (keep-it-all) fails: both are spendable, 200 USDC in all.
    r1 = succeeded_round(env, c, [(d0, "USDC", 100_000_000), (d1, "USDC", 33_333_333)], goal_usd=100 * USD)
    r2 = env.open_round(c, goal_usd=10**6 * USD, aon=False)
    env.pledge(d2, c, r2, "USDC", 66_666_667)
    end_round(env, c, r2)
    close(env, c, r2)
    # Round 3 (all-or-nothing) fails: refundable in full, outside the pool.
    r3 = failed_aon_round(env, c, [(d3, "USDC", 10_000_000)])
    approve_supplier(env, c)
    disburse(env, c, "USDC", 77_777_777)
    # Round 4 is open at cancellation: refundable in full, outside the pool.
    r4 = env.open_round(c, goal_usd=10**6 * USD)
    env.pledge(d0, c, r4, "USDC", 5_000_000)
    assert env.balance_of_ledger("USDC") == 215_000_000 - 77_777_777
    assert env.f.refundPool(c, usdc).call() == [0, 0]  # nothing to share before a cancellation

    env.guardian.send(env.f.cancelCampaign(c))
    assert env.f.tokenTotals(c, usdc).call()[4] == 0
    # The pool, 200,000,000 - 77,777,777 = 122,222,223, is shared over a base of 200,000,000 pledged.
    assert env.f.refundPool(c, usdc).call() == [122_222_223, 200_000_000]
    before_any_claim = {
        (r1, d0.address): 61_111_111,  # 100,000,000 x 122,222,223 / 200,000,000 = 61,111,111.5, rounded down
        (r1, d1.address): 20_370_370,  # 33,333,333 x ... = 20,370,370.296...
        (r2, d2.address): 40_740_741,  # 66,666,667 x ... = 40,740,741.203...
        (r3, d3.address): 10_000_000,  # failed all-or-nothing: in full
        (r4, d0.address): 5_000_000,  # open at cancellation: in full
    }
    for (r, donor), amount in before_any_claim.items():
        assert refundable(env, c, r, "USDC", donor) == amount
    assert refundable(env, c, r1, "USDC", d2.address) == 0

    # Each claim takes its share of what is left of the pool and the base.
    before = env.balance("USDC", d0.address)
    receipt = claim(env, d0, c, r1, "USDC")
    assert only_event(env, receipt, "Refunded")["amount"] == 61_111_111
    assert env.balance("USDC", d0.address) == before + 61_111_111
    assert env.f.refundPool(c, usdc).call() == [61_111_112, 100_000_000]
    with reverts("LedgerNothingToRefund", c, r1, usdc, d0.address):
        claim(env, d0, c, r1, "USDC")
    before = env.balance("USDC", d1.address)
    receipt = push(env, c, r1, "USDC", [d0.address, d1.address])
    # 33,333,333 x 61,111,112 / 100,000,000 = 20,370,370.46..., rounded down
    assert [(e["donor"], e["amount"]) for e in events(env, receipt, "Refunded")] == [(d1.address, 20_370_370)]
    assert env.balance("USDC", d1.address) == before + 20_370_370
    assert env.f.refundPool(c, usdc).call() == [40_740_742, 66_666_667]
    # The last claimant of the pool takes exactly what is left: one base unit more than its first share.
    assert refundable(env, c, r2, "USDC", d2.address) == 40_740_742
    paid = {(r1, d0.address): 61_111_111, (r1, d1.address): 20_370_370, (r2, d2.address): 40_740_742}
    for (r, donor), amount in list(before_any_claim.items())[2:]:
        receipt = env.outsider.send(env.f.pushRefunds(c, r, usdc, [donor]))
        assert only_event(env, receipt, "Refunded")["amount"] == paid.get((r, donor), amount)
    assert env.f.refundPool(c, usdc).call() == [0, 0]
    # No dust: what was left is all refunded, and the books agree.
    refunded = 122_222_223 + 10_000_000 + 5_000_000
    assert sum(paid.values()) == 122_222_223
    assert env.balance_of_ledger("USDC") == 0
    assert env.f.tokenTotals(c, usdc).call() == (215_000_000, refunded, 77_777_777, 0, 0)
    assert env.f.roundTokenTotals(c, r1, usdc).call() == [133_333_333, 81_481_481]


def test_cancelled_campaign_pro_rata_eth_refund(env: LedgerEnv) -> None:
    c = env.create_campaign()
    d0, d1 = env.donors[0], env.donors[1]
    a0, a1 = 300_000_000_000_000_001, 400_000_000_000_000_000
    r = succeeded_round(env, c, [(d0, "ETH", a0), (d1, "ETH", a1)])
    approve_supplier(env, c)
    disburse(env, c, "ETH", 100_000_000_000_000_003)
    env.guardian.send(env.f.cancelCampaign(c))
    pool, base = 599_999_999_999_999_998, 700_000_000_000_000_001
    assert env.f.refundPool(c, ETH).call() == [pool, base]
    share0 = 257_142_857_142_857_142
    assert share0 == a0 * pool // base  # rounded down
    assert refundable(env, c, r, "ETH", d0.address) == share0
    before0, before1 = env.balance("ETH", d0.address), env.balance("ETH", d1.address)
    receipt = push(env, c, r, "ETH", [d0.address, d1.address])
    # The last pledge of the base takes what is left of the pool, rounding included.
    share1 = pool - share0
    assert share1 == 342_857_142_857_142_856
    assert [e["amount"] for e in events(env, receipt, "Refunded")] == [share0, share1]
    assert env.balance("ETH", d0.address) == before0 + share0
    assert env.balance("ETH", d1.address) == before1 + share1
    assert env.balance_of_ledger("ETH") == 0


def test_cancelled_campaign_with_nothing_spent_refunds_in_full(env: LedgerEnv) -> None:
    c = env.create_campaign()
    d0 = env.donors[0]
    r = succeeded_round(env, c, [(d0, "USDT", 7 * 10**6)])
    env.guardian.send(env.f.cancelCampaign(c))
    assert refundable(env, c, r, "USDT", d0.address) == 7 * 10**6
    before = env.balance("USDT", d0.address)
    claim(env, d0, c, r, "USDT")
    assert env.balance("USDT", d0.address) == before + 7 * 10**6
    assert env.balance_of_ledger("USDT") == 0


def test_cancelled_campaign_with_everything_spent_refunds_nothing(env: LedgerEnv) -> None:
    c = env.create_campaign()
    d0 = env.donors[0]
    r = succeeded_round(env, c, [(d0, "DAI", 10**18)])
    approve_supplier(env, c)
    disburse(env, c, "DAI", 10**18)
    env.guardian.send(env.f.cancelCampaign(c))
    dai = env.token_address("DAI")
    assert env.f.refundPool(c, dai).call() == [0, 10**18]
    assert refundable(env, c, r, "DAI", d0.address) == 0
    # The claim is settled for nothing: a Refunded of 0, and the pledge is no longer outstanding.
    claim_in_full(env, d0, c, r, "DAI", 0)
    assert env.f.refundPool(c, dai).call() == [0, 0]
    with reverts("LedgerNothingToRefund", c, r, dai, d0.address):
        claim(env, d0, c, r, "DAI")
    receipt = push(env, c, r, "DAI", [d0.address])
    assert events(env, receipt, "Refunded") == []
    assert env.f.tokenTotals(c, dai).call() == (10**18, 0, 10**18, 0, 0)


def test_pro_rata_pool_is_per_token(env: LedgerEnv) -> None:
    c = env.create_campaign()
    d0 = env.donors[0]
    r = succeeded_round(env, c, [(d0, "ETH", 10**18), (d0, "USDC", 100 * 10**6)])
    approve_supplier(env, c)
    disburse(env, c, "USDC", 25 * 10**6)
    env.guardian.send(env.f.cancelCampaign(c))
    assert refundable(env, c, r, "ETH", d0.address) == 10**18
    assert refundable(env, c, r, "USDC", d0.address) == 75 * 10**6


def test_deferred_pro_rata_refund_keeps_its_share(env: LedgerEnv) -> None:
    c = env.create_campaign()
    rejecting = deploy_rejecting_donor(env)
    r = env.open_round(c, goal_usd=USD)
    env.donors[0].send(rejecting.functions.pledge(c, r), value=3 * 10**17)
    env.pledge(env.donors[1], c, r, "ETH", 10**17)
    close(env, c, r)
    approve_supplier(env, c)
    disburse(env, c, "ETH", 2 * 10**17)
    env.guardian.send(env.f.cancelCampaign(c))
    share = 3 * 10**17 * 2 * 10**17 // (4 * 10**17)
    receipt = push(env, c, r, "ETH", [rejecting.address, env.donors[1].address])
    assert only_event(env, receipt, "RefundDeferred")["amount"] == share
    assert only_event(env, receipt, "Refunded")["amount"] == 10**17 // 2
    assert env.f.pledgeOf(c, r, ETH, rejecting.address).call() == 3 * 10**17
    assert refundable(env, c, r, "ETH", rejecting.address) == share
    assert env.balance_of_ledger("ETH") == share


# ─── Cancellation: the pro-rata shares add up to exactly what was left ─────────────────────────────────


def dusty_cancelled_campaign(env: LedgerEnv) -> tuple[int, int]:
    """A cancelled campaign whose one succeeded round took 1, 1,000,000 and 2,000,000 base units of USDC from
    donors 0, 1 and 2, and paid a supplier all but 7 of them: 7 units to share over 3,000,001."""
    c = env.create_campaign()
    d0, d1, d2 = env.donors[:3]
    r = succeeded_round(env, c, [(d0, "USDC", 1), (d1, "USDC", 1_000_000), (d2, "USDC", 2_000_000)])
    approve_supplier(env, c)
    disburse(env, c, "USDC", 3_000_001 - 7)
    env.guardian.send(env.f.cancelCampaign(c))
    assert env.f.refundPool(c, env.token_address("USDC")).call() == [7, 3_000_001]
    return c, r


def test_pro_rata_share_that_rounds_to_zero_is_settled_with_a_refund_of_zero(env: LedgerEnv) -> None:
    c, r = dusty_cancelled_campaign(env)
    d0, d1, d2 = env.donors[:3]
    usdc = env.token_address("USDC")
    # 1 x 7 / 3,000,001 rounds to 0: the claim is settled, for nothing, and leaves the pool to the others.
    assert refundable(env, c, r, "USDC", d0.address) == 0
    claim_in_full(env, d0, c, r, "USDC", 0)
    assert env.f.refundPool(c, usdc).call() == [7, 3_000_000]
    with reverts("LedgerNothingToRefund", c, r, usdc, d0.address):
        claim(env, d0, c, r, "USDC")
    # 1,000,000 x 7 / 3,000,000 = 2.33: 2; the last claimant takes the remaining 5 (not 2,000,000 x 7 /
    # 3,000,001 = 4, as it would from the pool as it was at the cancellation).
    receipt = claim(env, d1, c, r, "USDC")
    assert only_event(env, receipt, "Refunded")["amount"] == 2
    assert env.f.refundPool(c, usdc).call() == [5, 2_000_000]
    receipt = claim(env, d2, c, r, "USDC")
    assert only_event(env, receipt, "Refunded")["amount"] == 5
    assert env.f.refundPool(c, usdc).call() == [0, 0]
    assert env.balance_of_ledger("USDC") == 0
    assert env.f.tokenTotals(c, usdc).call() == (3_000_001, 7, 2_999_994, 0, 0)


def test_pushed_pro_rata_batch_settles_zero_shares_and_leaves_no_dust(env: LedgerEnv) -> None:
    c, r = dusty_cancelled_campaign(env)
    d0, d1, d2 = env.donors[:3]
    before = [env.balance("USDC", d.address) for d in (d0, d1, d2)]
    batch = [d0.address, d1.address, d2.address]
    assert env.f.pushRefunds(c, r, env.token_address("USDC"), batch).call() == 7
    receipt = push(env, c, r, "USDC", batch)
    assert [(e["donor"], e["amount"]) for e in events(env, receipt, "Refunded")] == [
        (d0.address, 0),
        (d1.address, 2),
        (d2.address, 5),
    ]
    assert events(env, receipt, "RefundDeferred") == []
    assert [env.balance("USDC", d.address) - b for d, b in zip((d0, d1, d2), before, strict=True)] == [
        0,
        2,
        5,
    ]
    assert env.balance_of_ledger("USDC") == 0


@pytest.mark.parametrize("order", ["first-to-last", "last-to-first", "interleaved"])
def test_pro_rata_refunds_sum_to_what_was_left_in_any_order(env: LedgerEnv, order: str) -> None:
    c = env.create_campaign()
    d0, d1, d2, d3 = env.donors
    # Awkward amounts over two spendable rounds, in two tokens; a third of what they raised is spent.
    r1 = succeeded_round(env, c, [(d0, "DAI", 333_333_333_333_333_333), (d1, "DAI", 10**18 + 7)])
    r2 = succeeded_round(
        env, c, [(d2, "DAI", 123_456_789_012_345_679), (d3, "DAI", 3), (d0, "ETH", 10**17 + 1)]
    )
    dai = env.token_address("DAI")
    approve_supplier(env, c)
    total_dai = 333_333_333_333_333_333 + 10**18 + 7 + 123_456_789_012_345_679 + 3
    disburse(env, c, "DAI", total_dai // 3)
    disburse(env, c, "ETH", (10**17 + 1) // 3)
    env.guardian.send(env.f.cancelCampaign(c))
    left_dai, left_eth = total_dai - total_dai // 3, 10**17 + 1 - (10**17 + 1) // 3
    assert env.f.refundPool(c, dai).call() == [left_dai, total_dai]
    claims = [(d0, r1), (d1, r1), (d2, r2), (d3, r2)]
    if order == "last-to-first":
        claims.reverse()
    elif order == "interleaved":
        claims = [claims[2], claims[0], claims[3], claims[1]]
    paid = 0
    for donor, r in claims:
        pool, base = env.f.refundPool(c, dai).call()
        pledged = env.f.pledgeOf(c, r, dai, donor.address).call()
        expected = pool if pledged >= base else pledged * pool // base
        assert refundable(env, c, r, "DAI", donor.address) == expected
        receipt = claim(env, donor, c, r, "DAI")
        assert only_event(env, receipt, "Refunded")["amount"] == expected
        paid += expected
    assert paid == left_dai
    push(env, c, r2, "ETH", [d0.address])
    assert env.balance_of_ledger("DAI") == env.balance_of_ledger("ETH") == 0
    assert env.f.tokenTotals(c, ETH).call()[1] == left_eth


# ─── Donors that grief a pushed batch ────────────────────────────────────────────────────────────────


def griefers_in_failed_round(env: LedgerEnv) -> tuple[int, int, Contract, Contract]:
    """A failed round where a gas burner and a return bomber pledged 0.1 ETH each, donors 0 and 1 0.2 each."""
    c = env.create_campaign()
    burner, bomber = deploy_griefing_donor(env, BURN_GAS), deploy_griefing_donor(env, RETURN_BOMB)
    r = env.open_round(c, goal_usd=10**9 * USD)
    for griefer in (burner, bomber):
        env.donors[2].send(griefer.functions.pledge(c, r), value=10**17)
    env.pledge(env.donors[0], c, r, "ETH", 2 * 10**17)
    env.pledge(env.donors[1], c, r, "ETH", 2 * 10**17)
    end_round(env, c, r)
    close(env, c, r)
    return c, r, burner, bomber


def test_push_refunds_defers_donors_that_burn_gas_or_return_bomb_and_pays_the_rest(env: LedgerEnv) -> None:
    c, r, burner, bomber = griefers_in_failed_round(env)
    d0, d1 = env.donors[0], env.donors[1]
    batch = [burner.address, d0.address, bomber.address, d1.address]
    before = {d.address: env.balance("ETH", d.address) for d in (d0, d1)}
    receipt = push(env, c, r, "ETH", batch)
    assert [(e["donor"], e["amount"]) for e in events(env, receipt, "RefundDeferred")] == [
        (burner.address, 10**17),
        (bomber.address, 10**17),
    ]
    assert [(e["donor"], e["amount"]) for e in events(env, receipt, "Refunded")] == [
        (d0.address, 2 * 10**17),
        (d1.address, 2 * 10**17),
    ]
    for donor in (d0, d1):
        assert env.balance("ETH", donor.address) == before[donor.address] + 2 * 10**17
    # Each griefer cost the batch no more than its fixed allowance.
    assert receipt["gasUsed"] < 2 * PUSH_REFUND_GAS + 150_000
    for griefer in (burner, bomber):
        assert env.f.refundableAmount(c, r, ETH, griefer.address).call() == 10**17
        assert env.balance("ETH", griefer.address) == 0
    assert env.balance_of_ledger("ETH") == 2 * 10**17
    assert env.f.tokenTotals(c, ETH).call() == (6 * 10**17, 4 * 10**17, 0, 2 * 10**17, 0)


@pytest.mark.parametrize("gas_limit", [300_000, 3_000_000, 25_000_000])
def test_return_bomb_cannot_make_the_batch_run_out_of_gas_whatever_gas_is_given(
    env: LedgerEnv, gas_limit: int
) -> None:
    c, r, _burner, bomber = griefers_in_failed_round(env)
    d0 = env.donors[0]
    call = env.f.pushRefunds(c, r, ETH, [bomber.address, d0.address])
    assert call.call({"from": env.outsider.address, "gas": gas_limit}) == 2 * 10**17
    receipt = env.outsider.send(call, gas=gas_limit)
    assert only_event(env, receipt, "RefundDeferred")["donor"] == bomber.address
    assert only_event(env, receipt, "Refunded")["donor"] == d0.address


def test_push_refunds_reverts_rather_than_short_change_a_donor_gas_allowance(env: LedgerEnv) -> None:
    c, r, burner, _bomber = griefers_in_failed_round(env)
    d0, d1 = env.donors[0], env.donors[1]
    caller = {"from": env.outsider.address}
    batch = env.f.pushRefunds(c, r, ETH, [d0.address, burner.address])
    # Too little gas for even the first donor's allowance.
    error = call_error(env, batch, {**caller, "gas": 80_000})
    assert error.name == "LedgerInsufficientGas"
    assert error.args[1] == PUSH_REFUND_NEEDED and error.args[0] < PUSH_REFUND_NEEDED
    # Enough for the first donor but not for the burner's full allowance: the whole batch reverts, rather
    # than hand the burner less gas and call its refund deferred.
    enough_for_one = env.f.pushRefunds(c, r, ETH, [d0.address]).estimate_gas(caller)
    error = call_error(env, batch, {**caller, "gas": enough_for_one + 5_000})
    assert error.name == "LedgerInsufficientGas" and error.args[1] == PUSH_REFUND_NEEDED
    with pytest.raises(TransactionFailedError, match="reverted in block"):
        env.outsider.send(batch, gas=enough_for_one + 5_000)
    assert env.f.refundableAmount(c, r, ETH, d0.address).call() == 2 * 10**17
    assert env.f.refundableAmount(c, r, ETH, burner.address).call() == 10**17
    # With the gas it needs, the batch goes through; the burner had its whole allowance and keeps its claim.
    receipt = push(env, c, r, "ETH", [d0.address, burner.address, d1.address])
    assert [e["donor"] for e in events(env, receipt, "Refunded")] == [d0.address, d1.address]
    assert only_event(env, receipt, "RefundDeferred")["donor"] == burner.address


def batch_outcome(env: LedgerEnv, batch: Any, gas: int) -> str:
    """How an ``eth_call`` of ``batch`` with ``gas`` ends: "ok", the custom error, or the node's error."""
    try:
        batch.call({"from": env.outsider.address, "gas": gas})
    except ContractLogicError as exc:
        decoded = env.admin.errors.decode(exc.data)
        return decoded.name if decoded else "no revert data"
    except Web3RPCError as exc:  # the node's own halt reason, e.g. out of gas
        return str(exc)
    return "ok"


@pytest.mark.parametrize("position", ["alone", "before-another-donor"])
def test_burning_donor_never_makes_an_underfunded_batch_run_out_of_gas(env: LedgerEnv, position: str) -> None:
    c, r, burner, _bomber = griefers_in_failed_round(env)
    donors = [burner.address] if position == "alone" else [burner.address, env.donors[0].address]
    batch = env.f.pushRefunds(c, r, ETH, donors)
    enough = batch.estimate_gas({"from": env.outsider.address})
    # From the first gas limit at which the batch reaches a donor's check up to what it needs, every failure
    # should be the named one.
    low = next(
        g for g in range(50_000, enough, 1_000) if batch_outcome(env, batch, g) == "LedgerInsufficientGas"
    )
    outcomes = {batch_outcome(env, batch, gas) for gas in range(low, enough, 1_000)}
    assert outcomes <= {"LedgerInsufficientGas", "ok"}
