"""Reference unit prices: what an item normally costs, so orders far above it are flagged."""

from __future__ import annotations

from api.params import TextFilter
from api.routes.records_common import RecordFilters, record_router
from api.schemas.records import ReferencePricesPublic


class ReferencePriceFilters(RecordFilters):
    item: TextFilter = None


router = record_router("/reference-prices", "reference_price", ReferencePricesPublic, ReferencePriceFilters)
