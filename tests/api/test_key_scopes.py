"""API key scopes through HTTP on SQLite and PostgreSQL: a key for campaign 1 writes campaign 1's records
and nothing of campaign 2's, however deep the record (an order's shipment's delivery's distribution, a
document attached to the order), cannot redirect a supplier's wallet that other campaigns pay, and a scoped
auditor reads only its campaigns' exports and history. Every refusal is a 403 that writes nothing; the same
request with a key for all campaigns succeeds, so the refusal is the scope's doing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_utils.address import to_checksum_address
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert

from ledger.db.models import Disbursed, SupplierApproved
from tests.api.support import API, api_client
from tests.records.support import USDT, mirror_campaign, mirror_cursor
from tests.support.records import api_key as new_key
from tests.support.records import (
    created,
    delivery_body,
    distribution_body,
    items,
    line_body,
    order_body,
    shipment_body,
    upload,
)
from tests.support.records import record_counts as counts

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"  # the ledger of tests.records.support

MASKS = line_body(quantity=1_000)


def wallet(n: int) -> str:
    return to_checksum_address(f"0x{n:040x}")


def small_order(campaign: int, supplier_id: int, reference: str) -> dict[str, Any]:
    return order_body(
        supplier_id, campaign_id=campaign, reference=reference, payment_amount="1", lines=[MASKS]
    )


def ok(response: Any) -> dict[str, Any]:
    return created(response, status=(200, 201))


def chain_event(model: type[Any], campaign_id: int, log_index: int, **values: Any) -> Any:
    """A mirror row as the indexer writes it."""
    return insert(model).values(
        chain_id=31337,
        contract=CONTRACT,
        block_number=2,
        block_hash="0x" + "33" * 32,
        block_timestamp=1_600_000_100,
        tx_hash="0x" + f"{campaign_id:02x}{log_index:062x}",
        tx_index=0,
        log_index=log_index,
        campaign_id=campaign_id,
        **values,
    )


def paid_by_campaign_2(log_index: int, supplier: str, ref: str) -> Any:
    """A payment of campaign 2 to ``supplier`` (order reference and invoice hash: ``ref`` repeated)."""
    hashed = "0x" + ref * 32
    values = {"token": USDT, "amount": 1, "purchase_order_ref": hashed, "invoice_hash": hashed}
    return chain_event(Disbursed, 2, log_index, supplier=supplier, **values)


@dataclass
class Trail:
    """One campaign's procurement trail, written with a key for all campaigns."""

    supplier: dict[str, Any]
    order: dict[str, Any]
    invoice: dict[str, Any]
    shipment: dict[str, Any]
    delivery: dict[str, Any]
    distribution: dict[str, Any]

    @property
    def line(self) -> int:
        return int(self.order["lines"][0]["id"])


def write_trail(client: TestClient, admin: dict[str, str], campaign: int) -> Trail:
    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        return ok(client.post(f"{API}/{path}", headers=admin, json=body))

    supplier = post(
        "suppliers", {"name": f"Supplier of {campaign}", "country": "CN", "wallet": wallet(campaign)}
    )
    order = post(
        "orders",
        order_body(
            supplier["id"],
            campaign_id=campaign,
            reference=f"PO-{campaign}",
            payment_amount="400000000",
            lines=[MASKS],
        ),
    )
    line = order["lines"][0]["id"]
    invoice = ok(upload(client, admin, f"invoice {campaign}".encode(), kind="invoice", order_id=order["id"]))
    shipment = post("shipments", shipment_body(order["id"], items(line, 600)))
    delivery = post("deliveries", delivery_body(shipment["id"], items(line, 300)))
    distribution = post("distributions", distribution_body(delivery["id"], line, 100))
    return Trail(supplier, order, invoice, shipment, delivery, distribution)


@dataclass
class Scene:
    client: TestClient
    engine: Engine
    admin: dict[str, str]
    desk: dict[str, str]  # a manager key for campaign 1 only
    c1: Trail
    c2: Trail


