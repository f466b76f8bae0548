"""Suppliers: who is paid, where, and whether they were vetted."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from api.routes.records_common import RecordFilters, record_router
from api.schemas.records import SuppliersPublic
from ledger.records.schemas import VettingStatus


class SupplierFilters(RecordFilters):
    vetting_status: VettingStatus | None = None
    country: Annotated[str | None, Field(pattern="^[A-Z]{2}$")] = None


router = record_router("/suppliers", "supplier", SuppliersPublic, SupplierFilters)
