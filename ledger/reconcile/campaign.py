"""Reconcile one campaign: the mirror's money against the procurement records, with findings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.orm import Session

import ledger
from ledger.errors import RecordNotFoundError
from ledger.gcpause import gc_paused
from ledger.reads import procurement
from ledger.reads.aggregates import CampaignAggregates, Sums
from ledger.reads.campaigns import Campaign, campaign
from ledger.reads.mirror import MirrorPosition, mirror_position
from ledger.reads.payments import DisbursedRow, disbursements
from ledger.reads.rounds import Round, campaign_rounds, with_figures
from ledger.reads.tokens import (
    TokenFigures,
    TokenRow,
    accepted_tokens,
    per_token,
    token_figures,
    token_symbols,
)
from ledger.reads.units import TokenUnits, usd
from ledger.reconcile import findings as rules
from ledger.reconcile import orders as parts
from ledger.reconcile.cache import ReconcileCache, campaign_aggregates, campaign_pending_changes, ledger_held
from ledger.reconcile.mirror_check import MirrorClaims, MirrorVerifier, RoundClaim
from ledger.reconcile.report import (
    CampaignInfo,
    CampaignReport,
    ChainCheck,
    Finding,
    GeneratedFrom,
    ReconcileOptions,
    RoundReport,
    RoundTokenTotals,
    TokenTotals,
    report_hash,
)

K = TypeVar("K")
V = TypeVar("V")


def find_campaign(s: Session, pos: MirrorPosition, campaign_id: int) -> Campaign:
    row = campaign(s, pos, campaign_id)
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

    Raises :class:`~ledger.errors.RecordNotFoundError` for a campaign (or round) not in the mirror.
    """
    options = options or ReconcileOptions()
    pos = mirror_position(session, chain_id)
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
    pos: MirrorPosition,
    campaign_id: int,
    round_id: int | None,
    options: ReconcileOptions,
    verifier: MirrorVerifier | None,
    cache: ReconcileCache | None,
) -> CampaignReport:
    found = find_campaign(session, pos, campaign_id)
    tokens = accepted_tokens(session, pos, campaign_id)
    sums = campaign_aggregates(session, pos, campaign_id, cache)
    round_rows = with_figures(campaign_rounds(session, pos, campaign_id), sums)
    if round_id is not None and round_id not in round_rows:
        raise RecordNotFoundError(f"campaign {campaign_id} has no round {round_id} in the mirror")
    payments = disbursements(session, pos, campaign_id)
    orders = procurement.orders(session, campaign_id)
    lines = parts.by(procurement.order_lines(session, campaign_id), lambda line: line.order_id)
    invoices = parts.by(procurement.invoices(session, campaign_id), lambda d: d.order_id or 0)
    custody = procurement.custody(session, campaign_id)
    references = procurement.reference_prices(session, campaign_id)

    decimals = {t.token: t.decimals for t in tokens.values()}
    units = TokenUnits(decimals, token_symbols(session))
    order_by_ref = {o.order_ref: o for o in orders}
    paid: dict[int, list[DisbursedRow]] = defaultdict(list)
    unmatched: list[DisbursedRow] = []
    for p in payments:
        order = order_by_ref.get(p.purchase_order_ref)
        if order is None:
            unmatched.append(p)
        else:
            paid[order.id].append(p)
    suppliers = procurement.suppliers_by_wallet(session, [p.supplier for p in payments])

    totals = _token_totals(tokens, sums, payments, units)
    foreign = parts.foreign_orders(session, campaign_id, unmatched)
    strays = parts.stored_documents(session, orders, paid, invoices)
    findings: list[Finding] = [
        *rules.payments_without_order(unmatched, units, foreign),
        *rules.order_payment_findings(orders, paid, units),
        *rules.supplier_findings(orders, paid, units),
        *rules.invoice_findings(orders, paid, invoices, strays),
        *rules.delivery_findings(orders, lines, custody, set(paid)),
        *rules.price_findings(orders, lines, references, options.price_tolerance),
        *rules.idle_findings(
            totals,
            round_rows,
            payments,
            sums.refunds,
            cancelled_at=found.cancelled_timestamp,
            now=pos.timestamp,
            idle_after=options.idle_after_seconds,
            units=units,
        ),
        *rules.pending_findings(campaign_pending_changes(session, pos, campaign_id, cache)),
    ]
    chain_check = ChainCheck(status="not_checked", detail="the mirror was not compared with the chain")
    if verifier is not None:
        claims = _claims(found, tokens, round_rows, sums, totals, units)
        if verifier.check_balances:
            claims = replace(claims, ledger_held=ledger_held(session, pos, cache))
        chain_check, chain_findings = verifier.verify(session, pos, claims)
        findings.extend(chain_findings)

    round_reports = [
        _round_report(r, tokens, sums)
        for r in round_rows.values()
        if round_id is None or r.round_id == round_id
    ]
    order_reports = [parts.order_report(o, paid.get(o.id, []), lines, invoices, custody) for o in orders]
    report = CampaignReport(
        chain_id=pos.chain_id,
        contract=pos.contract,
        as_of_block=pos.block_number,
        as_of_block_hash=pos.block_hash,
        as_of_timestamp=pos.timestamp,
        round_id=round_id,
        campaign=CampaignInfo.model_validate({**vars(found), "created_tx": found.created_tx_hash}),
        tokens=totals,
        pledges=sum(r.pledges for r in round_rows.values()),
        donors=sums.donors,
        pledged_usd=usd(sum(r.raised_usd for r in round_rows.values())),
        rounds=round_reports,
        suppliers=parts.supplier_totals(payments, suppliers),
        orders=order_reports,
        unmatched_payments=[parts.payment_model(p) for p in unmatched],
        procurement=parts.procurement_totals(
            orders, order_reports, unmatched, parts.recipient_totals(custody)
        ),
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


def _token_totals(
    tokens: Mapping[str, TokenRow],
    sums: CampaignAggregates,
    payments: Sequence[DisbursedRow],
    units: TokenUnits,
) -> list[TokenTotals]:
    """Per token (those accepted first, in their order), the campaign's :func:`token_figures`."""
    figures = token_figures(sums, per_token((p.token, p.amount) for p in payments))
    result = []
    for token in [*tokens, *sorted(set(figures) - set(tokens))]:
        f = figures.get(token, TokenFigures(token))
        result.append(
            TokenTotals(
                token=token,
                symbol=units.label(token),
                decimals=tokens[token].decimals if token in tokens else 0,
                pledged=f.pledged,
                pledged_usd=usd(f.pledged_usd),
                pledges=f.pledges,
                refunded=f.refunded,
                disbursed=f.disbursed,
                held=f.held,
            )
        )
    return result


def _round_report(r: Round, tokens: Mapping[str, TokenRow], sums: CampaignAggregates) -> RoundReport:
    pledges, refunds = sums.pledges, sums.refunds
    names = sorted({t for rid, t in (*pledges, *refunds) if rid == r.round_id}, key=_token_order(tokens))
    empty = Sums(0, 0)
    return RoundReport(
        round_id=r.round_id,
        start=r.start,
        end=r.end,
        goal_usd=usd(r.goal_usd),
        all_or_nothing=r.all_or_nothing,
        outcome=r.state,
        spendable=r.spendable,
        raised_usd=usd(r.raised_usd),
        pledges=r.pledges,
        donors=r.donors,
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


def _token_order(tokens: Mapping[str, TokenRow]) -> Callable[[str], tuple[int, str]]:
    position = {t: i for i, t in enumerate(tokens)}
    return lambda t: (position.get(t, len(position)), t)


def _claims(
    found: Campaign,
    tokens: Mapping[str, TokenRow],
    round_rows: Mapping[int, Round],
    sums: CampaignAggregates,
    totals: Sequence[TokenTotals],
    units: TokenUnits,
) -> MirrorClaims:
    pledges, refunds = sums.pledges, sums.refunds
    empty = Sums(0, 0)
    return MirrorClaims(
        campaign_id=found.campaign_id,
        round_count=len(round_rows),
        cancelled=found.cancelled,
        paused=found.paused,
        supplier_delay=found.supplier_delay,
        tokens={t.token: (t.pledged, t.refunded, t.disbursed, t.held) for t in totals if t.token in tokens},
        rounds={
            rid: RoundClaim(
                state=r.round_state,
                raised_usd=r.raised_usd,
                tokens={
                    t: (pledges.get((rid, t), empty).amount, refunds.get((rid, t), empty).amount)
                    for t in {tok for pr, tok in (*pledges, *refunds) if pr == rid}
                },
            )
            for rid, r in round_rows.items()
        },
        units=units,
    )
