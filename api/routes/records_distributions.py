"""Distributions: delivered goods handed on to their final recipients."""

from __future__ import annotations

from api.routes.records_common import FilterId, RecordFilters, record_router
from api.schemas.records import DistributionsPublic


class DistributionFilters(RecordFilters):
    delivery_id: FilterId = None


router = record_router("/distributions", "distribution", DistributionsPublic, DistributionFilters)
