"""Suppliers: who is paid, where, and whether they were vetted."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from api.deps import SessionDep
from api.pagination import PageDep, keyset_page, where_equal
from api.routes.records_common import add_record_routes
from api.schemas.records import SupplierPublic, SuppliersPublic
from ledger.db.records import Supplier
from ledger.records import service
from ledger.records.schemas import SupplierCreate, SupplierUpdate, VettingStatus

router = APIRouter(prefix="/suppliers", tags=["records"])


@router.get("", response_model=SuppliersPublic, summary="List suppliers")
def list_suppliers(
    session: SessionDep,
    page: PageDep,
    vetting_status: VettingStatus | None = None,
    country: Annotated[str | None, Query(pattern="^[A-Z]{2}$")] = None,
) -> SuppliersPublic:
    statement = where_equal(select(Supplier), Supplier, vetting_status=vetting_status, country=country)
    rows, next_cursor = keyset_page(session, statement, Supplier.id, limit=page.limit, cursor=page.cursor)
    return SuppliersPublic(data=[SupplierPublic.model_validate(r) for r in rows], next_cursor=next_cursor)


add_record_routes(
    router,
    label="supplier",
    model=Supplier,
    public=SupplierPublic,
    create_schema=SupplierCreate,
    update_schema=SupplierUpdate,
    create=service.create_supplier,
    update=service.update_supplier,
)
