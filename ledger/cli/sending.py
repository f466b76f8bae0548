"""The last stage of every on-chain command: :func:`run_plan` opens the chain, has the command build its
:class:`~ledger.cli.plan.Plan`, routes and checks it (:mod:`ledger.cli.routing`), previews it (words, token
units and USD, gas and fee), asks to confirm, and then sends it, simulates it (``--dry-run``) or writes it
for a Safe's owners (``--unsigned``), as the command's :class:`~ledger.cli.options.Sending` says."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from ledger.cli.app import console, err_console
from ledger.cli.onchain import OnChain, short
from ledger.cli.options import Sending
from ledger.cli.plan import Plan
from ledger.cli.routing import (
    Cost,
    Route,
    check_plan,
    check_signer,
    check_unsigned,
    estimate,
    role_holder,
    route,
)
from ledger.errors import LedgerError

if TYPE_CHECKING:
    from ledger.chain import Transactor
    from ledger.client import TxResult


def run_plan(build_plan: Callable[[OnChain], Plan], sending: Sending) -> list[TxResult]:
    """Open the chain, build the plan on it and carry it out: the body of every on-chain command."""
    chain = OnChain.open(sending.rpc_url)
    if sending.unsigned is None:
        chain.sign_as(sending.keystore, sending.account)
    elif sending.keystore is not None or sending.account is not None:
        raise LedgerError("--unsigned writes the transactions for others to sign: drop --keystore/--account")
    return carry_out(chain, build_plan(chain), sending)


def carry_out(chain: OnChain, plan: Plan, sending: Sending) -> list[TxResult]:
    """Preview ``plan``, then write it (``unsigned``), simulate it (``dry_run``) or confirm and send it."""
    path = route(chain, plan)
    as_json = sending.as_json
    if sending.unsigned is not None:
        if sending.dry_run:
            raise LedgerError("--dry-run and --unsigned: choose one")
        check_unsigned(chain, plan, path)
        _write_unsigned(chain, plan, path, sending.unsigned, as_json)
        return []
    signer = chain.signer
    assert signer is not None
    signer_line = f"{signer.address} ({chain.signer_source})"
    check_signer(chain, plan, path, signer.address)
    notes = check_plan(chain, plan, path, signer.address)
    if sending.dry_run:
        if as_json:
            print(
                json.dumps({"dry_run": True, "would_succeed": True, "notes": notes, **_plan_json(plan, path)})
            )
        else:
            console.print(preview(chain, plan, path, signer_line, None, notes))
            console.print("[green]Dry run: it would succeed.[/green] Nothing was sent.")
        return []
    cost = estimate(chain, signer, plan, path)
    if not as_json or not sending.yes:
        (err_console if as_json else console).print(preview(chain, plan, path, signer_line, cost, notes))
    confirm(sending.yes)
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


# ─── showing ─────────────────────────────────────────────────────────────────────────────────────────


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
    return [f"{e.name}({', '.join(f'{k}={short(v)}' for k, v in e.args.items())})" for e in result.events]


def _plan_json(plan: Plan, path: Route) -> dict[str, Any]:
    out: dict[str, Any] = {
        "action": plan.title,
        "steps": [step.says for step in plan.steps],
        "amounts": [a.to_json() for a in plan.amounts],
    }
    if path.operation is not None:
        out["timelock_operation"] = "0x" + path.operation.id.hex()
    return out


# ─── doing ───────────────────────────────────────────────────────────────────────────────────────────


def _write_unsigned(chain: OnChain, plan: Plan, path: Route, out: Path, as_json: bool) -> None:
    from ledger.governance.txbuilder import write_batch

    if path.operation is not None:
        safe = chain.deployment.governance.board_safe if chain.deployment.governance else None
    else:
        safe = role_holder(chain, plan)
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
