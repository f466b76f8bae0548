"""Reconciliation reports auditors anchored on chain."""

from __future__ import annotations

from fastapi import APIRouter

from api.chain import EventPagesDep
from api.schemas.attestations import AttestationsPublic
from ledger.db.models import ReportAttested

router = APIRouter(prefix="/attestations", tags=["attestations"])


@router.get("", response_model=AttestationsPublic, summary="Attested report hashes in chain order")
def list_attestations(events: EventPagesDep) -> AttestationsPublic:
    return events.answer(ReportAttested, AttestationsPublic)
