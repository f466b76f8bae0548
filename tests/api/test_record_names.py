"""Names in the records, over HTTP on SQLite and PostgreSQL: every name field (supplier, item, unit,
shipment reference, carrier, origin, destination, consignee, place, recipient, token symbol and name) is
stored in NFC and refuses control, bidirectional and zero-width characters with a 422 naming the field
and the code point, writing nothing; a supplier's wallet is never the zero address (ETH's token address
stays the zero address)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ledger.db.records import Supplier
from ledger.keys import create_key
from tests.api.support import API, TestClient, api_client
from tests.records.support import ETH, USDT, WALLET, mirror_campaign
from tests.support.records import created, distribution_body, line_body, order_body
from tests.support.records import delivery_body as delivery
from tests.support.records import record_counts as stored
from tests.support.records import shipment_body as shipment

ZERO = "0x0000000000000000000000000000000000000000"
OTHER_WALLET = "0x5FbDB2315678afecb367f032d93F642f64180aa3"

#: Every character the brief of names refuses: controls (C0, DEL, C1), bidirectional marks, embeddings,
#: overrides and isolates, and zero-width characters.
FORBIDDEN = [
    "\x00",
    "\x07",
    "\n",
    "\x1b",
    "\x7f",
    "\x85",
    "\u061c",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
]


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    """A manager's client on a campaign accepting ETH and USDT."""
    mirror_campaign(engine)
    with Session(engine) as s, s.begin():
        _, manager = create_key(s, name=f"manager-{uuid.uuid4().hex[:6]}", role="manager")
    with api_client(engine) as http:
        http.headers["X-API-Key"] = manager
        yield http


def supplier(name: str = "Mask Maker Co.", wallet: str = WALLET) -> dict[str, Any]:
    return {"name": name, "country": "CN", "wallet": wallet}


def trail(client: TestClient) -> dict[str, int]:
    """A supplier, an order of masks, its shipment and delivery: the records the others refer to."""
    supplier_id = created(client.post(f"{API}/suppliers", json=supplier()))["id"]
    order_json = order_body(supplier_id, payment_amount="100000000", lines=[line()])
    order = created(client.post(f"{API}/orders", json=order_json))
    line_id = order["lines"][0]["id"]
    shipped = [{"order_line_id": line_id, "quantity": 500}]
    shipment_id = created(client.post(f"{API}/shipments", json=shipment(order["id"], shipped)))["id"]
    delivered = [{"order_line_id": line_id, "quantity": 400}]
    delivery_id = created(client.post(f"{API}/deliveries", json=delivery(shipment_id, delivered)))["id"]
    return {"supplier": supplier_id, "order": order["id"], "line": line_id, "delivery": delivery_id}


def line(**changes: Any) -> dict[str, Any]:
    return line_body(quantity=1000, unit_price="0.1", **changes)


#: An order of the campaign beside the trail's, paid in ETH.
SECOND_ORDER = {"reference": "WAHO-PO-0002", "payment_token": ETH, "payment_amount": "1"}
#: (where to POST, the body with ``value`` in the field, the field's location in the 422) per name field.
Write = Callable[[dict[str, int], str], dict[str, Any]]
NAME_FIELDS: dict[str, tuple[str, Write, str]] = {
    "supplier name": ("suppliers", lambda ids, v: supplier(name=v, wallet=OTHER_WALLET), "name"),
    "reference item": (
        "reference-prices",
        lambda ids, v: {"item": v, "unit": "piece", "currency": "USD", "unit_price": "0.1"},
        "item",
    ),
    "reference unit": (
        "reference-prices",
        lambda ids, v: {"item": "mask", "unit": v, "currency": "USD", "unit_price": "0.1"},
        "unit",
    ),
    "order line item": (
        "orders",
        lambda ids, v: order_body(ids["supplier"], **SECOND_ORDER, lines=[line(item=v)]),
        "lines.0.item",
    ),
    "order line unit": (
        "orders",
        lambda ids, v: order_body(ids["supplier"], **SECOND_ORDER, lines=[line(unit=v)]),
        "lines.0.unit",
    ),
    **{
        f"shipment {field}": (
            "shipments",
            lambda ids, v, field=field: shipment(
                ids["order"], [{"order_line_id": ids["line"], "quantity": 1}], **{field: v}
            ),
            field,
        )
        for field in ("reference", "carrier", "origin", "destination")
    },
    **{
        f"delivery {field}": (
            "deliveries",
            lambda ids, v, field=field: delivery(
                1, [{"order_line_id": ids["line"], "quantity": 1}], **{field: v}
            ),
            field,
        )
        for field in ("consignee", "place")
    },
    "distribution recipient": (
        "distributions",
        lambda ids, v: distribution_body(ids["delivery"], ids["line"], 10, recipient=v),
        "recipient",
    ),
    "token symbol": ("tokens", lambda ids, v: {"address": ETH, "symbol": v}, "symbol"),
    "token name": ("tokens", lambda ids, v: {"address": ETH, "symbol": "ETH", "name": v}, "name"),
}


