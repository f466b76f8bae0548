"""CSV formula injection, on SQLite and PostgreSQL: a supplier named ``=HYPERLINK(...)`` must reach an
auditor's spreadsheet as text. Every CSV export the API offers is found from its OpenAPI schema (so a new
export is covered without editing this file) and read over HTTP from records written by a hostile
manager; no cell may start a formula, and each hostile value stays readable behind a ``'``."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from api.exports import ExportTable
from ledger.db.models import CampaignCreated, Disbursed
from ledger.keys import create_key
from tests.api.support import API, TestClient, api_client
from tests.records.support import USDT, WALLET, mirror_campaign, mirror_cursor

#: What a spreadsheet reads as the start of a formula (OWASP, CSV Injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A plain number (a negative amount is one) is a value to a spreadsheet, never a formula.
PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")

#: Free text a hostile manager (or campaign admin, for the mirror) can store, by where it is stored.
HOSTILE = {
    "beneficiary": '\t=HYPERLINK("http://evil","x")',
    "beneficiary_2": "\r@SUM(1+1)*cmd|' /C calc'!A0",
    "supplier": '=HYPERLINK("http://evil","x")',
    "supplier_notes": "-2+3+cmd|' /C calc'!A0",
    "reference_item": "@SUM(1+1)*cmd|' /C calc'!A0",
    "reference_unit": "+piece",
    "reference_source": '=IMPORTXML("http://evil","//a")',
    "token_symbol": "-USDT",
    "token_name": "=Tether USD",
    "order_reference": "=WAHO-PO-1",
    # A CR inside a cell must not start a new row (whose first cell would then be a live formula).
    "order_notes": "approved\r@SUM(1+1)*cmd|' /C calc'!A0",
    "line_item": "=1+2",
    "line_unit": "-cmd",
    "filename": "=evil.pdf",
    "description": "+description",
    "shipment_reference": "+SHIP-1",
    "carrier": "@carrier",
    "origin": "=origin",
    "destination": "-destination",
    "consignee": "=consignee",
    "place": "@place",
    "recipient": "-2+3",
}


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    """An auditor's client on a database whose every free-text column holds a formula."""
    mirror_campaign(engine, beneficiary=HOSTILE["beneficiary"])
    mirror_campaign(engine, campaign_id=2, tokens=(USDT,), beneficiary=HOSTILE["beneficiary_2"])
    with engine.begin() as conn:
        # A broken mirror (a pledge row lost): campaign 2 paid out 5 units it never received, so it holds -5.
        conn.execute(
            insert(Disbursed).values(
                chain_id=31337,
                contract="0x5FbDB2315678afecb367f032d93F642f64180aa3",
                block_number=2,
                block_hash="0x" + "33" * 32,
                block_timestamp=1_600_000_100,
                tx_hash="0x" + "44" * 32,
                tx_index=0,
                log_index=0,
                campaign_id=2,
                supplier=WALLET,
                purchase_order_ref="0x" + "00" * 32,
                token=USDT,
                amount=5,
                invoice_hash="0x" + "00" * 32,
            )
        )
    mirror_cursor(engine, 10)  # the indexer's cursor past those rows: the campaigns can be reconciled
    with Session(engine) as s, s.begin():
        _, manager = create_key(s, name=f"manager-{uuid.uuid4().hex[:6]}", role="manager")
        _, auditor = create_key(s, name=f"auditor-{uuid.uuid4().hex[:6]}", role="auditor")
    with api_client(engine) as http:
        http.headers["X-API-Key"] = manager
        write_hostile_records(http)
        http.headers["X-API-Key"] = auditor
        yield http


def write_hostile_records(http: TestClient) -> None:
    h = HOSTILE
    supplier = created(
        http.post(
            f"{API}/suppliers",
            json={"name": h["supplier"], "country": "CN", "wallet": WALLET, "notes": h["supplier_notes"]},
        )
    )
    created(
        http.post(
            f"{API}/reference-prices",
            json={
                "item": h["reference_item"],
                "unit": h["reference_unit"],
                "currency": "USD",
                "unit_price": "0.35",
                "source": h["reference_source"],
            },
        )
    )
    created(
        http.post(
            f"{API}/tokens", json={"address": USDT, "symbol": h["token_symbol"], "name": h["token_name"]}
        )
    )
    line = {
        "item": h["line_item"],
        "quantity": 1000,
        "unit": h["line_unit"],
        "unit_price": "0.4",
        "currency": "USD",
    }
    order = created(
        http.post(
            f"{API}/orders",
            json={
                "campaign_id": 1,
                "supplier_id": supplier["id"],
                "reference": h["order_reference"],
                "payment_token": USDT,
                "payment_amount": "400000000",
                "issued_on": "2020-05-04",
                "notes": h["order_notes"],
                "lines": [line],
            },
        )
    )
    items = [{"order_line_id": order["lines"][0]["id"], "quantity": 1000}]
    created(
        http.post(
            f"{API}/documents",
            files={"file": (h["filename"], b"%PDF-1.7 invoice", "application/pdf")},
            data={
                "kind": "invoice",
                "order_id": str(order["id"]),
                "amount": "400",
                "currency": "USD",
                "description": h["description"],
            },
        )
    )
    shipment = created(
        http.post(
            f"{API}/shipments",
            json={
                "order_id": order["id"],
                "reference": h["shipment_reference"],
                "carrier": h["carrier"],
                "origin": h["origin"],
                "destination": h["destination"],
                "shipped_on": "2020-05-20",
                "items": items,
            },
        )
    )
    delivery = created(
        http.post(
            f"{API}/deliveries",
            json={
                "shipment_id": shipment["id"],
                "consignee": h["consignee"],
                "place": h["place"],
                "delivered_on": "2020-05-25",
                "items": items,
            },
        )
    )
    created(
        http.post(
            f"{API}/distributions",
            json={
                "delivery_id": delivery["id"],
                "order_line_id": order["lines"][0]["id"],
                "recipient": h["recipient"],
                "quantity": 400,
                "distributed_on": "2020-06-01",
            },
        )
    )


