"""Off-chain records through HTTP on SQLite and PostgreSQL: the procurement trail written by a manager,
bad input refused with a 4xx that says why and nothing half-written, versions and history, auth."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.main import create_app
from api.routes.records_history import RecordType
from ledger.db.records import Document, OrderLine, PurchaseOrder, RecordVersion, Supplier, Token
from ledger.keys import revoke_key
from ledger.records.service import HISTORY_TYPES
from ledger.settings import Settings
from tests.records.support import ETH, USDT, WALLET, mirror_campaign
from tests.support.records import (
    MASKS,
    created,
    delivery_body,
    distribution_body,
    order_body,
    row_counts,
    shipment_body,
    supplier_body,
    upload,
)
from tests.support.records import api_key as key
from tests.support.records import items as shipped


@pytest.fixture
def client(engine: Engine, database_url: str) -> Iterator[TestClient]:
    mirror_campaign(engine)
    settings = Settings(database_url=database_url, rpc_url=None, document_max_bytes=1024 * 1024)
    with TestClient(create_app(settings, engine=engine), raise_server_exceptions=False) as http:
        yield http


@pytest.fixture
def manager(engine: Engine) -> dict[str, str]:
    return key(engine, "manager")


def rows(engine: Engine, model: Any) -> int:
    return row_counts(engine, [model])[model.__tablename__]


def test_a_manager_records_the_whole_procurement_trail(client: TestClient, manager: dict[str, str]) -> None:
    supplier = created(client.post("/api/v1/suppliers", json=supplier_body(), headers=manager))
    order = created(client.post("/api/v1/orders", json=order_body(supplier["id"]), headers=manager))
    assert order["order_ref"] == "0x" + b"WAHO-PO-0001".ljust(32, b"\0").hex()
    assert order["payment_amount"] == "100000000000"
    assert order["lines"][0]["value"] == "100000"
    assert order["lines"][0]["unit_price"] == "0.4"
    line_id = order["lines"][0]["id"]

    invoice = created(
        upload(
            client,
            manager,
            b"%PDF invoice",
            kind="invoice",
            order_id=order["id"],
            amount="100000",
            currency="USD",
        )
    )
    assert invoice["onchain_hash"] == "0x" + hashlib.sha256(b"%PDF invoice").hexdigest()
    download = client.get(invoice["content_url"])
    assert download.content == b"%PDF invoice"
    assert download.headers["x-content-sha256"] == invoice["sha256"]

    items = shipped(line_id, 250_000)
    shipment_json = shipment_body(order["id"], items, carrier="freight aircraft")
    shipment = created(client.post("/api/v1/shipments", headers=manager, json=shipment_json))
    certificate = created(upload(client, manager, b"hand-over certificate", kind="handover_certificate"))
    delivery_json = delivery_body(
        shipment["id"], items, place="Abuja, Nigeria", document_id=certificate["id"]
    )
    delivery = created(client.post("/api/v1/deliveries", headers=manager, json=delivery_json))
    for state in ("Benin", "Burkina Faso", "Cabo Verde"):
        distribution_json = distribution_body(delivery["id"], line_id, 16_000, recipient=state)
        created(client.post("/api/v1/distributions", headers=manager, json=distribution_json))

    listed = client.get("/api/v1/distributions", params={"delivery_id": delivery["id"], "limit": 2}).json()
    assert [d["recipient"] for d in listed["data"]] == ["Benin", "Burkina Faso"]
    rest = client.get(
        "/api/v1/distributions", params={"delivery_id": delivery["id"], "cursor": listed["next_cursor"]}
    )
    assert [d["recipient"] for d in rest.json()["data"]] == ["Cabo Verde"]
    assert client.get(f"/api/v1/orders/{order['id']}").json()["lines"][0]["quantity"] == 250_000


def test_an_edit_names_its_version_and_the_history_shows_every_change(
    client: TestClient, engine: Engine, manager: dict[str, str]
) -> None:
    supplier = created(client.post("/api/v1/suppliers", json=supplier_body(), headers=manager))
    edited = client.patch(
        f"/api/v1/suppliers/{supplier['id']}",
        json={"version": 1, "vetting_status": "suspended"},
        headers=manager,
    )
    assert edited.status_code == 200 and edited.json()["version"] == 2
    stale = client.patch(
        f"/api/v1/suppliers/{supplier['id']}", json={"version": 1, "name": "Other"}, headers=manager
    )
    assert stale.status_code == 409 and "version 2" in stale.json()["detail"]

    path = f"/api/v1/history/supplier/{supplier['id']}"
    assert client.get(path).status_code == 401
    history = client.get(path, headers=key(engine, "auditor")).json()["data"]
    assert [(v["version"], v["action"], v["actor"]) for v in history] == [
        (1, "create", "manager"),
        (2, "update", "manager"),
    ]
    assert history[1]["before"]["vetting_status"] == "approved"
    assert history[1]["after"]["vetting_status"] == "suspended"


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (order_body(1, lines=[{**MASKS, "quantity": -5}]), 422, "quantity"),
        (order_body(99), 422, "supplier 99 does not exist"),
        (order_body(1, payment_amount="-1"), 422, "payment_amount"),
        (order_body(1, reference="x" * 33), 422, "reference"),
        (order_body(1, campaign_id=7), 422, "campaign 7 is not on chain"),
        (order_body(1, surprise=True), 422, "surprise"),
        (order_body(1, reference="WAHO-PO-0001"), 409, "already has an order"),
    ],
)
def test_a_bad_order_is_refused_with_a_reason_and_writes_nothing(
    client: TestClient, engine: Engine, manager: dict[str, str], body: dict[str, Any], status: int, says: str
) -> None:
    created(client.post("/api/v1/suppliers", json=supplier_body(), headers=manager))
    if status == 409:
        created(client.post("/api/v1/orders", json=order_body(1), headers=manager))
    before = (rows(engine, PurchaseOrder), rows(engine, OrderLine), rows(engine, RecordVersion))
    response = client.post("/api/v1/orders", json=body, headers=manager)
    assert response.status_code == status, response.text
    assert says in response.text
    assert (rows(engine, PurchaseOrder), rows(engine, OrderLine), rows(engine, RecordVersion)) == before


def test_a_wallet_that_is_not_checksummed_is_refused(
    client: TestClient, engine: Engine, manager: dict[str, str]
) -> None:
    response = client.post("/api/v1/suppliers", json=supplier_body(wallet=WALLET.lower()), headers=manager)
    assert response.status_code == 422
    assert WALLET in response.json()["detail"]
    assert rows(engine, Supplier) == 0


def test_uploads_too_large_or_duplicate_are_refused(
    client: TestClient, engine: Engine, manager: dict[str, str]
) -> None:
    fifty_mb = b"\0" * (50 * 1024 * 1024)
    response = upload(client, manager, fifty_mb, kind="other")
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    created(upload(client, manager, b"certificate", kind="handover_certificate"))
    duplicate = upload(client, manager, b"certificate", kind="handover_certificate")
    assert duplicate.status_code == 409 and "document 1" in duplicate.json()["detail"]
    assert upload(client, manager, b"x", kind="receipt").status_code == 422
    assert rows(engine, Document) == 1


def test_writes_need_a_manager_key_and_nothing_is_written_on_refusal(
    client: TestClient, engine: Engine
) -> None:
    auditor = key(engine, "auditor")
    revoked = key(engine, "manager", name="former manager")
    with Session(engine) as s, s.begin():
        revoke_key(s, name="former manager")
    assert client.post("/api/v1/suppliers", json=supplier_body()).status_code == 401
    assert client.post("/api/v1/suppliers", json=supplier_body(), headers=auditor).status_code == 403
    assert client.post("/api/v1/suppliers", json=supplier_body(), headers=revoked).status_code == 401
    assert (
        client.post(
            "/api/v1/suppliers", json=supplier_body(), headers={"X-API-Key": "pl_nonsense"}
        ).status_code
        == 401
    )
    assert upload(client, auditor, b"doc", kind="other").status_code == 403
    assert rows(engine, Supplier) == rows(engine, Document) == rows(engine, RecordVersion) == 0


def test_unknown_records_are_404(client: TestClient, manager: dict[str, str]) -> None:
    assert client.get("/api/v1/orders/5").status_code == 404
    assert client.patch("/api/v1/shipments/5", json={"version": 1}, headers=manager).status_code == 404
    assert client.get("/api/v1/documents/5/content").status_code == 404


def test_a_token_record_names_the_token_in_the_campaign(
    client: TestClient, engine: Engine, manager: dict[str, str]
) -> None:
    detail = "/api/v1/campaigns/1?chain_id=31337"
    assert [t["symbol"] for t in client.get(detail).json()["tokens"]] == [None, None]

    body = {"address": USDT, "symbol": "USDT", "name": "Tether USD"}
    assert client.post("/api/v1/tokens", json=body).status_code == 401
    token = created(client.post("/api/v1/tokens", json=body, headers=manager))
    again = client.post("/api/v1/tokens", json={**body, "symbol": "FAKE"}, headers=manager)
    assert again.status_code == 409 and "recorded already" in again.json()["detail"]
    bad = client.post("/api/v1/tokens", json={**body, "address": ETH, "symbol": "<script>"}, headers=manager)
    assert bad.status_code == 422 and "symbol" in bad.text
    assert rows(engine, Token) == 1

    edited = client.patch(
        f"/api/v1/tokens/{token['id']}", json={"version": 1, "symbol": "USDT0"}, headers=manager
    )
    assert edited.status_code == 200 and edited.json()["version"] == 2
    assert client.get(f"/api/v1/tokens/{token['id']}").json()["symbol"] == "USDT0"
    assert [t["address"] for t in client.get("/api/v1/tokens", params={"address": USDT}).json()["data"]] == [
        USDT
    ]
    assert client.get("/api/v1/tokens", params={"address": ETH}).json()["data"] == []
    assert client.get("/api/v1/tokens", params={"address": USDT.lower()}).status_code == 422
    history = client.get(f"/api/v1/history/token/{token['id']}", headers=manager).json()["data"]
    assert [v["after"]["symbol"] for v in history] == ["USDT", "USDT0"]

    tokens = client.get(detail).json()["tokens"]
    assert [(t["token"], t["symbol"]) for t in tokens] == [(ETH, None), (USDT, "USDT0")]


def test_the_history_route_accepts_every_record_type_with_a_history() -> None:
    assert sorted(get_args(RecordType)) == sorted(HISTORY_TYPES)
