"""Where the mirror of a chain stands: the indexer's cursor as a report's "as of", how settled an event is,
and the ``WHERE`` clauses that keep a read inside the mirror (one chain, one campaign, up to a block)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from ledger.db.models import Block, ChainEvent, IndexerCursor
from ledger.errors import InvalidRecordError, RecordNotFoundError


@dataclass(frozen=True)
class MirrorPosition:
    """How far the mirror of one chain goes: reads are made as of ``block_number``."""

    chain_id: int
    contract: str
    #: The ledger's timelock, when the mirror follows one.
    timelock: str | None
    genesis_hash: str
    #: Reorganisations undone so far: a change means rows below the cursor may have changed.
    reorgs: int
    block_number: int
    block_hash: str | None
    head_block: int
    updated_at: datetime
    #: Time of the newest stored block header at or below ``block_number`` (None before any).
    timestamp: int | None


def mirror_position(s: Session, chain_id: int | None) -> MirrorPosition:
    """The cursor of ``chain_id``, or of the only chain mirrored when ``chain_id`` is None."""
    query = select(IndexerCursor)
    if chain_id is not None:
        query = query.where(IndexerCursor.chain_id == chain_id)
    cursors = s.scalars(query.order_by(IndexerCursor.chain_id)).all()
    if not cursors:
        where = f"chain {chain_id}" if chain_id is not None else "any chain"
        raise RecordNotFoundError(f"nothing is mirrored from {where} yet: run `pledgeledger index`")
    if len(cursors) > 1:
        chains = ", ".join(str(c.chain_id) for c in cursors)
        raise InvalidRecordError(f"the database mirrors several chains ({chains}): name the chain_id")
    cursor = cursors[0]
    timestamp = s.scalar(
        select(Block.timestamp)
        .where(Block.chain_id == cursor.chain_id, Block.number <= cursor.block_number)
        .order_by(Block.number.desc())
        .limit(1)
    )
    columns = {f.name: getattr(cursor, f.name) for f in fields(MirrorPosition) if f.name != "timestamp"}
    return MirrorPosition(**columns, timestamp=timestamp)


def position_of(s: Session, chain_id: int | None) -> MirrorPosition | None:
    """:func:`mirror_position` of ``chain_id``, or None when it is not mirrored (the API's "not found")."""
    if chain_id is None or s.get(IndexerCursor, chain_id) is None:
        return None
    return mirror_position(s, chain_id)


def mirrored(
    model: type[ChainEvent], pos: MirrorPosition, campaign_id: int, *, after_block: int | None = None
) -> list[ColumnElement[bool]]:
    """The campaign's rows up to the mirror's block; with ``after_block``, only those of later blocks."""
    if after_block is None:
        # "+ 0": a whole campaign is read by a scan; SQLite would otherwise walk the (chain, block) index
        # and fetch every row through it, which is slower than reading the table.
        upto = (model.block_number + 0) <= pos.block_number
        return [model.chain_id == pos.chain_id, upto, model.campaign_id == campaign_id]  # type: ignore[attr-defined]
    return [
        model.chain_id == pos.chain_id,
        model.block_number > after_block,
        model.block_number <= pos.block_number,
        model.campaign_id == campaign_id,  # type: ignore[attr-defined]
    ]


def of_chain(model: type[ChainEvent], chain_id: int | None) -> ColumnElement[bool]:
    """``model.chain_id == chain_id`` for keyset pages, written so that it cannot pick an index.

    Nearly every row belongs to the one chain mirrored, but without statistics SQLite's planner takes the
    ``(chain_id, block_number)`` index for it and then sorts every row of the chain to find the first page
    in id order. ``chain_id + 0`` is not indexable, so the page is read along the primary key instead (an
    index seek to the cursor, then ``limit`` rows): page 900 costs what page 1 costs.
    """
    return (model.chain_id + 0) == chain_id


def of_campaign(model: Any, chain_id: int | None, campaign_id: int | None) -> ColumnElement[bool]:
    """The rows of one chain, and of one campaign if given, for keyset pages in id order.

    Pledges, refunds and payments have an index on ``(chain_id, campaign_id, id)``: with a campaign the
    plain equalities let the planner seek straight to a page of it, on PostgreSQL even before it has
    statistics; without one, :func:`of_chain` keeps the page on the primary key.
    """
    if campaign_id is None:
        return of_chain(model, chain_id)
    return and_(model.chain_id == chain_id, model.campaign_id == campaign_id)


@dataclass(frozen=True)
class Settlement:
    """What the indexer last saw of a chain: enough to tell a pending event from a final one. While the
    indexer is halted (the chain no longer holds the mirror, and where they part is unknown), every event is
    pending: any of them may be gone from the chain."""

    head_block: int
    finalized_block: int
    depth: int
    halted: bool = False

    def state(self, block_number: int) -> str:
        if self.halted:
            return "pending"
        if block_number <= self.finalized_block:
            return "final"
        if self.head_block - block_number + 1 >= self.depth:
            return "confirmed"
        return "pending"


def settlement(session: Session, *, chain_id: int | None, depth: int) -> Settlement:
    cursor = session.get(IndexerCursor, chain_id) if chain_id is not None else None
    if cursor is None:
        return Settlement(head_block=-1, finalized_block=-1, depth=depth)
    return Settlement(
        head_block=cursor.head_block,
        finalized_block=cursor.finalized_block,
        depth=depth,
        halted=cursor.halt_reason is not None,
    )


def with_confirmation(row: ChainEvent, settled: Settlement) -> dict[str, object]:
    """An event row's columns plus its confirmation state, ready for a response model."""
    values = {c.key: getattr(row, c.key) for c in row.__table__.columns}
    values["confirmation"] = settled.state(row.block_number)
    return values
