"""The ledger under the governance it is meant to run with, on a local chain: the real Safe contracts (the
build artifacts of ``@safe-global/safe-smart-account``) and OpenZeppelin's ``TimelockController``, deployed
by :func:`ledger.deploy.deploy_local` and driven by :class:`ledger.governance.local.LocalGovernance`.

- The **board** Safe (development accounts 0, 8 and 9, any two sign) is the timelock's only proposer: one
  signature, or a stranger's, gets nowhere (``GS020``, ``GS026``); two schedule.
- The **timelock** is the ledger's admin and no one else is: a scheduled batch runs only after the delay
  (``TimelockUnexpectedOperationState`` before it), and then anyone may run it.
- The **guardian** Safe (accounts 8 and 9, either alone) acts at once and only to protect: it cancels a
  scheduled operation (which then never runs), revokes a supplier approval still pending (the manager's
  payment never goes through) and pauses a campaign.
- Handing the ledger's admin role on takes the timelock's delay, then the ledger's own admin-transfer delay.
- The hashes Python computes (``SafeTx.hash``, ``TimelockOperation.id``) are the contracts' own.

Each test starts from the same deployment: a fresh Anvil per module, and an ``evm_snapshot`` reverted after
every test. The last test builds the same governance on Ganache.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from ledger.chain import ErrorDecoder, Transactor, connect, dev_accounts
from ledger.client import LedgerCalls
from ledger.compiler import Build
from ledger.deploy import LOCAL_ADMIN_TRANSFER_DELAY, Deployment, deploy_local
from ledger.errors import GovernanceError
from ledger.governance.local import (
    BOARD_OWNERS,
    BOARD_THRESHOLD,
    GUARDIAN_OWNERS,
    GUARDIAN_THRESHOLD,
    LOCAL_TIMELOCK_DELAY,
    LocalGovernance,
)
from ledger.governance.safe import ZERO_ADDRESS, Operation, SafeAccount, SafeTx
from ledger.governance.timelock import (
    CANCELLER_ROLE,
    EXECUTOR_ROLE,
    NO_PREDECESSOR,
    PROPOSER_ROLE,
    Call,
    OperationState,
    Timelock,
    TimelockOperation,
)
from ledger.node import local_node
from tests.support.chain import ChainClock, reverted, reverts
from tests.support.units import DAY, ETH, USD

ADMIN_ROLE = b"\x00" * 32
GUARDIAN_ROLE = keccak(text="GUARDIAN_ROLE")
#: ``TimelockController._encodeStateBitmap``: the states an operation had to be in.
READY = (1 << OperationState.READY).to_bytes(32, "big")
PENDING = ((1 << OperationState.WAITING) | (1 << OperationState.READY)).to_bytes(32, "big")
ETHER = 10**18
RECORD = b"\x0c" * 32
PO = b"\x0a" * 32
INVOICE = b"\x0b" * 32
# Development accounts by role (the Safes' owners are accounts 0, 8 and 9).
MANAGER, STRANGER, DONOR, ATTACKER, NEW_ADMIN, SUPPLIER = 1, 2, 3, 5, 6, 7


@dataclass
class Governed(ChainClock):
    """A ledger deployed with its local governance, and a Transactor for each development account."""

    w3: Web3
    build: Build
    deployment: Deployment
    ledger: Contract
    governance: LocalGovernance
    accounts: list[Transactor]

    @property
    def timelock(self) -> Timelock:
        return self.governance.timelock

    @property
    def board(self) -> SafeAccount:
        return self.governance.board

    @property
    def guardian(self) -> SafeAccount:
        return self.governance.guardian

    @property
    def f(self) -> Any:
        return self.ledger.functions

    def account(self, index: int) -> Transactor:
        return self.accounts[index]

    @property
    def calls(self) -> LedgerCalls:
        """The ledger's calls, for the timelock (or a Safe) to make."""
        return LedgerCalls(self.ledger.address, self.ledger.abi)

    def refresh_eth_feed(self) -> None:
        """Post the ETH/USD price again (the feed goes stale a day after its last answer)."""
        feed = self.w3.eth.contract(
            address=Web3.to_checksum_address(self.deployment.tokens["ETH"].feed),
            abi=self.build["MockAggregator"].abi,
        )
        self.account(0).send(feed.functions.setAnswer(feed.functions.latestRoundData().call()[1]))

    def events(self, receipt: TxReceipt, name: str, contract: Contract | None = None) -> list[Any]:
        event = getattr((contract or self.ledger).events, name)()
        return [e["args"] for e in event.process_receipt(receipt, errors=DISCARD)]

    def forget_nonces(self) -> None:
        for account in self.accounts:
            account.reset_nonce()


