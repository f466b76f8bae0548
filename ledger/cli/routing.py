"""Who sends a plan, and the checks before anything is sent: the admin's calls go through its timelock when
it has one (``scheduleBatch``, run by ``pledgeledger timelock execute`` once the delay has passed); the
guardian's, a manager's and the auditor's go straight to the ledger. A signer without the role is refused
before anything is sent, with the way to do it instead (a Safe's batch). Then the plan is simulated as it
will run, and its gas estimated."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ledger.cli.onchain import OnChain
from ledger.cli.plan import Plan, Role
from ledger.errors import LedgerError

if TYPE_CHECKING:
    from ledger.chain import Transactor
    from ledger.client import Call
    from ledger.governance.timelock import TimelockOperation

#: How to do what a signer may not: the way out every refusal names.
HINT_SAFE = "write them for its owners with --unsigned FILE (a Safe Transaction Builder batch)"


@dataclass(frozen=True)
class Route:
    """How a plan reaches the ledger: the calls actually sent (``sent``), by whom (``sender``: the address
    whose role the calls need), and the timelock operation when they are scheduled."""

    sent: list[Call]
    sender: str
    operation: TimelockOperation | None = None
    ready_at_delay: int | None = None


def route(chain: OnChain, plan: Plan) -> Route:
    """The calls a plan sends: an admin plan becomes one ``scheduleBatch`` on the timelock, when the admin is
    one; everything else goes to the ledger as it is."""
    calls = [step.call for step in plan.steps]
    if plan.role is not Role.ADMIN or chain.deployment.timelock is None:
        return Route(calls, sender="")
    from ledger.client import Call
    from ledger.governance.timelock import TimelockOperation

    timelock = chain.timelock()
    delay = timelock.min_delay()
    operation = TimelockOperation(tuple(calls), salt=secrets.token_bytes(32))
    schedule = Call(timelock.address, timelock.schedule_data(operation, delay), 0, "scheduleBatch")
    return Route([schedule], sender=timelock.address, operation=operation, ready_at_delay=delay)


def role_holder(chain: OnChain, plan: Plan) -> str | None:
    """Who holds the plan's role when it is not the admin: the guardian, or the campaign's manager."""
    if plan.role in (Role.GUARDIAN, Role.REVOKER):
        return chain.deployment.guardian
    if plan.role is Role.MANAGER and plan.campaign_id is not None:
        return chain.ledger.campaign(plan.campaign_id).manager
    return None


def _has_role(chain: OnChain, role: str, account: str) -> bool:
    return chain.ledger.has_role(
        chain.ledger.role(role) if role != "DEFAULT_ADMIN_ROLE" else b"\x00" * 32, account
    )


def _protects(chain: OnChain, account: str) -> bool:
    """The guardian's powers: the guardian's, and the admin's."""
    return _has_role(chain, "GUARDIAN_ROLE", account) or _has_role(chain, "DEFAULT_ADMIN_ROLE", account)


def check_signer(chain: OnChain, plan: Plan, path: Route, signer: str) -> None:
    """Refuse a signer who cannot make the plan's calls, saying who can and how (before anything is sent)."""
    deployment = chain.deployment
    if path.operation is not None:
        if not chain.timelock().is_proposer(signer):
            board = deployment.governance.board_safe if deployment.governance else "its proposer (a Safe)"
            raise LedgerError(
                f"{signer} cannot propose to the admin's timelock {deployment.timelock}: the proposer is "
                f"{board}; {HINT_SAFE}"
            )
        return
    if plan.role is Role.ADMIN and not _has_role(chain, "DEFAULT_ADMIN_ROLE", signer):
        raise LedgerError(f"{signer} is not the ledger's admin ({deployment.admin}); {HINT_SAFE}")
    if plan.role is Role.GUARDIAN and not _protects(chain, signer):
        raise LedgerError(f"{signer} is not the guardian ({deployment.guardian}); {HINT_SAFE}")
    if plan.role is Role.REVOKER and plan.campaign_id is not None:
        manager = chain.ledger.campaign(plan.campaign_id).manager
        if manager.lower() != signer.lower() and not _protects(chain, signer):
            raise LedgerError(
                f"{signer} is neither the manager of campaign {plan.campaign_id} ({manager}) "
                f"nor the guardian ({deployment.guardian}); {HINT_SAFE}"
            )
    if plan.role is Role.MANAGER and plan.campaign_id is not None:
        manager = chain.ledger.campaign(plan.campaign_id).manager
        if manager.lower() != signer.lower():
            raise LedgerError(
                f"{signer} is not the manager of campaign {plan.campaign_id} ({manager}); "
                f"sign as the manager, or if the manager is a Safe, {HINT_SAFE}"
            )
    if plan.role is Role.AUDITOR and not _has_role(chain, "AUDITOR_ROLE", signer):
        raise LedgerError(f"{signer} has no auditor role on the ledger: the admin grants it (`grantRole`)")


