"""Exports for auditors on SQLite and PostgreSQL: every table as CSV and JSON, equal to what is stored
(and, for the mirror, to the chain), streamed in chunks."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import exports
from api.exports import ExportTable
from ledger.db.models import Base
from ledger.keys import create_key
from tests.api.support import API, Indexed, TestClient, api_client
from tests.indexer.support import chain_events


@pytest.fixture(scope="module")
def client(indexed: Indexed) -> Iterator[TestClient]:
    with Session(indexed.engine) as session, session.begin():
        _, key = create_key(session, name=f"auditor-{uuid.uuid4().hex[:6]}", role="auditor")
    with api_client(indexed.engine) as test_client:
        test_client.headers["X-API-Key"] = key
        yield test_client


def test_every_table_but_the_api_keys_can_be_exported() -> None:
    assert {t.value for t in ExportTable} == set(Base.metadata.tables) - {"api_keys", "api_key_campaigns"}


def test_pledges_export_equals_the_chain_in_csv_and_json(indexed: Indexed, client: TestClient) -> None:
    expected = [
        (f["tx_hash"], f["log_index"], f["donor"], f["token"], str(f["amount"]), str(f["usd_value"]))
        for name, f in chain_events(indexed.env)
        if name == "Pledged"
    ]
    answer = client.get(f"{API}/exports/tables/pledged")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="pledged.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    got = [
        (r["tx_hash"], int(r["log_index"]), r["donor"], r["token"], r["amount"], r["usd_value"]) for r in rows
    ]
    assert got == expected
    answer = client.get(f"{API}/exports/tables/pledged", params={"format": "json"})
    assert answer.headers["content-type"] == "application/json"
    items = answer.json()
    assert [
        (i["tx_hash"], i["log_index"], i["donor"], i["token"], i["amount"], i["usd_value"]) for i in items
    ] == (expected)
    assert all(isinstance(i["amount"], str) and isinstance(i["block_number"], int) for i in items)


@pytest.mark.parametrize("table", list(ExportTable))
def test_each_table_exports_every_row_in_both_formats(
    indexed: Indexed, client: TestClient, table: ExportTable
) -> None:
    sql_table = Base.metadata.tables[table.value]
    with indexed.engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(sql_table)).scalar_one()
    columns = [c.name for c in exports.export_columns(sql_table)]
    as_csv = client.get(f"{API}/exports/tables/{table.value}")
    assert as_csv.status_code == 200, as_csv.text
    reader = csv.reader(io.StringIO(as_csv.text))
    assert next(reader) == columns
    assert len(list(reader)) == count
    as_json = client.get(f"{API}/exports/tables/{table.value}", params={"format": "json"}).json()
    assert len(as_json) == count
    assert all(list(item) == columns for item in as_json)


def test_document_bytes_are_not_in_the_table_export(client: TestClient) -> None:
    header = client.get(f"{API}/exports/tables/documents").text.splitlines()[0].split(",")
    assert "sha256" in header
    assert "content" not in header


def test_exports_are_streamed_in_chunks(
    indexed: Indexed, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "BATCH_ROWS", 4)
    for fmt in ("csv", "json"):
        with client.stream("GET", f"{API}/exports/tables/pledged", params={"format": fmt}) as answer:
            chunks = [c for c in answer.iter_text() if c]
        body = "".join(chunks)
        rows = len(json.loads(body)) if fmt == "json" else len(body.splitlines()) - 1
        assert rows > 8
        assert len(chunks) >= rows // 4, fmt


def test_unknown_table_or_format_is_422(client: TestClient) -> None:
    for path, params in (("tables/api_keys", {}), ("tables/pledged", {"format": "xml"})):
        answer = client.get(f"{API}/exports/{path}", params=params)
        assert answer.status_code == 422
        assert answer.json()["detail"]
