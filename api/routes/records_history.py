"""The history of an off-chain record: every version, who made it and when (manager or auditor key; a key
for some campaigns reads their records' history and that of records shared by every campaign)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from api.deps import ReaderKey, SessionDep
from api.errors import AUTH_RESPONSES, NOT_FOUND
from api.routes.records_common import RecordId
from api.schemas.records import HistoryPublic, RecordVersionPublic
from ledger.records import service

router = APIRouter(prefix="/history", tags=["records"])

RecordType = Literal[
    "supplier", "reference_price", "order", "shipment", "delivery", "distribution", "token", "document"
]


@router.get(
    "/{record_type}/{record_id}",
    response_model=HistoryPublic,
    responses={**AUTH_RESPONSES, **NOT_FOUND},
    summary="Every version of a record, oldest first (manager or auditor key)",
)
def read_history(
    record_type: RecordType, record_id: RecordId, session: SessionDep, key: ReaderKey
) -> HistoryPublic:
    versions = service.history(session, record_type=record_type, record_id=record_id, scope=key.scope)
    return HistoryPublic(data=[RecordVersionPublic.model_validate(v) for v in versions])