def governed(rpc_url: str, build: Build) -> Governed:
    """``deploy_local`` on a running node, with the governance acting through development account 0."""
    w3 = connect(rpc_url)
    decoder = ErrorDecoder(a.abi for a in build.artifacts.values())
    keys = dev_accounts(10)
    accounts = [Transactor(w3, key, decoder) for key in keys]
    deployment = deploy_local(w3, accounts[0], build, keys)
    assert deployment.governance is not None
    ledger = w3.eth.contract(
        address=Web3.to_checksum_address(deployment.ledger), abi=build["PledgeLedger"].abi
    )
    governance = LocalGovernance(w3, build, deployment.governance, keys, accounts[0])
    return Governed(w3, build, deployment, ledger, governance, accounts)


@pytest.fixture(scope="module")
def _module_chain(build: Build) -> Iterator[Governed]:
    with local_node("anvil") as node:
        yield governed(node.rpc_url, build)


@pytest.fixture
def g(_module_chain: Governed) -> Iterator[Governed]:
    """The module's deployment, reverted to its initial state after the test."""
    with reverted(_module_chain) as chain:
        yield chain


def create_campaign(g: Governed, *, supplier_delay: int = 0) -> int:
    """The timelock creates a campaign managed by account 1 that accepts ETH (one batch, after the delay)."""
    campaign_id = int(g.f.campaignCount().call()) + 1
    receipt = g.governance.run(
        [
            g.calls.create_campaign(g.account(MANAGER).address, "WAHO", b"\x11" * 32, supplier_delay),
            g.calls.accept_token(campaign_id, ETH, g.deployment.tokens["ETH"].feed, DAY),
        ],
        g.advance,
    )
    (created,) = g.events(receipt, "CampaignCreated")
    assert created["campaignId"] == campaign_id
    return campaign_id


def funded_campaign(g: Governed, *, supplier_delay: int = 0) -> int:
    """A campaign whose succeeded round holds 1 ETH (2,000 USD) that its manager may spend."""
    campaign_id = create_campaign(g, supplier_delay=supplier_delay)
    g.refresh_eth_feed()
    manager = g.account(MANAGER)
    now = g.now()
    manager.send(g.f.openRound(campaign_id, now, now + 7 * DAY, 1_000 * USD, True))
    g.account(DONOR).send(g.f.pledge(campaign_id, 1), value=ETHER)
    manager.send(g.f.closeRound(campaign_id, 1))  # the goal is met: the manager may close early
    assert g.f.tokenTotals(campaign_id, ETH).call()[4] == ETHER  # available
    return campaign_id


def set_manager_operation(g: Governed, campaign_id: int, manager: str, salt: bytes) -> TimelockOperation:
    return TimelockOperation((g.calls.set_manager(campaign_id, manager),), salt=salt)


# ─── the board Safe and the timelock's delay ─────────────────────────────────────────────────────────