# ─── checks: simulation and estimates ────────────────────────────────────────────────────────────────


def simulate_as(chain: OnChain, call: Call, sender: str) -> None:
    """Run ``call`` with ``eth_call`` as ``sender`` (any address: the timelock, a Safe); raise the explained
    revert."""
    from web3 import Web3
    from web3.exceptions import ContractLogicError, Web3RPCError

    from ledger.chain import revert_data
    from ledger.errors import TransactionFailedError
    from ledger.reverts import explain

    tx: Any = {
        "from": Web3.to_checksum_address(sender),
        "to": call.to,
        "data": call.data,
        "value": call.value,
    }
    try:
        chain.w3.eth.call(tx)
    except (ContractLogicError, Web3RPCError) as exc:
        decoded = chain.errors.decode(revert_data(exc))
        if decoded is None:
            raise TransactionFailedError(f"{call.function} would revert: {exc}") from exc
        raise explain(decoded, call.function, chain.ledger) from exc


def check_plan(chain: OnChain, plan: Plan, path: Route, sender: str) -> list[str]:
    """Simulate what the plan will do, as it will run (an admin plan through a timelock: as the timelock);
    returns notes. A step that needs the one before it mined (a token pledge after its approval) is simulated
    too: a revert of the ledger's own checks refuses the plan, the token's missing allowance does not."""
    from ledger.errors import ContractRevertError, TransactionFailedError

    notes: list[str] = []
    as_who = path.sender or sender
    for step in plan.steps:
        try:
            simulate_as(chain, step.call, as_who)
        except TransactionFailedError as exc:
            ledger_check = isinstance(exc, ContractRevertError) and (exc.error or "").startswith("Ledger")
            if not step.after_previous or ledger_check:
                raise
            notes.append(
                f"{step.call.function}: the ledger's checks pass; it succeeds once the step before is mined"
            )
    return notes


def check_unsigned(chain: OnChain, plan: Plan, path: Route) -> None:
    """Simulate the plan as the Safe (or timelock) will run it, written ``--unsigned``: refuse what would
    revert."""
    sender = path.sender or role_holder(chain, plan) or chain.deployment.admin
    for step in plan.steps:
        if not step.after_previous:
            simulate_as(chain, step.call, sender)


@dataclass(frozen=True)
class Cost:
    gas: int
    max_fee_wei: int
    unknown_steps: int


def estimate(chain: OnChain, signer: Transactor, plan: Plan, path: Route) -> Cost:
    """The gas of what will be sent, at the fees now; a step that needs the one before it is not counted."""
    from ledger.chain import Fees

    fees = Fees.current(chain.w3)
    waits = [False] * len(path.sent) if path.operation is not None else [s.after_previous for s in plan.steps]
    gas = 0
    for call, wait in zip(path.sent, waits, strict=True):
        if not wait:
            tx: Any = {"to": call.to, "data": call.data, "value": call.value}
            gas += signer.estimate_gas(tx, call.function)
    return Cost(gas, gas * fees.max_fee_per_gas, sum(waits))
