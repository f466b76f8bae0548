"""Reconcile one campaign: the mirror's money against the procurement records, with findings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

import ledger
from ledger import rounds as rounds_rule
from ledger.db.records import PurchaseOrder
from ledger.gcpause import gc_paused
from ledger.orderref import reference_of
from ledger.reconcile import findings as rules
from ledger.reconcile import queries as q
from ledger.reconcile.cache import ReconcileCache, campaign_aggregates, campaign_pending_changes, ledger_held
from ledger.reconcile.mirror_check import OPEN, MirrorClaims, MirrorVerifier, RoundClaim
from ledger.reconcile.report import (
    CampaignInfo,
    CampaignReport,
    ChainCheck,
    Finding,
    GeneratedFrom,
    InvoiceRef,
    ItemTotals,
    MoneyAmount,
    OrderLineReport,
    OrderReport,
    Payment,
    ProcurementTotals,
    RecipientTotals,
    ReconcileOptions,
    RoundOutcome,
    RoundReport,
    RoundTokenTotals,
    SupplierTotals,
    TokenAmount,
    TokenTotals,
    report_hash,
)
from ledger.reconcile.units import EXACT, TokenUnits, money, usd
from ledger.records.errors import RecordNotFoundError

K = TypeVar("K")
V = TypeVar("V")

#: RoundClosed.outcome (the contract's RoundState) as the report names it.
OUTCOMES: dict[int | None, RoundOutcome] = {None: "open", 2: "succeeded", 3: "failed", 4: "cancelled"}


def spendable(round_row: q.RoundRow) -> bool:
    """Whether the round's funds went to the campaign (:func:`ledger.rounds.spendable`)."""
    return rounds_rule.spendable(round_row.outcome, round_row.all_or_nothing)


def find_campaign(s: Session, pos: q.MirrorPosition, campaign_id: int) -> q.CampaignRow:
    row = q.campaign_row(s, pos, campaign_id)
    if row is None:
        raise RecordNotFoundError(
            f"campaign {campaign_id} is not in the mirror of chain {pos.chain_id} "
            f"(indexed up to block {pos.block_number})"
        )
    return row


def reconcile_campaign(
    session: Session,
    *,
    campaign_id: int,
    chain_id: int | None = None,
    round_id: int | None = None,
    options: ReconcileOptions | None = None,
    verifier: MirrorVerifier | None = None,
    cache: ReconcileCache | None = None,
) -> CampaignReport:
    """The reconciliation report of ``campaign_id`` as of the mirror's cursor on ``chain_id`` (default: the
    only chain mirrored). ``round_id`` narrows ``rounds`` to one round. With a ``verifier`` the SQL totals
    are also compared with the contract's views at the mirror's block. A ``cache`` (one per process, for a
    server; see :mod:`ledger.reconcile.cache`) keeps reports until the mirror moves or a record is written,
    and the pledge aggregates behind them, brought up to date incrementally.

    Raises :class:`~ledger.records.errors.RecordNotFoundError` for a campaign (or round) not in the mirror.
    """
    options = options or ReconcileOptions()
    pos = q.mirror_position(session, chain_id)
    if cache is None:
        with gc_paused():
            return _report(session, pos, campaign_id, round_id, options, verifier, None)
    key = cache.report_key(session, pos, campaign_id, round_id, options, verifier)
    kept: CampaignReport | None = cache.report(key)
    if kept is not None:
        return kept.model_copy(
            update={"generated_from": kept.generated_from.model_copy(update={"from_cache": True})}
        )
    with gc_paused():
        report = _report(session, pos, campaign_id, round_id, options, verifier, cache)
    if report.chain_check.status != "unreachable":  # the node may answer next time
        cache.keep_report(key, report)
    return report


