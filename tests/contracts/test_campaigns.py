"""Campaign administration: the constructor, createCampaign (and its supplier delay bounds), acceptToken (and
the lock on tokens while a round is open), setManager, cancelCampaign, campaign views."""

from __future__ import annotations

import pytest
from web3 import Web3
from web3.contract import Contract

from tests.contracts.support import (
    ADMIN_ROLE,
    CANCELLED,
    DECIMALS,
    GUARDIAN_ROLE,
    MAX_SUPPLIER_DELAY,
    PUSH_REFUND_GAS,
    assert_round_closed,
    call_reverts,
    close,
    deploy_feed,
    deploy_token,
    end_round,
    events,
    only_event,
)
from tests.support.chain import LedgerEnv, reverts
from tests.support.units import DAY, ETH, USD

ALL = ("ETH", "USDC", "DAI", "USDT", "FEE")
# CampaignInfo fields, as the campaign view returns them.
MANAGER, METADATA, ROUND_COUNT, IS_CANCELLED, IS_PAUSED, SUPPLIER_DELAY, TOKENS = range(7)


def deploy_ledger(env: LedgerEnv, admin: str, guardian: str, admin_delay: int, min_delay: int) -> Contract:
    artifact = env.build["PledgeLedger"]
    return env.admin.deploy(artifact.abi, artifact.bytecode, admin, guardian, admin_delay, min_delay)


def test_constructor_sets_admin_guardian_and_delays(env: LedgerEnv) -> None:
    ledger = deploy_ledger(env, env.manager.address, env.outsider.address, 3 * DAY, 2 * DAY)
    f = ledger.functions
    assert f.defaultAdmin().call() == env.manager.address
    assert f.hasRole(ADMIN_ROLE, env.manager.address).call() is True
    assert f.hasRole(ADMIN_ROLE, env.admin.address).call() is False  # the deployer gets nothing
    assert f.hasRole(GUARDIAN_ROLE, env.outsider.address).call() is True
    assert f.defaultAdminDelay().call() == 3 * DAY
    assert f.MIN_SUPPLIER_DELAY().call() == 2 * DAY


def test_constructor_reverts_on_zero_admin(env: LedgerEnv) -> None:
    with reverts("AccessControlInvalidDefaultAdmin", ETH):
        deploy_ledger(env, ETH, env.guardian.address, DAY, 0)


def test_constructor_reverts_on_zero_guardian(env: LedgerEnv) -> None:
    with reverts("LedgerInvalidGuardian", ETH):
        deploy_ledger(env, env.admin.address, ETH, DAY, 0)


def test_constructor_reverts_when_min_supplier_delay_above_max(env: LedgerEnv) -> None:
    with reverts("LedgerInvalidSupplierDelay", MAX_SUPPLIER_DELAY + 1, 0, MAX_SUPPLIER_DELAY):
        deploy_ledger(env, env.admin.address, env.guardian.address, DAY, MAX_SUPPLIER_DELAY + 1)
    ledger = deploy_ledger(env, env.admin.address, env.guardian.address, DAY, MAX_SUPPLIER_DELAY)
    assert ledger.functions.MIN_SUPPLIER_DELAY().call() == MAX_SUPPLIER_DELAY


def test_constants(env: LedgerEnv) -> None:
    assert env.f.MAX_TOKENS().call() == 8
    assert env.f.MAX_REFUND_BATCH().call() == 100
    assert env.f.PUSH_REFUND_GAS().call() == PUSH_REFUND_GAS
    assert env.f.MAX_SUPPLIER_DELAY().call() == MAX_SUPPLIER_DELAY == 90 * DAY
    assert env.f.MIN_SUPPLIER_DELAY().call() == 0  # every local deployment
    assert env.f.AUDITOR_ROLE().call() == Web3.keccak(text="AUDITOR_ROLE")
    assert env.f.GUARDIAN_ROLE().call() == GUARDIAN_ROLE
    assert env.f.DEFAULT_ADMIN_ROLE().call() == ADMIN_ROLE
    assert env.f.defaultAdmin().call() == env.admin.address
    assert env.f.hasRole(GUARDIAN_ROLE, env.guardian.address).call() is True


