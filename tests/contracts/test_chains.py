"""The ledger's whole flow on Ganache and on Anvil, with the same expectations on both.

Each chain gets its own node (module-scoped, always stopped) and a fresh deployment by ``make_env``:
pledges in ETH and every ERC-20 (6- and 18-decimal, USDT-style without return values, 1% fee on
transfer), an all-or-nothing round that fails and is refunded (claimed and pushed), and a round that
succeeds and pays a supplier, including over-limit payments that must revert. Reverts are checked by
custom error name and arguments, which on Ganache come from the ``result`` field of the RPC error.
Finally the ledger's events on both chains are compared: the same calls must emit the same events.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from web3.logs import DISCARD
from web3.types import TxReceipt

from ledger.chain import connect
from ledger.compiler import Build
from ledger.node import LocalNode, start_node
from tests.support.chain import LedgerEnv, make_env, reverts
from tests.support.units import DAY, ETH, USD

ETHER = 10**18
FAILED, SUCCEEDED = 3, 2  # IPledgeLedger.RoundState

#: chain → test → the ledger events its calls emitted (without timestamps), for comparing the chains.
TRANSCRIPTS: dict[str, dict[str, list[tuple[str, dict[str, Any]]]]] = {}


@pytest.fixture(scope="module", params=["anvil", pytest.param("ganache", marks=pytest.mark.ganache)])
def chain(request: pytest.FixtureRequest, build: Build) -> Iterator[tuple[str, LedgerEnv]]:
    """A node of the given kind with the ledger and test assets deployed, stopped however the tests end."""
    node: LocalNode = start_node(request.param)
    try:
        yield request.param, make_env(connect(node.rpc_url), build)
    finally:
        node.stop()


def gas_cost(receipt: TxReceipt) -> int:
    return int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])


def totals(env: LedgerEnv, campaign_id: int, symbol: str) -> tuple[int, int, int, int, int]:
    """(pledged, refunded, disbursed, held, available)."""
    return tuple(env.f.tokenTotals(campaign_id, env.token_address(symbol)).call())  # type: ignore[return-value]


def record(kind: str, test: str, env: LedgerEnv, from_block: int) -> None:
    """Keep the ledger's events since ``from_block``; once both chains ran a test, they must agree."""
    topics = {event.topic: event for event in env.ledger.all_events()}
    logs = env.w3.eth.get_logs({"address": env.ledger.address, "fromBlock": from_block})
    events = []
    for log in logs:
        decoded = topics[log["topics"][0].to_0x_hex()].process_log(log)
        # Timestamps differ between the chains: a round's window, a supplier approval's effective time.
        args = {k: v for k, v in decoded["args"].items() if k not in ("start", "end", "effectiveAt")}
        events.append((decoded["event"], args))
    assert events
    TRANSCRIPTS.setdefault(kind, {})[test] = events
    if all(test in TRANSCRIPTS.get(k, {}) for k in ("anvil", "ganache")):
        assert TRANSCRIPTS["anvil"][test] == TRANSCRIPTS["ganache"][test]