@pytest.fixture
def scene(engine: Engine) -> Iterator[Scene]:
    mirror_campaign(engine, 1)
    mirror_campaign(engine, 2)
    mirror_cursor(engine, 5)  # indexed up to block 5, so the reconciliation has a position
    admin = new_key(engine, "manager", "head-office")
    desk = new_key(engine, "manager", "desk-1", (1,))
    with api_client(engine) as client:
        yield Scene(client, engine, admin, desk, write_trail(client, admin, 1), write_trail(client, admin, 2))


#: Writes that touch campaign 2 (directly, through a parent, or through a shared record campaign 2 uses).
Write = Callable[[Scene, dict[str, str]], Any]
CAMPAIGN_2_WRITES: dict[str, Write] = {
    "create an order": lambda sc, key: sc.client.post(
        f"{API}/orders",
        headers=key,
        json=small_order(2, sc.c1.supplier["id"], "PO-2-B"),
    ),
    "edit an order": lambda sc, key: sc.client.patch(
        f"{API}/orders/{sc.c2.order['id']}", headers=key, json={"version": 1, "notes": "moved"}
    ),
    "edit an order's lines": lambda sc, key: sc.client.patch(
        f"{API}/orders/{sc.c2.order['id']}",
        headers=key,
        json={"version": 1, "lines": [{**MASKS, "line_no": 1, "quantity": 5_000}]},
    ),
    "attach a document to an order": lambda sc, key: upload(
        sc.client, key, b"forged invoice", kind="invoice", order_id=sc.c2.order["id"]
    ),
    "create a shipment of an order": lambda sc, key: sc.client.post(
        f"{API}/shipments", headers=key, json=shipment_body(sc.c2.order["id"], items(sc.c2.line, 100))
    ),
    "edit a shipment": lambda sc, key: sc.client.patch(
        f"{API}/shipments/{sc.c2.shipment['id']}", headers=key, json={"version": 1, "carrier": "other"}
    ),
    "create a delivery of a shipment": lambda sc, key: sc.client.post(
        f"{API}/deliveries", headers=key, json=delivery_body(sc.c2.shipment["id"], items(sc.c2.line, 100))
    ),
    "edit a delivery": lambda sc, key: sc.client.patch(
        f"{API}/deliveries/{sc.c2.delivery['id']}", headers=key, json={"version": 1, "place": "Accra"}
    ),
    "create a distribution of a delivery": lambda sc, key: sc.client.post(
        f"{API}/distributions", headers=key, json=distribution_body(sc.c2.delivery["id"], sc.c2.line, 50)
    ),
    "edit a distribution": lambda sc, key: sc.client.patch(
        f"{API}/distributions/{sc.c2.distribution['id']}", headers=key, json={"version": 1, "quantity": 200}
    ),
    "use another campaign's invoice as a shipment's document": lambda sc, key: sc.client.patch(
        f"{API}/shipments/{sc.c1.shipment['id']}",
        headers=key,
        json={"version": 1, "document_id": sc.c2.invoice["id"]},
    ),
    "change the wallet of a supplier campaign 2 orders from": lambda sc, key: sc.client.patch(
        f"{API}/suppliers/{sc.c2.supplier['id']}", headers=key, json={"version": 1, "wallet": wallet(0xBAD)}
    ),
    "name a token": lambda sc, key: sc.client.post(
        f"{API}/tokens", headers=key, json={"address": USDT, "symbol": "USDT"}
    ),
    "set a reference price": lambda sc, key: sc.client.post(
        f"{API}/reference-prices",
        headers=key,
        json={"item": "surgical mask", "unit": "piece", "currency": "USD", "unit_price": "0.10"},
    ),
}