def csv_export_urls(client: TestClient, engine: Engine) -> list[str]:
    """Every URL of every CSV export (tag ``exports``) in the OpenAPI schema, path parameters filled in."""
    with engine.connect() as conn:
        campaigns = sorted(conn.scalars(select(CampaignCreated.campaign_id)))
    fillers: dict[str, list[str]] = {
        "table": [t.value for t in ExportTable],
        "campaign_id": [str(c) for c in campaigns],
    }
    urls: list[str] = []
    for path, operations in client.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        operation = operations.get("get", {})
        answer = operation.get("responses", {}).get("200", {})
        if "exports" not in operation.get("tags", []) or "text/csv" not in answer.get("content", {}):
            continue
        expanded = [path]
        for name in re.findall(r"{(\w+)}", path):
            assert name in fillers, f"{path}: a CSV export with a parameter {name!r} this test cannot fill"
            expanded = [p.replace(f"{{{name}}}", value) for p in expanded for value in fillers[name]]
        urls.extend(expanded)
    return urls


def formula_cells(text: str) -> list[str]:
    return [
        cell
        for row in csv.reader(io.StringIO(text, newline=""))
        for cell in row
        if cell.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(cell)
    ]


def test_no_csv_export_has_a_cell_a_spreadsheet_would_run(client: TestClient, engine: Engine) -> None:
    urls = csv_export_urls(client, engine)
    # At least every table and each campaign's reconciliation; any other CSV export is checked too.
    assert {f"{API}/exports/tables/{t.value}" for t in ExportTable} < set(urls)
    assert {f"{API}/exports/campaigns/{c}/reconciliation" for c in (1, 2)} <= set(urls)
    found: dict[str, list[str]] = {}
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.text)
        assert answer.headers["content-type"].startswith("text/csv")
        if cells := formula_cells(answer.text):
            found[url] = cells
    assert found == {}


def cells_of(client: TestClient, url: str) -> set[str]:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    return {cell for row in csv.reader(io.StringIO(answer.text, newline="")) for cell in row}


def as_exported(value: str) -> str:
    """The cell a spreadsheet must get for a stored ``value``: text behind a ``'`` if it starts a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


@pytest.mark.parametrize(
    ("table", "stored"),
    [
        ("campaign_created", ["beneficiary", "beneficiary_2"]),
        ("suppliers", ["supplier", "supplier_notes"]),
        ("reference_prices", ["reference_item", "reference_unit", "reference_source"]),
        ("tokens", ["token_symbol", "token_name"]),
        ("purchase_orders", ["order_reference", "order_notes"]),
        ("order_lines", ["line_item", "line_unit"]),
        ("documents", ["filename", "description"]),
        ("shipments", ["shipment_reference", "carrier", "origin", "destination"]),
        ("deliveries", ["consignee", "place"]),
        ("distributions", ["recipient"]),
    ],
)
def test_a_formula_is_exported_as_readable_text_behind_a_quote(
    client: TestClient, table: str, stored: list[str]
) -> None:
    cells = cells_of(client, f"{API}/exports/tables/{table}")
    for key in stored:
        assert as_exported(HOSTILE[key]) in cells, key
    # JSON is not read by spreadsheets: it keeps the value exactly as stored.
    as_json = client.get(f"{API}/exports/tables/{table}", params={"format": "json"}).json()
    values = {v for item in as_json for v in item.values()}
    assert all(HOSTILE[key] in values for key in stored)


def test_the_reconciliation_csv_quotes_names_but_keeps_amounts_numeric(client: TestClient) -> None:
    rows = reconciliation_rows(client, 1)
    beneficiary = next(r for r in rows if r["metric"] == "beneficiary")
    assert beneficiary["value"] == "'" + HOSTILE["beneficiary"]
    lines = [r for r in rows if r["section"] == "order_line"]
    assert lines
    assert {r["item"] for r in lines} == {"'" + HOSTILE["line_item"]}
    assert {r["order"] for r in lines} == {"'" + HOSTILE["order_reference"]}
    assert next(r for r in lines if r["metric"] == "quantity")["value"] == "1000"
    # A negative amount (documented as possible in a broken mirror) stays a number a spreadsheet can add.
    held = next(
        r for r in reconciliation_rows(client, 2) if r["section"] == "token" and r["metric"] == "held"
    )
    assert held["value"] == "-5"


def reconciliation_rows(client: TestClient, campaign_id: int) -> list[dict[str, str]]:
    answer = client.get(f"{API}/exports/campaigns/{campaign_id}/reconciliation")
    assert answer.status_code == 200, answer.text
    return list(csv.DictReader(io.StringIO(answer.text, newline="")))
