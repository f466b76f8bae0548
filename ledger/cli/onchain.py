"""How every on-chain command acts: it builds a :class:`Plan` (the calls, what they do in words, the amounts),
and :func:`carry_out` previews it (words, token units and USD, gas and fee), asks to confirm, and then sends
it, simulates it (``--dry-run``) or writes it for a Safe's owners (``--unsigned``).

Who sends what: the admin's calls go through its timelock when it has one (``scheduleBatch``, run by
``pledgeledger timelock execute`` once the delay has passed); the guardian's, a manager's and the auditor's go
straight to the ledger. A signer without the role is refused before anything is sent, with the way to do it
instead (a Safe's batch).
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from ledger.cli import context
from ledger.cli.app import console, err_console
from ledger.errors import LedgerError

if TYPE_CHECKING:
    from web3 import Web3

    from ledger.chain import ErrorDecoder, Transactor
    from ledger.client import Call, LedgerClient, TxResult
    from ledger.client.prices import FeedReading
    from ledger.deploy import Deployment
    from ledger.governance.timelock import TimelockOperation

ETH = "0x" + "00" * 20


class Role(StrEnum):
    """Who may make a plan's calls on the ledger."""

    ADMIN = "admin"
    GUARDIAN = "guardian"
    MANAGER = "manager"
    AUDITOR = "auditor"
    #: The campaign's manager, the guardian or the admin (revoking a supplier).
    REVOKER = "revoker"
    ANYONE = "anyone"


@dataclass(frozen=True)
class Amount:
    """An amount a plan moves or values: base units, the token's symbol and decimals, and its USD value."""

    token: str
    base_units: int
    symbol: str
    decimals: int
    usd: Decimal | None = None

    def words(self) -> str:
        from ledger.reads.units import human_amount, human_decimal

        text = f"{human_amount(self.base_units, self.decimals)} {self.symbol}"
        return text + (f" (≈ {human_decimal(self.usd)} USD)" if self.usd is not None else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "symbol": self.symbol,
            "amount": str(self.base_units),
            "decimals": self.decimals,
            "usd": None if self.usd is None else str(self.usd),
        }


@dataclass(frozen=True)
class Step:
    """One call of a plan and what it does, in words. ``after_previous``: it can only be estimated once the
    step before it is mined (a token pledge after its approval)."""

    call: Call
    says: str
    after_previous: bool = False


@dataclass
class Plan:
    """What a command will do on chain."""

    title: str
    role: Role
    steps: list[Step]
    campaign_id: int | None = None
    amounts: list[Amount] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    #: Turns the mined results into lines for people (what was created, its id, when it takes effect).
    outcome: Callable[[list[TxResult]], dict[str, Any]] | None = None


