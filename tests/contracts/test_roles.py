"""Who may do what: admin-only, guardian-or-admin, manager-only (per campaign) and auditor-only functions, and
AccessControl with the admin's two-step, delayed transfer (AccessControlDefaultAdminRules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from web3 import Web3

from ledger.chain import Transactor
from tests.contracts.support import (
    ADMIN_ROLE,
    GUARDIAN_ROLE,
    INVOICE,
    PO,
    RECORD,
    approve_supplier,
    call_reverts,
    mine_at,
    only_event,
    succeeded_round,
)
from tests.support.chain import LedgerEnv, reverts
from tests.support.units import DAY, ETH, USD

REPORT = b"\x5a" * 32
NON_ADMINS = ["manager", "guardian", "auditor", "outsider", "supplier"]
NON_GUARDIANS = ["manager", "auditor", "outsider", "supplier", "donor"]
NON_MANAGERS = ["admin", "guardian", "auditor", "outsider", "supplier"]
NON_AUDITORS = ["admin", "guardian", "manager", "outsider"]


def actor(env: LedgerEnv, name: str) -> Transactor:
    if name == "donor":
        return env.donors[0]
    return getattr(env, name)  # type: ignore[no-any-return]


# Each builds the call for campaign ``c`` (accepting every test token, manager ``env.manager``).
ADMIN_CALLS: dict[str, Callable[[LedgerEnv, int], Any]] = {
    "createCampaign": lambda env, c: env.f.createCampaign(env.outsider.address, "X", b"\x01" * 32, 0),
    "acceptToken": lambda env, c: env.f.acceptToken(c, ETH, env.feeds["ETH"].address, DAY),
    "setManager": lambda env, c: env.f.setManager(c, env.outsider.address),
}


@pytest.mark.parametrize("caller", NON_ADMINS)
@pytest.mark.parametrize("function", list(ADMIN_CALLS))
def test_admin_functions_reject_non_admins(env: LedgerEnv, function: str, caller: str) -> None:
    c = env.create_campaign()
    sender = actor(env, caller)
    with reverts("AccessControlUnauthorizedAccount", sender.address, ADMIN_ROLE):
        sender.send(ADMIN_CALLS[function](env, c))


@pytest.mark.parametrize("function", list(ADMIN_CALLS))
def test_admin_functions_accept_admin(env: LedgerEnv, function: str) -> None:
    c = env.create_campaign()
    env.admin.send(ADMIN_CALLS[function](env, c))


# The guardian's protective actions, which the admin may take too. The campaign is paused beforehand for
# unpauseCampaign.
GUARDIAN_CALLS: dict[str, Callable[[LedgerEnv, int], Any]] = {
    "cancelCampaign": lambda env, c: env.f.cancelCampaign(c),
    "pauseCampaign": lambda env, c: env.f.pauseCampaign(c),
    "unpauseCampaign": lambda env, c: env.f.unpauseCampaign(c),
}


def campaign_for_guardian(env: LedgerEnv, function: str) -> int:
    c = env.create_campaign()
    if function == "unpauseCampaign":
        env.guardian.send(env.f.pauseCampaign(c))
    return c


@pytest.mark.parametrize("caller", NON_GUARDIANS)
@pytest.mark.parametrize("function", list(GUARDIAN_CALLS))
def test_guardian_functions_reject_everyone_but_guardian_and_admin(
    env: LedgerEnv, function: str, caller: str
) -> None:
    c = campaign_for_guardian(env, function)
    sender = actor(env, caller)
    before = env.f.campaign(c).call()
    with reverts("LedgerUnauthorizedGuardian", sender.address):
        sender.send(GUARDIAN_CALLS[function](env, c))
    assert env.f.campaign(c).call() == before


@pytest.mark.parametrize("caller", ["guardian", "admin"])
@pytest.mark.parametrize("function", list(GUARDIAN_CALLS))
def test_guardian_functions_accept_guardian_and_admin(env: LedgerEnv, function: str, caller: str) -> None:
    c = campaign_for_guardian(env, function)
    actor(env, caller).send(GUARDIAN_CALLS[function](env, c))


def test_guardian_role_moves_with_the_admin(env: LedgerEnv) -> None:
    c = env.create_campaign()
    env.admin.send(env.f.grantRole(GUARDIAN_ROLE, env.outsider.address))
    env.admin.send(env.f.revokeRole(GUARDIAN_ROLE, env.guardian.address))
    with reverts("LedgerUnauthorizedGuardian", env.guardian.address):
        env.guardian.send(env.f.pauseCampaign(c))
    env.outsider.send(env.f.pauseCampaign(c))
    assert env.f.getRoleAdmin(GUARDIAN_ROLE).call() == ADMIN_ROLE
    # The guardian cannot hand its role on by itself.
    with reverts("AccessControlUnauthorizedAccount", env.outsider.address, ADMIN_ROLE):
        env.outsider.send(env.f.grantRole(GUARDIAN_ROLE, env.supplier.address))


def manager_calls(env: LedgerEnv, c: int) -> dict[str, Any]:
    now = env.now()
    return {
        "openRound": env.f.openRound(c, now, now + DAY, USD, True),
        "closeRound": env.f.closeRound(c, 2),
        "approveSupplier": env.f.approveSupplier(c, env.outsider.address, RECORD),
        "revokeSupplier": env.f.revokeSupplier(c, env.supplier.address),
        "disburse": env.f.disburse(c, ETH, env.supplier.address, 10**17, PO, INVOICE),
    }


def campaign_ready_for_manager(env: LedgerEnv) -> int:
    """A campaign where every manager call above but openRound would succeed for its manager: 1 ETH
    spendable, the supplier approved, round 2 open with its goal met."""
    c = env.create_campaign()
    succeeded_round(env, c, [(env.donors[0], "ETH", 10**18)])
    approve_supplier(env, c)
    now = env.now()
    env.manager.send(env.f.openRound(c, now, now + DAY, USD, True))
    env.pledge(env.donors[0], c, 2, "ETH", 10**18)
    return c


def expect_refused(env: LedgerEnv, c: int, function: str, sender: Transactor) -> Any:
    """The exact refusal of ``function`` on campaign ``c`` (ready as above) to a non-manager: the manager-only
    functions name the manager; a revoke names who may revoke; an early close is refused as not ended."""
    if function == "revokeSupplier":
        return reverts("LedgerUnauthorizedRevoker", c, sender.address)
    if function == "closeRound":
        return reverts("LedgerRoundNotEnded", c, 2, env.f.round(c, 2).call()[1])
    return reverts("LedgerUnauthorizedManager", c, sender.address)


MANAGER_FUNCTIONS = ["openRound", "closeRound", "approveSupplier", "revokeSupplier", "disburse"]
MANAGER_ONLY = ["openRound", "approveSupplier", "disburse"]


@pytest.mark.parametrize("caller", NON_MANAGERS)
@pytest.mark.parametrize("function", MANAGER_ONLY)
def test_manager_functions_reject_everyone_else(env: LedgerEnv, function: str, caller: str) -> None:
    c = env.create_campaign()
    sender = actor(env, caller)
    with reverts("LedgerUnauthorizedManager", c, sender.address):
        sender.send(manager_calls(env, c)[function])


@pytest.mark.parametrize("caller", ["auditor", "outsider", "supplier"])
@pytest.mark.parametrize("function", MANAGER_FUNCTIONS)
def test_manager_functions_refuse_others_on_a_ready_campaign(
    env: LedgerEnv, function: str, caller: str
) -> None:
    c = campaign_ready_for_manager(env)
    sender = actor(env, caller)
    with expect_refused(env, c, function, sender):
        sender.send(manager_calls(env, c)[function])


@pytest.mark.parametrize("function", MANAGER_FUNCTIONS)
def test_manager_of_one_campaign_cannot_act_on_another(env: LedgerEnv, function: str) -> None:
    campaign_ready_for_manager(env)  # campaign 1, managed by env.manager
    c2 = campaign_ready_for_manager(env)
    env.admin.send(env.f.setManager(c2, env.outsider.address))
    with expect_refused(env, c2, function, env.manager):
        env.manager.send(manager_calls(env, c2)[function])


@pytest.mark.parametrize("function", MANAGER_FUNCTIONS)
def test_manager_functions_accept_the_campaign_manager(env: LedgerEnv, function: str) -> None:
    c = campaign_ready_for_manager(env)
    if function == "openRound":
        env.manager.send(env.f.closeRound(c, 2))  # one round at a time
    env.manager.send(manager_calls(env, c)[function])


def test_former_manager_loses_access_after_set_manager(env: LedgerEnv) -> None:
    c = campaign_ready_for_manager(env)
    env.admin.send(env.f.setManager(c, env.outsider.address))
    for function, call in manager_calls(env, c).items():
        with expect_refused(env, c, function, env.manager):
            env.manager.send(call)
    env.outsider.send(env.f.disburse(c, ETH, env.supplier.address, 10**17, PO, INVOICE))


@pytest.mark.parametrize("caller", ["admin", "guardian"])
def test_admin_and_guardian_are_not_managers(env: LedgerEnv, caller: str) -> None:
    c = env.create_campaign()
    sender = actor(env, caller)
    now = env.now()
    with reverts("LedgerUnauthorizedManager", c, sender.address):
        sender.send(env.f.openRound(c, now, now + DAY, USD, True))


@pytest.mark.parametrize("caller", NON_AUDITORS)
def test_attest_report_rejects_non_auditors(env: LedgerEnv, caller: str) -> None:
    c = env.create_campaign(())
    sender = actor(env, caller)
    role = env.f.AUDITOR_ROLE().call()
    with reverts("AccessControlUnauthorizedAccount", sender.address, role):
        sender.send(env.f.attestReport(c, REPORT, 1, ""))


def test_auditor_role_can_be_granted_and_revoked(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    role = env.f.AUDITOR_ROLE().call()
    assert env.f.getRoleAdmin(role).call() == ADMIN_ROLE
    assert env.f.hasRole(role, env.auditor.address).call() is True
    assert env.f.hasRole(role, env.outsider.address).call() is False
    env.admin.send(env.f.grantRole(role, env.outsider.address))
    assert env.f.hasRole(role, env.outsider.address).call() is True
    env.outsider.send(env.f.attestReport(c, REPORT, 1, ""))
    env.admin.send(env.f.revokeRole(role, env.outsider.address))
    with reverts("AccessControlUnauthorizedAccount", env.outsider.address, role):
        env.outsider.send(env.f.attestReport(c, b"\x5b" * 32, 1, ""))


def test_only_admin_grants_and_revokes_roles(env: LedgerEnv) -> None:
    role = env.f.AUDITOR_ROLE().call()
    with reverts("AccessControlUnauthorizedAccount", env.auditor.address, ADMIN_ROLE):
        env.auditor.send(env.f.grantRole(role, env.outsider.address))
    with reverts("AccessControlUnauthorizedAccount", env.outsider.address, ADMIN_ROLE):
        env.outsider.send(env.f.revokeRole(role, env.auditor.address))
    # The admin role itself is never granted directly, by anyone: it moves in two steps (below).
    with reverts("AccessControlEnforcedDefaultAdminRules"):
        env.manager.send(env.f.grantRole(ADMIN_ROLE, env.manager.address))
    with reverts("AccessControlEnforcedDefaultAdminRules"):
        env.admin.send(env.f.grantRole(ADMIN_ROLE, env.manager.address))
    with reverts("AccessControlEnforcedDefaultAdminRules"):
        env.admin.send(env.f.revokeRole(ADMIN_ROLE, env.admin.address))
    assert env.f.hasRole(ADMIN_ROLE, env.manager.address).call() is False


def test_auditor_can_renounce_only_its_own_role(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    role = env.f.AUDITOR_ROLE().call()
    with reverts("AccessControlBadConfirmation"):
        env.outsider.send(env.f.renounceRole(role, env.auditor.address))
    env.auditor.send(env.f.renounceRole(role, env.auditor.address))
    with reverts("AccessControlUnauthorizedAccount", env.auditor.address, role):
        env.auditor.send(env.f.attestReport(c, REPORT, 1, ""))


def test_admin_role_is_handed_over_in_two_steps_after_the_delay(env: LedgerEnv) -> None:
    new_admin = env.donors[3]
    delay = env.f.defaultAdminDelay().call()
    assert delay == DAY  # every local deployment
    receipt = env.admin.send(env.f.beginDefaultAdminTransfer(new_admin.address))
    schedule = env.w3.eth.get_block(receipt["blockNumber"])["timestamp"] + delay
    assert env.f.pendingDefaultAdmin().call() == [new_admin.address, schedule]
    # Too early: refused until the schedule has passed (strictly after it).
    with reverts("AccessControlEnforcedDefaultAdminDelay", schedule):
        new_admin.send(env.f.acceptDefaultAdminTransfer())
    mine_at(env, schedule)
    with call_reverts(env, "AccessControlEnforcedDefaultAdminDelay", schedule):
        env.f.acceptDefaultAdminTransfer().call({"from": new_admin.address})
    mine_at(env, schedule + 1)
    # Only the pending admin may accept.
    with reverts("AccessControlInvalidDefaultAdmin", env.outsider.address):
        env.outsider.send(env.f.acceptDefaultAdminTransfer())
    # Meanwhile the old admin is still the admin.
    env.admin.send(env.f.createCampaign(env.manager.address, "X", b"\x01" * 32, 0))
    receipt = new_admin.send(env.f.acceptDefaultAdminTransfer())
    assert only_event(env, receipt, "RoleGranted")["account"] == new_admin.address
    assert only_event(env, receipt, "RoleRevoked")["account"] == env.admin.address
    assert env.f.defaultAdmin().call() == new_admin.address
    assert env.f.hasRole(ADMIN_ROLE, env.admin.address).call() is False
    with reverts("AccessControlUnauthorizedAccount", env.admin.address, ADMIN_ROLE):
        env.admin.send(env.f.createCampaign(env.manager.address, "X", b"\x01" * 32, 0))
    with reverts("AccessControlUnauthorizedAccount", env.admin.address, ADMIN_ROLE):
        env.admin.send(env.f.grantRole(GUARDIAN_ROLE, env.admin.address))
    # The old admin can no longer take the guardian's actions either.
    with reverts("LedgerUnauthorizedGuardian", env.admin.address):
        env.admin.send(env.f.pauseCampaign(1))
    new_admin.send(env.f.createCampaign(env.manager.address, "X", b"\x01" * 32, 0))
    new_admin.send(env.f.pauseCampaign(1))
    assert env.f.campaignCount().call() == 2


def test_admin_transfer_can_be_cancelled_before_it_is_accepted(env: LedgerEnv) -> None:
    new_admin = env.donors[3]
    env.admin.send(env.f.beginDefaultAdminTransfer(new_admin.address))
    with reverts("AccessControlUnauthorizedAccount", new_admin.address, ADMIN_ROLE):
        new_admin.send(env.f.cancelDefaultAdminTransfer())
    env.admin.send(env.f.cancelDefaultAdminTransfer())
    assert env.f.pendingDefaultAdmin().call() == [ETH, 0]
    env.advance(2 * DAY)
    with reverts("AccessControlInvalidDefaultAdmin", new_admin.address):
        new_admin.send(env.f.acceptDefaultAdminTransfer())
    assert env.f.defaultAdmin().call() == env.admin.address


def test_only_the_admin_begins_an_admin_transfer(env: LedgerEnv) -> None:
    for sender in (env.guardian, env.manager, env.outsider):
        with reverts("AccessControlUnauthorizedAccount", sender.address, ADMIN_ROLE):
            sender.send(env.f.beginDefaultAdminTransfer(sender.address))
    assert env.f.pendingDefaultAdmin().call() == [ETH, 0]


def test_admin_cannot_renounce_without_the_two_steps(env: LedgerEnv) -> None:
    with reverts("AccessControlEnforcedDefaultAdminDelay", 0):
        env.admin.send(env.f.renounceRole(ADMIN_ROLE, env.admin.address))
    assert env.f.defaultAdmin().call() == env.admin.address


def test_anyone_may_pledge_and_push_refunds(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    env.pledge(env.outsider, c, r, "ETH", 10**17)
    env.pledge(env.supplier, c, r, "ETH", 10**17)
    env.guardian.send(env.f.cancelCampaign(c))
    env.auditor.send(env.f.pushRefunds(c, r, ETH, [env.outsider.address, env.supplier.address]))
    assert env.balance_of_ledger("ETH") == 0


def test_supports_access_control_interfaces(env: LedgerEnv) -> None:
    assert env.f.supportsInterface(bytes.fromhex("01ffc9a7")).call() is True  # ERC-165
    assert env.f.supportsInterface(bytes.fromhex("7965db0b")).call() is True  # IAccessControl
    default_admin_rules = 0
    for signature in (
        "defaultAdmin()",
        "pendingDefaultAdmin()",
        "defaultAdminDelay()",
        "pendingDefaultAdminDelay()",
        "beginDefaultAdminTransfer(address)",
        "cancelDefaultAdminTransfer()",
        "acceptDefaultAdminTransfer()",
        "changeDefaultAdminDelay(uint48)",
        "rollbackDefaultAdminDelay()",
        "defaultAdminDelayIncreaseWait()",
    ):
        default_admin_rules ^= int.from_bytes(Web3.keccak(text=signature)[:4], "big")
    assert default_admin_rules == 0x31498786
    assert env.f.supportsInterface(default_admin_rules.to_bytes(4, "big")).call() is True
    assert env.f.supportsInterface(bytes.fromhex("ffffffff")).call() is False
