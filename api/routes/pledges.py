"""Pledges: filtered by campaign, round, donor or token; keyset-paginated in chain order."""

from __future__ import annotations

from fastapi import APIRouter

from api.chain import event_page
from api.deps import ChainIdDep, SessionDep, SettingsDep
from api.pagination import PageDep
from api.params import CampaignFilter, DonorFilter, RoundFilter, TokenFilter
from api.schemas.pledges import PledgePublic, PledgesPublic
from ledger.db.models import Pledged

router = APIRouter(prefix="/pledges", tags=["pledges"])


@router.get("", response_model=PledgesPublic, summary="Pledges in chain order, each with its confirmation")
def list_pledges(
    session: SessionDep,
    settings: SettingsDep,
    chain_id: ChainIdDep,
    page: PageDep,
    campaign_id: CampaignFilter = None,
    round_id: RoundFilter = None,
    donor: DonorFilter = None,
    token: TokenFilter = None,
) -> PledgesPublic:
    rows, next_cursor = event_page(
        session,
        Pledged,
        chain_id=chain_id,
        campaign_id=campaign_id,
        page=page,
        depth=settings.confirmation_depth,
        round_id=round_id,
        donor=donor,
        token=token,
    )
    return PledgesPublic(data=[PledgePublic.model_validate(r) for r in rows], next_cursor=next_cursor)
