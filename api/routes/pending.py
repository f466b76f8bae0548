"""Pending changes: supplier approvals still in their delay, timelock operations on the ledger not executed
or cancelled yet (decoded), admin transfers and admin delay changes, as of the mirror's block."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from sqlalchemy.orm import Session

from api.chain import campaign_or_none
from api.deps import ChainIdDep, SessionDep
from api.errors import NOT_FOUND
from api.params import CampaignIdPath
from api.schemas.pending import (
    CallArgumentPublic,
    PendingCallPublic,
    PendingChangePublic,
    PendingChangesPublic,
    PendingOperationPublic,
)
from ledger.reads.mirror import position_of
from ledger.reconcile.changes import PendingCall, PendingChange, PendingOperation, utc_datetime
from ledger.reconcile.pending import block_time, pending_changes

router = APIRouter(tags=["pending changes"])


def _call(call: PendingCall) -> PendingCallPublic:
    function = call.function
    return PendingCallPublic.model_validate(
        {
            **vars(call),
            "function": function.name if function else None,
            "signature": function.signature if function else None,
            "arguments": [
                CallArgumentPublic(name=a.name, type=a.type, value=a.value)
                for a in (function.arguments if function else ())
            ],
            "campaign_id": call.campaign_id,
            "text": call.text(),
        }
    )


def _operation(operation: PendingOperation | None) -> PendingOperationPublic | None:
    if operation is None:
        return None
    return PendingOperationPublic.model_validate(
        {**vars(operation), "calls": [_call(c) for c in operation.calls]}
    )


def change_public(change: PendingChange) -> PendingChangePublic:
    scheduled = change.scheduled
    return PendingChangePublic.model_validate(
        {
            **vars(change),
            "effective_at": utc_datetime(change.effective_at),
            "effective_at_unix": change.effective_at,
            "scheduled_block": scheduled.block_number,
            "scheduled_at": utc_datetime(scheduled.block_timestamp),
            "tx_hash": scheduled.tx_hash,
            "log_index": scheduled.log_index,
            "operation": _operation(change.operation),
        }
    )


def _pending(session: Session, chain_id: int | None, campaign_id: int | None) -> PendingChangesPublic:
    pos = position_of(session, chain_id)
    if pos is None:
        return PendingChangesPublic(chain_id=chain_id, as_of_block=None, as_of_time=None, data=[])
    changes = pending_changes(session, pos, campaign_id=campaign_id)
    return PendingChangesPublic(
        chain_id=chain_id,
        as_of_block=pos.block_number,
        as_of_time=utc_datetime(block_time(session, pos)),
        data=[change_public(c) for c in changes],
    )


@router.get(
    "/pending-changes",
    response_model=PendingChangesPublic,
    summary="Changes scheduled on chain and not yet in force: approvals in their delay, timelock operations",
)
def list_pending_changes(session: SessionDep, chain_id: ChainIdDep) -> PendingChangesPublic:
    return _pending(session, chain_id, None)


@router.get(
    "/campaigns/{campaign_id}/pending-changes",
    response_model=PendingChangesPublic,
    responses=NOT_FOUND,
    summary="The pending changes that touch a campaign, those touching every campaign included",
)
def list_campaign_pending_changes(
    session: SessionDep, chain_id: ChainIdDep, campaign_id: CampaignIdPath
) -> PendingChangesPublic:
    if campaign_or_none(session, chain_id, campaign_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no campaign {campaign_id} on this chain")
    return _pending(session, chain_id, campaign_id)
