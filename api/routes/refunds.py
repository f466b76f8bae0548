"""Refunds: filtered by campaign, round, donor or token; keyset-paginated in chain order."""

from __future__ import annotations

from fastapi import APIRouter

from api.chain import event_page
from api.deps import ChainIdDep, SessionDep, SettingsDep
from api.pagination import PageDep
from api.params import CampaignFilter, DonorFilter, RoundFilter, TokenFilter
from api.schemas.refunds import RefundPublic, RefundsPublic
from ledger.db.models import Refunded

router = APIRouter(prefix="/refunds", tags=["refunds"])


@router.get("", response_model=RefundsPublic, summary="Refunds in chain order")
def list_refunds(
    session: SessionDep,
    settings: SettingsDep,
    chain_id: ChainIdDep,
    page: PageDep,
    campaign_id: CampaignFilter = None,
    round_id: RoundFilter = None,
    donor: DonorFilter = None,
    token: TokenFilter = None,
) -> RefundsPublic:
    rows, next_cursor = event_page(
        session,
        Refunded,
        chain_id=chain_id,
        campaign_id=campaign_id,
        page=page,
        depth=settings.confirmation_depth,
        round_id=round_id,
        donor=donor,
        token=token,
    )
    return RefundsPublic(data=[RefundPublic.model_validate(r) for r in rows], next_cursor=next_cursor)