@dataclass
class OnChain:
    """A command's view of the chain: the node, this chain's deployment and the ledger (read-only)."""

    w3: Web3
    url: str
    deployment: Deployment
    ledger: LedgerClient
    errors: ErrorDecoder
    #: Who signs (None when the plan is written ``--unsigned``): set before the plan is built, so that a
    #: donor's plan can read the donor's balance and pledges.
    signer: Transactor | None = None
    signer_source: str = ""

    @classmethod
    def open(cls, rpc_url: str | None) -> OnChain:
        from ledger.chain import ErrorDecoder
        from ledger.client import ERC20_ERRORS_ABI, LedgerClient
        from ledger.contract_abi import packaged_abi

        url = context.chain_url(rpc_url)
        assert url is not None
        w3 = context.connect(url)
        deployment = context.deployment_of(w3)
        abi = list(packaged_abi("PledgeLedger"))
        errors = ErrorDecoder([abi, list(packaged_abi("TimelockController")), ERC20_ERRORS_ABI])
        return cls(w3, url, deployment, LedgerClient(w3, deployment.ledger, abi, errors=errors), errors)

    @property
    def chain_id(self) -> int:
        return self.deployment.chain_id

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def sign_as(self, keystore: Path | None, account: int | None) -> Transactor:
        """Sign with the keystore's account, else development account ``account`` (0 if not given)."""
        from ledger.chain import Transactor
        from ledger.cli.signing import signer_account

        self.signer = Transactor(
            self.w3, signer_account(keystore, account or 0, self.url, self.chain_id), self.errors
        )
        self.signer_source = f"keystore {keystore}" if keystore else f"development account {account or 0}"
        return self.signer

    @property
    def signer_address(self) -> str:
        if self.signer is None:
            raise LedgerError("this command needs to know who signs: it cannot be written --unsigned")
        return str(self.signer.address)

    def describe_call(self, call: Call) -> str:
        """``createCampaign(manager=0x…, …)`` for a call to the ledger, ``schedule on the timelock: …`` for
        the admin's scheduling of ledger calls; else the function and its target."""
        from ledger.client import Call

        timelock = self.deployment.timelock
        if timelock is not None and call.to.lower() == timelock.lower():
            try:
                function, args = timelock_contract(self).decode_function_input(call.data)
            except ValueError:
                return f"{call.function} on the timelock {timelock}"
            if function.fn_name in ("scheduleBatch", "executeBatch"):
                inner = [
                    self.describe_call(Call(target, bytes(data), int(value), "call"))
                    for target, value, data in zip(
                        args["targets"], args["values"], args["payloads"], strict=True
                    )
                ]
                verb = "schedule" if function.fn_name == "scheduleBatch" else "execute"
                return f"{verb} on the timelock: " + "; ".join(inner)
            return f"{function.fn_name} on the timelock {timelock}"
        if call.to.lower() != self.ledger.address.lower():
            return f"{call.function} on {call.to}"
        try:
            function, args = self.ledger.contract.decode_function_input(call.data)
        except ValueError:
            return f"an unknown call to the ledger (selector 0x{bytes(call.data[:4]).hex()})"
        shown = ", ".join(f"{k}={_short(v)}" for k, v in args.items())
        return f"{function.fn_name}({shown})"

    # ─── tokens ──────────────────────────────────────────────────────────────────────────────────────

    def token_symbol(self, token: str) -> str:
        from ledger.client.calls import ERC20_ABI

        if token.lower() == ETH:
            return "ETH"
        for symbol, known in self.deployment.tokens.items():
            if known.address.lower() == token.lower():
                return symbol
        try:
            contract = self.w3.eth.contract(address=self.w3.to_checksum_address(token), abi=ERC20_ABI)
            return str(contract.functions.symbol().call())[:12] or token
        except Exception:
            return f"{token[:6]}…{token[-4:]}"

    def token_decimals(self, token: str) -> int:
        from ledger.client.calls import ERC20_ABI

        if token.lower() == ETH:
            return 18
        contract = self.w3.eth.contract(address=self.w3.to_checksum_address(token), abi=ERC20_ABI)
        try:
            return int(contract.functions.decimals().call())
        except Exception as exc:
            raise LedgerError(f"{token} does not answer decimals() like an ERC-20 token") from exc

    def resolve_token(self, given: str, campaign_id: int | None = None) -> str:
        """``ETH``, a token address, or the symbol of a token the campaign accepts (or the deployment
        knows)."""
        from web3 import Web3

        if given.upper() == "ETH":
            return ETH
        if Web3.is_address(given):
            return Web3.to_checksum_address(given)
        candidates: list[str] = []
        if campaign_id is not None:
            candidates = [str(t) for t in self.ledger.campaign(campaign_id).tokens]
        candidates += [t.address for t in self.deployment.tokens.values()]
        for token in candidates:
            if self.token_symbol(token).upper() == given.upper():
                return ETH if token.lower() == ETH else Web3.to_checksum_address(token)
        where = f"campaign {campaign_id} accepts" if campaign_id is not None else "this deployment knows"
        raise LedgerError(f"no token {given!r} among those {where}: give ETH, a symbol or a token address")

    def feed_reading(self, campaign_id: int, token: str) -> FeedReading | None:
        """The campaign's feed for ``token`` as it answers now (None if the token is not accepted)."""
        from ledger.client.prices import read_feed

        config = self.ledger.token_config(campaign_id, token)
        if not config.accepted:
            return None
        try:
            return read_feed(self.w3, config.feed)
        except LedgerError:
            return None

    def amount(self, campaign_id: int | None, token: str, base_units: int) -> Amount:
        """``base_units`` of ``token`` with its symbol, and its USD value by the campaign's feed."""
        decimals = self.token_decimals(token)
        reading = self.feed_reading(campaign_id, token) if campaign_id is not None else None
        usd = reading.usd(base_units, decimals) if reading is not None else None
        return Amount(token, base_units, self.token_symbol(token), decimals, usd)

    def eth_usd(self, campaign_id: int | None) -> FeedReading | None:
        """An ETH/USD reading to value fees: the campaign's, else the deployment's."""
        from ledger.client.prices import read_feed

        if campaign_id is not None and (reading := self.feed_reading(campaign_id, ETH)) is not None:
            return reading
        known = self.deployment.tokens.get("ETH")
        if known is None:
            return None
        try:
            return read_feed(self.w3, known.feed)
        except LedgerError:
            return None


