"""Record writes on SQLite and PostgreSQL: validation, nothing half-written, versions, chain of custody."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ledger.db.records import Document, OrderLine, PurchaseOrder, RecordVersion, Shipment, Supplier
from ledger.db.session import write_session
from ledger.errors import DocumentTooLargeError, InvalidRecordError, RecordConflictError, RecordNotFoundError
from ledger.records import service
from ledger.records.schemas import (
    DocumentMeta,
    OrderUpdate,
    SupplierUpdate,
)
from tests.records.support import (
    ETH,
    WALLET,
    delivery_input,
    distribution_input,
    mirror_campaign,
    order_input,
    shipment_input,
    stored_order,
    supplier_input,
)


def count(engine: Engine, model: Any) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


def test_a_wallet_that_is_not_checksummed_is_refused_with_the_checksummed_form() -> None:
    with pytest.raises(ValidationError, match="checksummed") as info:
        supplier_input(wallet=WALLET.lower())
    assert WALLET in str(info.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quantity", -5),
        ("quantity", 0),
        ("unit_price", "-0.01"),
        ("unit_price", "0.123456789"),
        ("currency", "us"),
    ],
)
def test_an_order_line_with_a_bad_value_is_refused(field: str, value: Any) -> None:
    line = {
        "item": "mask",
        "quantity": 1,
        "unit": "piece",
        "unit_price": "0.4",
        "currency": "USD",
        field: value,
    }
    with pytest.raises(ValidationError, match=field):
        order_input(1, lines=[line])


def test_an_order_from_an_unknown_supplier_writes_nothing(engine: Engine) -> None:
    mirror_campaign(engine)
    with pytest.raises(InvalidRecordError, match="supplier 42 does not exist"), write_session(engine) as s:
        service.create_order(s, data=order_input(42), actor="test")
    assert count(engine, PurchaseOrder) == count(engine, OrderLine) == count(engine, RecordVersion) == 0


def test_an_order_must_be_for_a_campaign_on_chain_and_paid_in_a_token_it_accepts(engine: Engine) -> None:
    mirror_campaign(engine, tokens=(ETH,))
    with write_session(engine) as s:
        supplier_id = service.create_supplier(s, data=supplier_input(), actor="test").id
    with pytest.raises(InvalidRecordError, match="campaign 9 is not on chain"), write_session(engine) as s:
        service.create_order(s, data=order_input(supplier_id, campaign_id=9), actor="test")
    with pytest.raises(InvalidRecordError, match="does not accept token"), write_session(engine) as s:
        service.create_order(s, data=order_input(supplier_id), actor="test")
    assert count(engine, PurchaseOrder) == 0


def test_duplicates_are_conflicts(engine: Engine) -> None:
    order_id, _ = stored_order(engine)
    with pytest.raises(RecordConflictError, match="already belongs"), write_session(engine) as s:
        service.create_supplier(s, data=supplier_input(name="Other"), actor="test")
    with pytest.raises(RecordConflictError, match="WAHO-PO-0001"), write_session(engine) as s:
        service.create_order(s, data=order_input(1), actor="test")
    meta = DocumentMeta(kind="invoice", order_id=order_id)
    with write_session(engine) as s:
        service.add_document(
            s, meta=meta, filename="inv.pdf", content_type="application/pdf", content=b"%PDF-1", actor="test"
        )
    with pytest.raises(RecordConflictError, match="stored already as document 1"), write_session(engine) as s:
        service.add_document(
            s, meta=meta, filename="copy.pdf", content_type="application/pdf", content=b"%PDF-1", actor="test"
        )
    assert count(engine, Document) == 1


def test_documents_are_stored_with_their_sha256_and_checked(engine: Engine) -> None:
    order_id, _ = stored_order(engine)
    with pytest.raises(DocumentTooLargeError), write_session(engine) as s:
        service.add_document(
            s,
            meta=DocumentMeta(kind="other"),
            filename="big",
            content_type="",
            content=b"x" * 11,
            actor="test",
            max_bytes=10,
        )
    with pytest.raises(InvalidRecordError, match="must name the order_id"), write_session(engine) as s:
        service.add_document(
            s, meta=DocumentMeta(kind="invoice"), filename="i", content_type="", content=b"i", actor="test"
        )
    with write_session(engine) as s:
        doc = service.add_document(
            s,
            meta=DocumentMeta(kind="invoice", order_id=order_id),
            filename="../../etc/x",
            content_type="application/pdf",
            content=b"invoice",
            actor="alice",
        )
    assert doc.sha256 == hashlib.sha256(b"invoice").hexdigest()
    assert doc.filename == "x" and doc.size == 7
    with Session(engine) as s:
        assert [v.actor for v in service.history(s, record_type="document", record_id=doc.id)] == ["alice"]


def test_an_edit_keeps_who_when_and_the_previous_values(engine: Engine) -> None:
    stored_order(engine)
    with write_session(engine) as s:
        service.update_supplier(
            s, record_id=1, changes=SupplierUpdate(version=1, name="Renamed"), actor="bob"
        )
    with Session(engine) as s:
        versions = service.history(s, record_type="supplier", record_id=1)
        assert [(v.version, v.action, v.actor) for v in versions] == [
            (1, "create", "test"),
            (2, "update", "bob"),
        ]
        assert versions[1].before is not None and versions[1].before["name"] == "Mask Maker Co."
        assert versions[1].after["name"] == "Renamed"
        assert s.get_one(Supplier, 1).version == 2


def test_an_edit_of_a_stale_version_is_refused_and_changes_nothing(engine: Engine) -> None:
    stored_order(engine)
    with write_session(engine) as s:
        service.update_supplier(s, record_id=1, changes=SupplierUpdate(version=1, notes="first"), actor="a")
    with pytest.raises(RecordConflictError, match="at version 2"), write_session(engine) as s:
        service.update_supplier(s, record_id=1, changes=SupplierUpdate(version=1, notes="second"), actor="b")
    with Session(engine) as s:
        assert s.get_one(Supplier, 1).notes == "first"
    with pytest.raises(RecordNotFoundError), write_session(engine) as s:
        service.update_supplier(s, record_id=99, changes=SupplierUpdate(version=1), actor="a")


def test_a_null_for_a_required_field_is_refused(engine: Engine) -> None:
    stored_order(engine)
    with pytest.raises(InvalidRecordError, match="name cannot be null"), write_session(engine) as s:
        service.update_supplier(s, record_id=1, changes=SupplierUpdate(version=1, name=None), actor="a")


def test_quantities_add_up_along_the_chain_of_custody(engine: Engine) -> None:
    order_id, line_id = stored_order(engine)

    def ship(quantity: int) -> Shipment:
        with write_session(engine) as s:
            return service.create_shipment(
                s,
                data=shipment_input(order_id, line_id, quantity),
                actor="test",
            )

    with pytest.raises(InvalidRecordError, match="250,000 ordered"):
        ship(250_001)
    shipment = ship(200_000)
    with pytest.raises(InvalidRecordError, match="200,000 shipped before"):
        ship(50_001)
    with write_session(engine) as s:
        delivery = service.create_delivery(
            s,
            data=delivery_input(shipment.id, line_id, 150_000),
            actor="test",
        )
    with pytest.raises(InvalidRecordError, match="carried 200,000"), write_session(engine) as s:
        service.create_delivery(
            s,
            data=delivery_input(shipment.id, line_id, 50_001, delivered_on="2020-05-26"),
            actor="test",
        )
    with pytest.raises(InvalidRecordError, match="brought 150,000"), write_session(engine) as s:
        service.create_distribution(
            s,
            data=distribution_input(delivery.id, line_id, 150_001, recipient="Ghana"),
            actor="test",
        )
    # An order line cannot shrink below what was shipped.
    line = {
        "line_no": 1,
        "item": "surgical mask",
        "quantity": 199_999,
        "unit": "piece",
        "unit_price": "0.4",
        "currency": "USD",
    }
    with pytest.raises(InvalidRecordError, match="200,000 units were shipped"), write_session(engine) as s:
        service.update_order(s, record_id=order_id, changes=OrderUpdate(version=1, lines=[line]), actor="t")
    with Session(engine) as s:
        assert s.get_one(OrderLine, line_id).quantity == 250_000


def test_concurrent_shipments_cannot_together_exceed_the_order(engine: Engine) -> None:
    order_id, line_id = stored_order(engine)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def ship() -> None:
        data = shipment_input(order_id, line_id, 150_000)
        barrier.wait()
        try:
            with write_session(engine) as s:
                service.create_shipment(s, data=data, actor="test")
            outcomes.append("stored")
        except InvalidRecordError:
            outcomes.append("refused")

    threads = [threading.Thread(target=ship) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "stored"]
    assert count(engine, Shipment) == 1
