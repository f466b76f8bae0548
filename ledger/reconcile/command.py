"""The work behind ``pledgeledger reconcile``: build the report, print it, and say how it went."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ledger.errors import RecordNotFoundError
from ledger.reconcile.campaign import reconcile_campaign
from ledger.reconcile.mirror_check import MirrorVerifier
from ledger.reconcile.render import print_report
from ledger.reconcile.report import CampaignReport, ReconcileOptions

#: Exit statuses of the command.
EXIT_OK = 0
EXIT_ERROR_FINDINGS = 1
EXIT_NOT_FOUND = 2


def run_reconcile(
    engine: Engine,
    *,
    campaign_id: int,
    round_id: int | None,
    chain_id: int | None,
    rpc_url: str | None,
    as_json: bool,
    options: ReconcileOptions,
    out: Console,
    err: Console,
) -> int:
    """Print the report (tables, or JSON) and return the exit status: 0, 1 when a finding is an error, 2
    when the campaign or round is not in the mirror (one line on ``err``)."""
    verifier = MirrorVerifier.from_rpc(rpc_url) if rpc_url else None
    try:
        with Session(engine) as session:
            report = reconcile_campaign(
                session,
                campaign_id=campaign_id,
                chain_id=chain_id,
                round_id=round_id,
                options=options,
                verifier=verifier,
            )
    except RecordNotFoundError as exc:
        err.print(f"[bold red]Error:[/bold red] {escape(str(exc))}", soft_wrap=True)
        return EXIT_NOT_FOUND
    if as_json:
        out.out(report.model_dump_json(indent=2), highlight=False)
    else:
        print_report(report, out)
    return exit_status(report)


def exit_status(report: CampaignReport) -> int:
    return EXIT_ERROR_FINDINGS if report.errors else EXIT_OK