# ─── who sends: the admin through its timelock, the others directly ──────────────────────────────────


@dataclass(frozen=True)
class Route:
    """How a plan reaches the ledger: the calls actually sent (``sent``), by whom (``sender``: the address
    whose role the calls need), and the timelock operation when they are scheduled."""

    sent: list[Call]
    sender: str
    via: str
    operation: TimelockOperation | None = None
    ready_at_delay: int | None = None


def timelock_contract(chain: OnChain) -> Any:
    """The admin's TimelockController."""
    from web3 import Web3

    from ledger.contract_abi import packaged_abi

    assert chain.deployment.timelock is not None
    return chain.w3.eth.contract(
        address=Web3.to_checksum_address(chain.deployment.timelock),
        abi=list(packaged_abi("TimelockController")),
    )


def route(chain: OnChain, plan: Plan) -> Route:
    """The calls a plan sends: an admin plan becomes one ``scheduleBatch`` on the timelock, when the admin is
    one; everything else goes to the ledger as it is."""
    calls = [step.call for step in plan.steps]
    if plan.role is not Role.ADMIN or chain.deployment.timelock is None:
        return Route(calls, sender="", via="")
    from ledger.client import Call
    from ledger.governance.timelock import TimelockOperation

    timelock = timelock_contract(chain)
    delay = int(timelock.functions.getMinDelay().call())
    operation = TimelockOperation(tuple(calls), salt=secrets.token_bytes(32))
    data = timelock.encode_abi(
        "scheduleBatch",
        [
            operation.targets,
            operation.values,
            operation.payloads,
            operation.predecessor,
            operation.salt,
            delay,
        ],
    )
    schedule = Call(timelock.address, bytes.fromhex(data[2:]), 0, "scheduleBatch")
    return Route(
        [schedule], sender=timelock.address, via="timelock", operation=operation, ready_at_delay=delay
    )


def _has_role(chain: OnChain, role: str, account: str) -> bool:
    return chain.ledger.has_role(
        chain.ledger.role(role) if role != "DEFAULT_ADMIN_ROLE" else b"\x00" * 32, account
    )


