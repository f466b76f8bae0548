"""The fund flow through the API, on SQLite and PostgreSQL: the same figures as the reconciliation (its
tokens, rounds, supplier and recipients), from the report the reconciliation keeps, and a 404 that says
which campaign is missing."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ledger.reconcile import ReconcileCache, reconcile_campaign
from ledger.reconcile import campaign as reconcile_module
from ledger.reconcile.flow import campaign_flow
from tests.api.support import API, api_client
from tests.contracts.support import close, end_round, unit
from tests.dashboard.support import campaign_with_refunds
from tests.reconcile.support import MEMBER_STATES, index
from tests.support.chain import LedgerEnv
from tests.support.units import USD


def sums(flow: dict[str, Any]) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    inflow: dict[str, Decimal] = defaultdict(Decimal)
    outflow: dict[str, Decimal] = defaultdict(Decimal)
    for link in flow["links"]:
        outflow[link["source"]] += Decimal(link["usd"])
        inflow[link["target"]] += Decimal(link["usd"])
    return inflow, outflow


def test_the_flow_shows_the_reconciliations_figures(env: LedgerEnv, engine: Engine) -> None:
    ref = campaign_with_refunds(env, engine)  # a succeeded round, paid out; a failed one, refunded
    # A keep-what-you-raise round that fails its goal: the campaign keeps (and holds) what it raised.
    kept = env.open_round(ref.campaign_id, goal_usd=10**9 * USD, aon=False)
    env.pledge(env.donors[2], ref.campaign_id, kept, "USDC", 3_000 * unit("USDC"))
    end_round(env, ref.campaign_id, kept)
    close(env, ref.campaign_id, kept)
    index(env, engine)
    with api_client(engine) as client:
        report = client.get(f"{API}/campaigns/{ref.campaign_id}/reconciliation").json()
        answer = client.get(f"{API}/campaigns/{ref.campaign_id}/flow")
    assert answer.status_code == 200, answer.text
    flow = answer.json()
    assert (flow["report_hash"], flow["as_of_block"]) == (report["report_hash"], report["as_of_block"])
    inflow, outflow = sums(flow)
    nodes = {n["id"]: n for n in flow["nodes"]}

    assert Decimal(flow["pledged_usd"]) == Decimal(report["pledged_usd"])
    donors = [n for n in flow["nodes"] if n["column"] == 0]
    assert len(donors) == report["donors"] == 3
    for token in report["tokens"]:
        node = f"token:{token['token']}"
        assert inflow[node] == Decimal(token["pledged_usd"]) == outflow[node]
        assert nodes[node]["name"] == token["symbol"]
    outcomes = {}
    for r in report["rounds"]:
        node = f"round:{r['round_id']}"
        assert inflow[node] == Decimal(r["raised_usd"]) == outflow[node], "a round passes on what it raised"
        assert nodes[node]["name"] == f"Round {r['round_id']} ({r['outcome']})"
        outcomes[r["round_id"]] = r
    # The failed all-or-nothing round went back to its donor in full; the failed keep-what-you-raise round
    # and what the supplier was not paid of the first round are held.
    failed = next(r for r in report["rounds"] if r["outcome"] == "failed" and r["all_or_nothing"])
    assert inflow["refunded"] == Decimal(failed["raised_usd"]) == Decimal(5_000)
    assert "refundable" not in nodes
    spendable = sum((Decimal(r["raised_usd"]) for r in report["rounds"] if r["spendable"]), Decimal(0))
    # USDC was pledged at $1: the supplier's 70,000 USDC are worth $70,000.
    [supplier] = report["suppliers"]
    paid = Decimal(70_000)
    assert inflow[f"supplier:{supplier['supplier']}"] == paid == outflow[f"supplier:{supplier['supplier']}"]
    assert nodes[f"supplier:{supplier['supplier']}"]["name"] == supplier["name"]
    assert inflow["held"] == spendable - paid
    # Everything paid was delivered in Abuja and distributed to the 15 member states, as the report counts.
    [order] = report["orders"]
    [line] = order["lines"]
    assert line["delivered"] == line["distributed"] == line["quantity"]
    recipients = {n["name"] for n in flow["nodes"] if n["column"] == 5}
    assert recipients == {r["recipient"] for r in report["procurement"]["recipients"]} == set(MEMBER_STATES)
    assert sum((inflow[f"recipient:{name}"] for name in recipients), Decimal(0)) == paid
    for node in flow["nodes"]:
        assert Decimal(node["usd"]) == max(inflow[node["id"]], outflow[node["id"]])
        assert node["usd"] == f"{Decimal(node['usd']):.8f}", "8 places, as a plain decimal"


def test_the_flow_reuses_the_report_the_reconciliation_keeps(
    env: LedgerEnv, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = campaign_with_refunds(env, engine)
    cache = ReconcileCache()
    with Session(engine) as session:
        report = reconcile_campaign(session, campaign_id=ref.campaign_id, cache=cache)

        def recomputed(*args: object, **kwargs: object) -> None:
            raise AssertionError("the report was computed again")

        monkeypatch.setattr(reconcile_module, "_report", recomputed)
        flow = campaign_flow(session, campaign_id=ref.campaign_id, cache=cache)
        assert flow.report_hash == report.report_hash
        assert campaign_flow(session, campaign_id=ref.campaign_id, cache=cache) is flow, "kept as well"


def test_an_unknown_campaign_is_a_404_naming_it(env: LedgerEnv, engine: Engine) -> None:
    with api_client(engine) as client:
        answer = client.get(f"{API}/campaigns/7/flow")
        assert answer.status_code == 404
        assert "nothing is mirrored" in answer.json()["detail"]
        index(env, engine)
        answer = client.get(f"{API}/campaigns/999/flow")
        assert answer.status_code == 404
        assert "campaign 999 is not in the mirror" in answer.json()["detail"]
        assert client.get(f"{API}/campaigns/-1/flow").status_code == 422
