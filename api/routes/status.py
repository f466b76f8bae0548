"""Indexer status: one entry per mirrored chain."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from api.deps import SessionDep
from api.schemas.status import ChainStatus, IndexerHalt, StatusPublic
from ledger.db.models import IndexerCursor

router = APIRouter(prefix="/status", tags=["status"])


def chain_status(cursor: IndexerCursor) -> ChainStatus:
    halt = indexer_halt(cursor)
    return ChainStatus(
        chain_id=cursor.chain_id,
        contract=cursor.contract,
        timelock=cursor.timelock,
        start_block=cursor.start_block,
        indexed_block=cursor.block_number,
        head_block=cursor.head_block,
        finalized_block=cursor.finalized_block,
        lag=max(cursor.head_block - cursor.block_number, 0),
        confirmations=cursor.confirmations,
        reorgs=cursor.reorgs,
        updated_at=cursor.updated_at,
        halted=halt is not None,
        halt=halt,
    )


def indexer_halt(cursor: IndexerCursor) -> IndexerHalt | None:
    """The cursor's recorded halt, if any."""
    if cursor.halt_reason is None or cursor.halted_at is None or cursor.halted_block is None:
        return None
    return IndexerHalt(reason=cursor.halt_reason, since=cursor.halted_at, block=cursor.halted_block)


@router.get("", response_model=StatusPublic, summary="Indexer status per chain: head, indexed block, lag")
def read_status(session: SessionDep) -> StatusPublic:
    cursors = session.scalars(select(IndexerCursor).order_by(IndexerCursor.chain_id))
    return StatusPublic(data=[chain_status(c) for c in cursors])
