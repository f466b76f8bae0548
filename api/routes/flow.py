"""A campaign's fund flow: the dashboard's picture of where the money went, computed on the server with exact
decimals from the same (cached) report that the reconciliation serves."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import CacheDep, ChainIdDep, SessionDep, SettingsDep
from api.errors import NOT_FOUND
from api.params import CampaignIdPath
from api.routes.reconciliation import VerifierDep
from ledger.reconcile.flow import FundFlow, campaign_flow
from ledger.reconcile.report import ReconcileOptions

router = APIRouter(prefix="/campaigns/{campaign_id}", tags=["reconciliation"])


@router.get(
    "/flow",
    response_model=FundFlow,
    responses=NOT_FOUND,
    summary="Where the money went, as a flow: donors → tokens → rounds → suppliers → deliveries → recipients",
    description=(
        "Nodes in six columns and links in US dollars at pledge (8 places, exact), built from the campaign's "
        "reconciliation report (`report_hash`): every round's links out add up to what it raised, every "
        "order's to what was paid for it."
    ),
)
def read_flow(
    session: SessionDep,
    settings: SettingsDep,
    chain_id: ChainIdDep,
    verifier: VerifierDep,
    cache: CacheDep,
    campaign_id: CampaignIdPath,
) -> Response:
    flow = campaign_flow(
        session,
        campaign_id=campaign_id,
        chain_id=chain_id,
        options=ReconcileOptions.from_settings(settings),
        verifier=verifier,
        cache=cache,
    )
    return Response(content=flow.model_dump_json(), media_type="application/json")
