"""``safe execute``: a Safe's owners sign and execute a Transaction Builder batch (one written by
``--unsigned``, or exported from Safe{Wallet}), as Safe{Wallet} does after importing it: one call as it is,
several through ``MultiSendCallOnly``, all or none."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from ledger.cli import context
from ledger.cli.app import ADMIN, app, console, err_console
from ledger.cli.onchain import parse_addresses
from ledger.cli.options import JsonOption, RpcUrlOption, YesOption
from ledger.cli.sending import confirm
from ledger.errors import LedgerError

if TYPE_CHECKING:
    from ledger.client import Call

safe_app = typer.Typer(
    help="Safe multisigs: execute a Transaction Builder batch (its owners).", no_args_is_help=True
)
app.add_typer(safe_app, name="safe", rich_help_panel=ADMIN)


@safe_app.command("execute", rich_help_panel=ADMIN)
def execute(
    batch_file: Annotated[
        Path, typer.Argument(metavar="FILE", help="The Transaction Builder batch (JSON)", show_default=False)
    ],
    safe: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS", help="The Safe (default: the one the batch names)", show_default=False
        ),
    ] = None,
    owner_accounts: Annotated[
        list[int] | None,
        typer.Option(
            "--account",
            min=0,
            max=99,
            metavar="N",
            help="An owner who signs: development account N (repeat for each; local chains only)",
            show_default=False,
        ),
    ] = None,
    owner_keystores: Annotated[
        list[Path] | None,
        typer.Option(
            "--keystore",
            metavar="FILE",
            help="An owner who signs: its keystore (repeat for each)",
            show_default=False,
        ),
    ] = None,
    multi_send: Annotated[
        str | None,
        typer.Option(
            metavar="ADDRESS",
            help="MultiSendCallOnly (default: the deployment's, for a batch of several calls)",
            show_default=False,
        ),
    ] = None,
    rpc_url: RpcUrlOption = None,
    yes: YesOption = False,
    as_json: JsonOption = False,
) -> None:
    """Sign a batch with enough of a Safe's owners and execute it (the first owner given sends it)."""
    from ledger.chain import ErrorDecoder, Transactor
    from ledger.cli.signing import signer_account
    from ledger.governance.multisend import execute_batch
    from ledger.governance.safe import SafeAccount
    from ledger.governance.txbuilder import read_batch

    url = context.chain_url(rpc_url)
    assert url is not None
    w3 = context.connect(url)
    chain_id = int(w3.eth.chain_id)
    batch = read_batch(batch_file, chain_id=chain_id)
    (address,) = parse_addresses([safe or batch.safe or ""], "--safe") if (safe or batch.safe) else [None]
    if address is None:
        raise LedgerError(f"{batch_file} names no Safe: give it with --safe ADDRESS")
    if not w3.eth.get_code(w3.to_checksum_address(address)):
        raise LedgerError(f"{address} is not a contract on chain {chain_id}: not a Safe")
    owners = [signer_account(None, n, url, chain_id) for n in owner_accounts or []]
    owners += [signer_account(k, 0, url, chain_id) for k in owner_keystores or []]
    if not owners:
        raise LedgerError("no owner signs: give --account N or --keystore FILE for each signing owner")
    account = SafeAccount(w3, address)
    known = {o.lower() for o in account.owners()}
    strangers = [o.address for o in owners if o.address.lower() not in known]
    if strangers:
        raise LedgerError(f"{', '.join(strangers)} not among the owners of the Safe {address}")
    threshold = account.threshold()
    signing = {o.address for o in owners}  # an owner given twice signs once
    if len(signing) < threshold:
        raise LedgerError(f"the Safe {address} needs {threshold} owners' signatures, {len(signing)} given")
    relay = multi_send or _deployment_multi_send(w3)
    if len(batch.calls) > 1 and relay is None:
        raise LedgerError(
            "a batch of several calls runs through MultiSendCallOnly: give its address with --multi-send"
        )
    if not as_json or not yes:
        out = err_console if as_json else console
        out.print(
            f"[bold]{escape(batch.name or str(batch_file))}[/bold] for the Safe {address} "
            f"({threshold} of {len(known)})"
        )
        for call, words in zip(batch.calls, _described(url, batch.calls), strict=True):
            paid = f" with {call.value} wei" if call.value else ""
            out.print(f"  {escape(words)}{paid}")
    confirm(yes)
    submitter = Transactor(w3, owners[0], ErrorDecoder([]))
    receipt = execute_batch(account, relay or "0x" + "00" * 20, submitter, owners, batch)
    tx_hash = receipt["transactionHash"].to_0x_hex()
    if as_json:
        print(
            json.dumps(
                {
                    "safe": address,
                    "tx_hash": tx_hash,
                    "block": int(receipt["blockNumber"]),
                    "calls": len(batch.calls),
                }
            )
        )
    else:
        console.print(f"[green]✓[/green] executed by the Safe in {tx_hash} (block {receipt['blockNumber']})")


def _described(url: str, calls: Sequence[Call]) -> list[str]:
    """What each call does, decoded when it goes to this chain's ledger or its timelock."""
    from ledger.cli.onchain import OnChain

    try:
        chain = OnChain.open(url)
    except LedgerError:  # no deployment here: the batch is for other contracts
        return [f"{call.function} → {call.to}" for call in calls]
    return [chain.describe_call(call) for call in calls]


def _deployment_multi_send(w3: object) -> str | None:
    from web3 import Web3

    assert isinstance(w3, Web3)
    try:
        deployment = context.deployment_of(w3)
    except LedgerError:
        return None
    return deployment.governance.safe_contracts.multi_send if deployment.governance else None
