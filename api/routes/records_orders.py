"""Purchase orders and their lines."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from api.deps import MAX_BIGINT, SessionDep
from api.pagination import PageDep, keyset_page, where_equal
from api.routes.records_common import FilterId, add_record_routes
from api.schemas.records import OrderPublic, OrdersPublic
from ledger.db.records import PurchaseOrder
from ledger.records import service
from ledger.records.schemas import OrderCreate, OrderStatus, OrderUpdate

router = APIRouter(prefix="/orders", tags=["records"])


@router.get("", response_model=OrdersPublic, summary="List purchase orders")
def list_orders(
    session: SessionDep,
    page: PageDep,
    campaign_id: Annotated[int | None, Query(ge=0, le=MAX_BIGINT)] = None,
    supplier_id: FilterId = None,
    status: OrderStatus | None = None,
) -> OrdersPublic:
    statement = where_equal(
        select(PurchaseOrder).options(selectinload(PurchaseOrder.lines)),
        PurchaseOrder,
        campaign_id=campaign_id,
        supplier_id=supplier_id,
        status=status,
    )
    rows, next_cursor = keyset_page(
        session, statement, PurchaseOrder.id, limit=page.limit, cursor=page.cursor
    )
    return OrdersPublic(data=[OrderPublic.model_validate(r) for r in rows], next_cursor=next_cursor)


add_record_routes(
    router,
    label="order",
    model=PurchaseOrder,
    public=OrderPublic,
    create_schema=OrderCreate,
    update_schema=OrderUpdate,
    create=service.create_order,
    update=service.update_order,
)
