"""The typed client on a real Anvil: every call returns its mined transaction with the ledger's events,
reverts come back as errors of the kind the user can act on, in words, and several transactions in a row
need no waiting."""

from __future__ import annotations

import json

import pytest
from web3.types import RPCEndpoint

from ledger.client import ETH, LedgerClient, RoundState, TxResult
from ledger.errors import (
    ContractRevertError,
    InsufficientFundsError,
    InvalidArgumentError,
    LedgerError,
    NotAllowedNowError,
    NotFoundOnChainError,
    UnauthorizedError,
)
from ledger.reverts import utc
from tests.contracts.support import INVOICE, PO, RECORD, unit
from tests.support.chain import LedgerEnv
from tests.support.units import DAY, USD


def test_each_call_returns_its_transaction_with_the_ledgers_events(env: LedgerEnv) -> None:
    admin = env.client(env.admin)
    created = admin.create_campaign(env.manager.address, "WAHO", b"\x11" * 32, 2 * DAY)
    campaign = created.event("CampaignCreated")
    assert campaign["manager"] == env.manager.address and campaign["supplierDelay"] == 2 * DAY
    accepted = admin.accept_token(campaign["campaignId"], ETH, env.feeds["ETH"].address, DAY)
    assert accepted.event("TokenAccepted")["feed"] == env.feeds["ETH"].address
    receipt = env.w3.eth.get_transaction_receipt(accepted.tx_hash)
    assert (accepted.block_number, accepted.gas_used) == (receipt["blockNumber"], receipt["gasUsed"])
    assert accepted.fee_wei == receipt["gasUsed"] * receipt["effectiveGasPrice"]
    info = env.client().campaign(campaign["campaignId"])
    assert (info.manager, info.supplier_delay, info.tokens, info.paused) == (
        env.manager.address,
        2 * DAY,
        (ETH,),
        False,
    )


def test_a_token_pledge_approves_first_and_its_other_contracts_logs_are_left_out(env: LedgerEnv) -> None:
    c = env.create_campaign(("USDC",))
    r = env.open_round(c)
    donor = env.client(env.donors[0])
    usdc = env.token_address("USDC")
    pledged = donor.pledge_amount(c, r, usdc, 5 * unit("USDC"))
    assert [e.name for e in pledged.events] == ["Pledged"]  # the token's Transfer is not the ledger's
    assert pledged.event("Pledged")["amount"] == 5 * unit("USDC")
    assert donor.allowance(usdc, env.donors[0].address) == 0
    assert env.client().pledge_of(c, r, usdc, env.donors[0].address) == 5 * unit("USDC")
    assert env.client().round(c, r).state is RoundState.OPEN


def test_the_result_reads_as_exact_json(env: LedgerEnv) -> None:
    c = env.create_campaign(("DAI",))
    r = env.open_round(c, goal_usd=10**9 * USD)
    result = env.pledge(env.donors[0], c, r, "DAI", 123_456 * unit("DAI") + 1)
    assert isinstance(result, TxResult)
    data = json.loads(json.dumps(result.to_json()))
    [event] = data["events"]
    assert event["event"] == "Pledged"
    assert event["args"]["amount"] == str(123_456 * unit("DAI") + 1)  # beyond 2**53: a string, exact
    assert data["tx_hash"] == result.tx_hash and data["block_number"] == result.block_number


def test_transactions_in_a_row_use_eip_1559_fees_and_consecutive_nonces(env: LedgerEnv) -> None:
    c = env.create_campaign(("ETH",))
    r = env.open_round(c)
    donor = env.client(env.donors[1])
    start = env.w3.eth.get_transaction_count(env.donors[1].address)
    results = [donor.pledge(c, r, 10**15 + i) for i in range(5)]
    txs = [env.w3.eth.get_transaction(x.tx_hash) for x in results]
    assert [tx["nonce"] for tx in txs] == list(range(start, start + 5))
    assert all(tx["type"] == 2 and tx["maxFeePerGas"] >= tx["maxPriorityFeePerGas"] for tx in txs)


def test_a_refused_estimate_does_not_use_up_a_nonce(env: LedgerEnv) -> None:
    c = env.create_campaign(("ETH",))
    r = env.open_round(c)
    donor = env.client(env.donors[2])
    before = env.w3.eth.get_transaction_count(env.donors[2].address)
    with pytest.raises(InvalidArgumentError):
        donor.pledge(c, r, 0)
    donor.pledge(c, r, 10**15)
    assert env.w3.eth.get_transaction_count(env.donors[2].address) == before + 1


