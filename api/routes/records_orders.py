"""Purchase orders and their lines."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from sqlalchemy.orm import selectinload

from api.deps import MAX_BIGINT
from api.routes.records_common import FilterId, RecordFilters, record_router
from api.schemas.records import OrdersPublic
from ledger.db.records import PurchaseOrder
from ledger.records.schemas import OrderStatus


class OrderFilters(RecordFilters):
    campaign_id: Annotated[int | None, Field(ge=0, le=MAX_BIGINT)] = None
    supplier_id: FilterId = None
    status: OrderStatus | None = None


router = record_router(
    "/orders",
    "order",
    OrdersPublic,
    OrderFilters,
    summary="List purchase orders",
    load=[selectinload(PurchaseOrder.lines)],
)