def test_deploy_local_wires_the_safes_the_timelock_and_the_ledger(g: Governed) -> None:
    keys = dev_accounts(10)
    assert sorted(g.board.owners()) == sorted(keys[i].address for i in BOARD_OWNERS)
    assert g.board.threshold() == BOARD_THRESHOLD == 2
    assert sorted(g.guardian.owners()) == sorted(keys[i].address for i in GUARDIAN_OWNERS)
    assert g.guardian.threshold() == GUARDIAN_THRESHOLD == 1
    assert g.timelock.min_delay() == LOCAL_TIMELOCK_DELAY
    assert g.f.defaultAdmin().call() == g.timelock.address == g.deployment.admin == g.deployment.timelock
    assert g.f.defaultAdminDelay().call() == LOCAL_ADMIN_TRANSFER_DELAY
    assert g.f.hasRole(GUARDIAN_ROLE, g.guardian.address).call()
    tl = g.timelock.contract.functions
    assert tl.hasRole(PROPOSER_ROLE, g.board.address).call()
    assert tl.hasRole(CANCELLER_ROLE, g.board.address).call()
    assert tl.hasRole(CANCELLER_ROLE, g.guardian.address).call()
    assert not tl.hasRole(PROPOSER_ROLE, g.guardian.address).call()
    assert tl.hasRole(EXECUTOR_ROLE, ZERO_ADDRESS).call()  # anyone runs a ready operation
    # The deployer kept no power over the timelock: every change to its roles goes through its delay.
    assert not tl.hasRole(ADMIN_ROLE, g.account(0).address).call()
    assert tl.hasRole(ADMIN_ROLE, g.timelock.address).call()
    # The deployment file keeps all of it.
    assert Deployment.from_json(g.deployment.to_json()) == g.deployment


def test_one_board_signature_cannot_schedule(g: Governed) -> None:
    operation = TimelockOperation((g.calls.create_campaign(g.account(MANAGER).address, "X", RECORD, 0),))
    with reverts("Error", "GS020"):  # signatures too short for the threshold
        g.board.execute_call(
            g.account(0), [dev_accounts(1)[0]], g.timelock.address, g.timelock.schedule_data(operation)
        )
    assert g.timelock.state(operation) is OperationState.UNSET
    assert g.board.nonce() == 0


def test_a_non_owner_signature_cannot_act_for_either_safe(g: Governed) -> None:
    keys = dev_accounts(10)
    operation = TimelockOperation((g.calls.create_campaign(g.account(MANAGER).address, "X", RECORD, 0),))
    with reverts("Error", "GS026"):  # an owner and a stranger are not two owners
        g.board.execute_call(
            g.account(0), [keys[0], keys[STRANGER]], g.timelock.address, g.timelock.schedule_data(operation)
        )
    with reverts("Error", "GS026"):  # the guardian needs one signature, but an owner's
        g.guardian.execute_call(
            g.account(0), [keys[STRANGER]], g.timelock.address, g.timelock.cancel_data(operation)
        )
    assert g.timelock.state(operation) is OperationState.UNSET


def test_the_board_threshold_schedules_and_the_batch_runs_only_after_the_delay(g: Governed) -> None:
    manager = g.account(MANAGER).address
    feed = g.deployment.tokens["ETH"].feed
    operation = TimelockOperation(
        (g.calls.create_campaign(manager, "WAHO", RECORD, DAY), g.calls.accept_token(1, ETH, feed, DAY)),
        salt=b"\x01" * 32,
    )
    receipt = g.governance.schedule(operation)  # two of the board's three owners sign
    scheduled = g.events(receipt, "CallScheduled", g.timelock.contract)
    assert [(e["id"], e["index"], e["target"]) for e in scheduled] == [
        (operation.id, 0, g.ledger.address),
        (operation.id, 1, g.ledger.address),
    ]
    assert g.timelock.state(operation) is OperationState.WAITING
    assert g.timelock.ready_at(operation) == g.now() + LOCAL_TIMELOCK_DELAY

    # Before the delay, nobody can run it (the helper refuses, the timelock reverts).
    with pytest.raises(GovernanceError, match="not ready"):
        g.governance.execute(operation)
    g.advance(LOCAL_TIMELOCK_DELAY - 60)
    with reverts("TimelockUnexpectedOperationState", operation.id, READY):
        g.account(STRANGER).send_raw(
            {"to": g.timelock.address, "data": g.timelock.execute_data(operation)}, "executeBatch"
        )
    assert g.f.campaignCount().call() == 0

    # After it, anyone may: here a stranger, not a board owner.
    g.advance(60)
    assert g.timelock.state(operation) is OperationState.READY
    receipt = g.account(STRANGER).send_raw(
        {"to": g.timelock.address, "data": g.timelock.execute_data(operation)}, "executeBatch"
    )
    (created,) = g.events(receipt, "CampaignCreated")
    (accepted,) = g.events(receipt, "TokenAccepted")
    assert (created["campaignId"], created["manager"], created["supplierDelay"]) == (1, manager, DAY)
    assert (accepted["campaignId"], accepted["token"], accepted["feed"]) == (1, ETH, feed)
    assert g.f.campaign(1).call()[6] == [ETH]
    assert g.timelock.state(operation) is OperationState.DONE
    with reverts("TimelockUnexpectedOperationState", operation.id, READY):  # and only once
        g.account(STRANGER).send_raw(
            {"to": g.timelock.address, "data": g.timelock.execute_data(operation)}, "executeBatch"
        )


