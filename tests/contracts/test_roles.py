"""Who may do what: admin-only, manager-only (per campaign) and auditor-only functions, and AccessControl."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ledger.chain import Transactor
from tests.conftest import DAY, ETH, USD, LedgerEnv, reverts
from tests.contracts.support import ADMIN_ROLE, INVOICE, PO, RECORD, approve_supplier, succeeded_round

REPORT = b"\x5a" * 32
NON_ADMINS = ["manager", "auditor", "outsider", "supplier"]
NON_MANAGERS = ["admin", "auditor", "outsider", "supplier"]
NON_AUDITORS = ["admin", "manager", "outsider"]


def actor(env: LedgerEnv, name: str) -> Transactor:
    return getattr(env, name)  # type: ignore[no-any-return]


# Each builds the call for campaign ``c`` (accepting every test token, manager ``env.manager``).
ADMIN_CALLS: dict[str, Callable[[LedgerEnv, int], Any]] = {
    "createCampaign": lambda env, c: env.f.createCampaign(env.outsider.address, "X", b"\x01" * 32),
    "acceptToken": lambda env, c: env.f.acceptToken(c, ETH, env.feeds["ETH"].address, DAY),
    "setManager": lambda env, c: env.f.setManager(c, env.outsider.address),
    "cancelCampaign": lambda env, c: env.f.cancelCampaign(c),
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


MANAGER_FUNCTIONS = ["openRound", "closeRound", "approveSupplier", "revokeSupplier", "disburse"]


@pytest.mark.parametrize("caller", NON_MANAGERS)
@pytest.mark.parametrize("function", MANAGER_FUNCTIONS)
def test_manager_functions_reject_everyone_else(env: LedgerEnv, function: str, caller: str) -> None:
    c = env.create_campaign()
    sender = actor(env, caller)
    with reverts("LedgerUnauthorizedManager", c, sender.address):
        sender.send(manager_calls(env, c)[function])


@pytest.mark.parametrize("function", MANAGER_FUNCTIONS)
def test_manager_of_one_campaign_cannot_act_on_another(env: LedgerEnv, function: str) -> None:
    campaign_ready_for_manager(env)  # campaign 1, managed by env.manager
    receipt = env.admin.send(env.f.createCampaign(env.outsider.address, "Other", b"\x02" * 32))
    c2 = env.ledger.events.CampaignCreated().process_receipt(receipt)[0]["args"]["campaignId"]
    with reverts("LedgerUnauthorizedManager", c2, env.manager.address):
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
    for call in manager_calls(env, c).values():
        with reverts("LedgerUnauthorizedManager", c, env.manager.address):
            env.manager.send(call)
    env.outsider.send(env.f.disburse(c, ETH, env.supplier.address, 10**17, PO, INVOICE))


def test_admin_is_not_a_manager(env: LedgerEnv) -> None:
    c = env.create_campaign()
    now = env.now()
    with reverts("LedgerUnauthorizedManager", c, env.admin.address):
        env.admin.send(env.f.openRound(c, now, now + DAY, USD, True))


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
    with reverts("AccessControlUnauthorizedAccount", env.manager.address, ADMIN_ROLE):
        env.manager.send(env.f.grantRole(ADMIN_ROLE, env.manager.address))


def test_auditor_can_renounce_only_its_own_role(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    role = env.f.AUDITOR_ROLE().call()
    with reverts("AccessControlBadConfirmation"):
        env.outsider.send(env.f.renounceRole(role, env.auditor.address))
    env.auditor.send(env.f.renounceRole(role, env.auditor.address))
    with reverts("AccessControlUnauthorizedAccount", env.auditor.address, role):
        env.auditor.send(env.f.attestReport(c, REPORT, 1, ""))


def test_admin_role_can_be_handed_over(env: LedgerEnv) -> None:
    new_admin = env.donors[3]
    env.admin.send(env.f.grantRole(ADMIN_ROLE, new_admin.address))
    env.admin.send(env.f.renounceRole(ADMIN_ROLE, env.admin.address))
    with reverts("AccessControlUnauthorizedAccount", env.admin.address, ADMIN_ROLE):
        env.admin.send(env.f.createCampaign(env.manager.address, "X", b"\x01" * 32))
    new_admin.send(env.f.createCampaign(env.manager.address, "X", b"\x01" * 32))
    assert env.f.campaignCount().call() == 1


def test_anyone_may_pledge_and_push_refunds(env: LedgerEnv) -> None:
    c = env.create_campaign()
    r = env.open_round(c)
    env.pledge(env.outsider, c, r, "ETH", 10**17)
    env.pledge(env.supplier, c, r, "ETH", 10**17)
    env.admin.send(env.f.cancelCampaign(c))
    env.auditor.send(env.f.pushRefunds(c, r, ETH, [env.outsider.address, env.supplier.address]))
    assert env.balance_of_ledger("ETH") == 0


def test_supports_access_control_interfaces(env: LedgerEnv) -> None:
    assert env.f.supportsInterface(bytes.fromhex("01ffc9a7")).call() is True  # ERC-165
    assert env.f.supportsInterface(bytes.fromhex("7965db0b")).call() is True  # IAccessControl
    assert env.f.supportsInterface(bytes.fromhex("ffffffff")).call() is False
