"""Shipments: goods of an order on their way."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from api.deps import SessionDep
from api.pagination import PageDep, keyset_page, where_equal
from api.routes.records_common import FilterId, add_record_routes
from api.schemas.records import ShipmentPublic, ShipmentsPublic
from ledger.db.records import Shipment
from ledger.records import service
from ledger.records.schemas import ShipmentCreate, ShipmentUpdate

router = APIRouter(prefix="/shipments", tags=["records"])


@router.get("", response_model=ShipmentsPublic, summary="List shipments")
def list_shipments(
    session: SessionDep,
    page: PageDep,
    order_id: FilterId = None,
) -> ShipmentsPublic:
    statement = where_equal(select(Shipment), Shipment, order_id=order_id)
    rows, next_cursor = keyset_page(session, statement, Shipment.id, limit=page.limit, cursor=page.cursor)
    return ShipmentsPublic(data=[ShipmentPublic.model_validate(r) for r in rows], next_cursor=next_cursor)


add_record_routes(
    router,
    label="shipment",
    model=Shipment,
    public=ShipmentPublic,
    create_schema=ShipmentCreate,
    update_schema=ShipmentUpdate,
    create=service.create_shipment,
    update=service.update_shipment,
)
