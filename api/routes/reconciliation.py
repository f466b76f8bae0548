"""The reconciliation of a campaign (or one round) and a donor's view of it: public reads, computed from
the mirror and the off-chain records, and checked against the chain when the API knows a node."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from api.deps import CacheDep, ChainIdDep, SessionDep, SettingsDep
from api.errors import NOT_FOUND
from api.params import CampaignIdPath
from api.schemas.common import MAX_UINT256, Address
from ledger.reconcile import (
    CampaignReport,
    DonorView,
    MirrorVerifier,
    donor_view,
    reconcile_campaign,
)
from ledger.reconcile.report import ReconcileOptions

router = APIRouter(prefix="/campaigns/{campaign_id}", tags=["reconciliation"])

RoundQuery = Annotated[
    int | None,
    Query(
        ge=0,
        le=MAX_UINT256,
        description="Narrow the rounds section to this round (totals stay campaign-wide)",
    ),
]


def get_verifier(request: Request) -> MirrorVerifier | None:
    """The app's chain checker (stateless, shared by requests), or None when no node is configured."""
    verifier: MirrorVerifier | None = request.app.state.verifier
    return verifier


VerifierDep = Annotated[MirrorVerifier | None, Depends(get_verifier)]


def campaign_report(
    session: SessionDep,
    settings: SettingsDep,
    chain_id: ChainIdDep,
    verifier: VerifierDep,
    cache: CacheDep,
    campaign_id: CampaignIdPath,
    round_id: RoundQuery = None,
) -> CampaignReport:
    """The report for the request's campaign and round (a dependency: the export reuses it)."""
    return reconcile_campaign(
        session,
        campaign_id=campaign_id,
        chain_id=chain_id,
        round_id=round_id,
        options=ReconcileOptions.from_settings(settings),
        verifier=verifier,
        cache=cache,
    )


CampaignReportDep = Annotated[CampaignReport, Depends(campaign_report)]


@router.get(
    "/reconciliation",
    response_model=CampaignReport,
    responses=NOT_FOUND,
    summary="Where every unit pledged went: totals per token, round, supplier and order, and the findings",
)
def read_reconciliation(report: CampaignReportDep) -> Response:
    # The report is already a validated model; serialise it once (in pydantic-core) rather than have
    # FastAPI validate and encode a megabyte of it again on every request.
    return Response(content=report.model_dump_json(), media_type="application/json")


@router.get(
    "/donors/{donor}",
    response_model=DonorView,
    responses=NOT_FOUND,
    summary="A donor's pledges and refunds, their share of each round, and what that share bought",
)
def read_donor_view(
    session: SessionDep,
    chain_id: ChainIdDep,
    cache: CacheDep,
    campaign_id: CampaignIdPath,
    donor: Annotated[Address, Path(description="The donor's address (any case)")],
) -> DonorView:
    return donor_view(session, campaign_id=campaign_id, donor=donor, chain_id=chain_id, cache=cache)
