"""Suppliers and payments: approveSupplier (effective after the campaign's supplier delay), revokeSupplier
(pending or effective), disburse, and supplierApproval."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contracts.support import (
    INVOICE,
    PO,
    RECORD,
    approve_supplier,
    call_reverts,
    close,
    deploy_rejecting_donor,
    deploy_token,
    disburse,
    failed_aon_round,
    gas_cost,
    make_transfers_fail,
    mine_at,
    only_event,
    succeeded_round,
    supplier_approval,
    unit,
)
from tests.support.chain import LedgerEnv, reverts
from tests.support.units import DAY, ETH, USD

ZERO = b"\x00" * 32


def funded_campaign(env: LedgerEnv, symbol: str, amount: int) -> int:
    """A campaign whose succeeded round holds ``amount`` of ``symbol`` (net of any fee), supplier approved."""
    c = env.create_campaign()
    succeeded_round(env, c, [(env.donors[0], symbol, amount)])
    approve_supplier(env, c)
    return c


# ─── approveSupplier / revokeSupplier ──────────────────────────────────────────────────────────────────


def block_time(env: LedgerEnv, receipt: Any) -> int:
    return int(env.w3.eth.get_block(receipt["blockNumber"])["timestamp"])


def test_approve_supplier_records_hash_and_emits_event(env: LedgerEnv) -> None:
    c = env.create_campaign()
    assert supplier_approval(env, c, env.supplier.address) == (ZERO, 0)
    receipt = env.manager.send(env.f.approveSupplier(c, env.supplier.address, RECORD))
    now = block_time(env, receipt)
    assert dict(only_event(env, receipt, "SupplierApproved")) == {
        "campaignId": c,
        "supplier": env.supplier.address,
        "recordHash": RECORD,
        "effectiveAt": now,  # no supplier delay on this campaign: effective at once
    }
    assert supplier_approval(env, c, env.supplier.address) == (RECORD, now)
    # Approving again replaces the record.
    receipt = env.manager.send(env.f.approveSupplier(c, env.supplier.address, b"\x77" * 32))
    assert supplier_approval(env, c, env.supplier.address) == (b"\x77" * 32, block_time(env, receipt))


def test_supplier_approval_is_per_campaign(env: LedgerEnv) -> None:
    c1, c2 = env.create_campaign(), env.create_campaign()
    approve_supplier(env, c1)
    assert supplier_approval(env, c2, env.supplier.address) == (ZERO, 0)


def test_approve_supplier_reverts_on_zero_address(env: LedgerEnv) -> None:
    c = env.create_campaign()
    with reverts("LedgerInvalidSupplier", ETH):
        env.manager.send(env.f.approveSupplier(c, ETH, RECORD))


def test_approve_supplier_reverts_on_ledger_itself(env: LedgerEnv) -> None:
    c = env.create_campaign()
    with reverts("LedgerInvalidSupplier", env.ledger.address):
        env.manager.send(env.f.approveSupplier(c, env.ledger.address, RECORD))


def test_approve_supplier_reverts_on_zero_hash(env: LedgerEnv) -> None:
    c = env.create_campaign()
    with reverts("LedgerInvalidRecordHash", ZERO):
        env.manager.send(env.f.approveSupplier(c, env.supplier.address, ZERO))


def test_approve_supplier_reverts_on_cancelled_campaign(env: LedgerEnv) -> None:
    c = env.create_campaign()
    env.guardian.send(env.f.cancelCampaign(c))
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
        "account": env.manager.address,
    }
    assert supplier_approval(env, c, env.supplier.address) == (ZERO, 0)


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
    env.guardian.send(env.f.cancelCampaign(c))
    env.manager.send(env.f.revokeSupplier(c, env.supplier.address))
    assert supplier_approval(env, c, env.supplier.address) == (ZERO, 0)


# ─── The supplier delay ──────────────────────────────────────────────────────────────────────────────


def delayed_campaign(env: LedgerEnv, delay: int) -> int:
    """A campaign with supplier delay ``delay`` and 10 USDC spendable."""
    c = env.create_campaign(supplier_delay=delay)
    succeeded_round(env, c, [(env.donors[0], "USDC", 10 * 10**6)])
    return c


def test_approval_takes_effect_after_the_campaign_supplier_delay(env: LedgerEnv) -> None:
    c = delayed_campaign(env, 2 * DAY)
    supplier = env.supplier.address
    receipt = env.manager.send(env.f.approveSupplier(c, supplier, RECORD))
    effective_at = block_time(env, receipt) + 2 * DAY
    assert only_event(env, receipt, "SupplierApproved")["effectiveAt"] == effective_at
    assert supplier_approval(env, c, supplier) == (RECORD, effective_at)
    with reverts("LedgerSupplierNotEffective", c, supplier, effective_at):
        disburse(env, c, "USDC", 10**6)
    pay = env.f.disburse(c, env.token_address("USDC"), supplier, 10**6, PO, INVOICE)
    mine_at(env, effective_at - 1)
    with call_reverts(env, "LedgerSupplierNotEffective", c, supplier, effective_at):
        pay.call({"from": env.manager.address})
    mine_at(env, effective_at)  # effective from this second on
    pay.call({"from": env.manager.address})
    disburse(env, c, "USDC", 10**6)
    assert env.balance("USDC", supplier) == 10**6


def test_guardian_revokes_a_pending_approval_during_the_delay(env: LedgerEnv) -> None:
    c = delayed_campaign(env, 2 * DAY)
    supplier = env.supplier.address
    receipt = env.manager.send(env.f.approveSupplier(c, supplier, RECORD))
    effective_at = block_time(env, receipt) + 2 * DAY
    mine_at(env, effective_at - 60)
    receipt = env.guardian.send(env.f.revokeSupplier(c, supplier))
    assert dict(only_event(env, receipt, "SupplierRevoked")) == {
        "campaignId": c,
        "supplier": supplier,
        "account": env.guardian.address,
    }
    assert supplier_approval(env, c, supplier) == (ZERO, 0)
    mine_at(env, effective_at + DAY)
    with reverts("LedgerSupplierNotApproved", c, supplier):
        disburse(env, c, "USDC", 10**6)
    assert env.balance("USDC", supplier) == 0


def test_reapproval_restarts_the_delay(env: LedgerEnv) -> None:
    c = delayed_campaign(env, DAY)
    supplier = env.supplier.address
    first = block_time(env, env.manager.send(env.f.approveSupplier(c, supplier, RECORD))) + DAY
    mine_at(env, first - 100)
    receipt = env.manager.send(env.f.approveSupplier(c, supplier, b"\x77" * 32))
    second = block_time(env, receipt) + DAY
    assert second > first
    assert supplier_approval(env, c, supplier) == (b"\x77" * 32, second)
    mine_at(env, first)
    with reverts("LedgerSupplierNotEffective", c, supplier, second):
        disburse(env, c, "USDC", 10**6)
    mine_at(env, second)
    disburse(env, c, "USDC", 10**6)


def test_reapproving_an_effective_supplier_makes_it_pending_again(env: LedgerEnv) -> None:
    c = delayed_campaign(env, DAY)
    supplier = env.supplier.address
    first = block_time(env, env.manager.send(env.f.approveSupplier(c, supplier, RECORD))) + DAY
    mine_at(env, first)
    disburse(env, c, "USDC", 10**6)
    receipt = env.manager.send(env.f.approveSupplier(c, supplier, b"\x77" * 32))
    second = block_time(env, receipt) + DAY
    with reverts("LedgerSupplierNotEffective", c, supplier, second):
        disburse(env, c, "USDC", 10**6)
    assert env.balance("USDC", supplier) == 10**6


def test_approval_after_a_revocation_waits_the_full_delay(env: LedgerEnv) -> None:
    c = delayed_campaign(env, DAY)
    supplier = env.supplier.address
    first = block_time(env, env.manager.send(env.f.approveSupplier(c, supplier, RECORD))) + DAY
    mine_at(env, first)
    env.guardian.send(env.f.revokeSupplier(c, supplier))
    receipt = env.manager.send(env.f.approveSupplier(c, supplier, RECORD))
    again = block_time(env, receipt) + DAY
    with reverts("LedgerSupplierNotEffective", c, supplier, again):
        disburse(env, c, "USDC", 10**6)


@pytest.mark.parametrize("revoker", ["manager", "guardian", "admin"])
def test_pending_or_effective_approval_is_revoked_by_manager_guardian_or_admin(
    env: LedgerEnv, revoker: str
) -> None:
    c = delayed_campaign(env, DAY)
    sender = getattr(env, revoker)
    pending, effective = env.supplier.address, env.outsider.address
    env.manager.send(env.f.approveSupplier(c, effective, RECORD))
    env.advance(DAY)
    env.manager.send(env.f.approveSupplier(c, pending, RECORD))
    for supplier in (pending, effective):
        receipt = sender.send(env.f.revokeSupplier(c, supplier))
        assert only_event(env, receipt, "SupplierRevoked")["account"] == sender.address
        assert supplier_approval(env, c, supplier) == (ZERO, 0)
        with reverts("LedgerSupplierNotApproved", c, supplier):
            disburse(env, c, "USDC", 1, supplier=supplier)


@pytest.mark.parametrize("caller", ["auditor", "outsider", "supplier", "donor"])
def test_revoke_supplier_rejects_everyone_else(env: LedgerEnv, caller: str) -> None:
    c = delayed_campaign(env, DAY)
    approve_supplier(env, c)
    sender = env.donors[0] if caller == "donor" else getattr(env, caller)
    with reverts("LedgerUnauthorizedRevoker", c, sender.address):
        sender.send(env.f.revokeSupplier(c, env.supplier.address))
    assert supplier_approval(env, c, env.supplier.address)[0] == RECORD


def test_supplier_delay_is_per_campaign(env: LedgerEnv) -> None:
    slow, fast = delayed_campaign(env, 3 * DAY), delayed_campaign(env, 0)
    approve_supplier(env, slow)
    approve_supplier(env, fast)
    disburse(env, fast, "USDC", 10**6)
    effective_at = supplier_approval(env, slow, env.supplier.address)[1]
    with reverts("LedgerSupplierNotEffective", slow, env.supplier.address, effective_at):
        disburse(env, slow, "USDC", 10**6)
    assert env.f.campaign(slow).call()[5] == 3 * DAY


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
    env.guardian.send(env.f.cancelCampaign(c))
    with reverts("LedgerCampaignCancelled", c):
        disburse(env, c, "ETH", 1)
    assert env.f.tokenTotals(c, ETH).call()[4] == 0


def test_disburse_reverts_on_zero_amount(env: LedgerEnv) -> None:
    c = funded_campaign(env, "ETH", 10**18)
    with reverts("LedgerInvalidDisbursementAmount", 0):
        disburse(env, c, "ETH", 0)


def test_disburse_reverts_on_zero_purchase_order_or_invoice(env: LedgerEnv) -> None:
    c = funded_campaign(env, "USDC", 10**6)
    usdc, supplier = env.token_address("USDC"), env.supplier.address
    with reverts("LedgerInvalidPurchaseOrderRef", ZERO):
        env.manager.send(env.f.disburse(c, usdc, supplier, 10**6, ZERO, INVOICE))
    with reverts("LedgerInvalidInvoiceHash", ZERO):
        env.manager.send(env.f.disburse(c, usdc, supplier, 10**6, PO, ZERO))


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
