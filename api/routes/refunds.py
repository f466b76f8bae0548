"""Refunds: filtered by campaign, round, donor or token; keyset-paginated in chain order."""

from __future__ import annotations

from fastapi import APIRouter

from api.chain import EventPagesDep
from api.params import DonorFilter, RoundFilter, TokenFilter
from api.schemas.refunds import RefundsPublic
from ledger.db.models import Refunded

router = APIRouter(prefix="/refunds", tags=["refunds"])


@router.get("", response_model=RefundsPublic, summary="Refunds in chain order")
def list_refunds(
    events: EventPagesDep,
    round_id: RoundFilter = None,
    donor: DonorFilter = None,
    token: TokenFilter = None,
) -> RefundsPublic:
    return events.answer(Refunded, RefundsPublic, round_id=round_id, donor=donor, token=token)
