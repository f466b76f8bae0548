"""Pledges: pledge (ETH) and pledgeToken (ERC-20s), USD value at receipt, and every reason to refuse one."""

from __future__ import annotations

import pytest
from web3.exceptions import ContractLogicError

from ledger.errors import TransactionFailedError
from tests.contracts.support import (
    call_reverts,
    close,
    deploy_rejecting_donor,
    deploy_token,
    gas_cost,
    mine_at,
    only_event,
    round_end,
    unit,
)
from tests.support.chain import LedgerEnv, reverts
from tests.support.units import DAY, ETH, USD


def test_pledge_eth_records_pledge_and_moves_funds(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    donor = env.donors[0]
    before = env.balance("ETH", donor.address)
    receipt = env.pledge(donor, c, r, "ETH", 3 * 10**17)
    assert dict(only_event(env, receipt, "Pledged")) == {
        "campaignId": c,
        "roundId": r,
        "donor": donor.address,
        "token": ETH,
        "amount": 3 * 10**17,
        "usdValue": 600 * USD,
        "price": 2_000 * USD,
    }
    assert env.balance("ETH", donor.address) == before - 3 * 10**17 - gas_cost(receipt)
    assert env.balance_of_ledger("ETH") == 3 * 10**17
    assert env.f.pledgeOf(c, r, ETH, donor.address).call() == 3 * 10**17
    assert env.f.roundTokenTotals(c, r, ETH).call() == [3 * 10**17, 0]
    assert env.f.round(c, r).call()[5] == 600 * USD


def test_pledge_eth_usd_value_rounds_down(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    env.admin.send(env.feeds["ETH"].functions.setAnswer(2_345_678_901_23))  # 2,345.67890123 USD
    amount = 1_234_567_890_123_456_789  # 1.234567890123456789 ETH
    receipt = env.pledge(env.donors[0], c, r, "ETH", amount)
    event = only_event(env, receipt, "Pledged")
    # 1.234567890123456789 x 2,345.67890123 = 2,895.899851998... -> 2,895.89985199 (8 decimals, rounded down)
    assert event["usdValue"] == 289_589_985_199 == amount * 2_345_678_901_23 // 10**18
    assert event["price"] == 2_345_678_901_23


def test_pledge_usdc_six_decimals_exact_usd_value(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    usdc = env.tokens["USDC"]
    env.admin.send(env.feeds["USDC"].functions.setAnswer(99_987_654))  # 0.99987654 USD
    donor = env.donors[1]
    before = env.balance("USDC", donor.address)
    receipt = env.pledge(donor, c, r, "USDC", 123_456_789)  # 123.456789 USDC
    event = only_event(env, receipt, "Pledged")
    # 123.456789 x 0.99987654 = 123.44154702483006 -> 123.44154702 USD
    assert event["usdValue"] == 12_344_154_702
    assert (event["token"], event["amount"], event["price"]) == (usdc.address, 123_456_789, 99_987_654)
    assert env.balance("USDC", donor.address) == before - 123_456_789
    assert env.balance_of_ledger("USDC") == 123_456_789
    assert env.f.round(c, r).call()[5] == 12_344_154_702


def test_pledge_dai_eighteen_decimals_exact_usd_value(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    env.admin.send(env.feeds["DAI"].functions.setAnswer(100_012_345))  # 1.00012345 USD
    amount = 7_654_321_987_654_321_123  # 7.654321987654321123 DAI
    donor = env.donors[2]
    before = env.balance("DAI", donor.address)
    receipt = env.pledge(donor, c, r, "DAI", amount)
    event = only_event(env, receipt, "Pledged")
    # 7.654321987654321123 x 1.00012345 = 7.655266913703... -> 7.65526691 USD
    assert event["usdValue"] == 765_526_691
    assert event["amount"] == amount
    assert env.balance("DAI", donor.address) == before - amount
    assert env.balance_of_ledger("DAI") == amount


def test_pledge_fee_token_is_credited_net_of_fee(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    donor = env.donors[0]
    gross = 12_345_678_901_234_567_891
    fee = gross // 100  # 1% burned on transfer
    net = gross - fee
    before = env.balance("FEE", donor.address)
    receipt = env.pledge(donor, c, r, "FEE", gross)
    event = only_event(env, receipt, "Pledged")
    assert event["amount"] == net == 12_222_222_112_222_222_213
    assert event["usdValue"] == 1_222_222_211  # net x 1 USD, 8 decimals, rounded down
    assert env.balance("FEE", donor.address) == before - gross
    assert env.balance_of_ledger("FEE") == net
    assert env.f.pledgeOf(c, r, env.token_address("FEE"), donor.address).call() == net
    assert env.f.roundTokenTotals(c, r, env.token_address("FEE")).call() == [net, 0]
    assert env.f.round(c, r).call()[5] == 1_222_222_211


def test_pledge_no_return_token_works(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    donor = env.donors[3]
    before = env.balance("USDT", donor.address)
    receipt = env.pledge(donor, c, r, "USDT", 42 * 10**6)
    event = only_event(env, receipt, "Pledged")
    assert (event["token"], event["amount"], event["usdValue"]) == (
        env.token_address("USDT"),
        42 * 10**6,
        42 * USD,
    )
    assert env.balance("USDT", donor.address) == before - 42 * 10**6
    assert env.balance_of_ledger("USDT") == 42 * 10**6


@pytest.mark.parametrize("symbol", ["ETH", "USDC", "DAI", "USDT", "FEE"])
def test_repeat_pledges_accumulate(env: LedgerEnv, symbol: str) -> None:
    c = env.create_campaign()
    r = env.open_round(c, goal_usd=10**9 * USD)
    donor, token = env.donors[0], env.token_address(symbol)
    env.pledge(donor, c, r, symbol, 2 * unit(symbol))
    env.pledge(donor, c, r, symbol, 3 * unit(symbol))
    env.pledge(env.donors[1], c, r, symbol, unit(symbol))
    net = 99 if symbol == "FEE" else 100
    assert env.f.pledgeOf(c, r, token, donor.address).call() == 5 * unit(symbol) * net // 100
    assert env.f.roundTokenTotals(c, r, token).call() == [6 * unit(symbol) * net // 100, 0]
    assert env.balance_of_ledger(symbol) == 6 * unit(symbol) * net // 100


def test_contract_donor_can_pledge(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    donor = deploy_rejecting_donor(env)
    receipt = env.donors[0].send(donor.functions.pledge(c, r), value=10**17)
    assert only_event(env, receipt, "Pledged")["donor"] == donor.address
    assert env.f.pledgeOf(c, r, ETH, donor.address).call() == 10**17


def test_pledge_reverts_on_zero_value(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    with reverts("LedgerInvalidPledgeAmount", 0):
        env.pledge(env.donors[0], c, r, "ETH", 0)


def test_pledge_token_reverts_on_zero_amount(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    with reverts("LedgerInvalidPledgeAmount", 0):
        env.pledge(env.donors[0], c, r, "USDC", 0)


def test_pledge_token_reverts_on_zero_token_address(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    with reverts("LedgerInvalidToken", ETH):
        env.donors[0].send(env.f.pledgeToken(c, r, ETH, 10**6))


def test_pledge_token_reverts_when_nothing_arrives(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    burner = deploy_token(env, 18, fee_bps=10_000)  # the whole transfer is burned
    env.admin.send(env.f.acceptToken(c, burner.address, env.feeds["DAI"].address, DAY))
    r = env.open_round(c)
    donor = env.donors[0]
    env.admin.send(burner.functions.mint(donor.address, 10**18))
    donor.send(burner.functions.approve(env.ledger.address, 10**18))
    with reverts("LedgerNothingReceived", burner.address, 10**18):
        donor.send(env.f.pledgeToken(c, r, burner.address, 10**18))


def test_pledge_token_reverts_without_allowance(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    with reverts("ERC20InsufficientAllowance", env.ledger.address, 0, 10**6):
        env.donors[0].send(env.f.pledgeToken(c, r, env.token_address("USDC"), 10**6))


@pytest.mark.parametrize("symbol", ["ETH", "USDC"])
def test_pledge_reverts_on_unknown_round(env: LedgerEnv, symbol: str) -> None:
    c = env.create_campaign()
    with reverts("LedgerUnknownRound", c, 1):
        env.pledge(env.donors[0], c, 1, symbol, unit(symbol))
    with reverts("LedgerUnknownRound", 7, 1):
        env.pledge(env.donors[0], 7, 1, symbol, unit(symbol))


@pytest.mark.parametrize("symbol", ["ETH", "DAI"])
def test_pledge_reverts_when_round_closed(env: LedgerEnv, symbol: str) -> None:
    c = env.create_campaign()
    r = env.open_round(c, goal_usd=USD)
    env.pledge(env.donors[0], c, r, symbol, unit(symbol))
    close(env, c, r)
    with reverts("LedgerRoundNotOpen", c, r):
        env.pledge(env.donors[0], c, r, symbol, unit(symbol))


def test_pledge_reverts_when_campaign_cancelled(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    env.guardian.send(env.f.cancelCampaign(c))
    with reverts("LedgerRoundNotOpen", c, r):
        env.pledge(env.donors[0], c, r, "ETH", 10**17)
    with reverts("LedgerRoundNotOpen", c, r):
        env.pledge(env.donors[0], c, r, "USDC", 10**6)


def simulate_pledge(env: LedgerEnv, c: int, r: int, symbol: str, amount: int) -> None:
    """Run a pledge as an ``eth_call`` at the latest block's time (its allowance must already be set)."""
    donor = env.donors[0].address
    if symbol == "ETH":
        env.f.pledge(c, r).call({"from": donor, "value": amount})
    else:
        env.f.pledgeToken(c, r, env.token_address(symbol), amount).call({"from": donor})


@pytest.mark.parametrize("symbol", ["ETH", "USDT"])
def test_pledge_reverts_when_round_not_started(env: LedgerEnv, symbol: str) -> None:
    c = env.create_campaign()
    start = env.now() + DAY // 2
    env.manager.send(env.f.openRound(c, start, start + DAY, USD, True))
    with reverts("LedgerRoundNotStarted", c, 1, start):
        env.pledge(env.donors[0], c, 1, symbol, unit(symbol))
    mine_at(env, start - 1)  # (env.pledge approved the amount before the pledge failed)
    with call_reverts(env, "LedgerRoundNotStarted", c, 1, start):
        simulate_pledge(env, c, 1, symbol, unit(symbol))
    mine_at(env, start)
    simulate_pledge(env, c, 1, symbol, unit(symbol))  # the start is inclusive
    env.pledge(env.donors[0], c, 1, symbol, unit(symbol))
    assert env.f.pledgeOf(c, 1, env.token_address(symbol), env.donors[0].address).call() == unit(symbol)


@pytest.mark.parametrize("symbol", ["ETH", "FEE"])
def test_pledge_reverts_when_round_ended(env: LedgerEnv, symbol: str) -> None:
    c = env.create_campaign()
    r = env.open_round(c, days=1)
    end = round_end(env, c, r)
    if symbol != "ETH":
        env.donors[0].send(env.tokens[symbol].functions.approve(env.ledger.address, 2 * unit(symbol)))
    mine_at(env, end - 10)
    env.refresh_feeds()
    mine_at(env, end - 1)
    simulate_pledge(env, c, r, symbol, unit(symbol))  # the last second of the round is accepted
    mine_at(env, end)
    with call_reverts(env, "LedgerRoundEnded", c, r, end):  # the end itself is not
        simulate_pledge(env, c, r, symbol, unit(symbol))
    env.advance(DAY)
    env.refresh_feeds()
    with reverts("LedgerRoundEnded", c, r, end):
        env.pledge(env.donors[0], c, r, symbol, unit(symbol))


def test_pledge_reverts_when_eth_not_accepted(env: LedgerEnv) -> None:
    c = env.create_campaign(("USDC",))
    r = env.open_round(c)
    with reverts("LedgerTokenNotAccepted", c, ETH):
        env.pledge(env.donors[0], c, r, "ETH", 10**17)


def test_pledge_token_reverts_when_token_not_accepted(env: LedgerEnv) -> None:
    c = env.create_campaign(("ETH", "USDC"))
    r = env.open_round(c)
    with reverts("LedgerTokenNotAccepted", c, env.token_address("DAI")):
        env.pledge(env.donors[0], c, r, "DAI", 10**18)


def test_token_accepted_by_another_campaign_is_not_accepted(env: LedgerEnv) -> None:
    env.create_campaign(("DAI",))
    c = env.create_campaign(("USDC",))
    r = env.open_round(c)
    with reverts("LedgerTokenNotAccepted", c, env.token_address("DAI")):
        env.pledge(env.donors[0], c, r, "DAI", 10**18)


@pytest.mark.parametrize("symbol", ["ETH", "USDC", "DAI"])
def test_pledge_reverts_on_stale_price(env: LedgerEnv, symbol: str) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    feed = env.feeds[symbol]
    price = feed.functions.latestRoundData().call()[1]
    now = env.now()
    env.admin.send(feed.functions.setAnswerAt(price, now - DAY - 1))
    with reverts("LedgerStalePrice", feed.address, now - DAY - 1, DAY):
        env.pledge(env.donors[0], c, r, symbol, unit(symbol))
    env.admin.send(feed.functions.setAnswer(price))
    env.pledge(env.donors[0], c, r, symbol, unit(symbol))


def test_pledge_accepts_price_exactly_max_staleness_old(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    feed = env.feeds["ETH"]
    t = env.now() + 100
    env.admin.send(feed.functions.setAnswerAt(2_000 * USD, t - DAY))
    mine_at(env, t)
    simulate_pledge(env, c, r, "ETH", 10**17)  # exactly maxStaleness old: accepted
    mine_at(env, t + 1)
    with call_reverts(env, "LedgerStalePrice", feed.address, t - DAY, DAY):
        simulate_pledge(env, c, r, "ETH", 10**17)


def test_pledge_reverts_when_feed_never_updated(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    feed = env.feeds["USDC"]
    env.admin.send(feed.functions.setAnswerAt(USD, 0))
    with reverts("LedgerStalePrice", feed.address, 0, DAY):
        env.pledge(env.donors[0], c, r, "USDC", 10**6)


def test_pledge_uses_token_max_staleness(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    feed = env.feeds["ETH"]
    env.admin.send(env.f.acceptToken(c, ETH, feed.address, 60))
    r = env.open_round(c)
    updated_at = feed.functions.latestRoundData().call()[3]
    env.advance(61)
    with reverts("LedgerStalePrice", feed.address, updated_at, 60):
        env.pledge(env.donors[0], c, r, "ETH", 10**17)
    env.refresh_feeds()
    env.pledge(env.donors[0], c, r, "ETH", 10**17)


@pytest.mark.parametrize("answer", [0, -1, -2_000 * USD])
@pytest.mark.parametrize("symbol", ["ETH", "USDC"])
def test_pledge_reverts_on_non_positive_price(env: LedgerEnv, symbol: str, answer: int) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    feed = env.feeds[symbol]
    env.admin.send(feed.functions.setAnswer(answer))
    with reverts("LedgerInvalidPrice", feed.address, answer):
        env.pledge(env.donors[0], c, r, symbol, unit(symbol))


def test_pledge_reverts_when_round_usd_total_overflows(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    price = 2**126  # a broken feed: about 8.5e29 USD per DAI
    env.admin.send(env.feeds["DAI"].functions.setAnswer(price))
    usd = 10**18 * price // 10**18
    with reverts("SafeCastOverflowedUintDowncast", 80, usd):
        env.pledge(env.donors[0], c, r, "DAI", 10**18)


def test_pledge_reverts_when_round_token_total_overflows(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    env.admin.send(env.feeds["DAI"].functions.setAnswer(1))  # keeps the USD total small
    donor = env.donors[0]
    env.admin.send(env.tokens["DAI"].functions.mint(donor.address, 2**128))
    with reverts("SafeCastOverflowedUintDowncast", 128, 2**128):
        env.pledge(donor, c, r, "DAI", 2**128)
    env.pledge(donor, c, r, "DAI", 2**128 - 1)
    with reverts("Panic", 0x11):  # the round's uint128 total would overflow
        env.pledge(donor, c, r, "DAI", 1)


def test_plain_eth_transfer_to_ledger_is_rejected(env: LedgerEnv) -> None:
    donor = env.donors[0]
    tx = {"from": donor.address, "to": env.ledger.address, "value": 10**18}
    with pytest.raises(ContractLogicError) as caught:
        env.w3.eth.estimate_gas(tx)  # type: ignore[arg-type]
    assert caught.value.data == "0x"  # no receive or fallback function: reverts without data
    before = env.balance("ETH", donor.address)
    with pytest.raises(TransactionFailedError, match="reverted in block"):
        # With explicit gas the transfer is mined, and reverts.
        donor.send_raw({"to": env.ledger.address, "value": 10**18, "gas": 100_000})
    assert env.balance_of_ledger("ETH") == 0
    assert before - env.balance("ETH", donor.address) < 10**16  # only gas was spent