# A report allocates tens of thousands of small objects, none in a reference cycle, so it is built with
# the cyclic garbage collector paused (its collections would walk them all again and again).
def _report(
    session: Session,
    pos: q.MirrorPosition,
    campaign_id: int,
    round_id: int | None,
    options: ReconcileOptions,
    verifier: MirrorVerifier | None,
    cache: ReconcileCache | None,
) -> CampaignReport:
    campaign = find_campaign(session, pos, campaign_id)
    tokens = q.accepted_tokens(session, pos, campaign_id)
    round_rows = q.rounds(session, pos, campaign_id)
    if round_id is not None and round_id not in round_rows:
        raise RecordNotFoundError(f"campaign {campaign_id} has no round {round_id} in the mirror")
    sums = campaign_aggregates(session, pos, campaign_id, cache)
    pledges, refunds = sums.pledges, sums.refunds
    donors_by_round, donors = sums.donors_by_round, sums.donors
    payments = q.disbursements(session, pos, campaign_id)
    orders = q.orders(session, campaign_id)
    lines = _by(q.order_lines(session, campaign_id), lambda line: line.order_id)
    invoices = _by(q.invoices(session, campaign_id), lambda d: d.order_id or 0)
    custody = q.custody(session, campaign_id)
    references = q.reference_prices(session, campaign_id)

    decimals = {t.token: t.decimals for t in tokens.values()}
    units = TokenUnits(decimals, q.token_symbols(session))
    order_by_ref = {o.order_ref: o for o in orders}
    paid: dict[int, list[q.DisbursedRow]] = defaultdict(list)
    unmatched: list[q.DisbursedRow] = []
    for p in payments:
        order = order_by_ref.get(p.purchase_order_ref)
        if order is None:
            unmatched.append(p)
        else:
            paid[order.id].append(p)
    suppliers = q.suppliers_by_wallet(session, [p.supplier for p in payments])

    totals = _token_totals(tokens, pledges, refunds, payments, units)
    findings: list[Finding] = [
        *rules.payments_without_order(unmatched, units, _foreign_orders(session, campaign_id, unmatched)),
        *rules.order_payment_findings(orders, paid, units),
        *rules.supplier_findings(orders, paid, units),
        *rules.invoice_findings(orders, paid, invoices, _stored_documents(session, orders, paid, invoices)),
        *rules.delivery_findings(orders, lines, custody, set(paid)),
        *rules.price_findings(orders, lines, references, options.price_tolerance),
        *rules.idle_findings(
            totals,
            round_rows,
            payments,
            refunds,
            cancelled_at=campaign.cancelled_timestamp,
            now=pos.timestamp,
            idle_after=options.idle_after_seconds,
            units=units,
        ),
        *rules.pending_findings(campaign_pending_changes(session, pos, campaign_id, cache)),
    ]
    chain_check = ChainCheck(status="not_checked", detail="the mirror was not compared with the chain")
    if verifier is not None:
        claims = _claims(campaign, tokens, round_rows, pledges, refunds, totals, units)
        if verifier.check_balances:
            claims = replace(claims, ledger_held=ledger_held(session, pos, cache))
        chain_check, chain_findings = verifier.verify(session, pos, claims)
        findings.extend(chain_findings)

    round_reports = [
        _round_report(r, tokens, pledges, refunds, donors_by_round.get(r.round_id, 0))
        for r in round_rows.values()
        if round_id is None or r.round_id == round_id
    ]
    order_reports = [_order_report(o, paid.get(o.id, []), lines, invoices, custody) for o in orders]
    report = CampaignReport(
        chain_id=pos.chain_id,
        contract=pos.contract,
        as_of_block=pos.block_number,
        as_of_block_hash=pos.block_hash,
        as_of_timestamp=pos.timestamp,
        round_id=round_id,
        campaign=CampaignInfo(
            campaign_id=campaign_id,
            manager=campaign.manager,
            beneficiary=campaign.beneficiary,
            metadata_hash=campaign.metadata_hash,
            created_block=campaign.block_number,
            created_tx=campaign.tx_hash,
            cancelled=campaign.cancelled_block is not None,
            cancelled_block=campaign.cancelled_block,
            paused=campaign.paused,
            supplier_delay=campaign.supplier_delay,
        ),
        tokens=totals,
        pledges=sum(s.count for s in pledges.values()),
        donors=donors,
        pledged_usd=usd(sum(s.usd for s in pledges.values())),
        rounds=round_reports,
        suppliers=_supplier_totals(payments, suppliers),
        orders=order_reports,
        unmatched_payments=[payment_model(p) for p in unmatched],
        procurement=_procurement(orders, order_reports, unmatched, _recipients(custody)),
        findings=rules.sorted_findings(findings),
        chain_check=chain_check,
        options=options,
        generated_from=GeneratedFrom(
            database=session.get_bind().dialect.name,
            generated_at=datetime.now(UTC),
            software_version=ledger.__version__,
            indexer_head_block=pos.head_block,
            indexer_updated_at=pos.updated_at,
        ),
        report_hash="",
    )
    return report.model_copy(update={"report_hash": report_hash(report)})


