"""Refunds: filtered by campaign, round, donor or token; keyset-paginated in chain order."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from api.chain import of_campaign, settlement, with_confirmation
from api.deps import ChainIdDep, SessionDep, SettingsDep
from api.pagination import PageDep, keyset_page
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
    statement = select(Refunded).where(of_campaign(Refunded, chain_id, campaign_id))
    if round_id is not None:
        statement = statement.where(Refunded.round_id == round_id)
    if donor is not None:
        statement = statement.where(Refunded.donor == donor)
    if token is not None:
        statement = statement.where(Refunded.token == token)
    rows, next_cursor = keyset_page(session, statement, Refunded.id, limit=page.limit, cursor=page.cursor)
    settled = settlement(session, chain_id=chain_id, depth=settings.confirmation_depth)
    return RefundsPublic(
        data=[RefundPublic.model_validate(with_confirmation(r, settled)) for r in rows],
        next_cursor=next_cursor,
    )