def check_signer(chain: OnChain, plan: Plan, path: Route, signer: str) -> None:
    """Refuse a signer who cannot make the plan's calls, saying who can and how (before anything is sent)."""
    deployment = chain.deployment
    hint_safe = "write them for its owners with --unsigned FILE (a Safe Transaction Builder batch)"
    if path.operation is not None:
        timelock = timelock_contract(chain)
        proposer = timelock.functions.PROPOSER_ROLE().call()
        if not timelock.functions.hasRole(proposer, signer).call():
            board = deployment.governance.board_safe if deployment.governance else "its proposer (a Safe)"
            raise LedgerError(
                f"{signer} cannot propose to the admin's timelock {deployment.timelock}: the proposer is "
                f"{board}; {hint_safe}"
            )
        return
    if plan.role is Role.ADMIN and not _has_role(chain, "DEFAULT_ADMIN_ROLE", signer):
        raise LedgerError(f"{signer} is not the ledger's admin ({deployment.admin}); {hint_safe}")
    if plan.role is Role.GUARDIAN and not (
        _has_role(chain, "GUARDIAN_ROLE", signer) or _has_role(chain, "DEFAULT_ADMIN_ROLE", signer)
    ):
        raise LedgerError(f"{signer} is not the guardian ({deployment.guardian}); {hint_safe}")
    if plan.role is Role.REVOKER and plan.campaign_id is not None:
        manager = chain.ledger.campaign(plan.campaign_id).manager
        if manager.lower() != signer.lower() and not (
            _has_role(chain, "GUARDIAN_ROLE", signer) or _has_role(chain, "DEFAULT_ADMIN_ROLE", signer)
        ):
            raise LedgerError(
                f"{signer} is neither the manager of campaign {plan.campaign_id} ({manager}) "
                f"nor the guardian "
                f"({deployment.guardian}); {hint_safe}"
            )
    if plan.role is Role.MANAGER and plan.campaign_id is not None:
        manager = chain.ledger.campaign(plan.campaign_id).manager
        if manager.lower() != signer.lower():
            raise LedgerError(
                f"{signer} is not the manager of campaign {plan.campaign_id} ({manager}); "
                f"sign as the manager, "
                f"or if the manager is a Safe, {hint_safe}"
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


# ─── showing and doing ───────────────────────────────────────────────────────────────────────────────


def _eth_words(chain: OnChain, plan: Plan, wei: int) -> str:
    from ledger.reads.units import human_decimal

    text = f"{human_decimal(Decimal(wei).scaleb(-18), 6)} ETH"
    reading = chain.eth_usd(plan.campaign_id)
    return text + (f" (≈ {human_decimal(reading.usd(wei, 18), 4)} USD)" if reading is not None else "")


def preview(
    chain: OnChain, plan: Plan, path: Route, signer_line: str, cost: Cost | None, notes: list[str]
) -> Panel:
    from ledger.reverts import duration

    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    for i, step in enumerate(plan.steps, 1):
        table.add_row("Does" if i == 1 else "", escape(step.says))
    for amount in plan.amounts:
        table.add_row("Amount", escape(amount.words()))
    for name, value in plan.facts:
        table.add_row(escape(name), escape(value))
    table.add_row("Chain", f"{chain.chain_id} at {escape(chain.url)}; ledger {chain.deployment.ledger}")
    table.add_row("Signer", escape(signer_line))
    if path.operation is not None:
        assert path.ready_at_delay is not None
        table.add_row(
            "Through",
            f"the admin's timelock {path.sender}: scheduled now, runs after {duration(path.ready_at_delay)} "
            f"(operation 0x{path.operation.id.hex()})",
        )
    if cost is not None:
        gas = f"{cost.gas:,} gas, at most {_eth_words(chain, plan, cost.max_fee_wei)}"
        if cost.unknown_steps:
            gas += f" (+ {cost.unknown_steps} step(s) estimated once the one before is mined)"
        table.add_row("Gas", gas)
    for note in notes:
        table.add_row("Note", escape(note))
    return Panel(table, title=escape(plan.title), border_style="cyan")


def confirm(yes: bool) -> None:
    """Ask before sending; without a terminal to ask on, refuse rather than hang or send unasked."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise LedgerError("nothing sent: confirm with --yes (no terminal to ask on)")
    if not typer.confirm("Send?", default=False, err=True):
        raise LedgerError("nothing sent: not confirmed")


def _event_words(result: TxResult) -> list[str]:
    return [f"{e.name}({', '.join(f'{k}={_short(v)}' for k, v in e.args.items())})" for e in result.events]


def _short(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def _write_unsigned(chain: OnChain, plan: Plan, path: Route, out: Path, as_json: bool) -> None:
    from ledger.governance.txbuilder import write_batch

    if path.operation is not None:
        safe = chain.deployment.governance.board_safe if chain.deployment.governance else None
    elif plan.role in (Role.GUARDIAN, Role.REVOKER):
        safe = chain.deployment.guardian
    elif plan.role is Role.MANAGER and plan.campaign_id is not None:
        safe = chain.ledger.campaign(plan.campaign_id).manager
    else:
        safe = None
    if safe is not None and not chain.w3.eth.get_code(chain.w3.to_checksum_address(safe)):
        safe = None  # an account, not a Safe
    written = write_batch(
        out,
        path.sent,
        chain_id=chain.chain_id,
        safe=safe,
        name=plan.title,
        description="; ".join(step.says for step in plan.steps),
    )
    result: dict[str, Any] = {
        "unsigned": str(written),
        "safe": safe,
        "transactions": [
            {"to": c.to, "value": str(c.value), "data": "0x" + c.data.hex(), "function": c.function}
            for c in path.sent
        ],
    }
    if path.operation is not None:
        result["timelock_operation"] = "0x" + path.operation.id.hex()
    if as_json:
        print(json.dumps(result))
        return
    who = f"the Safe {safe}'s owners" if safe else "the signer"
    console.print(
        f"Wrote {len(path.sent)} transaction(s) to [bold]{escape(str(written))}[/bold] for {who} to sign"
    )
    console.print("[dim]Import it in Safe{Wallet} → Apps → Transaction Builder.[/dim]")
    if path.operation is not None:
        console.print(
            f"Once the Safe has scheduled it and the delay has passed: "
            f"[bold]pledgeledger timelock execute 0x{path.operation.id.hex()}[/bold]"
        )


def carry_out(
    chain: OnChain,
    plan: Plan,
    *,
    yes: bool,
    dry_run: bool,
    as_json: bool,
    unsigned: Path | None,
) -> list[TxResult]:
    """Preview ``plan``, then write it (``unsigned``), simulate it (``dry_run``) or confirm and send it."""
    path = route(chain, plan)
    if unsigned is not None:
        if dry_run:
            raise LedgerError("--dry-run and --unsigned: choose one")
        for step in plan.steps:  # as the Safe (or timelock) will run them: refuse what would revert
            if not step.after_previous:
                simulate_as(chain, step.call, path.sender or _unsigned_sender(chain, plan))
        _write_unsigned(chain, plan, path, unsigned, as_json)
        return []
    signer = chain.signer
    assert signer is not None
    signer_line = f"{signer.address} ({chain.signer_source})"
    check_signer(chain, plan, path, signer.address)
    notes = check_plan(chain, plan, path, signer.address)
    if dry_run:
        if as_json:
            print(
                json.dumps({"dry_run": True, "would_succeed": True, "notes": notes, **_plan_json(plan, path)})
            )
        else:
            console.print(preview(chain, plan, path, signer_line, None, notes))
            console.print("[green]Dry run: it would succeed.[/green] Nothing was sent.")
        return []
    cost = estimate(chain, signer, plan, path)
    if not as_json or not yes:
        (err_console if as_json else console).print(preview(chain, plan, path, signer_line, cost, notes))
    confirm(yes)
    results = _send(chain, signer, path, quiet=as_json)
    outcome = plan.outcome(results) if plan.outcome is not None else {}
    if as_json:
        print(
            json.dumps({**_plan_json(plan, path), **outcome, "transactions": [r.to_json() for r in results]})
        )
        return results
    for result in results:
        console.print(
            f"[green]✓[/green] {result.tx_hash} in block {result.block_number} ({result.gas_used:,} gas)"
        )
        for line in _event_words(result):
            console.print(f"   {escape(line)}")
    for key, value in outcome.items():
        console.print(f"[bold]{escape(key.replace('_', ' ').capitalize())}:[/bold] {escape(str(value))}")
    if path.operation is not None:
        console.print(
            f"Scheduled. After the delay, anyone runs it: "
            f"[bold]pledgeledger timelock execute 0x{path.operation.id.hex()}[/bold]"
        )
    return results


def _unsigned_sender(chain: OnChain, plan: Plan) -> str:
    if plan.role in (Role.GUARDIAN, Role.REVOKER):
        return chain.deployment.guardian
    if plan.role is Role.MANAGER and plan.campaign_id is not None:
        return chain.ledger.campaign(plan.campaign_id).manager
    return chain.deployment.admin


def _send(chain: OnChain, signer: Transactor, path: Route, *, quiet: bool) -> list[TxResult]:
    """Send the calls in order (one nonce after the other), with a progress bar when there are several."""
    from rich.progress import Progress

    client = chain.ledger.as_signer(signer)
    if len(path.sent) == 1 or quiet:
        return [client.send(call) for call in path.sent]
    results = []
    with Progress(console=err_console) as progress:
        task = progress.add_task("Sending", total=len(path.sent))
        for call in path.sent:
            results.append(client.send(call))
            progress.advance(task)
    return results


def _plan_json(plan: Plan, path: Route) -> dict[str, Any]:
    out: dict[str, Any] = {
        "action": plan.title,
        "steps": [step.says for step in plan.steps],
        "amounts": [a.to_json() for a in plan.amounts],
    }
    if path.operation is not None:
        out["timelock_operation"] = "0x" + path.operation.id.hex()
    return out


def run_plan(
    build_plan: Callable[[OnChain], Plan],
    *,
    rpc_url: str | None,
    keystore: Path | None,
    account: int | None,
    yes: bool,
    dry_run: bool,
    as_json: bool,
    unsigned: Path | None,
) -> list[TxResult]:
    """Open the chain, build the plan on it and carry it out: the body of every on-chain command."""
    chain = OnChain.open(rpc_url)
    if unsigned is None:
        chain.sign_as(keystore, account)
    elif keystore is not None or account is not None:
        raise LedgerError("--unsigned writes the transactions for others to sign: drop --keystore/--account")
    plan = build_plan(chain)
    return carry_out(
        chain,
        plan,
        yes=yes,
        dry_run=dry_run,
        as_json=as_json,
        unsigned=unsigned,
    )


def parse_addresses(values: Sequence[str], what: str) -> list[str]:
    from web3 import Web3

    out: list[str] = []
    for value in values:
        if not Web3.is_address(value):
            raise LedgerError(f"{what} {value!r} is not an address (0x followed by 40 hex digits)")
        out.append(Web3.to_checksum_address(value))
    return out
