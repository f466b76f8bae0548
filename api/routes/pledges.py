"""Pledges: filtered by campaign, round, donor or token; keyset-paginated in chain order."""

from __future__ import annotations

from fastapi import APIRouter

from api.chain import EventPagesDep
from api.params import DonorFilter, RoundFilter, TokenFilter
from api.schemas.pledges import PledgesPublic
from ledger.db.models import Pledged

router = APIRouter(prefix="/pledges", tags=["pledges"])


@router.get("", response_model=PledgesPublic, summary="Pledges in chain order, each with its confirmation")
def list_pledges(
    events: EventPagesDep,
    round_id: RoundFilter = None,
    donor: DonorFilter = None,
    token: TokenFilter = None,
) -> PledgesPublic:
    return events.answer(Pledged, PledgesPublic, round_id=round_id, donor=donor, token=token)