# ─── parts ─────────────────────────────────────────────────────────────────────────────────────────────


def _by(rows: Iterable[V], key: Callable[[V], K]) -> dict[K, list[V]]:
    grouped: dict[K, list[V]] = defaultdict(list)
    for row in rows:
        grouped[key(row)].append(row)
    return grouped


def _token_totals(
    tokens: Mapping[str, q.TokenRow],
    pledges: Mapping[tuple[int, str], q.Sums],
    refunds: Mapping[tuple[int, str], q.Sums],
    payments: Sequence[q.DisbursedRow],
    units: TokenUnits,
) -> list[TokenTotals]:
    order = list(tokens)
    seen = {t for _, t in pledges} | {t for _, t in refunds} | {p.token for p in payments}
    order += sorted(seen - set(order))
    result = []
    for token in order:
        pledged = sum(s.amount for (_, t), s in pledges.items() if t == token)
        refunded = sum(s.amount for (_, t), s in refunds.items() if t == token)
        disbursed = sum(p.amount for p in payments if p.token == token)
        result.append(
            TokenTotals(
                token=token,
                symbol=units.label(token),
                decimals=tokens[token].decimals if token in tokens else 0,
                pledged=pledged,
                pledged_usd=usd(sum(s.usd for (_, t), s in pledges.items() if t == token)),
                pledges=sum(s.count for (_, t), s in pledges.items() if t == token),
                refunded=refunded,
                disbursed=disbursed,
                held=pledged - refunded - disbursed,
            )
        )
    return result


def _round_report(
    r: q.RoundRow,
    tokens: Mapping[str, q.TokenRow],
    pledges: Mapping[tuple[int, str], q.Sums],
    refunds: Mapping[tuple[int, str], q.Sums],
    donors: int,
) -> RoundReport:
    names = sorted({t for rid, t in (*pledges, *refunds) if rid == r.round_id}, key=_token_order(tokens))
    empty = q.Sums(0, 0)
    return RoundReport(
        round_id=r.round_id,
        start=r.start,
        end=r.end,
        goal_usd=usd(r.goal_usd),
        all_or_nothing=r.all_or_nothing,
        outcome=OUTCOMES.get(r.outcome, "open"),
        spendable=spendable(r),
        raised_usd=usd(sum(s.usd for (rid, _), s in pledges.items() if rid == r.round_id)),
        pledges=sum(s.count for (rid, _), s in pledges.items() if rid == r.round_id),
        donors=donors,
        closed_block=r.closed_block,
        closed_at=r.closed_timestamp,
        tokens=[
            RoundTokenTotals(
                token=t,
                decimals=tokens[t].decimals if t in tokens else 0,
                pledged=pledges.get((r.round_id, t), empty).amount,
                pledged_usd=usd(pledges.get((r.round_id, t), empty).usd),
                pledges=pledges.get((r.round_id, t), empty).count,
                refunded=refunds.get((r.round_id, t), empty).amount,
            )
            for t in names
        ],
    )