def test_simulating_and_estimating_send_nothing(env: LedgerEnv) -> None:
    c = env.create_campaign(("ETH",))
    r = env.open_round(c)
    donor = env.client(env.donors[0])
    before = env.w3.eth.get_transaction_count(env.donors[0].address)
    call = donor.calls.pledge(c, r, 10**15)
    assert donor.simulate(call) == b""
    estimate = donor.estimate(call)
    assert 50_000 < estimate.gas < 200_000 and estimate.max_fee_wei > 0
    with pytest.raises(NotFoundOnChainError, match=f"campaign {c} has no round {r + 1}"):
        donor.simulate(donor.calls.pledge(c, r + 1, 10**15))
    assert env.w3.eth.get_transaction_count(env.donors[0].address) == before


def test_reverts_come_back_as_the_kind_of_error_a_user_can_act_on(env: LedgerEnv) -> None:
    c = env.create_campaign(("ETH", "USDC"))
    r = env.open_round(c, goal_usd=10**9 * USD)
    outsider, manager = env.client(env.outsider), env.client(env.manager)
    manager.approve_supplier(c, env.supplier.address, RECORD)
    with pytest.raises(
        UnauthorizedError, match=f"{env.outsider.address} is not the manager of campaign {c}"
    ) as e:
        outsider.open_round(c, env.now(), env.now() + DAY, USD, True)
    assert isinstance(e.value, PermissionError) and e.value.error == "LedgerUnauthorizedManager"
    with pytest.raises(UnauthorizedError, match="lacks the admin role"):
        outsider.create_campaign(env.manager.address, "x", b"\x01" * 32, 0)
    with pytest.raises(NotFoundOnChainError, match="campaign 99 has no round 1"):
        outsider.pledge(99, 1, 1)
    with pytest.raises(InvalidArgumentError, match="a round's goal must be more than 0 USD"):
        manager.open_round(env.create_campaign(()), env.now(), env.now() + DAY, 0, True)
    with pytest.raises(
        InsufficientFundsError, match=f"campaign {c} can spend only 0 base units of ETH, not 5"
    ):
        manager.disburse(c, ETH, env.supplier.address, 5, PO, INVOICE)
    with pytest.raises(InsufficientFundsError, match="approve it first"):
        env.client(env.donors[0]).pledge_token(c, r, env.token_address("USDC"), unit("USDC"))


def test_a_message_reads_what_the_chain_knows_of_the_round(env: LedgerEnv) -> None:
    c = env.create_campaign(("ETH",))
    r = env.open_round(c, days=14)
    end = env.client().round(c, r).end
    manager = env.client(env.manager)
    with pytest.raises(NotAllowedNowError) as caught:
        manager.open_round(c, env.now(), env.now() + DAY, USD, True)
    assert str(caught.value) == (
        "openRound reverted with LedgerRoundStillOpen: "
        f"round {r} of campaign {c} is still open until {utc(end)}"
    )
    with pytest.raises(NotAllowedNowError, match=f"is open until {utc(end)}: before then only its manager"):
        env.client(env.donors[0]).close_round(c, r)
    env.w3.provider.make_request(RPCEndpoint("evm_mine"), [end])
    env.client(env.donors[0]).close_round(c, r)
    with pytest.raises(NotAllowedNowError, match=f"round {r} of campaign {c} is not open: it is failed"):
        manager.close_round(c, r)


def test_a_client_without_a_signer_only_reads(env: LedgerEnv) -> None:
    reader = env.client()
    assert reader.campaign_count() == 0
    with pytest.raises(LedgerError, match="only reads"):
        reader.pledge(1, 1, 1)
    with pytest.raises(ContractRevertError, match="there is no campaign 7"):
        reader.campaign(7)


def test_the_client_serves_another_signer_of_the_same_ledger(env: LedgerEnv) -> None:
    c = env.create_campaign(("ETH",))
    client = LedgerClient(env.w3, env.ledger.address, env.build["PledgeLedger"].abi)
    guardian = client.as_signer(env.guardian)
    assert guardian.pause_campaign(c).event("CampaignPaused")["account"] == env.guardian.address
    assert client.campaign(c).paused