def assert_refused(answer: Any, field: str, char: str) -> None:
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert f"body.{field}: " in detail
    assert f"U+{ord(char):04X}" in detail


@pytest.mark.parametrize("char", FORBIDDEN, ids=lambda c: f"U+{ord(c):04X}")
def test_a_supplier_name_with_an_invisible_character_is_refused(
    client: TestClient, engine: Engine, char: str
) -> None:
    before = stored(engine)
    answer = client.post(f"{API}/suppliers", json=supplier(name=f"Mask{char}Maker Co."))
    assert_refused(answer, "name", char)
    assert stored(engine) == before


@pytest.mark.parametrize(
    ("case", "char"),
    [(case, FORBIDDEN[i * 5 % len(FORBIDDEN)]) for i, case in enumerate(NAME_FIELDS)],
    ids=lambda v: v if len(v) > 1 else f"U+{ord(v):04X}",
)
def test_every_name_field_refuses_them_and_writes_nothing(
    client: TestClient, engine: Engine, case: str, char: str
) -> None:
    path, body, field = NAME_FIELDS[case]
    ids = trail(client)
    clean = "USDC" if field == "symbol" else "Cafe\u0301"
    before = stored(engine)
    answer = client.post(f"{API}/{path}", json=body(ids, clean[:2] + char + clean[2:]))
    assert_refused(answer, field, char)
    assert stored(engine) == before
    # The same write with a clean name is accepted: the character alone was refused.
    assert client.post(f"{API}/{path}", json=body(ids, clean)).status_code == 201


@pytest.mark.parametrize(
    ("path", "field", "value"),
    [
        ("suppliers", "name", "Mask\u202eoC rekaM"),
        ("shipments", "carrier", "Air\u200bFreight"),
        ("deliveries", "consignee", "WAHO\u2066"),
        ("deliveries", "place", "Abuja\x00"),
        ("distributions", "recipient", "\ufeffBenin"),
        ("tokens", "symbol", "US\u200dDT"),
        ("tokens", "name", "Tether\u061c USD"),
    ],
)
def test_an_edit_with_an_invisible_character_is_refused_and_changes_nothing(
    client: TestClient, engine: Engine, path: str, field: str, value: str
) -> None:
    ids = trail(client)
    created(client.post(f"{API}/distributions", json=distribution_body(ids["delivery"], ids["line"], 10)))
    created(client.post(f"{API}/tokens", json={"address": USDT, "symbol": "USDT", "name": "Tether USD"}))
    record = client.get(f"{API}/{path}/1").json()
    before = stored(engine)
    answer = client.patch(f"{API}/{path}/1", json={"version": record["version"], field: value})
    char = next(c for c in value if not c.isalnum() and c != " ")
    assert_refused(answer, field, char)
    assert stored(engine) == before
    assert client.get(f"{API}/{path}/1").json() == record


def test_a_name_is_stored_in_nfc(client: TestClient, engine: Engine) -> None:
    answer = created(client.post(f"{API}/suppliers", json=supplier(name="Cafe\u0301 Masks")))
    assert answer["name"] == "Caf\u00e9 Masks"
    assert client.get(f"{API}/suppliers/{answer['id']}").json()["name"] == "Café Masks"
    with engine.connect() as conn:
        assert conn.scalar(select(Supplier.name)) == "Caf\u00e9 Masks"
    edited = client.patch(
        f"{API}/suppliers/{answer['id']}", json={"version": 1, "name": "  Cafe\u0301 Ma\u0301sks "}
    )
    assert edited.json()["name"] == "Café Másks"
    history = client.get(f"{API}/history/supplier/{answer['id']}").json()["data"]
    assert [v["after"]["name"] for v in history] == ["Café Masks", "Café Másks"]


def test_the_zero_address_is_not_a_wallet(client: TestClient, engine: Engine) -> None:
    answer = client.post(f"{API}/suppliers", json=supplier(wallet=ZERO))
    assert answer.status_code == 422, answer.text
    assert "body.wallet: " in answer.json()["detail"] and "zero address" in answer.json()["detail"]
    assert stored(engine)["suppliers"] == 0
    supplier_id = created(client.post(f"{API}/suppliers", json=supplier()))["id"]
    before = stored(engine)
    edit = client.patch(f"{API}/suppliers/{supplier_id}", json={"version": 1, "wallet": ZERO})
    assert edit.status_code == 422 and "zero address" in edit.json()["detail"]
    assert stored(engine) == before
    assert client.get(f"{API}/suppliers/{supplier_id}").json()["wallet"] == WALLET


def test_the_zero_address_still_stands_for_eth_as_a_token(client: TestClient) -> None:
    token = created(client.post(f"{API}/tokens", json={"address": ZERO, "symbol": "ETH", "name": "Ether"}))
    assert token["address"] == ETH == ZERO
    supplier_id = created(client.post(f"{API}/suppliers", json=supplier()))["id"]
    order = created(
        client.post(
            f"{API}/orders",
            json=order_body(
                supplier_id, reference="WAHO-PO-ETH", payment_token=ZERO, payment_amount="10", lines=[line()]
            ),
        )
    )
    assert order["payment_token"] == ZERO
