"""Deliveries: shipments received, with their proof."""

from __future__ import annotations

from api.routes.records_common import FilterId, RecordFilters, record_router
from api.schemas.records import DeliveriesPublic


class DeliveryFilters(RecordFilters):
    shipment_id: FilterId = None


router = record_router("/deliveries", "delivery", DeliveriesPublic, DeliveryFilters)
