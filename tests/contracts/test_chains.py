"""The same deploy → pledge → close → refund → disburse flow on Anvil and on Ganache (pre-Cancun).

Both chains run the bytecode built for the one pinned EVM version; the flow must give the same
balances and views on each, and reverts must decode to the same custom errors.
"""

from collections.abc import Iterator

import pytest

from ledger.chain import connect
from ledger.compiler import Build
from ledger.node import NodeKind, start_node
from tests.conftest import DAY, ETH, USD, LedgerEnv, make_env, reverts


@pytest.fixture(scope="module", params=["anvil", pytest.param("ganache", marks=pytest.mark.ganache)])
def chain_env(request: pytest.FixtureRequest, build: Build) -> Iterator[LedgerEnv]:
    kind: NodeKind = request.param
    node = start_node(kind)
    try:
        yield make_env(connect(node.rpc_url), build)
    finally:
        node.stop()


def test_full_flow_gives_the_same_results_on_each_chain(chain_env: LedgerEnv) -> None:
    env = chain_env
    donor_a, donor_b = env.donors[0], env.donors[1]
    c = env.create_campaign()

    # Round 1 succeeds: ETH, 6-decimal USDC, USDT without return values, and the fee-on-transfer token.
    r1 = env.open_round(c, goal_usd=1_000 * USD)
    env.pledge(donor_a, c, r1, "ETH", 10**17)  # 0.1 ETH at 2,000 USD = 200 USD
    env.pledge(donor_a, c, r1, "USDC", 500 * 10**6)
    env.pledge(donor_b, c, r1, "USDT", 300 * 10**6)
    env.pledge(donor_b, c, r1, "FEE", 100 * 10**18)  # 1% fee: 99 arrive
    assert env.f.pledgeOf(c, r1, env.token_address("FEE"), donor_b.address).call() == 99 * 10**18
    assert env.f.round(c, r1).call()[5] == (200 + 500 + 300 + 99) * USD
    env.manager.send(env.f.closeRound(c, r1))  # goal met: early close allowed
    assert env.f.round(c, r1).call()[2] == 2  # Succeeded

    env.manager.send(env.f.approveSupplier(c, env.supplier.address, b"\x01" * 32))
    usdt = env.token_address("USDT")
    before = env.balance("USDT", env.supplier.address)
    env.manager.send(env.f.disburse(c, usdt, env.supplier.address, 250 * 10**6, b"\x02" * 32, b"\x03" * 32))
    assert env.balance("USDT", env.supplier.address) - before == 250 * 10**6
    with reverts("LedgerInsufficientFunds", c, usdt, 51 * 10**6, 50 * 10**6):
        env.manager.send(
            env.f.disburse(c, usdt, env.supplier.address, 51 * 10**6, b"\x02" * 32, b"\x03" * 32)
        )

    # Round 2 fails its all-or-nothing goal: donor A pulls its ETH back, donor B's USDC is pushed to it.
    r2 = env.open_round(c, goal_usd=1_000_000 * USD, days=1)
    env.pledge(donor_a, c, r2, "ETH", 2 * 10**17)
    env.pledge(donor_b, c, r2, "USDC", 40 * 10**6)
    env.advance(DAY + 1)
    with reverts("LedgerRoundEnded"):
        env.pledge(donor_a, c, r2, "ETH", 1)
    env.manager.send(env.f.closeRound(c, r2))
    assert env.f.round(c, r2).call()[2] == 3  # Failed

    eth_before = env.balance("ETH", donor_a.address)
    receipt = donor_a.send(env.f.claimRefund(c, r2, ETH))
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert env.balance("ETH", donor_a.address) == eth_before + 2 * 10**17 - fee
    usdc_before = env.balance("USDC", donor_b.address)
    env.outsider.send(env.f.pushRefunds(c, r2, env.token_address("USDC"), [donor_b.address, donor_a.address]))
    assert env.balance("USDC", donor_b.address) == usdc_before + 40 * 10**6
    with reverts("LedgerNothingToRefund"):
        donor_a.send(env.f.claimRefund(c, r2, ETH))

    # What the ledger holds equals pledged − refunded − disbursed, token by token.
    for symbol in ("ETH", "USDC", "USDT", "FEE"):
        pledged, refunded, disbursed, held, _ = env.f.tokenTotals(c, env.token_address(symbol)).call()
        assert held == pledged - refunded - disbursed
        assert env.balance_of_ledger(symbol) == held, symbol
    assert env.balance_of_ledger("ETH") == 10**17
    assert env.balance_of_ledger("USDC") == 500 * 10**6
    assert env.balance_of_ledger("USDT") == 50 * 10**6