def test_failed_all_or_nothing_round_is_refunded(chain: tuple[str, LedgerEnv]) -> None:
    kind, env = chain
    first_block = env.w3.eth.block_number + 1
    donors = [d.address for d in env.donors]
    held_before = {s: env.balance_of_ledger(s) for s in ("ETH", "USDC", "DAI", "USDT", "FEE")}
    c = env.create_campaign()
    r = env.open_round(c, goal_usd=10_000 * USD, days=7, aon=True)
    end = env.f.round(c, r).call()[1]

    pledges = {
        "ETH": (0, ETHER),  # 2,000 USD
        "USDC": (1, 100 * 10**6),
        "DAI": (0, 20 * ETHER),
        "USDT": (2, 50 * 10**6),
        "FEE": (3, 10 * ETHER),  # 1% burnt on the way in: 9.9 credited
    }
    credited = {s: amount - (amount // 100 if s == "FEE" else 0) for s, (_, amount) in pledges.items()}
    for symbol, (donor, amount) in pledges.items():
        env.pledge(env.donors[donor], c, r, symbol, amount)
    for symbol, (donor, _) in pledges.items():
        assert env.f.pledgeOf(c, r, env.token_address(symbol), donors[donor]).call() == credited[symbol]
        assert totals(env, c, symbol) == (credited[symbol], 0, 0, credited[symbol], 0)
        assert env.balance_of_ledger(symbol) - held_before[symbol] == credited[symbol]
    assert env.f.round(c, r).call()[5] == (2_000 + 100 + 20 + 50) * USD + 99 * USD // 10

    # The round can close only at its end (the goal is not met); after that it takes no pledges.
    with reverts("LedgerRoundNotEnded", c, r, end):
        env.manager.send(env.f.closeRound(c, r))
    env.advance(8 * DAY)
    env.refresh_feeds()
    with reverts("LedgerRoundEnded", c, r, end):
        env.pledge(env.donors[1], c, r, "ETH", ETHER)
    receipt = env.manager.send(env.f.closeRound(c, r))
    assert (
        env.ledger.events.RoundClosed().process_receipt(receipt, errors=DISCARD)[0]["args"]["outcome"]
        == FAILED
    )
    assert env.f.round(c, r).call()[2] == FAILED

    # Claimed refunds: ETH (the donor pays the gas) and USDC; a second claim has nothing left.
    eth_before = env.balance("ETH", donors[0])
    receipt = env.donors[0].send(env.f.claimRefund(c, r, ETH))
    assert env.balance("ETH", donors[0]) == eth_before + ETHER - gas_cost(receipt)
    with reverts("LedgerNothingToRefund", c, r, ETH, donors[0]):
        env.donors[0].send(env.f.claimRefund(c, r, ETH))
    usdc_before = env.balance("USDC", donors[1])
    env.donors[1].send(env.f.claimRefund(c, r, env.token_address("USDC")))
    assert env.balance("USDC", donors[1]) == usdc_before + 100 * 10**6

    # Pushed refunds, paid for by an outsider: donors owed nothing in the batch are skipped.
    before = {s: env.balance(s, donors[pledges[s][0]]) for s in ("DAI", "USDT", "FEE")}
    for symbol in ("DAI", "USDT", "FEE"):
        batch = [donors[pledges[symbol][0]], donors[1]]  # donor 1 pledged none of these
        receipt = env.outsider.send(env.f.pushRefunds(c, r, env.token_address(symbol), batch))
        (refunded,) = env.ledger.events.Refunded().process_receipt(receipt, errors=DISCARD)
        assert (refunded["args"]["donor"], refunded["args"]["amount"]) == (batch[0], credited[symbol])
    assert env.balance("DAI", donors[0]) == before["DAI"] + 20 * ETHER
    assert env.balance("USDT", donors[2]) == before["USDT"] + 50 * 10**6
    assert env.balance("FEE", donors[3]) == before["FEE"] + 9_801 * ETHER // 1_000  # 1% burnt again

    for symbol, (donor, _) in pledges.items():
        assert totals(env, c, symbol) == (credited[symbol], credited[symbol], 0, 0, 0)
        assert env.f.pledgeOf(c, r, env.token_address(symbol), donors[donor]).call() == 0
        assert env.balance_of_ledger(symbol) == held_before[symbol]
    record(kind, "failed round", env, first_block)


def test_succeeded_round_pays_a_supplier(chain: tuple[str, LedgerEnv]) -> None:
    kind, env = chain
    first_block = env.w3.eth.block_number + 1
    supplier = env.supplier.address
    held_before = {s: env.balance_of_ledger(s) for s in ("ETH", "USDT", "FEE")}
    c = env.create_campaign(("ETH", "USDT", "FEE"))
    r = env.open_round(c, goal_usd=500 * USD, days=14, aon=True)
    env.pledge(env.donors[0], c, r, "ETH", ETHER // 5)  # 400 USD
    env.pledge(env.donors[1], c, r, "USDT", 150 * 10**6)
    env.pledge(env.donors[2], c, r, "FEE", 50 * ETHER)  # 49.5 credited
    with reverts("LedgerTokenNotAccepted", c, env.token_address("DAI")):
        env.pledge(env.donors[3], c, r, "DAI", ETHER)

    # The goal is met, so the round closes before its end, and its funds become spendable, not refundable.
    receipt = env.manager.send(env.f.closeRound(c, r))
    assert (
        env.ledger.events.RoundClosed().process_receipt(receipt, errors=DISCARD)[0]["args"]["outcome"]
        == SUCCEEDED
    )
    assert tuple(env.f.round(c, r).call())[2:] == (SUCCEEDED, True, 500 * USD, 5_995 * USD // 10)
    with reverts("LedgerNotRefundable", c, r):
        env.donors[0].send(env.f.claimRefund(c, r, ETH))

    usdt, fee = env.token_address("USDT"), env.token_address("FEE")
    with reverts("LedgerSupplierNotApproved", c, supplier):
        env.manager.send(env.f.disburse(c, usdt, supplier, 1, b"\x01" * 32, b"\x02" * 32))
    env.manager.send(env.f.approveSupplier(c, supplier, b"\x03" * 32))
    before = {s: env.balance(s, supplier) for s in ("ETH", "USDT", "FEE")}
    for token, amount in ((usdt, 100 * 10**6), (ETH, 15 * ETHER // 100), (fee, 20 * ETHER)):
        env.manager.send(env.f.disburse(c, token, supplier, amount, b"\x04" * 32, b"\x05" * 32))
    assert env.balance("USDT", supplier) == before["USDT"] + 100 * 10**6
    assert env.balance("ETH", supplier) == before["ETH"] + 15 * ETHER // 100
    assert env.balance("FEE", supplier) == before["FEE"] + 198 * ETHER // 10  # 1% burnt on the way out

    # Nothing beyond what is available can be paid, to the base unit.
    with reverts("LedgerInsufficientFunds", c, usdt, 50 * 10**6 + 1, 50 * 10**6):
        env.manager.send(env.f.disburse(c, usdt, supplier, 50 * 10**6 + 1, b"\x06" * 32, b"\x07" * 32))
    with reverts("LedgerInsufficientFunds", c, ETH, ETHER, 5 * ETHER // 100):
        env.manager.send(env.f.disburse(c, ETH, supplier, ETHER, b"\x06" * 32, b"\x07" * 32))

    expected = {
        "ETH": (ETHER // 5, 0, 15 * ETHER // 100, 5 * ETHER // 100, 5 * ETHER // 100),
        "USDT": (150 * 10**6, 0, 100 * 10**6, 50 * 10**6, 50 * 10**6),
        "FEE": (495 * ETHER // 10, 0, 20 * ETHER, 295 * ETHER // 10, 295 * ETHER // 10),
    }
    for symbol, want in expected.items():
        assert totals(env, c, symbol) == want
        assert env.balance_of_ledger(symbol) - held_before[symbol] == want[3]  # held
    record(kind, "succeeded round", env, first_block)
