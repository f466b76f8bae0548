"""The API and the reconciliation answer from the same read model (:mod:`ledger.reads`): for any mix of
rounds (all-or-nothing or keep-what-you-raise; succeeded, failed or cancelled with the campaign), pledges
in ETH and ERC-20s, refunds and payments on a real Anvil, indexed into SQLite and PostgreSQL, every
campaign, round and token figure of ``GET /campaigns/{id}`` and ``/rounds`` equals the reconciliation
report's, and the report equals the contract's views (Hypothesis, fixed seed in CI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ledger.indexer.store import MirrorStore
from ledger.reads.units import usd
from ledger.reconcile import CampaignReport, MirrorVerifier, reconcile_campaign
from tests.api.support import API, api_client
from tests.indexer.support import run_indexer
from tests.support.chain import LedgerEnv, reverted
from tests.support.units import DAY, USD

pytestmark = pytest.mark.slow

#: Base units of one pledge "unit" per token: about a dollar or more, at the test feeds' prices.
UNITS = {"ETH": 10**15, "USDC": 10**6, "FEE": 10**18}
SYMBOLS = tuple(UNITS)


@dataclass(frozen=True)
class RoundPlan:
    all_or_nothing: bool
    pledges: list[tuple[int, str]]
    succeed: bool
    #: Per mille of what the campaign may spend paid to the supplier after the round (if anything).
    pay_permille: int
    push_refunds: bool


ROUND = st.builds(
    RoundPlan,
    all_or_nothing=st.booleans(),
    pledges=st.lists(st.tuples(st.integers(0, 3), st.sampled_from(SYMBOLS)), max_size=4),
    succeed=st.booleans(),
    pay_permille=st.integers(0, 1000),
    push_refunds=st.booleans(),
)
#: Rounds one after the other, then maybe one more left open and the campaign cancelled under it.
ACTIVITY = st.tuples(st.lists(ROUND, min_size=1, max_size=3), st.booleans())


@dataclass
class Driver:
    env: LedgerEnv
    campaign: int = 0
    supplier_approved: bool = False
    owed: set[tuple[int, str]] = field(default_factory=set)

    def start(self) -> None:
        self.campaign = self.env.create_campaign(SYMBOLS)

    def pledge(self, round_id: int, donor: int, symbol: str, units: int | None = None) -> None:
        amount = (units or donor + 1) * UNITS[symbol]
        self.env.pledge(self.env.donors[donor], self.campaign, round_id, symbol, amount)
        self.owed.add((donor, symbol))

    def run(self, plan: RoundPlan) -> None:
        env, f = self.env, self.env.f
        env.refresh_feeds()
        goal = 1 * USD if plan.succeed else 10**9 * USD
        round_id = env.open_round(self.campaign, goal_usd=goal, days=3, aon=plan.all_or_nothing)
        self.owed = set()
        for donor, symbol in plan.pledges:
            self.pledge(round_id, donor, symbol)
        if plan.succeed:
            self.pledge(round_id, 0, plan.pledges[0][1] if plan.pledges else "USDC", units=5)
            env.manager.send(f.closeRound(self.campaign, round_id))  # goal met: closes early
        else:
            env.advance(4 * DAY)
            env.refresh_feeds()
            env.outsider.send(f.closeRound(self.campaign, round_id))
        if not plan.succeed and plan.all_or_nothing:
            self.refund(round_id, plan.push_refunds)
        elif plan.pay_permille:
            self.pay(plan.pay_permille)

    def refund(self, round_id: int, push: bool) -> None:
        env, f = self.env, self.env.f
        for symbol in SYMBOLS:
            owed = sorted(d for d, s in self.owed if s == symbol)
            token = env.token_address(symbol)
            if owed and push:
                env.outsider.send(
                    f.pushRefunds(self.campaign, round_id, token, [env.donors[d].address for d in owed])
                )
            elif owed:
                env.donors[owed[0]].send(f.claimRefund(self.campaign, round_id, token))  # the others wait

    def pay(self, permille: int) -> None:
        env, f = self.env, self.env.f
        if not self.supplier_approved:
            env.manager.send(f.approveSupplier(self.campaign, env.supplier.address, b"\x01" * 32))
            self.supplier_approved = True
        for symbol in SYMBOLS:
            token = env.token_address(symbol)
            amount = f.tokenTotals(self.campaign, token).call()[4] * permille // 1000
            if amount:
                ref = bytes([permille % 256]) * 32
                env.manager.send(
                    f.disburse(self.campaign, token, env.supplier.address, amount, ref, b"\x02" * 32)
                )

    def cancel_with_a_round_open(self) -> None:
        env, f = self.env, self.env.f
        env.refresh_feeds()
        round_id = env.open_round(self.campaign, goal_usd=10**9 * USD, days=3, aon=False)
        self.owed = set()
        self.pledge(round_id, 1, "ETH")
        self.pledge(round_id, 2, "USDC")
        env.guardian.send(f.cancelCampaign(self.campaign))
        env.donors[1].send(f.claimRefund(self.campaign, round_id, env.token_address("ETH")))


def _usd(text: str) -> Decimal:
    return usd(int(text))


def assert_api_equals_report(
    detail: dict[str, Any], rounds: list[dict[str, Any]], report: CampaignReport
) -> None:
    campaign = report.campaign
    assert (
        detail["manager"],
        detail["beneficiary"],
        detail["metadata_hash"],
        detail["cancelled"],
        detail["paused"],
        detail["supplier_delay"],
        detail["created_block"],
        detail["created_tx_hash"],
    ) == (
        campaign.manager,
        campaign.beneficiary,
        campaign.metadata_hash,
        campaign.cancelled,
        campaign.paused,
        campaign.supplier_delay,
        campaign.created_block,
        campaign.created_tx,
    )
    assert detail["rounds"] == rounds
    assert [r["round_id"] for r in rounds] == [str(r.round_id) for r in report.rounds]
    for served, reported in zip(rounds, report.rounds, strict=True):
        assert (
            served["start"],
            served["end"],
            _usd(served["goal_usd"]),
            served["all_or_nothing"],
            served["state"],
            served["spendable"],
            _usd(served["raised_usd"]),
            served["pledges"],
            served["donors"],
            served["closed_block"],
        ) == (
            reported.start,
            reported.end,
            reported.goal_usd,
            reported.all_or_nothing,
            reported.outcome,
            reported.spendable,
            reported.raised_usd,
            reported.pledges,
            reported.donors,
            reported.closed_block,
        )
        # The contract's rule: refundable when cancelled, or failed all-or-nothing; a kept round is not.
        assert served["refundable"] == (
            reported.outcome == "cancelled" or (reported.outcome == "failed" and reported.all_or_nothing)
        )
    funding = [
        r
        for r in report.rounds
        if not (r.outcome == "cancelled" or (r.outcome == "failed" and r.all_or_nothing))
    ]
    assert (
        _usd(detail["raised_usd"])
        == report.pledged_usd
        == sum((r.raised_usd for r in report.rounds), Decimal(0))
    )
    assert _usd(detail["goal_usd"]) == sum((r.goal_usd for r in report.rounds), Decimal(0))
    assert _usd(detail["progress_raised_usd"]) == sum((r.raised_usd for r in funding), Decimal(0))
    assert _usd(detail["progress_goal_usd"]) == sum((r.goal_usd for r in funding), Decimal(0))
    assert detail["refundable_rounds"] == len(report.rounds) - len(funding)

    served_totals = {t["token"]: t for t in detail["totals"]}
    for totals in report.tokens:
        served = served_totals.pop(totals.token, None)
        if served is None:  # accepted, never used: the API lists only tokens with money moved
            assert (totals.pledged, totals.refunded, totals.disbursed) == (0, 0, 0)
            continue
        assert (
            int(served["pledged"]),
            _usd(served["pledged_usd"]),
            int(served["refunded"]),
            int(served["disbursed"]),
            int(served["held"]),
        ) == (totals.pledged, totals.pledged_usd, totals.refunded, totals.disbursed, totals.held)
    assert served_totals == {}
    assert [t["token"] for t in detail["tokens"]] == [t.token for t in report.tokens][: len(detail["tokens"])]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(activity=ACTIVITY)
@example(  # a kept round that failed, an all-or-nothing one refunded, one that succeeded; then a cancel
    activity=(
        [
            RoundPlan(False, [(0, "ETH"), (1, "USDC")], succeed=False, pay_permille=500, push_refunds=False),
            RoundPlan(
                True, [(2, "FEE"), (3, "ETH"), (3, "USDC")], succeed=False, pay_permille=0, push_refunds=True
            ),
            RoundPlan(True, [(1, "USDC")], succeed=True, pay_permille=700, push_refunds=False),
        ],
        True,
    )
)
def test_the_api_serves_the_reconciliation_figures(
    env: LedgerEnv, engine: Engine, activity: tuple[list[RoundPlan], bool]
) -> None:
    plans, cancel = activity
    MirrorStore(engine).reset(env.w3.eth.chain_id)
    with reverted(env):  # every example starts from the same chain
        driver = Driver(env)
        driver.start()
        for plan in plans:
            driver.run(plan)
        if cancel:
            driver.cancel_with_a_round_open()
        run_indexer(env, engine)
        campaign = driver.campaign
        with api_client(engine) as client:
            detail = client.get(f"{API}/campaigns/{campaign}").json()
            rounds = client.get(f"{API}/campaigns/{campaign}/rounds").json()["data"]
            one = client.get(f"{API}/campaigns/{campaign}/rounds/{rounds[-1]['round_id']}").json()
            listed = client.get(f"{API}/campaigns").json()["data"]
        with Session(engine) as session:
            report = reconcile_campaign(session, campaign_id=campaign, verifier=MirrorVerifier(env.ledger))
    assert report.chain_check.status == "verified", report.chain_check.detail
    assert_api_equals_report(detail, rounds, report)
    assert one == rounds[-1]
    [summary] = [c for c in listed if c["campaign_id"] == str(campaign)]
    assert summary == {k: v for k, v in detail.items() if k not in ("tokens", "rounds", "totals")}
    outcomes = {r.outcome for r in report.rounds}
    assert outcomes <= {"succeeded", "failed", "cancelled"} and bool(cancel) == ("cancelled" in outcomes)