def test_create_campaign_stores_record_and_emits_event(env: LedgerEnv) -> None:
    assert env.f.campaignCount().call() == 0
    call = env.f.createCampaign(env.manager.address, "WAHO, ECOWAS", b"\x42" * 32, 2 * DAY)
    assert call.call({"from": env.admin.address}) == 1
    receipt = env.admin.send(call)
    assert dict(only_event(env, receipt, "CampaignCreated")) == {
        "campaignId": 1,
        "manager": env.manager.address,
        "beneficiary": "WAHO, ECOWAS",
        "metadataHash": b"\x42" * 32,
        "supplierDelay": 2 * DAY,
    }
    assert env.f.campaignCount().call() == 1
    assert env.f.campaign(1).call() == (env.manager.address, b"\x42" * 32, 0, False, False, 2 * DAY, [])


def test_create_campaign_ids_increase(env: LedgerEnv) -> None:
    assert env.create_campaign(()) == 1
    assert env.create_campaign(()) == 2
    assert env.f.campaignCount().call() == 2


def test_create_campaign_reverts_on_zero_manager(env: LedgerEnv) -> None:
    with reverts("LedgerInvalidManager", ETH):
        env.admin.send(env.f.createCampaign(ETH, "WAHO", b"\x11" * 32, 0))


def test_create_campaign_accepts_supplier_delays_up_to_the_max(env: LedgerEnv) -> None:
    for delay in (0, 1, MAX_SUPPLIER_DELAY):
        c = env.create_campaign((), supplier_delay=delay)
        assert env.f.campaign(c).call()[SUPPLIER_DELAY] == delay
    with reverts("LedgerInvalidSupplierDelay", MAX_SUPPLIER_DELAY + 1, 0, MAX_SUPPLIER_DELAY):
        env.create_campaign((), supplier_delay=MAX_SUPPLIER_DELAY + 1)
    with reverts("LedgerInvalidSupplierDelay", 2**32 - 1, 0, MAX_SUPPLIER_DELAY):
        env.create_campaign((), supplier_delay=2**32 - 1)


def test_create_campaign_reverts_below_the_deployment_min_supplier_delay(env: LedgerEnv) -> None:
    ledger = deploy_ledger(env, env.admin.address, env.guardian.address, DAY, 2 * DAY)
    create = ledger.functions.createCampaign
    with reverts("LedgerInvalidSupplierDelay", 0, 2 * DAY, MAX_SUPPLIER_DELAY):
        env.admin.send(create(env.manager.address, "WAHO", b"\x11" * 32, 0))
    with reverts("LedgerInvalidSupplierDelay", 2 * DAY - 1, 2 * DAY, MAX_SUPPLIER_DELAY):
        env.admin.send(create(env.manager.address, "WAHO", b"\x11" * 32, 2 * DAY - 1))
    with reverts("LedgerInvalidSupplierDelay", MAX_SUPPLIER_DELAY + 1, 2 * DAY, MAX_SUPPLIER_DELAY):
        env.admin.send(create(env.manager.address, "WAHO", b"\x11" * 32, MAX_SUPPLIER_DELAY + 1))
    env.admin.send(create(env.manager.address, "WAHO", b"\x11" * 32, 2 * DAY))
    env.admin.send(create(env.manager.address, "WAHO", b"\x11" * 32, MAX_SUPPLIER_DELAY))
    assert ledger.functions.campaign(1).call()[SUPPLIER_DELAY] == 2 * DAY
    assert ledger.functions.campaign(2).call()[SUPPLIER_DELAY] == MAX_SUPPLIER_DELAY


