"""Every resource's router, collected into the one mounted at ``/api/v1``.

To add a resource: write ``api/routes/<resource>.py`` with a ``router = APIRouter(prefix=..., tags=[...])``
and add it to ``RESOURCE_ROUTERS`` below.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.errors import ERROR_RESPONSES
from api.routes import (
    attestations,
    campaigns,
    disbursements,
    exports,
    flow,
    pending,
    pledges,
    reconciliation,
    records_deliveries,
    records_distributions,
    records_documents,
    records_history,
    records_orders,
    records_reference_prices,
    records_shipments,
    records_suppliers,
    records_tokens,
    refunds,
    rounds,
    status,
)

RESOURCE_ROUTERS: list[APIRouter] = [
    # Chain mirror (public reads).
    campaigns.router,
    rounds.router,
    pledges.router,
    refunds.router,
    disbursements.router,
    attestations.router,
    reconciliation.router,
    flow.router,
    pending.router,
    status.router,
    exports.router,
    # Off-chain records (reads public, writes need a manager key; history needs manager or auditor).
    records_suppliers.router,
    records_reference_prices.router,
    records_orders.router,
    records_documents.router,
    records_shipments.router,
    records_deliveries.router,
    records_distributions.router,
    records_tokens.router,
    records_history.router,
]

api_router = APIRouter(responses=ERROR_RESPONSES)
for _router in RESOURCE_ROUTERS:
    api_router.include_router(_router)
