"""``reconcile``: a campaign's money and goods, checked against each other and against the chain."""

from __future__ import annotations

from typing import Annotated

import typer

from ledger.cli import context
from ledger.cli.app import AUDITOR, app, console, err_console
from ledger.cli.options import DatabaseUrlOption


@app.command(name="reconcile", rich_help_panel=AUDITOR)
def reconcile_command(
    campaign: Annotated[int, typer.Argument(min=0, metavar="CAMPAIGN", help="The campaign's id")],
    round_id: Annotated[
        int | None,
        typer.Option(
            "--round",
            min=1,
            help="List only this round in the rounds table; the totals, orders and findings stay the whole "
            "campaign's",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    database_url: DatabaseUrlOption = None,
    rpc_url: Annotated[
        str | None,
        typer.Option(
            "--rpc-url",
            help="Node to check the mirror against (default: PLEDGELEDGER_RPC_URL, else the running `up`'s)",
            show_default=False,
        ),
    ] = None,
    no_chain: Annotated[
        bool, typer.Option("--no-chain", help="Do not check the mirror against the chain")
    ] = False,
    chain_id: Annotated[
        int | None,
        typer.Option(
            "--chain-id", help="Chain of the mirror (default: the only one mirrored)", show_default=False
        ),
    ] = None,
) -> None:
    """Reconcile a campaign: pledged, refunded, paid and held per token, orders against payments, invoices
    and deliveries, and the findings. With a node (unless --no-chain) the SQL totals are also checked
    against the contract at the mirror's block.

    Exit status: 0 when no finding is an error, 1 when one is, 2 when the campaign or round is not in the
    mirror. Warnings alone (e.g. an unpaid order, an unreachable node) exit 0.
    """
    from ledger.reconcile.command import run_reconcile  # the reconciliation only loads when asked for
    from ledger.reconcile.report import ReconcileOptions

    settings = context.settings()
    engine = context.migrated_engine(database_url)
    try:
        status = run_reconcile(
            engine,
            campaign_id=campaign,
            round_id=round_id,
            chain_id=chain_id,
            rpc_url=None if no_chain else context.chain_url(rpc_url, required=False),
            as_json=as_json,
            options=ReconcileOptions.from_settings(settings),
            out=console,
            err=err_console,
        )
    finally:
        engine.dispose()
    raise typer.Exit(status)