def test_campaign_view_reverts_for_unknown_campaign(env: LedgerEnv) -> None:
    env.create_campaign(())
    with call_reverts(env, "LedgerUnknownCampaign", 0):
        env.f.campaign(0).call()
    with call_reverts(env, "LedgerUnknownCampaign", 2):
        env.f.campaign(2).call()


def test_token_totals_view_reverts_for_unknown_campaign(env: LedgerEnv) -> None:
    with call_reverts(env, "LedgerUnknownCampaign", 3):
        env.f.tokenTotals(3, ETH).call()


@pytest.mark.parametrize("symbol", ALL)
def test_accept_token_records_config_and_emits_event(env: LedgerEnv, symbol: str) -> None:
    c = env.create_campaign(())
    token, feed = env.token_address(symbol), env.feeds[symbol].address
    receipt = env.admin.send(env.f.acceptToken(c, token, feed, 3_600))
    event = only_event(env, receipt, "TokenAccepted")
    assert dict(event) == {
        "campaignId": c,
        "token": token,
        "feed": feed,
        "tokenDecimals": DECIMALS[symbol],
        "feedDecimals": 8,
        "maxStaleness": 3_600,
    }
    # scaleExponent = token decimals + feed decimals - 8
    assert env.f.tokenConfig(c, token).call() == (feed, DECIMALS[symbol], DECIMALS[symbol], 3_600, True)
    assert env.f.campaign(c).call()[TOKENS] == [token]


def test_token_config_of_unaccepted_token_is_empty(env: LedgerEnv) -> None:
    c = env.create_campaign(("USDC",))
    assert env.f.tokenConfig(c, env.token_address("DAI")).call() == (ETH, 0, 0, 0, False)


def test_accept_token_lists_tokens_in_order(env: LedgerEnv) -> None:
    c = env.create_campaign(ALL)
    assert env.f.campaign(c).call()[TOKENS] == [env.token_address(s) for s in ALL]


def test_accept_token_again_changes_feed_without_adding_token(env: LedgerEnv) -> None:
    c = env.create_campaign(("ETH", "USDC"))
    feed18 = deploy_feed(env, 18, 2_000 * 10**18)
    receipt = env.admin.send(env.f.acceptToken(c, ETH, feed18.address, 600))
    event = only_event(env, receipt, "TokenAccepted")
    assert (event["feed"], event["tokenDecimals"], event["feedDecimals"], event["maxStaleness"]) == (
        feed18.address,
        18,
        18,
        600,
    )
    assert env.f.tokenConfig(c, ETH).call() == (feed18.address, 18, 28, 600, True)
    assert env.f.campaign(c).call()[TOKENS] == [ETH, env.token_address("USDC")]
    # The new feed prices pledges: 1 ETH at 2,000 (18-decimal feed) is 2,000 USD with 8 decimals.
    r = env.open_round(c)
    receipt = env.pledge(env.donors[0], c, r, "ETH", 10**18)
    assert only_event(env, receipt, "Pledged")["usdValue"] == 2_000 * USD


def test_accept_token_reverts_on_unknown_campaign(env: LedgerEnv) -> None:
    with reverts("LedgerUnknownCampaign", 1):
        env.admin.send(env.f.acceptToken(1, ETH, env.feeds["ETH"].address, DAY))


