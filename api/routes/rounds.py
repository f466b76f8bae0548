"""A campaign's funding rounds with their state and progress towards the goal."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from api.chain import campaign_reads
from api.deps import CacheDep, ChainIdDep, SessionDep
from api.errors import NOT_FOUND
from api.params import CampaignIdPath, RoundIdPath
from api.schemas.rounds import RoundPublic, RoundsPublic

router = APIRouter(prefix="/campaigns/{campaign_id}/rounds", tags=["rounds"])


@router.get("", response_model=RoundsPublic, responses=NOT_FOUND, summary="A campaign's rounds, in order")
def list_rounds(
    session: SessionDep, chain_id: ChainIdDep, cache: CacheDep, campaign_id: CampaignIdPath
) -> RoundsPublic:
    found = campaign_reads(session, chain_id, campaign_id, cache)
    return RoundsPublic.model_validate({"data": list(found.rounds.values())})


@router.get("/{round_id}", response_model=RoundPublic, responses=NOT_FOUND, summary="One round")
def read_round(
    session: SessionDep,
    chain_id: ChainIdDep,
    cache: CacheDep,
    campaign_id: CampaignIdPath,
    round_id: RoundIdPath,
) -> RoundPublic:
    try:
        found = campaign_reads(session, chain_id, campaign_id, cache).rounds[round_id]
    except (HTTPException, KeyError):
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"no round {round_id} in campaign {campaign_id} on this chain"
        ) from None
    return RoundPublic.model_validate(found)
