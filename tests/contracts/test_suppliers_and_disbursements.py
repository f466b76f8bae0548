"""Suppliers and payments: approveSupplier, revokeSupplier, disburse, and supplierRecord."""

from __future__ import annotations

import pytest

from tests.conftest import DAY, ETH, USD, LedgerEnv, reverts
from tests.contracts.support import (
    INVOICE,
    PO,
    RECORD,
    approve_supplier,
    close,
    deploy_rejecting_donor,
    deploy_token,
    disburse,
    failed_aon_round,
    gas_cost,
    make_transfers_fail,
    only_event,
    succeeded_round,
    unit,
)


def funded_campaign(env: LedgerEnv, symbol: str, amount: int) -> int:
    """A campaign whose succeeded round holds ``amount`` of ``symbol`` (net of any fee), supplier approved."""
    c = env.create_campaign()
    succeeded_round(env, c, [(env.donors[0], symbol, amount)])
    approve_supplier(env, c)
    return c


# ─── approveSupplier / revokeSupplier ──────────────────────────────────────────────────────────────────


def test_approve_supplier_records_hash_and_emits_event(env: LedgerEnv) -> None:
    c = env.create_campaign()
    assert env.f.supplierRecord(c, env.supplier.address).call() == b"\x00" * 32
    receipt = env.manager.send(env.f.approveSupplier(c, env.supplier.address, RECORD))
    assert dict(only_event(env, receipt, "SupplierApproved")) == {
        "campaignId": c,
        "supplier": env.supplier.address,
        "recordHash": RECORD,
    }
    assert env.f.supplierRecord(c, env.supplier.address).call() == RECORD
    # Approving again replaces the record.
    env.manager.send(env.f.approveSupplier(c, env.supplier.address, b"\x77" * 32))
    assert env.f.supplierRecord(c, env.supplier.address).call() == b"\x77" * 32


def test_supplier_approval_is_per_campaign(env: LedgerEnv) -> None:
    c1, c2 = env.create_campaign(), env.create_campaign()
    approve_supplier(env, c1)
    assert env.f.supplierRecord(c2, env.supplier.address).call() == b"\x00" * 32


def test_approve_supplier_reverts_on_zero_address(env: LedgerEnv) -> None:
    c = env.create_campaign()
    with reverts("LedgerZeroAddress"):
        env.manager.send(env.f.approveSupplier(c, ETH, RECORD))


def test_approve_supplier_reverts_on_ledger_itself(env: LedgerEnv) -> None:
    c = env.create_campaign()
    with reverts("LedgerInvalidSupplier", env.ledger.address):
        env.manager.send(env.f.approveSupplier(c, env.ledger.address, RECORD))


def test_approve_supplier_reverts_on_zero_hash(env: LedgerEnv) -> None:
    c = env.create_campaign()
    with reverts("LedgerZeroHash"):
        env.manager.send(env.f.approveSupplier(c, env.supplier.address, b"\x00" * 32))


def test_approve_supplier_reverts_on_cancelled_campaign(env: LedgerEnv) -> None:
    c = env.create_campaign()
    env.admin.send(env.f.cancelCampaign(c))
    with reverts("LedgerCampaignCancelled", c):
        env.manager.send(env.f.approveSupplier(c, env.supplier.address, RECORD))


def test_approve_supplier_reverts_on_unknown_campaign(env: LedgerEnv) -> None:
    with reverts("LedgerUnknownCampaign", 2):
        env.manager.send(env.f.approveSupplier(2, env.supplier.address, RECORD))


def test_revoke_supplier_clears_record_and_emits_event(env: LedgerEnv) -> None:
    c = env.create_campaign()
    approve_supplier(env, c)
    receipt = env.manager.send(env.f.revokeSupplier(c, env.supplier.address))
    assert dict(only_event(env, receipt, "SupplierRevoked")) == {
        "campaignId": c,
        "supplier": env.supplier.address,
    }
    assert env.f.supplierRecord(c, env.supplier.address).call() == b"\x00" * 32


def test_revoke_supplier_reverts_when_not_approved(env: LedgerEnv) -> None:
    c = env.create_campaign()
    with reverts("LedgerSupplierNotApproved", c, env.supplier.address):
        env.manager.send(env.f.revokeSupplier(c, env.supplier.address))
    approve_supplier(env, c)
    env.manager.send(env.f.revokeSupplier(c, env.supplier.address))
    with reverts("LedgerSupplierNotApproved", c, env.supplier.address):
        env.manager.send(env.f.revokeSupplier(c, env.supplier.address))


