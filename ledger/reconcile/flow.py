"""A campaign's fund flow: where its US dollars went, as the nodes and links of the dashboard's picture,
built from the reconciliation's report so that both show the same numbers.

The columns: donors → tokens → rounds → suppliers (or refunded, refundable, held) → deliveries (or paid, not
yet delivered) → recipients (or not yet distributed). Every amount is in USD at the time of pledge, in whole
units of 10^-8 dollars (the ledger's USD precision) while computing and as 8-place decimals in the answer.

Shares are exact: a whole is split into parts by :func:`apportion` (largest remainders), so a round's
payments to suppliers plus its refunds plus what is left always equal what it raised, an order's deliveries
plus what is undelivered equal what was paid for it, and so on, to the last 10^-8 dollar.

Payments are valued at the average USD price at pledge of their token over the rounds whose funds the
campaign can spend (they are the only ones it pays from), refunds at their round's own price, deliveries
and distributions at their part of their order's value.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ledger.db.models import Pledged
from ledger.db.records import Delivery, Distribution, Shipment
from ledger.gcpause import gc_paused
from ledger.reads.mirror import mirror_position
from ledger.reads.sums import grouped_sums
from ledger.reads.units import USD_DECIMALS, usd
from ledger.reconcile.cache import ReconcileCache
from ledger.reconcile.campaign import reconcile_campaign
from ledger.reconcile.mirror_check import MirrorVerifier
from ledger.reconcile.report import CampaignReport, Dec, ReconcileOptions

#: Donors drawn one by one: the largest by USD pledged; the others are drawn together as "Other donors".
MAX_DONOR_NODES = 8
#: What each column of the picture holds.
COLUMNS = ("donors", "tokens", "rounds", "suppliers", "deliveries", "recipients")

Column = Literal[0, 1, 2, 3, 4, 5]


# ─── the answer ─────────────────────────────────────────────────────────────────────────────────────────


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class FlowNode(_Model):
    """One box of the picture; ``usd`` is the larger of what flows in and what flows out of it."""

    id: str
    name: str
    column: int
    usd: Dec


class FlowLink(_Model):
    """US dollars (8 places, exact) from one node to another."""

    source: str
    target: str
    usd: Dec


class FundFlow(_Model):
    """Where a campaign's money went, as of the report ``report_hash`` (block ``as_of_block``)."""

    chain_id: int
    campaign_id: int
    as_of_block: int
    report_hash: str
    #: What donors pledged, in USD at pledge: what flows out of the donors' column.
    pledged_usd: Dec
    columns: list[str]
    nodes: list[FlowNode]
    links: list[FlowLink]


# ─── exact shares ───────────────────────────────────────────────────────────────────────────────────────


