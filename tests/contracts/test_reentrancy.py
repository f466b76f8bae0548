"""Every state-changing function of the ledger is nonReentrant.

A token with an ERC-777-style sender hook (``HookToken``) hands control to the donor in the middle of its
pledge, after the ledger has checked the round and before it has booked the pledge. The donor here, a
``HookAttacker``, is also the campaign's manager, a guardian and an auditor, and the campaign is set up so
that each re-entered call would succeed on its own (the controls below show it); from inside the hook each one
reverts with OpenZeppelin's ``ReentrancyGuardReentrantCall``, which reverts the whole pledge.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from web3.contract import Contract

from tests.contracts.support import (
    AUDITOR_ROLE,
    GUARDIAN_ROLE,
    INVOICE,
    OPEN,
    PO,
    RECORD,
    approve_supplier,
    calldata,
    close,
    deploy_hook_attacker,
    deploy_hook_token,
    end_round,
    succeeded_round,
)
from tests.support.chain import LedgerEnv, reverted, reverts
from tests.support.units import DAY, ETH, USD

HOOK_PLEDGE = 10**18  # one hook token, priced at 1 USD by the DAI feed
REPORT = b"\x5a" * 32


@dataclass
class Hooked:
    """A campaign managed by ``attacker``: round 1 succeeded (100 USDC spendable, the supplier approved),
    round 2 failed all or nothing (the attacker and donor 0 pledged 0.1 ETH each), round 3 is open with its
    goal met."""

    c: int
    failed: int
    open: int
    attacker: Contract
    hook: Contract


def hooked_campaign(env: LedgerEnv) -> Hooked:
    hook, attacker = deploy_hook_token(env), deploy_hook_attacker(env)
    owner, d0 = env.outsider, env.donors[0]
    c = env.create_campaign(("ETH", "USDC"))
    env.admin.send(env.f.acceptToken(c, hook.address, env.feeds["DAI"].address, DAY))
    succeeded_round(env, c, [(d0, "USDC", 100 * 10**6)])
    approve_supplier(env, c)
    failed = env.open_round(c, goal_usd=10**9 * USD)
    owner.send(
        attacker.functions.execute(env.ledger.address, calldata(env.ledger, "pledge", c, failed)),
        value=10**17,
    )
    env.pledge(d0, c, failed, "ETH", 10**17)
    end_round(env, c, failed)
    close(env, c, failed)
    open_round = env.open_round(c, goal_usd=100 * USD)
    env.pledge(d0, c, open_round, "USDC", 100 * 10**6)
    env.admin.send(env.f.setManager(c, attacker.address))
    env.admin.send(env.f.grantRole(GUARDIAN_ROLE, attacker.address))
    env.admin.send(env.f.grantRole(AUDITOR_ROLE, attacker.address))
    env.admin.send(hook.functions.mint(attacker.address, 10 * HOOK_PLEDGE))
    owner.send(
        attacker.functions.execute(hook.address, calldata(hook, "approve", env.ledger.address, 2**256 - 1))
    )
    owner.send(attacker.functions.execute(hook.address, calldata(hook, "setHook", True)))
    return Hooked(c, failed, open_round, attacker, hook)


@pytest.fixture(scope="module")
def _hooked_once(_session_env: LedgerEnv) -> Iterator[tuple[LedgerEnv, Hooked]]:
    """The hooked campaign, built once for the module and removed after it."""
    with reverted(_session_env) as env:
        yield env, hooked_campaign(env)


@pytest.fixture
def hooked(_hooked_once: tuple[LedgerEnv, Hooked]) -> Iterator[tuple[LedgerEnv, Hooked]]:
    """The hooked campaign as the module built it, restored after each test."""
    env, h = _hooked_once
    with reverted(env):
        yield env, h


# Every state-changing function of IPledgeLedger, with arguments that would make it succeed for the attacker
# (or, for the admin's functions, fail only on the role, which is checked after the guard).
CALLS: dict[str, Callable[[LedgerEnv, Hooked], tuple[Any, ...]]] = {
    "createCampaign": lambda env, h: (h.attacker.address, "X", b"\x01" * 32, 0),
    "acceptToken": lambda env, h: (h.c, env.token_address("DAI"), env.feeds["DAI"].address, DAY),
    "setManager": lambda env, h: (h.c, env.manager.address),
    "cancelCampaign": lambda env, h: (h.c,),
    "pauseCampaign": lambda env, h: (h.c,),
    "unpauseCampaign": lambda env, h: (h.c,),
    "openRound": lambda env, h: (h.c, env.now(), env.now() + DAY, USD, True),
    "closeRound": lambda env, h: (h.c, h.open),
    "pledge": lambda env, h: (h.c, h.open),
    "pledgeToken": lambda env, h: (h.c, h.open, h.hook.address, HOOK_PLEDGE),
    "claimRefund": lambda env, h: (h.c, h.failed, ETH),
    "pushRefunds": lambda env, h: (h.c, h.failed, ETH, [env.donors[0].address]),
    "approveSupplier": lambda env, h: (h.c, env.outsider.address, RECORD),
    "revokeSupplier": lambda env, h: (h.c, env.supplier.address),
    "disburse": lambda env, h: (h.c, env.token_address("USDC"), env.supplier.address, 10**6, PO, INVOICE),
    "attestReport": lambda env, h: (h.c, REPORT, 1, ""),
}
# Those the attacker could not make outside a pledge either: the admin's, an ETH pledge without ETH (the hook
# sends none), opening a round while one is open, and unpausing a campaign that is not paused.
REFUSED_ANYWAY = {"createCampaign", "acceptToken", "setManager", "pledge", "openRound", "unpauseCampaign"}


def test_the_calls_cover_every_state_changing_function(env: LedgerEnv) -> None:
    abi = env.build["IPledgeLedger"].abi
    mutating = {
        i["name"] for i in abi if i["type"] == "function" and i["stateMutability"] not in ("view", "pure")
    }
    assert set(CALLS) == mutating


def snapshot(env: LedgerEnv, h: Hooked) -> tuple[Any, ...]:
    return (
        env.f.campaignCount().call(),
        env.f.campaign(h.c).call(),
        env.f.round(h.c, h.open).call(),
        env.f.round(h.c, h.failed).call(),
        env.f.tokenTotals(h.c, ETH).call(),
        env.f.tokenTotals(h.c, env.token_address("USDC")).call(),
        env.f.tokenTotals(h.c, h.hook.address).call(),
        env.f.supplierApproval(h.c, env.supplier.address).call(),
        env.f.supplierApproval(h.c, env.outsider.address).call(),
        env.f.attestedAt(h.c, REPORT, h.attacker.address).call(),
        env.balance_of_ledger("ETH"),
        h.hook.functions.balanceOf(env.ledger.address).call(),
    )


@pytest.mark.parametrize("function", list(CALLS))
def test_reentering_from_a_token_hook_reverts_the_whole_pledge(
    hooked: tuple[LedgerEnv, Hooked], function: str
) -> None:
    env, h = hooked
    before = snapshot(env, h)
    owner, attacker = env.outsider, h.attacker.functions
    owner.send(attacker.armHook(env.ledger.address, calldata(env.ledger, function, *CALLS[function](env, h))))
    pledge = calldata(env.ledger, "pledgeToken", h.c, h.open, h.hook.address, HOOK_PLEDGE)
    with reverts("ReentrancyGuardReentrantCall"):
        owner.send(attacker.execute(env.ledger.address, pledge))
    assert snapshot(env, h) == before
    assert env.f.round(h.c, h.open).call()[2] == OPEN
    # Disarmed, the same pledge goes through: it was the re-entry that was refused, not the token.
    owner.send(attacker.armHook(ETH, b""))
    owner.send(attacker.execute(env.ledger.address, pledge))
    assert env.f.pledgeOf(h.c, h.open, h.hook.address, h.attacker.address).call() == HOOK_PLEDGE


@pytest.mark.parametrize("function", [f for f in CALLS if f not in REFUSED_ANYWAY])
def test_control_the_same_call_succeeds_outside_a_pledge(
    hooked: tuple[LedgerEnv, Hooked], function: str
) -> None:
    env, h = hooked
    env.outsider.send(
        h.attacker.functions.execute(
            env.ledger.address, calldata(env.ledger, function, *CALLS[function](env, h))
        )
    )