def test_accept_token_reverts_on_cancelled_campaign(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    env.admin.send(env.f.cancelCampaign(c))
    with reverts("LedgerCampaignCancelled", c):
        env.admin.send(env.f.acceptToken(c, ETH, env.feeds["ETH"].address, DAY))


def test_accept_token_reverts_on_zero_feed(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    with reverts("LedgerInvalidFeed", ETH):
        env.admin.send(env.f.acceptToken(c, ETH, ETH, DAY))


def test_accept_token_reverts_on_zero_staleness(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    with reverts("LedgerInvalidMaxStaleness", 0):
        env.admin.send(env.f.acceptToken(c, ETH, env.feeds["ETH"].address, 0))


def test_accept_token_reverts_when_max_tokens_reached(env: LedgerEnv) -> None:
    c = env.create_campaign(ALL)  # 5 tokens
    extra = [deploy_token(env, 6) for _ in range(4)]
    feed = env.feeds["USDC"].address
    for token in extra[:3]:
        env.admin.send(env.f.acceptToken(c, token.address, feed, DAY))
    assert len(env.f.campaign(c).call()[TOKENS]) == 8
    with reverts("LedgerTooManyTokens", c, 8):
        env.admin.send(env.f.acceptToken(c, extra[3].address, feed, DAY))
    # Changing the feed of a token already accepted is still possible at the limit.
    env.admin.send(env.f.acceptToken(c, extra[0].address, env.feeds["DAI"].address, DAY))
    assert env.f.tokenConfig(c, extra[0].address).call()[0] == env.feeds["DAI"].address
    assert len(env.f.campaign(c).call()[TOKENS]) == 8
    # The limit is per campaign.
    other = env.create_campaign(())
    env.admin.send(env.f.acceptToken(other, extra[3].address, feed, DAY))


def test_accept_token_reverts_when_decimals_too_few(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    token0 = deploy_token(env, 0)
    feed7 = deploy_feed(env, 7, 10**7)
    with reverts("LedgerUnsupportedDecimals", token0.address, 0, 7):
        env.admin.send(env.f.acceptToken(c, token0.address, feed7.address, DAY))


def test_accept_token_reverts_when_decimals_too_many(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    token37 = deploy_token(env, 37)
    with reverts("LedgerUnsupportedDecimals", token37.address, 37, 8):
        env.admin.send(env.f.acceptToken(c, token37.address, env.feeds["DAI"].address, DAY))
    feed37 = deploy_feed(env, 37, 10**37)
    with reverts("LedgerUnsupportedDecimals", env.tokens["DAI"].address, 18, 37):
        env.admin.send(env.f.acceptToken(c, env.tokens["DAI"].address, feed37.address, DAY))


def test_accept_token_accepts_decimal_bounds(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    token0, token36 = deploy_token(env, 0), deploy_token(env, 36)
    feed8 = env.feeds["DAI"].address
    env.admin.send(env.f.acceptToken(c, token0.address, feed8, DAY))  # 0 + 8 digits: scale 10**0
    env.admin.send(env.f.acceptToken(c, token36.address, feed8, DAY))  # 36 + 8 digits: scale 10**36
    assert env.f.tokenConfig(c, token0.address).call()[1:3] == (0, 0)
    assert env.f.tokenConfig(c, token36.address).call()[1:3] == (36, 36)
    # Both price correctly at 1 USD a token: 3 whole 0-decimal tokens, 100 whole 36-decimal tokens.
    r = env.open_round(c)
    donor = env.donors[0]
    env.admin.send(token0.functions.mint(donor.address, 3))
    donor.send(token0.functions.approve(env.ledger.address, 3))
    receipt = donor.send(env.f.pledgeToken(c, r, token0.address, 3))
    assert only_event(env, receipt, "Pledged")["usdValue"] == 3 * USD
    env.admin.send(token36.functions.mint(donor.address, 100 * 10**36))
    donor.send(token36.functions.approve(env.ledger.address, 100 * 10**36))
    receipt = donor.send(env.f.pledgeToken(c, r, token36.address, 100 * 10**36))
    assert only_event(env, receipt, "Pledged")["usdValue"] == 100 * USD


# ─── Tokens and feeds are fixed while a round is open ───────────────────────────────────────────────────


def test_accept_token_reverts_for_a_new_token_while_a_round_is_open(env: LedgerEnv) -> None:
    c = env.create_campaign(("ETH",))
    r = env.open_round(c)
    dai, dai_feed = env.token_address("DAI"), env.feeds["DAI"].address
    with reverts("LedgerTokensLocked", c, dai, r):
        env.admin.send(env.f.acceptToken(c, dai, dai_feed, DAY))
    assert env.f.campaign(c).call()[TOKENS] == [ETH]
    assert env.f.tokenConfig(c, dai).call()[4] is False


def test_accept_token_reverts_for_a_feed_change_while_a_round_is_open(env: LedgerEnv) -> None:
    c = env.create_campaign(("ETH", "USDC"))
    r = env.open_round(c)
    rigged = deploy_feed(env, 8, 10**6 * USD)
    before = env.f.tokenConfig(c, ETH).call()
    with reverts("LedgerTokensLocked", c, ETH, r):
        env.admin.send(env.f.acceptToken(c, ETH, rigged.address, DAY))
    # The same feed with another staleness bound is a change too.
    with reverts("LedgerTokensLocked", c, ETH, r):
        env.admin.send(env.f.acceptToken(c, ETH, env.feeds["ETH"].address, 60))
    assert env.f.tokenConfig(c, ETH).call() == before
    receipt = env.pledge(env.donors[0], c, r, "ETH", 10**18)
    assert only_event(env, receipt, "Pledged")["usdValue"] == 2_000 * USD  # priced by the original feed


def test_tokens_stay_locked_after_the_end_until_the_round_is_closed(env: LedgerEnv) -> None:
    c = env.create_campaign(("ETH",))
    r = env.open_round(c)
    end_round(env, c, r)
    with reverts("LedgerTokensLocked", c, env.token_address("DAI"), r):
        env.admin.send(env.f.acceptToken(c, env.token_address("DAI"), env.feeds["DAI"].address, DAY))
    close(env, c, r)
    env.admin.send(env.f.acceptToken(c, env.token_address("DAI"), env.feeds["DAI"].address, DAY))
    assert env.f.campaign(c).call()[TOKENS] == [ETH, env.token_address("DAI")]


def test_tokens_and_feeds_are_free_again_after_the_round_closes(env: LedgerEnv) -> None:
    c = env.create_campaign(("ETH",))
    r = env.open_round(c, goal_usd=USD)
    env.pledge(env.donors[0], c, r, "ETH", 10**18)
    close(env, c, r)
    feed18 = deploy_feed(env, 18, 3_000 * 10**18)
    env.admin.send(env.f.acceptToken(c, ETH, feed18.address, DAY))
    env.admin.send(env.f.acceptToken(c, env.token_address("USDC"), env.feeds["USDC"].address, DAY))
    assert env.f.campaign(c).call()[TOKENS] == [ETH, env.token_address("USDC")]
    # The next round is priced by the new feed, and locks the tokens again.
    r2 = env.open_round(c)
    receipt = env.pledge(env.donors[0], c, r2, "ETH", 10**18)
    assert only_event(env, receipt, "Pledged")["usdValue"] == 3_000 * USD
    with reverts("LedgerTokensLocked", c, ETH, r2):
        env.admin.send(env.f.acceptToken(c, ETH, env.feeds["ETH"].address, DAY))


def test_an_open_round_of_one_campaign_does_not_lock_another(env: LedgerEnv) -> None:
    c1, c2 = env.create_campaign(("ETH",)), env.create_campaign(("ETH",))
    env.open_round(c1)
    env.admin.send(env.f.acceptToken(c2, env.token_address("DAI"), env.feeds["DAI"].address, DAY))
    assert env.f.campaign(c2).call()[TOKENS] == [ETH, env.token_address("DAI")]


# ─── setManager ─────────────────────────────────────────────────────────────────────────────────────────


def test_set_manager_replaces_manager_and_emits_event(env: LedgerEnv) -> None:
    c = env.create_campaign(("ETH",))
    new = env.donors[3]
    receipt = env.admin.send(env.f.setManager(c, new.address))
    assert dict(only_event(env, receipt, "CampaignManagerChanged")) == {
        "campaignId": c,
        "previousManager": env.manager.address,
        "newManager": new.address,
    }
    assert env.f.campaign(c).call()[MANAGER] == new.address
    now = env.now()
    with reverts("LedgerUnauthorizedManager", c, env.manager.address):
        env.manager.send(env.f.openRound(c, now, now + DAY, USD, True))
    new.send(env.f.openRound(c, now, now + DAY, USD, True))
    assert env.f.campaign(c).call()[ROUND_COUNT] == 1


def test_set_manager_reverts_on_zero_address(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    with reverts("LedgerInvalidManager", ETH):
        env.admin.send(env.f.setManager(c, ETH))


def test_set_manager_reverts_on_unknown_campaign(env: LedgerEnv) -> None:
    with reverts("LedgerUnknownCampaign", 5):
        env.admin.send(env.f.setManager(5, env.outsider.address))


def test_set_manager_works_on_cancelled_campaign(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    env.admin.send(env.f.cancelCampaign(c))
    env.admin.send(env.f.setManager(c, env.outsider.address))
    assert env.f.campaign(c).call()[MANAGER] == env.outsider.address


# ─── cancelCampaign (the guardian's or the admin's) ─────────────────────────────────────────────────────


def test_cancel_campaign_without_open_round(env: LedgerEnv) -> None:
    c = env.create_campaign(("ETH",))
    r = env.open_round(c, goal_usd=USD)
    env.pledge(env.donors[0], c, r, "ETH", 10**18)
    env.manager.send(env.f.closeRound(c, r))
    receipt = env.guardian.send(env.f.cancelCampaign(c))
    assert dict(only_event(env, receipt, "CampaignCancelled")) == {
        "campaignId": c,
        "cancelledRoundId": 0,
        "account": env.guardian.address,
    }
    assert events(env, receipt, "RoundClosed") == []
    info = env.f.campaign(c).call()
    assert info[IS_CANCELLED] is True and info[ROUND_COUNT] == 1


def test_cancel_campaign_cancels_its_open_round(env: LedgerEnv) -> None:
    c = env.create_campaign(("ETH",))
    r = env.open_round(c, goal_usd=10_000 * USD)
    env.pledge(env.donors[0], c, r, "ETH", 10**18)
    receipt = env.admin.send(env.f.cancelCampaign(c))
    assert_round_closed(env, receipt, c, r, CANCELLED, 2_000 * USD, env.admin.address)
    assert dict(only_event(env, receipt, "CampaignCancelled")) == {
        "campaignId": c,
        "cancelledRoundId": r,
        "account": env.admin.address,
    }
    assert env.f.round(c, r).call()[2] == CANCELLED
    totals = env.f.tokenTotals(c, ETH).call()
    assert totals == (10**18, 0, 0, 10**18, 0)


def test_cancel_campaign_without_rounds(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    receipt = env.guardian.send(env.f.cancelCampaign(c))
    assert only_event(env, receipt, "CampaignCancelled")["cancelledRoundId"] == 0
    assert env.f.campaign(c).call()[IS_CANCELLED] is True


def test_cancel_campaign_reverts_when_already_cancelled(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    env.guardian.send(env.f.cancelCampaign(c))
    with reverts("LedgerCampaignCancelled", c):
        env.admin.send(env.f.cancelCampaign(c))
    with reverts("LedgerCampaignCancelled", c):
        env.guardian.send(env.f.cancelCampaign(c))


def test_cancel_campaign_reverts_on_unknown_campaign(env: LedgerEnv) -> None:
    with reverts("LedgerUnknownCampaign", 1):
        env.guardian.send(env.f.cancelCampaign(1))


def test_cancel_one_campaign_leaves_others_untouched(env: LedgerEnv) -> None:
    c1 = env.create_campaign(("ETH",))
    c2 = env.create_campaign(("ETH",))
    r2 = env.open_round(c2)
    env.guardian.send(env.f.cancelCampaign(c1))
    assert env.f.campaign(c2).call()[IS_CANCELLED] is False
    env.pledge(env.donors[0], c2, r2, "ETH", 10**17)
    assert env.f.pledgeOf(c2, r2, ETH, env.donors[0].address).call() == 10**17