def test_the_timelock_replaces_a_manager(g: Governed) -> None:
    campaign_id = create_campaign(g)
    new_manager = g.account(STRANGER).address
    receipt = g.governance.run([g.calls.set_manager(campaign_id, new_manager)], g.advance)
    (changed,) = g.events(receipt, "CampaignManagerChanged")
    assert (changed["previousManager"], changed["newManager"]) == (g.account(MANAGER).address, new_manager)
    assert g.f.campaign(campaign_id).call()[0] == new_manager


@pytest.mark.parametrize("who", ["deployer", "board owner", "board Safe", "guardian Safe"])
def test_only_the_timelock_can_act_as_admin(g: Governed, who: str) -> None:
    campaign_id = create_campaign(g)
    calls = {
        "createCampaign": g.calls.create_campaign(g.account(ATTACKER).address, "X", RECORD, 0).data,
        "setManager": g.calls.set_manager(campaign_id, g.account(ATTACKER).address).data,
        "acceptToken": g.calls.accept_token(campaign_id, ETH, g.deployment.tokens["USDC"].feed, DAY).data,
        "grantRole": g.calls.grant_role(GUARDIAN_ROLE, g.account(ATTACKER).address).data,
        "beginDefaultAdminTransfer": g.calls.begin_default_admin_transfer(g.account(ATTACKER).address).data,
    }
    keys = dev_accounts(10)
    for function, data in calls.items():
        if who in ("deployer", "board owner"):
            sender = g.account(0 if who == "deployer" else 8)
            with reverts("AccessControlUnauthorizedAccount", sender.address, ADMIN_ROLE):
                sender.send_raw({"to": g.ledger.address, "data": data}, function)
        else:  # the Safe itself, with enough of its owners' signatures, is still not the admin
            safe = g.board if who == "board Safe" else g.guardian
            signers = [keys[0], keys[8]] if who == "board Safe" else [keys[8]]
            with reverts("AccessControlUnauthorizedAccount", safe.address, ADMIN_ROLE):
                safe.execute_call(g.account(0), signers, g.ledger.address, data)
    assert g.f.campaign(campaign_id).call()[0] == g.account(MANAGER).address
    assert g.f.campaignCount().call() == campaign_id
    assert not g.f.hasRole(GUARDIAN_ROLE, g.account(ATTACKER).address).call()
    assert g.f.pendingDefaultAdmin().call()[0] == ZERO_ADDRESS


def test_only_the_board_schedules_and_only_cancellers_cancel(g: Governed) -> None:
    operation = set_manager_operation(g, 1, g.account(ATTACKER).address, b"\x02" * 32)
    deployer = g.account(0)
    with reverts("AccessControlUnauthorizedAccount", deployer.address, PROPOSER_ROLE):
        deployer.send_raw({"to": g.timelock.address, "data": g.timelock.schedule_data(operation)}, "schedule")
    with reverts("AccessControlUnauthorizedAccount", g.guardian.address, PROPOSER_ROLE):
        g.guardian.execute_call(
            deployer, [dev_accounts(10)[9]], g.timelock.address, g.timelock.schedule_data(operation)
        )
    g.governance.schedule(operation)
    with reverts("AccessControlUnauthorizedAccount", deployer.address, CANCELLER_ROLE):
        deployer.send_raw({"to": g.timelock.address, "data": g.timelock.cancel_data(operation)}, "cancel")
    assert g.timelock.state(operation) is OperationState.WAITING


