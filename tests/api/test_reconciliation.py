"""The reconciliation and the donor view through the API, on SQLite and PostgreSQL: the report the engine
computes, checked against the chain when the API knows a node; exports for auditors."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ledger.keys import create_key
from ledger.reconcile import (
    CSV_COLUMNS,
    MirrorVerifier,
    ReconcileOptions,
    donor_view,
    reconcile_campaign,
    report_csv_rows,
)
from ledger.settings import Settings
from tests.api.support import API, Indexed, api_client
from tests.indexer.support import rpc_url, run_indexer
from tests.reconcile.support import MASKS, reference_campaign
from tests.support.chain import LedgerEnv


def _stable(report: dict[str, Any]) -> dict[str, Any]:
    """A report without the fields that change between two computations of the same state."""
    return {k: v for k, v in report.items() if k != "generated_from"}


def test_reference_campaign_reconciles_through_the_api_and_is_checked_on_chain(
    env: LedgerEnv, engine: Engine
) -> None:
    ref = reference_campaign(env, engine)
    with api_client(engine, rpc_url=rpc_url(env)) as client:
        answer = client.get(f"{API}/campaigns/{ref.campaign_id}/reconciliation")
        assert answer.status_code == 200, answer.text
        report = answer.json()
        assert report["findings"] == []
        assert report["chain_check"]["status"] == "verified"
        assert report["chain_check"]["values_compared"] > 0
        with Session(engine) as session:
            direct = reconcile_campaign(
                session,
                campaign_id=ref.campaign_id,
                options=ReconcileOptions.from_settings(Settings()),
                verifier=MirrorVerifier.from_rpc(rpc_url(env)),
            )
        assert report["report_hash"] == direct.report_hash
        assert _stable(report) == _stable(direct.model_dump(mode="json"))
        (order,) = report["orders"]
        assert order["paid"] == order["payment_amount"]
        one_round = client.get(
            f"{API}/campaigns/{ref.campaign_id}/reconciliation", params={"round_id": ref.round_id}
        ).json()
        assert [r["round_id"] for r in one_round["rounds"]] == [ref.round_id]


def test_without_a_node_the_report_says_the_chain_was_not_checked(indexed: Indexed) -> None:
    with api_client(indexed.engine) as client:
        report = client.get(f"{API}/campaigns/{indexed.ids['c1']}/reconciliation").json()
    assert report["chain_check"]["status"] == "not_checked"
    # busy_life pays its supplier with references no purchase order carries.
    assert {f["kind"] for f in report["findings"]} >= {"payment_without_order"}


def test_unknown_campaign_or_round_is_404(indexed: Indexed) -> None:
    with api_client(indexed.engine) as client:
        assert client.get(f"{API}/campaigns/999/reconciliation").status_code == 404
        answer = client.get(f"{API}/campaigns/{indexed.ids['c1']}/reconciliation", params={"round_id": 99})
        assert answer.status_code == 404
        assert "no round 99" in answer.json()["detail"]
        assert client.get(f"{API}/campaigns/999/donors/{indexed.env.donors[0].address}").status_code == 404


def test_donor_view_shows_what_the_donors_share_bought_with_its_proof(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    huobi = ref.donors["Huobi Charity"].address
    with api_client(engine) as client:
        answer = client.get(f"{API}/campaigns/{ref.campaign_id}/donors/{huobi.lower()}")
    assert answer.status_code == 200, answer.text
    view = answer.json()
    assert view["donor"] == huobi
    with Session(engine) as session:
        assert view == donor_view(session, campaign_id=ref.campaign_id, donor=huobi).model_dump(mode="json")
    (pledge,) = view["pledges"]
    assert pledge["amount"] == str(70_000 * 10**6)
    receipt = env.w3.eth.get_transaction_receipt(pledge["tx_hash"])
    assert receipt["status"] == 1
    (bought,) = view["bought"]
    assert bought["delivered"] == MASKS
    assert 0 < float(bought["quantity"]) < MASKS
    assert view["proof"], "the payments that bought the masks are the proof"


def test_auditors_export_the_reconciliation_as_csv_and_json(indexed: Indexed) -> None:
    with Session(indexed.engine) as session, session.begin():
        _, key = create_key(session, name="reconciliation-auditor", role="auditor")
    path = f"{API}/exports/campaigns/{indexed.ids['c1']}/reconciliation"
    with api_client(indexed.engine) as client:
        assert client.get(path).status_code == 401
        as_json = client.get(path, params={"format": "json"}, headers={"X-API-Key": key})
        as_csv = client.get(path, headers={"X-API-Key": key})
    with Session(indexed.engine) as session:
        direct = reconcile_campaign(session, campaign_id=indexed.ids["c1"])
    assert as_json.status_code == 200
    assert as_json.json()["report_hash"] == direct.report_hash
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert f'filename="reconciliation-{indexed.ids["c1"]}.csv"' in as_csv.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    expected = list(report_csv_rows(direct))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [r for r in rows if r["metric"] != "generated_at"] == [
        r for r in expected if r["metric"] != "generated_at"
    ]


def test_the_report_follows_new_pledges_and_records_written_through_the_api(
    env: LedgerEnv, engine: Engine
) -> None:
    ref = reference_campaign(env, engine)
    with Session(engine) as session, session.begin():
        _, manager = create_key(session, name="manager", role="manager")
    path = f"{API}/campaigns/{ref.campaign_id}/reconciliation"
    with api_client(engine) as client:
        before = client.get(path).json()
        assert client.get(path).json()["report_hash"] == before["report_hash"]
        round_id = env.open_round(ref.campaign_id)
        env.pledge(env.donors[3], ref.campaign_id, round_id, "ETH", 10**16)
        run_indexer(env, engine)
        after_pledge = client.get(path).json()
        assert (before["pledges"], after_pledge["pledges"]) == (3, 4)
        order = {
            "campaign_id": ref.campaign_id,
            "supplier_id": ref.supplier_id,
            "reference": "FCSSC-PO-2020-002",
            "payment_token": env.token_address("USDC"),
            "payment_amount": "1000000",
            "issued_on": "2020-06-01",
            "lines": [
                {"item": "gloves", "quantity": 100, "unit": "pair", "unit_price": "0.01", "currency": "USD"}
            ],
        }
        created = client.post(f"{API}/orders", json=order, headers={"X-API-Key": manager})
        assert created.status_code == 201, created.text
        after_order = client.get(path).json()
    assert len(after_order["orders"]) == len(before["orders"]) + 1
    assert "order_unpaid" in {f["kind"] for f in after_order["findings"]}
