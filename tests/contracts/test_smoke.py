from tests.conftest import DAY, USD, LedgerEnv, reverts


def test_pledge_then_close_then_disburse(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c, goal_usd=100 * USD)
    env.pledge(env.donors[0], c, r, "USDC", 150 * 10**6)
    env.manager.send(env.f.closeRound(c, r))
    env.manager.send(env.f.approveSupplier(c, env.supplier.address, b"\x01" * 32))
    env.manager.send(
        env.f.disburse(
            c, env.token_address("USDC"), env.supplier.address, 100 * 10**6, b"\x02" * 32, b"\x03" * 32
        )
    )
    totals = env.f.tokenTotals(c, env.token_address("USDC")).call()
    assert totals[0] == 150 * 10**6 and totals[2] == 100 * 10**6 and totals[3] == 50 * 10**6
    assert env.balance_of_ledger("USDC") == 50 * 10**6
    with reverts("LedgerInsufficientFunds"):
        env.manager.send(
            env.f.disburse(
                c, env.token_address("USDC"), env.supplier.address, 51 * 10**6, b"\x02" * 32, b"\x03" * 32
            )
        )
    env.advance(DAY)


def test_ledger_cannot_be_approved_as_its_own_supplier(env: LedgerEnv) -> None:
    c = env.create_campaign(("USDC",))
    with reverts("LedgerInvalidSupplier", env.ledger.address):
        env.manager.send(env.f.approveSupplier(c, env.ledger.address, b"\x01" * 32))
