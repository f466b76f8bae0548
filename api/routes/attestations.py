"""Reconciliation reports auditors anchored on chain."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from api.deps import ChainIdDep, SessionDep, SettingsDep
from api.pagination import PageDep, keyset_page
from api.params import CampaignFilter
from api.schemas.attestations import AttestationPublic, AttestationsPublic
from ledger.db.models import ReportAttested
from ledger.reads.mirror import of_chain, settlement, with_confirmation

router = APIRouter(prefix="/attestations", tags=["attestations"])


@router.get("", response_model=AttestationsPublic, summary="Attested report hashes in chain order")
def list_attestations(
    session: SessionDep,
    settings: SettingsDep,
    chain_id: ChainIdDep,
    page: PageDep,
    campaign_id: CampaignFilter = None,
) -> AttestationsPublic:
    statement = select(ReportAttested).where(of_chain(ReportAttested, chain_id))
    if campaign_id is not None:
        statement = statement.where(ReportAttested.campaign_id == campaign_id)
    rows, next_cursor = keyset_page(
        session, statement, ReportAttested.id, limit=page.limit, cursor=page.cursor
    )
    settled = settlement(session, chain_id=chain_id, depth=settings.confirmation_depth)
    return AttestationsPublic(
        data=[AttestationPublic.model_validate(with_confirmation(r, settled)) for r in rows],
        next_cursor=next_cursor,
    )
