"""A report for people (Rich tables, amounts in whole tokens) and for spreadsheets (flat CSV rows)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ledger.reads.units import TokenUnits, human_amount, human_decimal
from ledger.reconcile.report import CampaignReport, Finding, TokenAmount

#: The columns of :func:`report_csv_rows`, in order.
CSV_COLUMNS = ("section", "round", "token", "supplier", "order", "line", "item", "metric", "value", "detail")

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
CHECK_STYLE = {"verified": "green", "mismatch": "bold red", "unreachable": "yellow", "not_checked": "dim"}


# ─── CSV ────────────────────────────────────────────────────────────────────────────────────────────────


def _row(section: str, metric: str, value: Any, **where: Any) -> dict[str, str]:
    row = dict.fromkeys(CSV_COLUMNS, "")
    row.update(section=section, metric=metric, value="" if value is None else _text(value))
    for key, item in where.items():
        row[key] = "" if item is None else _text(item)
    return row


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "is_finite"):  # Decimal: never in exponent notation
        return format(value, "f")
    return str(value)


def report_csv_rows(report: CampaignReport) -> Iterator[dict[str, str]]:
    """The report as flat rows (:data:`CSV_COLUMNS`): one metric per row, amounts in base units and USD
    as decimals, so a spreadsheet can re-add every total."""
    c = report.campaign
    for metric, value in (
        ("chain_id", report.chain_id),
        ("contract", report.contract),
        ("campaign_id", c.campaign_id),
        ("beneficiary", c.beneficiary),
        ("cancelled", c.cancelled),
        ("paused", c.paused),
        ("supplier_delay", c.supplier_delay),
        ("as_of_block", report.as_of_block),
        ("as_of_block_hash", report.as_of_block_hash),
        ("pledges", report.pledges),
        ("donors", report.donors),
        ("pledged_usd", report.pledged_usd),
        ("chain_check", report.chain_check.status),
        ("report_hash", report.report_hash),
    ):
        yield _row("campaign", metric, value)
    for t in report.tokens:
        for metric in ("pledged", "pledged_usd", "pledges", "refunded", "disbursed", "held"):
            yield _row("token", metric, getattr(t, metric), token=t.token, detail=f"decimals={t.decimals}")
    for r in report.rounds:
        for metric in (
            "outcome",
            "goal_usd",
            "raised_usd",
            "donors",
            "pledges",
            "all_or_nothing",
            "spendable",
        ):
            yield _row("round", metric, getattr(r, metric), round=r.round_id)
        for rt in r.tokens:
            for metric in ("pledged", "pledged_usd", "pledges", "refunded"):
                yield _row("round_token", metric, getattr(rt, metric), round=r.round_id, token=rt.token)
    for s in report.suppliers:
        for paid in s.paid:
            yield _row("supplier", "paid", paid.amount, supplier=s.supplier, token=paid.token, detail=s.name)
    for o in report.orders:
        where = {"order": o.reference, "supplier": o.supplier_wallet}
        yield _row("order", "status", o.status, **where)
        yield _row("order", "payment_amount", o.payment_amount, token=o.payment_token, **where)
        yield _row("order", "paid", o.paid, token=o.payment_token, **where)
        for other in o.paid_other:
            yield _row("order", "paid_other_token", other.amount, token=other.token, **where)
        for m in o.ordered:
            yield _row("order", "ordered_value", m.amount, detail=m.currency, **where)
        for m in o.invoiced:
            yield _row("order", "invoiced_value", m.amount, detail=m.currency, **where)
        for p in o.payments:
            yield _row("order", "payment", p.amount, token=p.token, detail=p.tx_hash, **where)
        for line in o.lines:
            at = {**where, "line": line.line_no, "item": line.item}
            yield _row("order_line", "unit_price", line.unit_price, detail=line.currency, **at)
            for metric in ("quantity", "shipped", "delivered", "distributed"):
                yield _row("order_line", metric, getattr(line, metric), detail=line.unit, **at)
            yield _row("order_line", "value", line.value, detail=line.currency, **at)
    for p in report.unmatched_payments:
        yield _row(
            "unmatched_payment",
            "amount",
            p.amount,
            token=p.token,
            supplier=p.supplier,
            order=p.order_reference or p.purchase_order_ref,
            detail=p.tx_hash,
        )
    for i in report.procurement.items:
        for metric in ("ordered", "shipped", "delivered", "distributed"):
            yield _row("item", metric, getattr(i, metric), item=i.item, detail=i.unit)
    for rec in report.procurement.recipients:
        yield _row(
            "recipient", "quantity", rec.quantity, item=rec.item, detail=f"{rec.recipient} ({rec.unit})"
        )
    for f in report.findings:
        records = "; ".join(
            ":".join(str(v) for v in (r.type, r.id, r.key, r.tx_hash, r.log_index) if v is not None)
            for r in f.records
        )
        yield _row("finding", f.kind, f.severity, detail=f"{f.message} [{records}]")


# ─── Rich ───────────────────────────────────────────────────────────────────────────────────────────────


class _Labels:
    """Tokens by the symbol the report gives them (their records'), amounts in whole tokens."""

    def __init__(self, report: CampaignReport) -> None:
        self.units = TokenUnits(
            {t.token: t.decimals for t in report.tokens}, {t.token: t.symbol for t in report.tokens}
        )

    def token(self, token: str) -> str:
        return self.units.label(token)

    def amount(self, amount: int, token: str) -> str:
        return human_amount(amount, self.units.decimals.get(token, 0))

    def amounts(self, amounts: list[TokenAmount]) -> str:
        return ", ".join(f"{self.amount(a.amount, a.token)} {self.token(a.token)}" for a in amounts) or "—"


def _table(title: str, *columns: str, right: tuple[str, ...] = ()) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", expand=False)
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left")
    return table


def report_tables(report: CampaignReport) -> Group:
    """The report as Rich renderables: a summary, then tokens, rounds, suppliers, orders, items, findings."""
    labels = _Labels(report)
    parts: list[Any] = [_summary(report)]

    tokens = _table(
        "Funds per token",
        "Token",
        "Pledged",
        "USD at receipt",
        "Refunded",
        "Disbursed",
        "Held",
        "Pledges",
        right=("Pledged", "USD at receipt", "Refunded", "Disbursed", "Held", "Pledges"),
    )
    for t in report.tokens:
        tokens.add_row(
            labels.token(t.token),
            labels.amount(t.pledged, t.token),
            human_decimal(t.pledged_usd),
            labels.amount(t.refunded, t.token),
            labels.amount(t.disbursed, t.token),
            labels.amount(t.held, t.token),
            f"{t.pledges:,}",
        )
    parts.append(tokens)

    rounds = _table(
        "Rounds",
        "Round",
        "Outcome",
        "Goal USD",
        "Raised USD",
        "Donors",
        "Pledged",
        "Refunded",
        right=("Goal USD", "Raised USD", "Donors"),
    )
    for r in report.rounds:
        pledged = [TokenAmount(token=t.token, amount=t.pledged) for t in r.tokens]
        refunded = [TokenAmount(token=t.token, amount=t.refunded) for t in r.tokens if t.refunded]
        outcome = r.outcome + (" (all-or-nothing)" if r.all_or_nothing else "")
        rounds.add_row(
            str(r.round_id),
            outcome,
            human_decimal(r.goal_usd),
            human_decimal(r.raised_usd),
            f"{r.donors:,}",
            labels.amounts(pledged),
            labels.amounts(refunded),
        )
    parts.append(rounds)

    if report.suppliers:
        suppliers = _table("Paid per supplier", "Supplier", "Record", "Payments", "Paid", right=("Payments",))
        for s in report.suppliers:
            record = f"{s.name} ({s.vetting_status})" if s.name else "[red]no supplier record[/red]"
            suppliers.add_row(s.supplier, record, str(s.payments), labels.amounts(s.paid))
        parts.append(suppliers)

    if report.orders:
        orders = _table(
            "Purchase orders",
            "Order",
            "Supplier",
            "Status",
            "Agreed",
            "Paid",
            "Ordered",
            "Invoiced",
            "Ordered / shipped / delivered / distributed",
        )
        for o in report.orders:
            agreed = f"{labels.amount(o.payment_amount, o.payment_token)} {labels.token(o.payment_token)}"
            paid = [TokenAmount(token=o.payment_token, amount=o.paid)] if o.paid else []
            quantities = "; ".join(
                f"{line.item}: {line.quantity:,} / {line.shipped:,} / {line.delivered:,} "
                f"/ {line.distributed:,}"
                for line in o.lines
            )
            orders.add_row(
                o.reference,
                o.supplier_name,
                o.status,
                agreed,
                labels.amounts([*paid, *o.paid_other]),
                ", ".join(f"{human_decimal(m.amount)} {m.currency}" for m in o.ordered) or "—",
                ", ".join(f"{human_decimal(m.amount)} {m.currency}" for m in o.invoiced) or "—",
                quantities,
            )
        parts.append(orders)

    if report.unmatched_payments:
        unmatched = _table("Payments without a purchase order", "Tx", "Supplier", "Reference", "Amount")
        for p in report.unmatched_payments:
            unmatched.add_row(
                p.tx_hash,
                p.supplier,
                p.order_reference or p.purchase_order_ref,
                f"{labels.amount(p.amount, p.token)} {labels.token(p.token)}",
            )
        parts.append(unmatched)

    if report.procurement.items:
        items = _table(
            "Goods",
            "Item",
            "Unit",
            "Ordered",
            "Shipped",
            "Delivered",
            "Distributed",
            "Recipients",
            right=("Ordered", "Shipped", "Delivered", "Distributed", "Recipients"),
        )
        for i in report.procurement.items:
            recipients = {
                r.recipient for r in report.procurement.recipients if (r.item, r.unit) == (i.item, i.unit)
            }
            items.add_row(
                i.item,
                i.unit,
                f"{i.ordered:,}",
                f"{i.shipped:,}",
                f"{i.delivered:,}",
                f"{i.distributed:,}",
                str(len(recipients)),
            )
        parts.append(items)

    parts.append(_findings(report.findings))
    return Group(*parts)


def _summary(report: CampaignReport) -> Panel:
    c = report.campaign
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    marks = ("  [red](cancelled)[/red]" if c.cancelled else "") + (
        "  [yellow](disbursements paused)[/yellow]" if c.paused else ""
    )
    grid.add_row("Beneficiary", c.beneficiary + marks)
    grid.add_row("Chain", f"{report.chain_id}, ledger {report.contract}")
    grid.add_row("As of block", f"{report.as_of_block} ({report.as_of_block_hash or 'no hash'})")
    grid.add_row(
        "Pledged",
        f"{human_decimal(report.pledged_usd)} USD at receipt, {report.pledges:,} pledges by "
        f"{report.donors:,} donors",
    )
    check = report.chain_check
    grid.add_row("Chain check", Text(f"{check.status}: {check.detail}", style=CHECK_STYLE[check.status]))
    grid.add_row("Report hash", report.report_hash)
    title = f"Campaign {c.campaign_id}" + (
        f" (rounds table: round {report.round_id} only; totals and findings: the whole campaign)"
        if report.round_id is not None
        else ""
    )
    return Panel(grid, title=title, title_align="left", border_style="blue", expand=False)


def _findings(findings: list[Finding]) -> Any:
    if not findings:
        return Text("No findings: everything adds up.", style="bold green")
    table = _table(f"Findings ({len(findings)})", "Severity", "Kind", "Message")
    for f in findings:
        table.add_row(Text(f.severity, style=SEVERITY_STYLE[f.severity]), f.kind, f.message)
    return table


def print_report(report: CampaignReport, console: Console) -> None:
    console.print(report_tables(report))
