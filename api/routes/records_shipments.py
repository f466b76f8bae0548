"""Shipments: goods of an order on their way."""

from __future__ import annotations

from api.routes.records_common import FilterId, RecordFilters, record_router
from api.schemas.records import ShipmentsPublic


class ShipmentFilters(RecordFilters):
    order_id: FilterId = None


router = record_router("/shipments", "shipment", ShipmentsPublic, ShipmentFilters)
