"""Scopes in the service layer, as a property on SQLite and PostgreSQL: for any key scope and any record of
the chain of custody in any of three campaigns, an edit (or a record added under it) succeeds exactly when
the record's campaign is in the scope, and a refused one writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_utils.address import to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ledger.db.records import Delivery, Distribution, PurchaseOrder, RecordVersion, Shipment
from ledger.db.session import write_session
from ledger.errors import ScopeError
from ledger.records import service
from ledger.records.schemas import (
    DeliveryUpdate,
    DistributionUpdate,
    OrderUpdate,
    ShipmentUpdate,
)
from ledger.scope import KeyScope
from tests.records.support import (
    delivery_input,
    distribution_input,
    mirror_campaign,
    order_input,
    shipment_input,
    supplier_input,
)

CAMPAIGNS = (1, 2, 3)


def custody_chain(s: Session, campaign: int) -> Distribution:
    """An order of ``campaign`` shipped, delivered and partly distributed (written with every campaign)."""
    supplier = service.create_supplier(
        s, data=supplier_input(wallet=to_checksum_address(f"0x{campaign:040x}")), actor="head"
    )
    order = service.create_order(
        s, data=order_input(supplier.id, campaign_id=campaign, reference=f"PO-{campaign}"), actor="head"
    )
    line = order.lines[0].id
    shipment = service.create_shipment(
        s,
        data=shipment_input(order.id, line, 1_000),
        actor="head",
    )
    delivery = service.create_delivery(
        s,
        data=delivery_input(shipment.id, line, 1_000),
        actor="head",
    )
    return service.create_distribution(
        s,
        data=distribution_input(delivery.id, line, 1),
        actor="head",
    )


def _version(s: Session, model: Any, record_id: int) -> int:
    return int(s.scalar(select(model.version).where(model.id == record_id)))


def _distribution_of(s: Session, campaign: int) -> Distribution:
    return s.scalars(
        select(Distribution)
        .join(Delivery, Delivery.id == Distribution.delivery_id)
        .join(Shipment, Shipment.id == Delivery.shipment_id)
        .join(PurchaseOrder, PurchaseOrder.id == Shipment.order_id)
        .where(PurchaseOrder.campaign_id == campaign)
        .limit(1)
    ).one()


def _shipment_id(s: Session, d: Distribution) -> int:
    return int(s.scalar(select(Delivery.shipment_id).where(Delivery.id == d.delivery_id)))


def edit_order(s: Session, d: Distribution, scope: KeyScope) -> object:
    order_id = int(s.scalar(select(Shipment.order_id).where(Shipment.id == _shipment_id(s, d))))
    changes = OrderUpdate(version=_version(s, PurchaseOrder, order_id), notes="edited")
    return service.update_order(s, record_id=order_id, changes=changes, actor="k", scope=scope)


def edit_shipment(s: Session, d: Distribution, scope: KeyScope) -> object:
    shipment_id = _shipment_id(s, d)
    changes = ShipmentUpdate(version=_version(s, Shipment, shipment_id), carrier="edited")
    return service.update_shipment(s, record_id=shipment_id, changes=changes, actor="k", scope=scope)


def edit_delivery(s: Session, d: Distribution, scope: KeyScope) -> object:
    changes = DeliveryUpdate(version=_version(s, Delivery, d.delivery_id), place="edited")
    return service.update_delivery(s, record_id=d.delivery_id, changes=changes, actor="k", scope=scope)


def edit_distribution(s: Session, d: Distribution, scope: KeyScope) -> object:
    changes = DistributionUpdate(version=_version(s, Distribution, d.id), recipient="edited")
    return service.update_distribution(s, record_id=d.id, changes=changes, actor="k", scope=scope)


def add_distribution(s: Session, d: Distribution, scope: KeyScope) -> object:
    data = distribution_input(
        d.delivery_id, d.order_line_id, 1, recipient="Togo", distributed_on="2020-06-02"
    )
    return service.create_distribution(s, data=data, actor="k", scope=scope)


WRITES: dict[str, Callable[[Session, Distribution, KeyScope], object]] = {
    "edit the order": edit_order,
    "edit the shipment": edit_shipment,
    "edit the delivery": edit_delivery,
    "edit the distribution": edit_distribution,
    "add a distribution to the delivery": add_distribution,
}


def versions(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(RecordVersion)) or 0)


SCOPES = st.one_of(st.none(), st.frozensets(st.sampled_from(CAMPAIGNS), max_size=3))


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_write_succeeds_exactly_when_its_campaign_is_in_the_scope(
    engine: Engine, data: st.DataObject
) -> None:
    with Session(engine) as s:
        stored = s.scalar(select(func.count()).select_from(PurchaseOrder))
    if not stored:  # the same database serves every example: build the three campaigns once
        for campaign in CAMPAIGNS:
            mirror_campaign(engine, campaign)
            with write_session(engine) as s:
                custody_chain(s, campaign)
    campaigns = data.draw(SCOPES, label="scope")
    campaign = data.draw(st.sampled_from(CAMPAIGNS), label="campaign")
    write = data.draw(st.sampled_from(sorted(WRITES)), label="write")
    scope = KeyScope(key_name="k", campaigns=campaigns)
    before = versions(engine)
    if campaigns is None or campaign in campaigns:
        with write_session(engine) as s:
            WRITES[write](s, _distribution_of(s, campaign), scope)
        assert versions(engine) == before + 1
    else:
        with pytest.raises(ScopeError, match=f"of campaign {campaign}"), write_session(engine) as s:
            WRITES[write](s, _distribution_of(s, campaign), scope)
        assert versions(engine) == before
