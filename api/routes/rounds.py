"""A campaign's funding rounds with their state and progress towards the goal."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from api.chain import RoundFigures, campaign_row, progress_pct, rounds
from api.deps import ChainIdDep, SessionDep
from api.errors import NOT_FOUND
from api.params import CampaignIdPath, RoundIdPath
from api.schemas.rounds import RoundPublic, RoundsPublic

router = APIRouter(prefix="/campaigns/{campaign_id}/rounds", tags=["rounds"])


def round_public(figures: RoundFigures) -> RoundPublic:
    opened, closed = figures.opened, figures.closed
    return RoundPublic(
        campaign_id=opened.campaign_id,
        round_id=opened.round_id,
        start=opened.start,
        end=opened.end,
        goal_usd=opened.goal_usd,
        all_or_nothing=opened.all_or_nothing,
        state=figures.state,  # type: ignore[arg-type]
        spendable=figures.spendable,
        refundable=figures.refundable,
        raised_usd=figures.raised_usd,
        progress_pct=progress_pct(figures.raised_usd, opened.goal_usd),
        pledges=figures.pledges,
        donors=figures.donors,
        opened_block=opened.block_number,
        opened_tx_hash=opened.tx_hash,
        closed_block=closed.block_number if closed is not None else None,
        closed_tx_hash=closed.tx_hash if closed is not None else None,
        closed_by=closed.caller if closed is not None else None,
    )


@router.get("", response_model=RoundsPublic, responses=NOT_FOUND, summary="A campaign's rounds, in order")
def list_rounds(session: SessionDep, chain_id: ChainIdDep, campaign_id: CampaignIdPath) -> RoundsPublic:
    if chain_id is None or campaign_row(session, chain_id=chain_id, campaign_id=campaign_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no campaign {campaign_id} on this chain")
    found = rounds(session, chain_id=chain_id, campaign_ids=[campaign_id]).get(campaign_id, [])
    return RoundsPublic(data=[round_public(r) for r in found])


@router.get("/{round_id}", response_model=RoundPublic, responses=NOT_FOUND, summary="One round")
def read_round(
    session: SessionDep, chain_id: ChainIdDep, campaign_id: CampaignIdPath, round_id: RoundIdPath
) -> RoundPublic:
    found = (
        rounds(session, chain_id=chain_id, campaign_ids=[campaign_id], round_id=round_id).get(campaign_id)
        if chain_id is not None
        else None
    )
    if not found:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"no round {round_id} in campaign {campaign_id} on this chain"
        )
    return round_public(found[0])
