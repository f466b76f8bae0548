"""Distributions: delivered goods handed on to their final recipients."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from api.deps import SessionDep
from api.pagination import PageDep, keyset_page, where_equal
from api.routes.records_common import FilterId, add_record_routes
from api.schemas.records import DistributionPublic, DistributionsPublic
from ledger.db.records import Distribution
from ledger.records import service
from ledger.records.schemas import DistributionCreate, DistributionUpdate

router = APIRouter(prefix="/distributions", tags=["records"])


@router.get("", response_model=DistributionsPublic, summary="List distributions")
def list_distributions(
    session: SessionDep,
    page: PageDep,
    delivery_id: FilterId = None,
) -> DistributionsPublic:
    statement = where_equal(select(Distribution), Distribution, delivery_id=delivery_id)
    rows, next_cursor = keyset_page(session, statement, Distribution.id, limit=page.limit, cursor=page.cursor)
    return DistributionsPublic(
        data=[DistributionPublic.model_validate(r) for r in rows], next_cursor=next_cursor
    )


add_record_routes(
    router,
    label="distribution",
    model=Distribution,
    public=DistributionPublic,
    create_schema=DistributionCreate,
    update_schema=DistributionUpdate,
    create=service.create_distribution,
    update=service.update_distribution,
)
