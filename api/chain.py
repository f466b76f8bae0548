"""Reads of the chain mirror shared by several routes: the indexer's cursor, confirmation states,
rounds with their progress and per-token totals. Sums of token amounts use ``uint_sum`` (exact on
SQLite too)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from api.pagination import PageParams, keyset_page, where_equal
from ledger.db.models import (
    CampaignCancelled,
    CampaignCreated,
    CampaignManagerChanged,
    ChainEvent,
    Disbursed,
    IndexerCursor,
    Pledged,
    Refunded,
    RoundClosed,
    RoundOpened,
)
from ledger.db.types import uint_sum
from ledger.rounds import RoundState, refundable, spendable

#: RoundClosed outcomes (the contract's RoundState values) by name.
OUTCOMES = {s.value: s.word for s in (RoundState.SUCCEEDED, RoundState.FAILED, RoundState.CANCELLED)}


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


def event_page(
    session: Session,
    model: Any,
    *,
    chain_id: int | None,
    campaign_id: int | None,
    page: PageParams,
    depth: int,
    **filters: object,
) -> tuple[list[dict[str, object]], str | None]:
    """One keyset page of ``model``'s events (of one campaign if given, narrowed by ``filters``), each as
    its columns plus its confirmation state, and the next page's cursor."""
    statement = where_equal(select(model).where(of_campaign(model, chain_id, campaign_id)), model, **filters)
    rows, next_cursor = keyset_page(session, statement, model.id, limit=page.limit, cursor=page.cursor)
    settled = settlement(session, chain_id=chain_id, depth=depth)
    return [with_confirmation(row, settled) for row in rows], next_cursor


def with_confirmation(row: ChainEvent, settled: Settlement) -> dict[str, object]:
    """An event row's columns plus its confirmation state, ready for a response model."""
    values = {c.key: getattr(row, c.key) for c in row.__table__.columns}
    values["confirmation"] = settled.state(row.block_number)
    return values


def progress_pct(raised: int, goal: int) -> str:
    """``raised`` as a percentage of ``goal``, two decimals, rounded down (never overstates)."""
    if goal <= 0:
        return "0.00"
    pct = (Decimal(raised) * 100 / Decimal(goal)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return str(pct)


def campaign_row(session: Session, *, chain_id: int | None, campaign_id: int) -> CampaignCreated | None:
    if chain_id is None:
        return None
    return session.scalar(
        select(CampaignCreated).where(
            CampaignCreated.chain_id == chain_id, CampaignCreated.campaign_id == campaign_id
        )
    )


def current_managers(session: Session, *, chain_id: int, campaign_ids: Iterable[int]) -> dict[int, str]:
    """The manager each campaign has now, for those whose manager changed since creation."""
    managers: dict[int, str] = {}
    rows = session.execute(
        select(CampaignManagerChanged.campaign_id, CampaignManagerChanged.new_manager)
        .where(
            CampaignManagerChanged.chain_id == chain_id,
            CampaignManagerChanged.campaign_id.in_(list(campaign_ids)),
        )
        .order_by(CampaignManagerChanged.id)
    )
    for campaign_id, manager in rows:
        managers[campaign_id] = manager
    return managers


def cancelled_campaigns(
    session: Session, *, chain_id: int, campaign_ids: Iterable[int]
) -> dict[int, str | None]:
    """The cancelled ones of ``campaign_ids``, with who cancelled each (None: not recorded, v1 ledger)."""
    rows = session.execute(
        select(CampaignCancelled.campaign_id, CampaignCancelled.account).where(
            CampaignCancelled.chain_id == chain_id, CampaignCancelled.campaign_id.in_(list(campaign_ids))
        )
    )
    return {campaign_id: account for campaign_id, account in rows}


@dataclass(frozen=True)
class RoundFigures:
    """A round as opened, how it closed (if it did) and what was pledged into it."""

    opened: RoundOpened
    closed: RoundClosed | None
    raised_usd: int
    pledges: int
    donors: int

    @property
    def state(self) -> str:
        return OUTCOMES.get(self.closed.outcome, "closed") if self.closed is not None else "open"

    @property
    def outcome(self) -> int | None:
        return self.closed.outcome if self.closed is not None else None

    @property
    def spendable(self) -> bool:
        return spendable(self.outcome, self.opened.all_or_nothing)

    @property
    def refundable(self) -> bool:
        return refundable(self.outcome, self.opened.all_or_nothing)


def rounds(
    session: Session, *, chain_id: int, campaign_ids: Iterable[int], round_id: int | None = None
) -> dict[int, list[RoundFigures]]:
    """Every round of ``campaign_ids`` (or just ``round_id``), in order, by campaign."""
    ids = list(campaign_ids)
    opened_q = select(RoundOpened).where(RoundOpened.chain_id == chain_id, RoundOpened.campaign_id.in_(ids))
    closed_q = select(RoundClosed).where(RoundClosed.chain_id == chain_id, RoundClosed.campaign_id.in_(ids))
    pledged_q = select(
        Pledged.campaign_id,
        Pledged.round_id,
        uint_sum(Pledged.usd_value),
        func.count(),
        func.count(Pledged.donor.distinct()),
    ).where(Pledged.chain_id == chain_id, Pledged.campaign_id.in_(ids))
    if round_id is not None:
        opened_q = opened_q.where(RoundOpened.round_id == round_id)
        closed_q = closed_q.where(RoundClosed.round_id == round_id)
        pledged_q = pledged_q.where(Pledged.round_id == round_id)
    closed = {(r.campaign_id, r.round_id): r for r in session.scalars(closed_q)}
    pledged = {
        (c, r): (int(usd), int(n), int(d))
        for c, r, usd, n, d in session.execute(pledged_q.group_by(Pledged.campaign_id, Pledged.round_id))
    }
    result: dict[int, list[RoundFigures]] = defaultdict(list)
    for opened in session.scalars(opened_q.order_by(RoundOpened.id)):
        key = (opened.campaign_id, opened.round_id)
        usd, count, donors = pledged.get(key, (0, 0, 0))
        result[opened.campaign_id].append(RoundFigures(opened, closed.get(key), usd, count, donors))
    return result


@dataclass(frozen=True)
class TokenFigures:
    pledged: int = 0
    pledged_usd: int = 0
    refunded: int = 0
    disbursed: int = 0

    @property
    def held(self) -> int:
        return self.pledged - self.refunded - self.disbursed


def token_totals(session: Session, *, chain_id: int, campaign_id: int) -> dict[str, TokenFigures]:
    """Per token: pledged (base units and USD at receipt), refunded, disbursed."""
    pledged = session.execute(
        select(Pledged.token, uint_sum(Pledged.amount), uint_sum(Pledged.usd_value))
        .where(Pledged.chain_id == chain_id, Pledged.campaign_id == campaign_id)
        .group_by(Pledged.token)
    )
    figures: dict[str, TokenFigures] = defaultdict(TokenFigures)
    for token, amount, usd in pledged:
        figures[token] = TokenFigures(pledged=int(amount), pledged_usd=int(usd))
    for model, field in ((Refunded, "refunded"), (Disbursed, "disbursed")):
        rows = session.execute(
            select(model.token, uint_sum(model.amount))
            .where(model.chain_id == chain_id, model.campaign_id == campaign_id)
            .group_by(model.token)
        )
        for token, amount in rows:
            figures[token] = replace(figures[token], **{field: int(amount)})
    return dict(figures)