def apportion(total: int, weights: Sequence[int | Decimal | Fraction]) -> list[int]:
    """``total`` split into integer parts proportional to ``weights`` (≥ 0), adding up to ``total`` exactly:
    each part is its exact share rounded down, and the units left go to the largest remainders (the first
    of equal ones). Each part is within one unit of its exact share; a zero weight gets nothing. With no
    positive weight, every part is 0 (and they add up to 0, not ``total``)."""
    exact = [Fraction(w) for w in weights]
    if any(w < 0 for w in exact):
        raise ValueError("weights must not be negative")
    whole = sum(exact, Fraction(0))
    if whole == 0:
        return [0] * len(exact)
    shares = [total * w / whole for w in exact]
    parts = [s.numerator // s.denominator for s in shares]
    left = total - sum(parts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return parts


def _units(value: Decimal) -> int:
    """A report's USD decimal (8 places) as whole 10^-8 dollars."""
    return int(value.scaleb(USD_DECIMALS))


def _rounded(value: Fraction) -> int:
    return round(value)  # half to even


# ─── the records the report leaves out ─────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class DeliveryDetail:
    """A delivery of one of the campaign's orders: where, to whom, which lines, and its distributions."""

    order_id: int
    consignee: str
    place: str
    #: (order line id, quantity) delivered.
    items: tuple[tuple[int, int], ...]
    #: (recipient, order line id, quantity) handed over from this delivery.
    distributions: tuple[tuple[str, int, int], ...]


def donor_usd(s: Session, report: CampaignReport) -> dict[tuple[str, str], int]:
    """USD at pledge (10^-8 dollars) per (donor, token) of the report's campaign, as of its block."""
    where = [
        Pledged.chain_id == report.chain_id,
        Pledged.campaign_id == report.campaign.campaign_id,
        Pledged.block_number <= report.as_of_block,
    ]
    rows = grouped_sums(s, [Pledged.donor, Pledged.token], [], [Pledged.usd_value], where)
    return {(donor, token): value for donor, token, value in rows}


def delivery_details(s: Session, order_ids: Iterable[int]) -> list[DeliveryDetail]:
    """The deliveries of the orders ``order_ids`` with their items and distributions, in id order."""
    ids = sorted(set(order_ids))
    if not ids:
        return []
    deliveries = s.execute(
        select(Delivery, Shipment.order_id)
        .join(Shipment, Shipment.id == Delivery.shipment_id)
        .where(Shipment.order_id.in_(ids))
        .options(selectinload(Delivery.items))
        .order_by(Delivery.id)
    ).all()
    handed: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    delivery_ids = [d.id for d, _ in deliveries]
    for chunk in range(0, len(delivery_ids), 500):
        for dist in s.scalars(
            select(Distribution)
            .where(Distribution.delivery_id.in_(delivery_ids[chunk : chunk + 500]))
            .order_by(Distribution.id)
        ):
            handed[dist.delivery_id].append((dist.recipient, dist.order_line_id, dist.quantity))
    return [
        DeliveryDetail(
            order_id=order_id,
            consignee=d.consignee,
            place=d.place,
            items=tuple((i.order_line_id, i.quantity) for i in sorted(d.items, key=lambda i: i.id)),
            distributions=tuple(handed[d.id]),
        )
        for d, order_id in deliveries
    ]


# ─── the picture ────────────────────────────────────────────────────────────────────────────────────────


def _short(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}" if len(address) > 14 else address


class _Graph:
    def __init__(self) -> None:
        self.nodes: dict[str, tuple[str, int]] = {}
        self.links: dict[tuple[str, str], int] = {}

    def node(self, node_id: str, name: str, column: Column) -> str:
        self.nodes.setdefault(node_id, (name, column))
        return node_id

    def add(self, source: str, target: str, units: int) -> None:
        if units > 0:
            self.links[(source, target)] = self.links.get((source, target), 0) + units

    def answer(self, report: CampaignReport, pledged: int) -> FundFlow:
        inflow: dict[str, int] = defaultdict(int)
        outflow: dict[str, int] = defaultdict(int)
        for (source, target), units in self.links.items():
            outflow[source] += units
            inflow[target] += units
        used = inflow.keys() | outflow.keys()
        nodes = sorted(
            (i for i in self.nodes if i in used), key=lambda i: self.nodes[i][1]
        )  # by column, then as added
        return FundFlow(
            chain_id=report.chain_id,
            campaign_id=report.campaign.campaign_id,
            as_of_block=report.as_of_block,
            report_hash=report.report_hash,
            pledged_usd=usd(pledged),
            columns=list(COLUMNS),
            nodes=[
                FlowNode(
                    id=i,
                    name=self.nodes[i][0],
                    column=self.nodes[i][1],
                    usd=usd(max(inflow[i], outflow[i])),
                )
                for i in nodes
            ],
            links=[FlowLink(source=s, target=t, usd=usd(v)) for (s, t), v in self.links.items()],
        )


def build_flow(
    report: CampaignReport, donors: Mapping[tuple[str, str], int], deliveries: Sequence[DeliveryDetail]
) -> FundFlow:
    """The fund flow of a campaign-wide ``report`` (``round_id`` None), with the USD per (donor, token) and
    the deliveries of its orders (:func:`donor_usd`, :func:`delivery_details`)."""
    if report.round_id is not None:
        raise ValueError("the fund flow is drawn from a campaign-wide report, not one narrowed to a round")
    g = _Graph()
    symbols = {t.token: t.symbol for t in report.tokens}

    def token(address: str) -> str:
        return g.node(f"token:{address}", symbols.get(address) or _short(address), 1)

    # Donors → tokens: the largest donors by name, the others together.
    per_donor: dict[str, int] = defaultdict(int)
    for (donor, _), units in donors.items():
        per_donor[donor] += units
    named = {d for d, _ in sorted(per_donor.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_DONOR_NODES]}
    for (donor, address), units in sorted(donors.items()):
        if donor in named:
            source = g.node(f"donor:{donor}", _short(donor), 0)
        else:
            source = g.node("donor:other", "Other donors", 0)
        g.add(source, token(address), units)

    # Payments' USD price per token: the average at pledge over the spendable rounds (else the campaign's).
    spendable = [r for r in report.rounds if r.spendable]
    pool: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # token → [amount, usd units]
    for r in spendable:
        for t in r.tokens:
            pool[t.token][0] += t.pledged
            pool[t.token][1] += _units(t.pledged_usd)
    for totals in report.tokens:
        if pool[totals.token][0] == 0 and totals.pledged > 0:
            pool[totals.token] = [totals.pledged, _units(totals.pledged_usd)]

    def paid_usd(address: str, amount: int) -> int:
        held, value = pool[address]
        return _rounded(Fraction(amount * value, held)) if held else 0

    # Tokens → rounds → suppliers (a payment in a token split over the spendable rounds by their USD in it),
    # refunds, and what is refundable or held.
    supplier_names = {s.supplier: s.name or _short(s.supplier) for s in report.suppliers}

    def supplier(address: str, name: str | None = None) -> str:
        return g.node(f"supplier:{address}", supplier_names.get(address) or name or _short(address), 3)

    rounds = {
        r.round_id: g.node(f"round:{r.round_id}", f"Round {r.round_id} ({r.outcome})", 2)
        for r in report.rounds
    }
    for r in report.rounds:
        for t in r.tokens:
            g.add(token(t.token), rounds[r.round_id], _units(t.pledged_usd))
    out: dict[int, int] = defaultdict(int)
    for s in report.suppliers:
        for payment in s.paid:
            weights = [
                sum(_units(t.pledged_usd) for t in r.tokens if t.token == payment.token) for r in spendable
            ]
            if not any(weights):
                weights = [_units(r.raised_usd) for r in spendable]
            for r, part in zip(
                spendable, apportion(paid_usd(payment.token, payment.amount), weights), strict=True
            ):
                g.add(rounds[r.round_id], supplier(s.supplier), part)
                out[r.round_id] += part
    for r in report.rounds:
        if not r.spendable:
            refunded = sum(
                _rounded(Fraction(t.refunded * _units(t.pledged_usd), t.pledged))
                for t in r.tokens
                if t.pledged
            )
            g.add(rounds[r.round_id], g.node("refunded", "Refunded to donors", 3), refunded)
            out[r.round_id] += refunded
        if r.outcome != "open" and not r.spendable:  # the contract's rule: ledger/rounds.py
            waiting = g.node("refundable", "Refundable, not yet claimed", 3)
        else:
            waiting = g.node("held", "Held by the contract", 3)
        g.add(rounds[r.round_id], waiting, _units(r.raised_usd) - out[r.round_id])

    # Suppliers → deliveries → recipients: each delivery (and distribution) at its part of its order's value.
    by_order: dict[int, list[DeliveryDetail]] = defaultdict(list)
    for d in deliveries:
        by_order[d.order_id].append(d)
    for o in report.orders:
        paid = paid_usd(o.payment_token, o.paid) + sum(paid_usd(p.token, p.amount) for p in o.paid_other)
        if paid <= 0:
            continue
        source = supplier(o.payments[0].supplier if o.payments else o.supplier_wallet, o.supplier_name)
        price = {line.line_id: line.unit_price for line in o.lines}

        def worth(items: Iterable[tuple[int, int]], price: Mapping[int, Decimal] = price) -> Decimal:
            return sum((price.get(line, Decimal(0)) * qty for line, qty in items), Decimal(0))

        shipped = by_order.get(o.order_id, [])
        values = [worth(d.items) for d in shipped]
        ordered = sum((line.value for line in o.lines), Decimal(0))
        undelivered = max(ordered - sum(values, Decimal(0)), Decimal(0))
        parts = apportion(paid, [*values, undelivered])
        if not any(parts):  # an order of no value: all of it is undelivered
            parts[-1] = paid
        for d, value, part in zip(shipped, values, parts, strict=False):
            place = g.node(f"delivery:{d.consignee}|{d.place}", f"{d.consignee}, {d.place}", 4)
            g.add(source, place, part)
            handed = [worth([(line, qty)]) for _, line, qty in d.distributions]
            stored = max(value - sum(handed, Decimal(0)), Decimal(0))
            pieces = apportion(part, [*handed, stored])
            for (recipient, _, _), piece in zip(d.distributions, pieces, strict=False):
                g.add(place, g.node(f"recipient:{recipient}", recipient, 5), piece)
            g.add(place, g.node("stored", "Not yet distributed", 5), pieces[-1])
        g.add(source, g.node("undelivered", "Paid, not yet delivered", 4), parts[-1])

    return g.answer(report, sum(donors.values()))


# ─── served ─────────────────────────────────────────────────────────────────────────────────────────────


def campaign_flow(
    session: Session,
    *,
    campaign_id: int,
    chain_id: int | None = None,
    options: ReconcileOptions | None = None,
    verifier: MirrorVerifier | None = None,
    cache: ReconcileCache | None = None,
) -> FundFlow:
    """The fund flow of ``campaign_id`` from its reconciliation report (the same report, from the same
    ``cache``, that the reconciliation serves), kept in ``cache`` until the mirror moves or a record is
    written. Raises :class:`~ledger.errors.RecordNotFoundError` for a campaign not in the mirror."""
    options = options or ReconcileOptions()
    key = None
    if cache is not None:
        pos = mirror_position(session, chain_id)
        key = cache.report_key(session, pos, "flow", campaign_id, options, verifier)
        kept: FundFlow | None = cache.report(key)
        if kept is not None:
            return kept
    report = reconcile_campaign(
        session, campaign_id=campaign_id, chain_id=chain_id, options=options, verifier=verifier, cache=cache
    )
    with gc_paused():
        flow = build_flow(
            report, donor_usd(session, report), delivery_details(session, (o.order_id for o in report.orders))
        )
    if cache is not None and key is not None and report.chain_check.status != "unreachable":
        cache.keep_report(key, flow)
    return flow