# ─── the guardian Safe: immediate, protective ────────────────────────────────────────────────────────


def test_the_guardian_cancels_a_scheduled_take_over_and_it_never_runs(g: Governed) -> None:
    campaign_id = create_campaign(g)
    attacker = g.account(ATTACKER).address
    operation = set_manager_operation(g, campaign_id, attacker, b"\x03" * 32)
    g.governance.schedule(operation)  # e.g. by two stolen board keys
    g.advance(LOCAL_TIMELOCK_DELAY // 2)

    receipt = g.governance.as_guardian(g.timelock.address, g.timelock.cancel_data(operation))
    (cancelled,) = g.events(receipt, "Cancelled", g.timelock.contract)
    assert cancelled["id"] == operation.id
    assert g.timelock.state(operation) is OperationState.UNSET

    g.advance(LOCAL_TIMELOCK_DELAY)
    with pytest.raises(GovernanceError, match="not ready"):
        g.governance.execute(operation)
    with reverts("TimelockUnexpectedOperationState", operation.id, READY):
        g.account(ATTACKER).send_raw(
            {"to": g.timelock.address, "data": g.timelock.execute_data(operation)}, "executeBatch"
        )
    with reverts("TimelockUnexpectedOperationState", operation.id, PENDING):  # nothing left to cancel
        g.governance.as_guardian(g.timelock.address, g.timelock.cancel_data(operation))
    assert g.f.campaign(campaign_id).call()[0] == g.account(MANAGER).address


def test_the_guardian_revokes_a_pending_supplier_and_the_payment_never_goes_through(g: Governed) -> None:
    campaign_id = funded_campaign(g, supplier_delay=2 * DAY)
    manager, supplier = g.account(MANAGER), g.account(ATTACKER).address  # a stolen manager key's own address
    receipt = manager.send(g.f.approveSupplier(campaign_id, supplier, RECORD))
    (approved,) = g.events(receipt, "SupplierApproved")
    effective_at = approved["effectiveAt"]
    assert effective_at == g.now() + 2 * DAY
    with reverts("LedgerSupplierNotEffective", campaign_id, supplier, effective_at):
        manager.send(g.f.disburse(campaign_id, ETH, supplier, ETHER, PO, INVOICE))

    receipt = g.governance.as_guardian(g.ledger.address, g.calls.revoke_supplier(campaign_id, supplier).data)
    (revoked,) = g.events(receipt, "SupplierRevoked")
    assert (revoked["supplier"], revoked["account"]) == (supplier, g.guardian.address)
    assert tuple(g.f.supplierApproval(campaign_id, supplier).call()) == (b"\x00" * 32, 0)

    g.advance(2 * DAY + 1)
    balance = g.w3.eth.get_balance(supplier)
    with reverts("LedgerSupplierNotApproved", campaign_id, supplier):
        manager.send(g.f.disburse(campaign_id, ETH, supplier, ETHER, PO, INVOICE))
    assert g.w3.eth.get_balance(supplier) == balance
    assert g.f.tokenTotals(campaign_id, ETH).call()[4] == ETHER  # still all available


def test_the_guardian_pauses_a_campaign_at_once(g: Governed) -> None:
    campaign_id = funded_campaign(g)
    manager, supplier = g.account(MANAGER), g.account(SUPPLIER).address
    manager.send(g.f.approveSupplier(campaign_id, supplier, RECORD))  # no delay: effective at once

    receipt = g.governance.as_guardian(g.ledger.address, g.calls.pause_campaign(campaign_id).data)
    (paused,) = g.events(receipt, "CampaignPaused")
    assert paused["account"] == g.guardian.address
    assert g.f.campaign(campaign_id).call()[4]
    with reverts("LedgerCampaignPaused", campaign_id):
        manager.send(g.f.disburse(campaign_id, ETH, supplier, ETHER // 2, PO, INVOICE))

    g.governance.as_guardian(g.ledger.address, g.calls.unpause_campaign(campaign_id).data)
    balance = g.w3.eth.get_balance(supplier)
    manager.send(g.f.disburse(campaign_id, ETH, supplier, ETHER // 2, PO, INVOICE))
    assert g.w3.eth.get_balance(supplier) == balance + ETHER // 2


def test_the_guardian_safe_can_protect_but_not_take_over_a_campaign(g: Governed) -> None:
    campaign_id = funded_campaign(g)
    attacker, guardian = g.account(ATTACKER).address, g.guardian.address
    with reverts("AccessControlUnauthorizedAccount", guardian, ADMIN_ROLE):
        g.governance.as_guardian(g.ledger.address, g.calls.set_manager(campaign_id, attacker).data)
    with reverts("LedgerUnauthorizedManager", campaign_id, guardian):
        g.governance.as_guardian(
            g.ledger.address, g.calls.approve_supplier(campaign_id, attacker, RECORD).data
        )
    with reverts("LedgerUnauthorizedManager", campaign_id, guardian):
        g.governance.as_guardian(
            g.ledger.address, g.calls.disburse(campaign_id, ETH, attacker, 1, PO, INVOICE).data
        )
    # Its one way to move funds is a cancellation, and that opens refunds to the donors only.
    receipt = g.governance.as_guardian(g.ledger.address, g.calls.cancel_campaign(campaign_id).data)
    (cancelled,) = g.events(receipt, "CampaignCancelled")
    assert cancelled["account"] == guardian
    assert tuple(g.f.refundPool(campaign_id, ETH).call()) == (ETHER, ETHER)
    with reverts("LedgerNothingToRefund", campaign_id, 1, ETH, attacker):
        g.account(ATTACKER).send(g.f.claimRefund(campaign_id, 1, ETH))
    assert g.f.campaign(campaign_id).call()[0] == g.account(MANAGER).address
    assert g.f.supplierApproval(campaign_id, attacker).call()[0] == b"\x00" * 32


# ─── the admin role moves in two steps ───────────────────────────────────────────────────────────────


def test_the_admin_role_moves_after_the_timelock_and_the_ledger_delays(g: Governed) -> None:
    new_admin = g.account(NEW_ADMIN)
    receipt = g.governance.run([g.calls.begin_default_admin_transfer(new_admin.address)], g.advance)
    schedule = g.events(receipt, "DefaultAdminTransferScheduled")[0]["acceptSchedule"]
    executed_at = int(g.w3.eth.get_block(receipt["blockNumber"])["timestamp"])
    assert schedule == executed_at + LOCAL_ADMIN_TRANSFER_DELAY
    assert tuple(g.f.pendingDefaultAdmin().call()) == (new_admin.address, schedule)

    with reverts("AccessControlInvalidDefaultAdmin", g.account(ATTACKER).address):
        g.account(ATTACKER).send(g.f.acceptDefaultAdminTransfer())
    with reverts("AccessControlEnforcedDefaultAdminDelay", schedule):
        new_admin.send(g.f.acceptDefaultAdminTransfer())
    g.advance(schedule - g.now() - 60)
    with reverts("AccessControlEnforcedDefaultAdminDelay", schedule):
        new_admin.send(g.f.acceptDefaultAdminTransfer())
    assert g.f.defaultAdmin().call() == g.timelock.address

    g.advance(61)
    new_admin.send(g.f.acceptDefaultAdminTransfer())
    assert g.f.defaultAdmin().call() == new_admin.address
    assert not g.f.hasRole(ADMIN_ROLE, g.timelock.address).call()
    new_admin.send(g.f.createCampaign(g.account(MANAGER).address, "X", RECORD, 0))
    with reverts("AccessControlUnauthorizedAccount", g.timelock.address, ADMIN_ROLE):
        g.governance.run([g.calls.create_campaign(g.account(MANAGER).address, "Y", RECORD, 0)], g.advance)


# ─── the hashes Python computes are the contracts' ───────────────────────────────────────────────────


def test_safe_tx_hash_is_the_safes_transaction_hash(g: Governed) -> None:
    assert g.deployment.governance is not None
    multi_send = g.deployment.governance.safe_contracts.multi_send
    transactions = [
        SafeTx(g.timelock.address, 0, b"", Operation.CALL, 0),
        SafeTx(g.ledger.address, 0, g.calls.pause_campaign(7).data, Operation.CALL, 3),
        SafeTx(g.account(SUPPLIER).address, 5 * ETHER, b"\x00\x01\xff" * 50, Operation.CALL, 2**40),
        SafeTx(multi_send, 1, b"\xab" * 33, Operation.DELEGATE_CALL, 1),
    ]
    chain_id = g.w3.eth.chain_id
    for safe in (g.board, g.guardian):
        for tx in transactions:
            on_chain = safe.contract.functions.getTransactionHash(
                tx.to, tx.value, tx.data, int(tx.operation), 0, 0, 0, ZERO_ADDRESS, ZERO_ADDRESS, tx.nonce
            ).call()
            assert on_chain == tx.hash(chain_id, safe.address), f"{safe.address} {tx}"
    # The hash the owners sign is the one the Safe executes, at its current nonce, which then moves on.
    campaign_count = bytes.fromhex(g.ledger.encode_abi("campaignCount", [])[2:])  # a view: any call will do
    tx = g.guardian.transaction(g.ledger.address, campaign_count)
    receipt = g.guardian.execute(g.account(0), tx, g.guardian.sign(tx, [dev_accounts(10)[9]]))
    (success,) = g.events(receipt, "ExecutionSuccess", g.guardian.contract)
    assert success["txHash"] == tx.hash(chain_id, g.guardian.address)
    assert (tx.nonce, g.guardian.nonce()) == (0, 1)


def test_timelock_operation_id_is_hash_operation_batch(g: Governed) -> None:
    one = TimelockOperation((g.calls.set_manager(1, g.account(ATTACKER).address),))
    operations = [
        one,
        TimelockOperation(
            (g.calls.pause_campaign(1), Call(g.account(SUPPLIER).address, b"", 3 * ETHER)),
            salt=b"\x5a" * 32,
            predecessor=one.id,
        ),
        TimelockOperation((), salt=b"\x01" * 32),
    ]
    for operation in operations:
        on_chain = g.timelock.contract.functions.hashOperationBatch(
            operation.targets, operation.values, operation.payloads, operation.predecessor, operation.salt
        ).call()
        assert on_chain == operation.id
    assert one.predecessor == NO_PREDECESSOR
    g.governance.schedule(operations[1])
    assert g.timelock.state(operations[1]) is OperationState.WAITING  # found under the id Python computed


# ─── Ganache ─────────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.ganache
def test_local_governance_deploys_and_acts_on_ganache(build: Build) -> None:
    with local_node("ganache") as node:
        g = governed(node.rpc_url, build)
        assert g.f.defaultAdmin().call() == g.timelock.address
        campaign_id = create_campaign(g, supplier_delay=DAY)
        assert g.f.campaign(campaign_id).call()[5] == DAY
        assert g.f.campaign(campaign_id).call()[6] == [ETH]
        receipt = g.governance.as_guardian(g.ledger.address, g.calls.pause_campaign(campaign_id).data)
        (paused,) = g.events(receipt, "CampaignPaused")
        assert (paused["campaignId"], paused["account"]) == (campaign_id, g.guardian.address)
        assert g.f.campaign(campaign_id).call()[4]
        with reverts("Error", "GS020"):
            g.board.execute_call(g.account(0), [dev_accounts(1)[0]], g.ledger.address, b"")