def _token_order(tokens: Mapping[str, q.TokenRow]) -> Callable[[str], tuple[int, str]]:
    position = {t: i for i, t in enumerate(tokens)}
    return lambda t: (position.get(t, len(position)), t)


def payment_model(p: q.DisbursedRow) -> Payment:
    return Payment(
        tx_hash=p.tx_hash,
        log_index=p.log_index,
        block_number=p.block_number,
        block_timestamp=p.block_timestamp,
        supplier=p.supplier,
        token=p.token,
        amount=p.amount,
        purchase_order_ref=p.purchase_order_ref,
        order_reference=reference_of(p.purchase_order_ref),
        invoice_hash=p.invoice_hash,
    )


def _token_amounts(pairs: Iterable[tuple[str, int]]) -> list[TokenAmount]:
    sums: dict[str, int] = defaultdict(int)
    for token, amount in pairs:
        sums[token] += amount
    return [TokenAmount(token=t, amount=a) for t, a in sorted(sums.items())]


def _money(pairs: Iterable[tuple[str, Decimal]]) -> list[MoneyAmount]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for currency, amount in pairs:
        sums[currency] = EXACT.add(sums[currency], amount)
    return [MoneyAmount(currency=c, amount=a) for c, a in sorted(sums.items())]


def _supplier_totals(
    payments: Sequence[q.DisbursedRow], records: Mapping[str, q.SupplierRow]
) -> list[SupplierTotals]:
    by_supplier = _by(payments, lambda p: p.supplier)
    result = []
    for wallet in sorted(by_supplier):
        record = records.get(wallet)
        rows = by_supplier[wallet]
        result.append(
            SupplierTotals(
                supplier=wallet,
                supplier_id=record.id if record else None,
                name=record.name if record else None,
                vetting_status=record.vetting_status if record else None,
                payments=len(rows),
                paid=_token_amounts((p.token, p.amount) for p in rows),
            )
        )
    return result


def _line_value(line: q.LineRow) -> Decimal:
    return money(EXACT.multiply(Decimal(line.quantity), line.unit_price))


def _order_report(
    order: q.OrderRow,
    payments: Sequence[q.DisbursedRow],
    lines: Mapping[int, Sequence[q.LineRow]],
    invoices: Mapping[int, Sequence[q.DocumentRow]],
    custody: q.Custody,
) -> OrderReport:
    order_lines = lines.get(order.id, ())
    order_invoices = invoices.get(order.id, ())
    return OrderReport(
        order_id=order.id,
        reference=order.reference,
        order_ref=order.order_ref,
        status=order.status,
        issued_on=order.issued_on,
        supplier_id=order.supplier_id,
        supplier_name=order.supplier_name,
        supplier_wallet=order.supplier_wallet,
        payment_token=order.payment_token,
        payment_amount=order.payment_amount,
        paid=sum(p.amount for p in payments if p.token == order.payment_token),
        paid_other=_token_amounts((p.token, p.amount) for p in payments if p.token != order.payment_token),
        payments=[payment_model(p) for p in payments],
        ordered=_money((line.currency, _line_value(line)) for line in order_lines),
        invoiced=_money(
            (d.currency, d.amount) for d in order_invoices if d.amount is not None and d.currency
        ),
        invoices=[
            InvoiceRef(document_id=d.id, sha256=d.sha256, amount=d.amount, currency=d.currency)
            for d in order_invoices
        ],
        lines=[
            OrderLineReport(
                line_id=line.id,
                line_no=line.line_no,
                item=line.item,
                unit=line.unit,
                quantity=line.quantity,
                unit_price=line.unit_price,
                currency=line.currency,
                value=_line_value(line),
                shipped=custody.shipped.get(line.id, 0),
                delivered=custody.delivered.get(line.id, 0),
                distributed=custody.distributed.get(line.id, 0),
            )
            for line in order_lines
        ],
    )


