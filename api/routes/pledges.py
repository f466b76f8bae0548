"""Pledges: filtered by campaign, round, donor or token; keyset-paginated in chain order."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from api.chain import of_campaign, settlement, with_confirmation
from api.deps import ChainIdDep, SessionDep, SettingsDep
from api.pagination import PageDep, keyset_page
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
    statement = select(Pledged).where(of_campaign(Pledged, chain_id, campaign_id))
    if round_id is not None:
        statement = statement.where(Pledged.round_id == round_id)
    if donor is not None:
        statement = statement.where(Pledged.donor == donor)
    if token is not None:
        statement = statement.where(Pledged.token == token)
    rows, next_cursor = keyset_page(session, statement, Pledged.id, limit=page.limit, cursor=page.cursor)
    settled = settlement(session, chain_id=chain_id, depth=settings.confirmation_depth)
    return PledgesPublic(
        data=[PledgePublic.model_validate(with_confirmation(r, settled)) for r in rows],
        next_cursor=next_cursor,
    )
