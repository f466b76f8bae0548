"""Deliveries: shipments received, with their proof."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from api.deps import SessionDep
from api.pagination import PageDep, keyset_page, where_equal
from api.routes.records_common import FilterId, add_record_routes
from api.schemas.records import DeliveriesPublic, DeliveryPublic
from ledger.db.records import Delivery
from ledger.records import service
from ledger.records.schemas import DeliveryCreate, DeliveryUpdate

router = APIRouter(prefix="/deliveries", tags=["records"])


@router.get("", response_model=DeliveriesPublic, summary="List deliveries")
def list_deliveries(
    session: SessionDep,
    page: PageDep,
    shipment_id: FilterId = None,
) -> DeliveriesPublic:
    statement = where_equal(select(Delivery), Delivery, shipment_id=shipment_id)
    rows, next_cursor = keyset_page(session, statement, Delivery.id, limit=page.limit, cursor=page.cursor)
    return DeliveriesPublic(data=[DeliveryPublic.model_validate(r) for r in rows], next_cursor=next_cursor)


add_record_routes(
    router,
    label="delivery",
    model=Delivery,
    public=DeliveryPublic,
    create_schema=DeliveryCreate,
    update_schema=DeliveryUpdate,
    create=service.create_delivery,
    update=service.update_delivery,
)
