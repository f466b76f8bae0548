"""Reference unit prices: what an item normally costs, so orders far above it are flagged."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from api.deps import SessionDep
from api.pagination import PageDep, keyset_page, where_equal
from api.params import TextFilter
from api.routes.records_common import add_record_routes
from api.schemas.records import ReferencePricePublic, ReferencePricesPublic
from ledger.db.records import ReferencePrice
from ledger.records import service
from ledger.records.schemas import ReferencePriceCreate, ReferencePriceUpdate

router = APIRouter(prefix="/reference-prices", tags=["records"])


@router.get("", response_model=ReferencePricesPublic, summary="List reference prices")
def list_reference_prices(
    session: SessionDep,
    page: PageDep,
    item: TextFilter = None,
) -> ReferencePricesPublic:
    statement = where_equal(select(ReferencePrice), ReferencePrice, item=item)
    rows, next_cursor = keyset_page(
        session, statement, ReferencePrice.id, limit=page.limit, cursor=page.cursor
    )
    return ReferencePricesPublic(
        data=[ReferencePricePublic.model_validate(r) for r in rows], next_cursor=next_cursor
    )


add_record_routes(
    router,
    label="reference price",
    model=ReferencePrice,
    public=ReferencePricePublic,
    create_schema=ReferencePriceCreate,
    update_schema=ReferencePriceUpdate,
    create=service.create_reference_price,
    update=service.update_reference_price,
)
