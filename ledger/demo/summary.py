"""The reconciliation summary printed at the end of the demo, from the report the API returned."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table

from ledger.demo.scenario import DemoResult


def whole(amount: str, decimals: int) -> str:
    """Base units as whole tokens, exactly (no float), with thousands separators."""
    return f"{Decimal(int(amount)).scaleb(-decimals).normalize():,f}"


def summary_table(result: DemoResult, symbols: dict[str, str]) -> Panel:
    """Per token: pledged, refunded, paid and held; the rounds; what was bought and where it went."""
    report: dict[str, Any] = result.report
    tokens = Table("Token", "Pledged", "Refunded", "Paid to suppliers", "Held", title="Funds")
    for t in report["tokens"]:
        d = t["decimals"]
        symbol = symbols.get(t["token"].lower(), t["token"])
        tokens.add_row(
            symbol,
            whole(t["pledged"], d),
            whole(t["refunded"], d),
            whole(t["disbursed"], d),
            whole(t["held"], d),
        )
    rounds = Table("Round", "Goal (USD)", "Raised (USD)", "Outcome", "Donors", title="Rounds")
    for r in report["rounds"]:
        rounds.add_row(
            str(r["round_id"]),
            f"{Decimal(r['goal_usd']):,}",
            f"{Decimal(r['raised_usd']):,}",
            r["outcome"],
            str(r["donors"]),
        )
    items = Table("Item", "Ordered", "Shipped", "Delivered", "Distributed", title="Procurement")
    for i in report["procurement"]["items"]:
        items.add_row(i["item"], *(f"{i[k]:,}" for k in ("ordered", "shipped", "delivered", "distributed")))
    recipients = len({r["recipient"] for r in report["procurement"]["recipients"]})
    footer = (
        f"Findings: [bold]{len(report['findings'])}[/bold]   Recipients: {recipients}   "
        f"Mirror vs chain: {report['chain_check']['status']}\n"
        f"Report hash {report['report_hash']} as of block {report['as_of_block']}\n"
        f"Attested on chain by the auditor (the report after the first round): {result.attested_hash}"
    )
    title = f"Campaign {result.campaign_id}: {report['campaign']['beneficiary']} — reconciliation"
    return Panel(Group(tokens, rounds, items, footer), title=title, border_style="green")