def _procurement(
    orders: Sequence[q.OrderRow],
    reports: Sequence[OrderReport],
    unmatched: Sequence[q.DisbursedRow],
    recipients: list[RecipientTotals],
) -> ProcurementTotals:
    live = [r for r in reports if r.status != "cancelled"]
    items: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in live:
        for line in r.lines:
            counts = items[(line.item, line.unit)]
            counts[0] += line.quantity
            counts[1] += line.shipped
            counts[2] += line.delivered
            counts[3] += line.distributed
    return ProcurementTotals(
        orders=len(orders),
        open_orders=sum(1 for o in orders if o.status != "cancelled"),
        ordered=_money((m.currency, m.amount) for r in live for m in r.ordered),
        invoiced=_money((m.currency, m.amount) for r in reports for m in r.invoiced),
        paid=_token_amounts((p.token, p.amount) for r in reports for p in r.payments),
        unmatched=_token_amounts((p.token, p.amount) for p in unmatched),
        items=[
            ItemTotals(item=item, unit=unit, ordered=o, shipped=s, delivered=d, distributed=x)
            for (item, unit), (o, s, d, x) in sorted(items.items())
        ],
        recipients=recipients,
    )


def _recipients(custody: q.Custody) -> list[RecipientTotals]:
    return [
        RecipientTotals(recipient=r, item=i, unit=u, quantity=n)
        for (r, i, u), n in sorted(custody.recipients.items())
    ]


def _foreign_orders(s: Session, campaign_id: int, unmatched: Sequence[q.DisbursedRow]) -> dict[str, int]:
    """Unmatched payment references that are orders of other campaigns, with their campaign."""
    refs = sorted({p.purchase_order_ref for p in unmatched})
    if not refs:
        return {}
    rows = s.execute(
        select(PurchaseOrder.order_ref, PurchaseOrder.campaign_id).where(
            PurchaseOrder.order_ref.in_(refs), PurchaseOrder.campaign_id != campaign_id
        )
    )
    return {ref.lower(): int(cid) for ref, cid in rows}


def _stored_documents(
    s: Session,
    orders: Sequence[q.OrderRow],
    paid: Mapping[int, Sequence[q.DisbursedRow]],
    invoices: Mapping[int, Sequence[q.DocumentRow]],
) -> dict[str, q.DocumentRow]:
    """Documents whose hash a payment carries without being an invoice of the payment's order."""
    strays = []
    for order in orders:
        own = {"0x" + d.sha256 for d in invoices.get(order.id, ())}
        strays += [
            p.invoice_hash.removeprefix("0x") for p in paid.get(order.id, ()) if p.invoice_hash not in own
        ]
    return q.documents_by_sha256(s, strays)


def _claims(
    campaign: q.CampaignRow,
    tokens: Mapping[str, q.TokenRow],
    round_rows: Mapping[int, q.RoundRow],
    pledges: Mapping[tuple[int, str], q.Sums],
    refunds: Mapping[tuple[int, str], q.Sums],
    totals: Sequence[TokenTotals],
    units: TokenUnits,
) -> MirrorClaims:
    empty = q.Sums(0, 0)
    return MirrorClaims(
        campaign_id=campaign.campaign_id,
        round_count=len(round_rows),
        cancelled=campaign.cancelled_block is not None,
        paused=campaign.paused,
        supplier_delay=campaign.supplier_delay,
        tokens={t.token: (t.pledged, t.refunded, t.disbursed, t.held) for t in totals if t.token in tokens},
        rounds={
            rid: RoundClaim(
                state=OPEN if r.outcome is None else r.outcome,
                raised_usd=sum(s.usd for (pr, _), s in pledges.items() if pr == rid),
                tokens={
                    t: (pledges.get((rid, t), empty).amount, refunds.get((rid, t), empty).amount)
                    for t in {tok for pr, tok in (*pledges, *refunds) if pr == rid}
                },
            )
            for rid, r in round_rows.items()
        },
        units=units,
    )
