"""The fund flow's exact shares: parts add up to their whole to the last 10^-8 dollar, so every round's
links out equal what it raised, every order's what was paid for it, every delivery's what it was worth."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.reads.units import usd
from ledger.reconcile.flow import DeliveryDetail, FundFlow, apportion, build_flow
from ledger.reconcile.report import (
    CampaignInfo,
    CampaignReport,
    OrderLineReport,
    OrderReport,
    RoundReport,
    RoundTokenTotals,
    SupplierTotals,
    TokenAmount,
    TokenTotals,
)

WEIGHTS = st.lists(
    st.one_of(st.integers(0, 10**30), st.decimals(0, 10**9, places=8, allow_nan=False)),
    min_size=1,
    max_size=12,
)


@given(total=st.integers(0, 10**30), weights=WEIGHTS)
def test_parts_add_up_to_the_whole_each_within_one_unit_of_its_share(
    total: int, weights: list[int | Decimal]
) -> None:
    parts = apportion(total, weights)
    whole = sum((Fraction(w) for w in weights), Fraction(0))
    if whole == 0:
        assert parts == [0] * len(weights)
        return
    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        share = total * Fraction(weight) / whole
        assert share - 1 < part < share + 1
        if weight == 0:
            assert part == 0


def test_negative_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        apportion(10, [1, -1])


# ─── a whole campaign, made up ──────────────────────────────────────────────────────────────────────────

TOKENS = ("0x" + "00" * 20, "0x" + "aa" * 20, "0x" + "bb" * 20)
SUPPLIER = "0x" + "5e" * 20
OUTCOMES = [("open", False), ("succeeded", True), ("failed", True), ("failed", False), ("cancelled", False)]


@st.composite
def campaigns(draw: Any) -> tuple[CampaignReport, dict[tuple[str, str], int], list[DeliveryDetail]]:
    """A report with random rounds (every outcome), refunds, a payment from the spendable funds and an order
    whose deliveries and distributions are random; with the donors' USD that adds up to the rounds'."""
    rounds: list[RoundReport] = []
    donors: dict[tuple[str, str], int] = defaultdict(int)
    for round_id in range(draw(st.integers(1, 4))):
        outcome, spendable = draw(st.sampled_from(OUTCOMES))
        tokens = []
        for token in draw(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=3, unique=True)):
            pledged = draw(st.integers(1, 10**24))
            value = draw(st.integers(1, 10**15))
            refunded = (
                draw(st.integers(0, pledged)) if outcome in ("failed", "cancelled") and not spendable else 0
            )
            tokens.append(
                RoundTokenTotals(
                    token=token,
                    decimals=18,
                    pledged=pledged,
                    pledged_usd=usd(value),
                    pledges=1,
                    refunded=refunded,
                )
            )
            for n, part in enumerate(
                apportion(value, draw(st.lists(st.integers(1, 9), min_size=1, max_size=11)))
            ):
                donors[(f"0x{n:040x}", token)] += part
        rounds.append(
            RoundReport.model_construct(
                round_id=round_id,
                outcome=outcome,
                spendable=spendable,
                raised_usd=sum((t.pledged_usd for t in tokens), Decimal(0)),
                tokens=tokens,
            )
        )
    pool: dict[str, int] = defaultdict(int)
    for r in rounds:
        for t in r.tokens:
            pool[t.token] += t.pledged if r.spendable else 0
    paid = [TokenAmount(token=t, amount=draw(st.integers(0, amount))) for t, amount in sorted(pool.items())]
    totals = [
        TokenTotals.model_construct(
            token=t,
            symbol=t[:6],
            pledged=sum(x.pledged for r in rounds for x in r.tokens if x.token == t),
            pledged_usd=sum((x.pledged_usd for r in rounds for x in r.tokens if x.token == t), Decimal(0)),
        )
        for t in TOKENS
    ]
    lines = [
        OrderLineReport.model_construct(
            line_id=i,
            unit_price=Decimal(draw(st.integers(1, 10**6))) / 100,
            value=Decimal(0),
            quantity=quantity,
        )
        for i, quantity in enumerate(draw(st.lists(st.integers(1, 1000), min_size=1, max_size=3)))
    ]
    lines = [line.model_copy(update={"value": line.unit_price * line.quantity}) for line in lines]
    deliveries = []
    for _ in range(draw(st.integers(0, 3))):
        items = [(line.line_id, draw(st.integers(0, line.quantity))) for line in lines]
        handed = [
            (draw(st.sampled_from(["Togo", "Mali", "Benin"])), line, draw(st.integers(0, qty)))
            for line, qty in items
        ]
        place = draw(st.sampled_from(["Abuja", "Lomé"]))
        deliveries.append(DeliveryDetail(0, "Ministry", place, tuple(items), tuple(handed)))
    payments = [p for p in paid if p.amount]
    order = OrderReport.model_construct(
        order_id=0,
        supplier_name="Shenzhen PPE",
        supplier_wallet=SUPPLIER,
        payments=[],
        payment_token=payments[0].token if payments else TOKENS[0],
        paid=payments[0].amount if payments else 0,
        paid_other=payments[1:],
        lines=lines,
    )
    report = CampaignReport.model_construct(
        chain_id=1,
        as_of_block=1,
        report_hash="0x" + "12" * 32,
        round_id=None,
        campaign=CampaignInfo.model_construct(campaign_id=1),
        tokens=totals,
        rounds=rounds,
        suppliers=[SupplierTotals.model_construct(supplier=SUPPLIER, name="Shenzhen PPE", paid=paid)],
        orders=[order],
    )
    return report, dict(donors), deliveries


def flows(flow: FundFlow) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    inflow: dict[str, Decimal] = defaultdict(Decimal)
    outflow: dict[str, Decimal] = defaultdict(Decimal)
    for link in flow.links:
        assert link.usd > 0 and link.usd == link.usd.quantize(Decimal("1E-8"))
        outflow[link.source] += link.usd
        inflow[link.target] += link.usd
    return inflow, outflow


@given(campaign=campaigns())
def test_every_node_passes_on_exactly_what_it_receives(
    campaign: tuple[CampaignReport, dict[tuple[str, str], int], list[DeliveryDetail]],
) -> None:
    report, donors, deliveries = campaign
    flow = build_flow(report, donors, deliveries)
    inflow, outflow = flows(flow)
    for r in report.rounds:
        assert inflow[f"round:{r.round_id}"] == r.raised_usd == outflow[f"round:{r.round_id}"]
    for t in report.tokens:
        assert inflow[f"token:{t.token}"] == t.pledged_usd == outflow[f"token:{t.token}"]
    assert flow.pledged_usd == sum((t.pledged_usd for t in report.tokens), Decimal(0))
    # The supplier passes on what its orders were paid: here, everything it was paid.
    assert inflow[f"supplier:{SUPPLIER}"] == outflow[f"supplier:{SUPPLIER}"]
    for node in flow.nodes:
        if node.id.startswith("delivery:"):
            assert inflow[node.id] == outflow[node.id] == node.usd
        assert node.usd == max(inflow[node.id], outflow[node.id])