@pytest.mark.parametrize("write", list(CAMPAIGN_2_WRITES))
def test_a_campaign_1_key_cannot_write_campaign_2_records_but_a_global_key_can(
    scene: Scene, write: str
) -> None:
    before = counts(scene.engine)
    refused = CAMPAIGN_2_WRITES[write](scene, scene.desk)
    assert refused.status_code == 403, refused.text
    assert "'desk-1' is limited to campaign 1" in refused.json()["detail"]
    assert counts(scene.engine) == before
    ok(CAMPAIGN_2_WRITES[write](scene, scene.admin))


def test_a_campaign_1_key_writes_its_own_campaign_at_every_depth(scene: Scene) -> None:
    client, desk, c1 = scene.client, scene.desk, scene.c1
    order = ok(
        client.patch(f"{API}/orders/{c1.order['id']}", headers=desk, json={"version": 1, "notes": "ok"})
    )
    assert order["updated_by"] == "desk-1"
    ok(upload(client, desk, b"second invoice", kind="invoice", order_id=c1.order["id"]))
    certificate = ok(upload(client, desk, b"hand-over certificate", kind="handover_certificate"))
    shipment = ok(
        client.post(
            f"{API}/shipments",
            headers=desk,
            json=shipment_body(c1.order["id"], items(c1.line, 400), document_id=c1.invoice["id"]),
        )
    )
    delivery = ok(
        client.post(
            f"{API}/deliveries",
            headers=desk,
            json=delivery_body(shipment["id"], items(c1.line, 400), document_id=certificate["id"]),
        )
    )
    ok(
        client.post(
            f"{API}/distributions",
            headers=desk,
            json=distribution_body(delivery["id"], c1.line, 400),
        )
    )
    ok(
        client.patch(
            f"{API}/distributions/{c1.distribution['id']}", headers=desk, json={"version": 1, "quantity": 5}
        )
    )
    # Campaign 1 alone orders from its supplier: the desk may maintain it, wallet included.
    supplier = ok(
        client.patch(
            f"{API}/suppliers/{c1.supplier['id']}", headers=desk, json={"version": 1, "wallet": wallet(0x111)}
        )
    )
    assert supplier["wallet"] == wallet(0x111)


def test_a_supplier_is_changed_only_by_keys_for_every_campaign_that_uses_it(scene: Scene) -> None:
    client, engine, c1 = scene.client, scene.engine, scene.c1
    both = new_key(engine, "manager", "desk-1-2", (1, 2))
    # Campaign 2 now orders from campaign 1's supplier too.
    ok(
        client.post(
            f"{API}/orders",
            headers=scene.admin,
            json=small_order(2, c1.supplier["id"], "PO-2-SHARED"),
        )
    )
    path = f"{API}/suppliers/{c1.supplier['id']}"
    refused = client.patch(path, headers=scene.desk, json={"version": 1, "wallet": wallet(0xBAD)})
    assert refused.status_code == 403
    assert "concerns campaign(s) 2" in refused.json()["detail"]
    ok(client.patch(path, headers=both, json={"version": 1, "notes": "checked by both desks"}))

    # A supplier no campaign uses yet: whoever orders from it next trusts its wallet, so only a global key.
    fresh = ok(
        client.post(
            f"{API}/suppliers",
            headers=scene.desk,
            json={"name": "New", "country": "GH", "wallet": wallet(0x222)},
        )
    )
    unused = client.patch(
        f"{API}/suppliers/{fresh['id']}", headers=both, json={"version": 1, "wallet": wallet(0xBAD)}
    )
    assert unused.status_code == 403
    assert "used by no campaign yet" in unused.json()["detail"]
    ok(
        client.patch(
            f"{API}/suppliers/{fresh['id']}", headers=scene.admin, json={"version": 1, "name": "New Co"}
        )
    )

    # Wallets that campaign 2 approved or paid on chain are campaign 2's concern too.
    with engine.begin() as conn:
        conn.execute(
            chain_event(
                SupplierApproved,
                2,
                10,
                supplier=wallet(0x333),
                record_hash="0x" + "44" * 32,
                effective_at=1_600_000_100,
            )
        )
        conn.execute(paid_by_campaign_2(11, wallet(0x444), "55"))
    before = counts(engine)
    approved = {"name": "Claims an approved wallet", "country": "CN", "wallet": wallet(0x333)}
    claimed = client.post(f"{API}/suppliers", headers=scene.desk, json=approved)
    assert claimed.status_code == 403
    assert f"wallet {wallet(0x333)} (approved or paid on chain) concerns campaign(s) 2" in claimed.text
    # A supplier only campaign 1 uses: the desk may move its wallet, but not onto one campaign 2 paid.
    third = ok(
        client.post(
            f"{API}/suppliers",
            headers=scene.admin,
            json={"name": "Third", "country": "NG", "wallet": wallet(0x3)},
        )
    )
    ok(
        client.post(
            f"{API}/orders",
            headers=scene.desk,
            json=small_order(1, third["id"], "PO-1-THIRD"),
        )
    )
    before = counts(engine)
    path = f"{API}/suppliers/{third['id']}"
    onto_paid = client.patch(path, headers=scene.desk, json={"version": 1, "wallet": wallet(0x444)})
    assert onto_paid.status_code == 403
    assert "concerns campaign(s) 2" in onto_paid.json()["detail"]
    assert counts(engine) == before
    assert (
        ok(client.patch(path, headers=scene.desk, json={"version": 1, "wallet": wallet(0x666)}))["version"]
        == 2
    )
    # Once campaign 2 has paid the wallet on chain, it is campaign 2's concern too.
    with engine.begin() as conn:
        conn.execute(paid_by_campaign_2(12, wallet(0x666), "77"))
    assert client.patch(path, headers=scene.desk, json={"version": 2, "notes": "x"}).status_code == 403
    ok(client.patch(path, headers=both, json={"version": 2, "notes": "x"}))
    ok(client.post(f"{API}/suppliers", headers=scene.admin, json=approved))