def test_revoke_supplier_reverts_on_unknown_campaign(env: LedgerEnv) -> None:
    with reverts("LedgerUnknownCampaign", 1):
        env.manager.send(env.f.revokeSupplier(1, env.supplier.address))


def test_revoke_supplier_still_possible_after_cancellation(env: LedgerEnv) -> None:
    c = env.create_campaign()
    approve_supplier(env, c)
    env.admin.send(env.f.cancelCampaign(c))
    env.manager.send(env.f.revokeSupplier(c, env.supplier.address))
    assert env.f.supplierRecord(c, env.supplier.address).call() == b"\x00" * 32


# ─── disburse ──────────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("symbol", ["ETH", "USDC", "DAI", "USDT", "FEE"])
def test_disburse_pays_supplier_and_emits_event(env: LedgerEnv, symbol: str) -> None:
    pledged = 10 * unit(symbol)
    held = pledged - pledged // 100 if symbol == "FEE" else pledged
    c = funded_campaign(env, symbol, pledged)
    token = env.token_address(symbol)
    amount = 4 * unit(symbol)
    before = env.balance(symbol, env.supplier.address)
    receipt = disburse(env, c, symbol, amount)
    assert dict(only_event(env, receipt, "Disbursed")) == {
        "campaignId": c,
        "supplier": env.supplier.address,
        "purchaseOrderRef": PO,
        "token": token,
        "amount": amount,
        "invoiceHash": INVOICE,
    }
    received = amount - amount // 100 if symbol == "FEE" else amount  # the fee token burns 1% on the way
    assert env.balance(symbol, env.supplier.address) == before + received
    assert env.balance_of_ledger(symbol) == held - amount
    assert env.f.tokenTotals(c, token).call() == (held, 0, amount, held - amount, held - amount)


def test_disburse_does_not_charge_supplier(env: LedgerEnv) -> None:
    c = funded_campaign(env, "ETH", 10**18)
    before_manager = env.balance("ETH", env.manager.address)
    receipt = disburse(env, c, "ETH", 10**17)
    assert env.balance("ETH", env.manager.address) == before_manager - gas_cost(receipt)
    assert env.balance_of_ledger("ETH") == 9 * 10**17


def test_disburse_up_to_available_then_reverts(env: LedgerEnv) -> None:
    c = funded_campaign(env, "USDC", 100 * 10**6)
    usdc = env.token_address("USDC")
    disburse(env, c, "USDC", 60 * 10**6)
    with reverts("LedgerInsufficientFunds", c, usdc, 40 * 10**6 + 1, 40 * 10**6):
        disburse(env, c, "USDC", 40 * 10**6 + 1)
    disburse(env, c, "USDC", 40 * 10**6)  # exactly what is left
    with reverts("LedgerInsufficientFunds", c, usdc, 1, 0):
        disburse(env, c, "USDC", 1)
    assert env.balance_of_ledger("USDC") == 0
    assert env.balance("USDC", env.supplier.address) == 100 * 10**6


def test_disburse_never_from_failed_all_or_nothing_round(env: LedgerEnv) -> None:
    c = env.create_campaign()
    failed_aon_round(env, c, [(env.donors[0], "ETH", 10**18)])
    approve_supplier(env, c)
    assert env.balance_of_ledger("ETH") == 10**18
    with reverts("LedgerInsufficientFunds", c, ETH, 1, 0):
        disburse(env, c, "ETH", 1)


