"""``attest``: an auditor reconciles a campaign at the mirror's head, checks the mirror against the chain
at that block, and anchors the report's hash on chain, so that anyone can later check that the report they
read is the one attested."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger.cli import context
from ledger.cli.app import AUDITOR, app
from ledger.cli.onchain import OnChain
from ledger.cli.options import CampaignArgument, DatabaseUrlOption, Sending, sends
from ledger.cli.plan import Plan, Role
from ledger.cli.sending import run_plan
from ledger.errors import LedgerError

if TYPE_CHECKING:
    from ledger.reconcile.report import CampaignReport

#: Error findings listed in a refusal (the rest are counted).
SHOWN_FINDINGS = 5


def checked_report(chain: OnChain, database_url: str | None, campaign: int) -> CampaignReport:
    """The campaign's report at the mirror's head, its SQL totals compared with the contract at that block."""
    from sqlalchemy.orm import Session

    from ledger.errors import RecordNotFoundError
    from ledger.reconcile.campaign import reconcile_campaign
    from ledger.reconcile.mirror_check import MirrorVerifier
    from ledger.reconcile.report import ReconcileOptions

    engine = context.migrated_engine(database_url)
    try:
        with Session(engine) as session:
            report = reconcile_campaign(
                session,
                campaign_id=campaign,
                chain_id=chain.chain_id,
                options=ReconcileOptions.from_settings(context.settings()),
                verifier=MirrorVerifier.from_rpc(chain.url),
            )
    except RecordNotFoundError as exc:
        raise LedgerError(f"{exc}: is the indexer running (`pledgeledger index`)?") from None
    finally:
        engine.dispose()
    if report.contract.lower() != chain.deployment.ledger.lower():
        raise LedgerError(f"the mirror is of the ledger {report.contract}, not {chain.deployment.ledger}")
    if report.chain_check.status != "verified":
        raise LedgerError(
            f"the mirror could not be checked against the chain at block {report.as_of_block} "
            f"({report.chain_check.status}: {report.chain_check.detail or 'no detail'}): nothing attested"
        )
    return report


def _default_uri(campaign: int) -> str:
    from ledger.upstate import running_up

    up = running_up()
    return f"{up.api_url}/api/v1/campaigns/{campaign}/reconciliation" if up is not None else ""


@app.command("attest", rich_help_panel=AUDITOR)
@sends()
def attest(
    campaign: CampaignArgument,
    accept_findings: Annotated[
        bool, typer.Option("--accept-findings", help="Attest although the report has error findings")
    ] = False,
    uri: Annotated[
        str | None,
        typer.Option(
            metavar="URI",
            help="Where the report can be read (default: the running `up`'s API)",
            show_default=False,
        ),
    ] = None,
    database_url: DatabaseUrlOption = None,
    *,
    sending: Sending,
) -> None:
    """Reconcile a campaign at the mirror's head, check it against the chain, and anchor the report's hash
    on chain (an auditor). Refused while the report has error findings, unless --accept-findings."""
    where = uri if uri is not None else _default_uri(campaign)
    if len(where.encode()) > 2_000:
        raise LedgerError("--uri is longer than 2,000 bytes")
    attested: dict[str, Any] = {}

    def plan(chain: OnChain) -> Plan:
        from ledger.reads.units import human_decimal

        report = checked_report(chain, database_url, campaign)
        errors = report.errors
        if errors and not accept_findings:
            listed = "; ".join(f"{f.kind}: {f.message}" for f in errors[:SHOWN_FINDINGS])
            more = f" (and {len(errors) - SHOWN_FINDINGS} more)" if len(errors) > SHOWN_FINDINGS else ""
            raise LedgerError(
                f"the report of campaign {campaign} has {len(errors)} error finding(s): {listed}{more}. "
                "Nothing attested: resolve them, or attest them knowingly with --accept-findings"
            )
        report_hash = bytes.fromhex(report.report_hash.removeprefix("0x"))
        if chain.signer is not None and (
            block := chain.ledger.attested_at(campaign, report_hash, chain.signer_address)
        ):
            raise LedgerError(f"{chain.signer_address} already attested this very report, in block {block}")
        attested.update(
            report_hash=report.report_hash,
            as_of_block=report.as_of_block,
            findings=len(report.findings),
            error_findings=len(errors),
        )
        return Plan.of_one(
            chain.ledger.calls.attest_report(campaign, report_hash, report.as_of_block, where),
            f"Anchor the hash of campaign {campaign}'s report as of block {report.as_of_block}",
            title=f"Attest the report of campaign {campaign}",
            role=Role.AUDITOR,
            campaign_id=campaign,
            facts=[
                ("Report", report.report_hash),
                (
                    "Checked",
                    f"{report.chain_check.values_compared} figures against the chain at block "
                    f"{report.chain_check.block}: all equal",
                ),
                ("Pledged", f"{human_decimal(report.pledged_usd)} USD from {report.donors} donor(s)"),
                ("Findings", f"{len(report.findings)} ({len(errors)} error(s))"),
                ("URI", where or "(none)"),
            ],
            outcome=lambda _: dict(attested),
        )

    run_plan(plan, sending)