def test_a_scoped_auditor_reads_only_its_campaigns_exports_and_history(scene: Scene) -> None:
    client, engine, c1, c2 = scene.client, scene.engine, scene.c1, scene.c2
    auditor_1 = new_key(engine, "auditor", "auditor-1", (1,))
    auditor_all = new_key(engine, "auditor", "auditor-all")
    refused = [
        f"{API}/exports/campaigns/2/reconciliation?chain_id=31337",
        f"{API}/exports/campaigns/2/reconciliation?chain_id=31337&format=json",
        f"{API}/history/order/{c2.order['id']}",
        f"{API}/history/shipment/{c2.shipment['id']}",
        f"{API}/history/delivery/{c2.delivery['id']}",
        f"{API}/history/distribution/{c2.distribution['id']}",
        f"{API}/history/document/{c2.invoice['id']}",
        f"{API}/exports/tables/purchase_orders",
        f"{API}/exports/tables/record_versions",
    ]
    allowed = [
        f"{API}/exports/campaigns/1/reconciliation?chain_id=31337",
        f"{API}/history/order/{c1.order['id']}",
        f"{API}/history/distribution/{c1.distribution['id']}",
        f"{API}/history/document/{c1.invoice['id']}",
        f"{API}/history/supplier/{c2.supplier['id']}",  # suppliers are shared by every campaign
    ]
    for path in refused:
        answer = client.get(path, headers=auditor_1)
        assert answer.status_code == 403, (path, answer.text)
        assert "'auditor-1' is limited to campaign 1" in answer.json()["detail"]
        assert client.get(path, headers=auditor_all).status_code == 200, path
    for path in allowed:
        assert client.get(path, headers=auditor_1).status_code == 200, path
    # The scoped manager key reads under the same scope.
    assert client.get(f"{API}/history/order/{c2.order['id']}", headers=scene.desk).status_code == 403
    exported = client.get(
        f"{API}/exports/campaigns/1/reconciliation?chain_id=31337&format=json", headers=auditor_1
    )
    assert exported.json()["campaign"]["campaign_id"] == 1
