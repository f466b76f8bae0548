"""Pledges: filtered by campaign, round, donor or token; keyset-paginated in chain order."""

from __future__ import annotations

from fastapi import APIRouter

from api.chain import DonorEventFiltersDep, EventPagesDep
from api.schemas.pledges import PledgesPublic
from ledger.db.models import Pledged

router = APIRouter(prefix="/pledges", tags=["pledges"])


@router.get("", response_model=PledgesPublic, summary="Pledges in chain order, each with its confirmation")
def list_pledges(events: EventPagesDep, filters: DonorEventFiltersDep) -> PledgesPublic:
    return events.answer(Pledged, PledgesPublic, **filters)
