"""The records API as tests call it: a valid body per kind of record (any field changed by keyword), the
upload of a document, a key's headers, the check of a created record, and row counts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ledger.db import records
from ledger.keys import create_key

API = "/api/v1"
USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
ETH = "0x0000000000000000000000000000000000000000"
WALLET = "0x00000000219ab540356cBB839Cbe05303d7705Fa"

#: Every table of the records, their history included.
RECORD_TABLES = (
    records.Supplier,
    records.ReferencePrice,
    records.PurchaseOrder,
    records.OrderLine,
    records.Document,
    records.Shipment,
    records.ShipmentItem,
    records.Delivery,
    records.DeliveryItem,
    records.Distribution,
    records.Token,
    records.RecordVersion,
)

#: An order line of surgical masks.
MASKS = {
    "item": "surgical mask",
    "quantity": 250_000,
    "unit": "piece",
    "unit_price": "0.40",
    "currency": "USD",
}


def line_body(**changes: Any) -> dict[str, Any]:
    return {**MASKS, **changes}


def supplier_body(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Mask Maker Co.",
        "country": "CN",
        "wallet": WALLET,
        "vetting_status": "approved",
        **changes,
    }


def order_body(supplier_id: int, **changes: Any) -> dict[str, Any]:
    return {
        "campaign_id": 1,
        "supplier_id": supplier_id,
        "reference": "WAHO-PO-0001",
        "payment_token": USDT,
        "payment_amount": "100000000000",
        "issued_on": "2020-05-04",
        "lines": [MASKS],
        **changes,
    }


def items(line_id: int, quantity: int) -> list[dict[str, int]]:
    """A shipment's or delivery's items: ``quantity`` of one order line."""
    return [{"order_line_id": line_id, "quantity": quantity}]


#: The fields of a shipment, a delivery and a distribution besides what they refer to and carry.
SHIPMENT = {"origin": "Beijing", "destination": "Abuja", "shipped_on": "2020-05-20"}
DELIVERY = {"consignee": "WAHO", "place": "Abuja", "delivered_on": "2020-05-25"}
DISTRIBUTION = {"recipient": "Benin", "distributed_on": "2020-06-01"}


def shipment_body(order_id: int, shipped: list[dict[str, int]], **changes: Any) -> dict[str, Any]:
    return {"order_id": order_id, **SHIPMENT, "items": shipped, **changes}


def delivery_body(shipment_id: int, delivered: list[dict[str, int]], **changes: Any) -> dict[str, Any]:
    return {"shipment_id": shipment_id, **DELIVERY, "items": delivered, **changes}


def distribution_body(delivery_id: int, line_id: int, quantity: int, **changes: Any) -> dict[str, Any]:
    return {
        "delivery_id": delivery_id,
        "order_line_id": line_id,
        **DISTRIBUTION,
        "quantity": quantity,
        **changes,
    }


def created(response: Any, *, status: Iterable[int] = (201,)) -> dict[str, Any]:
    """The body of a write that succeeded with one of ``status``."""
    assert response.status_code in status, response.text
    body: dict[str, Any] = response.json()
    return body


def upload(
    client: TestClient,
    headers: dict[str, str],
    content: bytes,
    *,
    filename: str = "invoice.pdf",
    **form: Any,
) -> Any:
    """POST a PDF as a document with the ``form`` fields."""
    return client.post(
        f"{API}/documents",
        headers=headers,
        files={"file": (filename, content, "application/pdf")},
        data={k: str(v) for k, v in form.items()},
    )


def api_key(
    engine: Engine, role: str, name: str | None = None, campaigns: tuple[int, ...] = ()
) -> dict[str, str]:
    """The headers of a new key with ``role`` (named after it unless ``name``) for ``campaigns`` (all)."""
    with Session(engine) as s, s.begin():
        _, plaintext = create_key(s, name=name or role, role=role, campaigns=campaigns)
    return {"X-API-Key": plaintext}


def row_counts(engine: Engine, models: Iterable[Any]) -> dict[str, int]:
    """How many rows each table of ``models`` holds, by table name."""
    with engine.connect() as conn:
        return {m.__tablename__: int(conn.scalar(select(func.count()).select_from(m)) or 0) for m in models}


def record_counts(engine: Engine) -> dict[str, int]:
    """How many rows each of :data:`RECORD_TABLES` holds: what a refused write must leave unchanged."""
    return row_counts(engine, RECORD_TABLES)