def test_disburse_never_from_open_round(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    env.pledge(env.donors[0], c, r, "USDC", 10_000 * 10**6)  # goal met, but not closed
    approve_supplier(env, c)
    with reverts("LedgerInsufficientFunds", c, env.token_address("USDC"), 10**6, 0):
        disburse(env, c, "USDC", 10**6)


def test_disburse_only_from_own_campaign_funds(env: LedgerEnv) -> None:
    funded_campaign(env, "DAI", 10**18)
    c2 = env.create_campaign()
    approve_supplier(env, c2)
    with reverts("LedgerInsufficientFunds", c2, env.token_address("DAI"), 10**18, 0):
        disburse(env, c2, "DAI", 10**18)


def test_disburse_combines_spendable_rounds(env: LedgerEnv) -> None:
    c = env.create_campaign()
    d0 = env.donors[0]
    succeeded_round(env, c, [(d0, "USDC", 10 * 10**6)])
    failed_aon_round(env, c, [(d0, "USDC", 50 * 10**6)])
    succeeded_round(env, c, [(d0, "USDC", 5 * 10**6)])
    approve_supplier(env, c)
    usdc = env.token_address("USDC")
    assert env.f.tokenTotals(c, usdc).call() == (65 * 10**6, 0, 0, 65 * 10**6, 15 * 10**6)
    with reverts("LedgerInsufficientFunds", c, usdc, 15 * 10**6 + 1, 15 * 10**6):
        disburse(env, c, "USDC", 15 * 10**6 + 1)
    disburse(env, c, "USDC", 15 * 10**6)


def test_disburse_reverts_after_cancellation(env: LedgerEnv) -> None:
    c = funded_campaign(env, "ETH", 10**18)
    env.admin.send(env.f.cancelCampaign(c))
    with reverts("LedgerCampaignCancelled", c):
        disburse(env, c, "ETH", 1)
    assert env.f.tokenTotals(c, ETH).call()[4] == 0


def test_disburse_reverts_on_zero_amount(env: LedgerEnv) -> None:
    c = funded_campaign(env, "ETH", 10**18)
    with reverts("LedgerZeroAmount"):
        disburse(env, c, "ETH", 0)


def test_disburse_reverts_on_zero_purchase_order_or_invoice(env: LedgerEnv) -> None:
    c = funded_campaign(env, "USDC", 10**6)
    usdc, supplier, zero = env.token_address("USDC"), env.supplier.address, b"\x00" * 32
    with reverts("LedgerZeroHash"):
        env.manager.send(env.f.disburse(c, usdc, supplier, 10**6, zero, INVOICE))
    with reverts("LedgerZeroHash"):
        env.manager.send(env.f.disburse(c, usdc, supplier, 10**6, PO, zero))


def test_disburse_reverts_for_unapproved_supplier(env: LedgerEnv) -> None:
    c = funded_campaign(env, "USDC", 10**6)
    with reverts("LedgerSupplierNotApproved", c, env.outsider.address):
        disburse(env, c, "USDC", 10**6, supplier=env.outsider.address)


def test_revoked_supplier_cannot_be_paid(env: LedgerEnv) -> None:
    c = funded_campaign(env, "USDT", 10 * 10**6)
    disburse(env, c, "USDT", 10**6)
    env.manager.send(env.f.revokeSupplier(c, env.supplier.address))
    with reverts("LedgerSupplierNotApproved", c, env.supplier.address):
        disburse(env, c, "USDT", 10**6)
    assert env.balance("USDT", env.supplier.address) == 10**6


def test_disburse_reverts_on_unknown_campaign(env: LedgerEnv) -> None:
    with reverts("LedgerUnknownCampaign", 6):
        disburse(env, 6, "ETH", 1)


def test_disburse_reverts_when_supplier_rejects_eth(env: LedgerEnv) -> None:
    c = env.create_campaign()
    succeeded_round(env, c, [(env.donors[0], "ETH", 10**18)])
    rejecting = deploy_rejecting_donor(env)  # rejects ETH in its default mode
    approve_supplier(env, c, rejecting.address)
    with reverts("LedgerEthTransferFailed", rejecting.address, 10**17):
        disburse(env, c, "ETH", 10**17, supplier=rejecting.address)
    assert env.f.tokenTotals(c, ETH).call()[2] == 0
    assert env.balance_of_ledger("ETH") == 10**18


def test_disburse_from_keep_it_all_round_after_close(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c, goal_usd=10 * USD, aon=False)
    env.pledge(env.donors[0], c, r, "DAI", 20 * 10**18)
    close(env, c, r)
    approve_supplier(env, c)
    disburse(env, c, "DAI", 20 * 10**18)
    assert env.balance("DAI", env.supplier.address) == 20 * 10**18


def test_disburse_reverts_when_token_transfer_fails(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    token = deploy_token(env, 18)
    env.admin.send(env.f.acceptToken(c, token.address, env.feeds["DAI"].address, DAY))
    r = env.open_round(c, goal_usd=USD)
    d0 = env.donors[0]
    env.admin.send(token.functions.mint(d0.address, 10**18))
    d0.send(token.functions.approve(env.ledger.address, 10**18))
    d0.send(env.f.pledgeToken(c, r, token.address, 10**18))
    close(env, c, r)
    approve_supplier(env, c)
    make_transfers_fail(env, token)
    with reverts("SafeERC20FailedOperation", token.address):
        env.manager.send(env.f.disburse(c, token.address, env.supplier.address, 10**18, PO, INVOICE))
    assert env.f.tokenTotals(c, token.address).call()[2] == 0
