"""Refunds: filtered by campaign, round, donor or token; keyset-paginated in chain order."""

from __future__ import annotations

from fastapi import APIRouter

from api.chain import DonorEventFiltersDep, EventPagesDep
from api.schemas.refunds import RefundsPublic
from ledger.db.models import Refunded

router = APIRouter(prefix="/refunds", tags=["refunds"])


@router.get("", response_model=RefundsPublic, summary="Refunds in chain order")
def list_refunds(events: EventPagesDep, filters: DonorEventFiltersDep) -> RefundsPublic:
    return events.answer(Refunded, RefundsPublic, **filters)
