"""A campaign's funding rounds: as opened, how they closed, what was pledged into them, and the progress
of the campaign they make up. The state of a round and what it means for its pledges is
:mod:`ledger.rounds` (the contract's one rule); this module only reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from ledger.db.models import Pledged, RoundClosed, RoundOpened
from ledger.reads.aggregates import CampaignAggregates
from ledger.reads.mirror import MirrorPosition
from ledger.reads.sums import grouped_sums
from ledger.rounds import RoundState, RoundWord, refundable, spendable


def progress_pct(raised: int, goal: int) -> str:
    """``raised`` as a percentage of ``goal``, two decimals, rounded down (never overstates)."""
    if goal <= 0:
        return "0.00"
    pct = (Decimal(raised) * 100 / Decimal(goal)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return str(pct)


@dataclass(frozen=True)
class Round:
    """A round as opened, how it closed (if it did), and its figures: the USD at receipt (8 decimals),
    count and distinct donors of its pledges (zero until :func:`with_figures` or :func:`with_raised`)."""

    campaign_id: int
    round_id: int
    start: int
    end: int
    goal_usd: int
    all_or_nothing: bool
    opened_block: int
    opened_tx_hash: str
    #: ``RoundClosed.outcome`` (a :class:`RoundState`), None while open.
    outcome: int | None = None
    closed_block: int | None = None
    closed_timestamp: int | None = None
    closed_tx_hash: str | None = None
    #: Who closed it; None while open, or not recorded (a version 1 ledger).
    closed_by: str | None = None
    raised_usd: int = 0
    pledges: int = 0
    donors: int = 0

    @property
    def round_state(self) -> RoundState:
        return RoundState.of(self.outcome)

    @property
    def state(self) -> RoundWord:
        return self.round_state.word  # type: ignore[return-value]

    @property
    def spendable(self) -> bool:
        return spendable(self.outcome, self.all_or_nothing)

    @property
    def refundable(self) -> bool:
        return refundable(self.outcome, self.all_or_nothing)

    @property
    def progress_pct(self) -> str:
        return progress_pct(self.raised_usd, self.goal_usd)


def _where(
    model: type[RoundOpened] | type[RoundClosed] | type[Pledged],
    chain_id: int,
    ids: list[int],
    upto_block: int | None,
    round_id: int | None,
) -> list[ColumnElement[bool]]:
    where = [model.chain_id == chain_id, model.campaign_id.in_(ids)]
    if upto_block is not None:
        where.append(model.block_number <= upto_block)
    if round_id is not None:
        where.append(model.round_id == round_id)
    return where


def rounds(
    s: Session,
    *,
    chain_id: int,
    campaign_ids: Iterable[int],
    upto_block: int | None = None,
    round_id: int | None = None,
) -> dict[int, dict[int, Round]]:
    """Every round of ``campaign_ids`` (or just ``round_id``) by campaign, then by id in order; no figures."""
    ids = list(campaign_ids)
    closed = {
        (r.campaign_id, r.round_id): r
        for r in s.scalars(
            select(RoundClosed).where(*_where(RoundClosed, chain_id, ids, upto_block, round_id))
        )
    }
    opened = s.scalars(
        select(RoundOpened)
        .where(*_where(RoundOpened, chain_id, ids, upto_block, round_id))
        .order_by(RoundOpened.round_id)
    )
    result: dict[int, dict[int, Round]] = defaultdict(dict)
    for o in opened:
        c = closed.get((o.campaign_id, o.round_id))
        result[o.campaign_id][o.round_id] = Round(
            campaign_id=o.campaign_id,
            round_id=o.round_id,
            start=o.start,
            end=o.end,
            goal_usd=o.goal_usd,
            all_or_nothing=bool(o.all_or_nothing),
            opened_block=o.block_number,
            opened_tx_hash=o.tx_hash,
            outcome=None if c is None else c.outcome,
            closed_block=None if c is None else c.block_number,
            closed_timestamp=None if c is None else c.block_timestamp,
            closed_tx_hash=None if c is None else c.tx_hash,
            closed_by=None if c is None else c.caller,
        )
    return result


def campaign_rounds(s: Session, pos: MirrorPosition, campaign_id: int) -> dict[int, Round]:
    """The rounds of one campaign as of the mirror's block, by id in order; no figures."""
    found = rounds(s, chain_id=pos.chain_id, campaign_ids=[campaign_id], upto_block=pos.block_number)
    return found.get(campaign_id, {})


def with_figures(found: Mapping[int, Round], sums: CampaignAggregates) -> dict[int, Round]:
    """The rounds of one campaign with their figures from the campaign's aggregates."""
    usd: dict[int, int] = defaultdict(int)
    count: dict[int, int] = defaultdict(int)
    for (round_id, _), pledged in sums.pledges.items():
        usd[round_id] += pledged.usd
        count[round_id] += pledged.count
    return {
        rid: replace(r, raised_usd=usd[rid], pledges=count[rid], donors=sums.donors_by_round.get(rid, 0))
        for rid, r in found.items()
    }


def raised_by_round(
    s: Session, *, chain_id: int, campaign_ids: Iterable[int], upto_block: int | None = None
) -> dict[tuple[int, int], int]:
    """The USD at receipt (8 decimals) of the pledges of every (campaign, round) of ``campaign_ids``."""
    rows = grouped_sums(
        s,
        [Pledged.campaign_id, Pledged.round_id],
        [],
        [Pledged.usd_value],
        _where(Pledged, chain_id, list(campaign_ids), upto_block, None),
    )
    return {(int(c), int(r)): usd for c, r, usd in rows}


def with_raised(found: Mapping[int, Round], raised: Mapping[tuple[int, int], int]) -> list[Round]:
    """The rounds with only their ``raised_usd`` (a page of campaigns needs no more)."""
    return [replace(r, raised_usd=raised.get((r.campaign_id, rid), 0)) for rid, r in found.items()]


@dataclass(frozen=True)
class Progress:
    """A campaign's goal and what it raised, in USD with 8 decimals; the progress counts only the rounds
    whose pledges are not refundable (open, succeeded, or kept though they failed)."""

    goal_usd: int
    raised_usd: int
    progress_goal_usd: int
    progress_raised_usd: int
    progress_pct: str
    refundable_rounds: int


def progress(found: Iterable[Round]) -> Progress:
    every = list(found)
    funding = [r for r in every if not r.refundable]
    goal = sum(r.goal_usd for r in funding)
    raised = sum(r.raised_usd for r in funding)
    return Progress(
        goal_usd=sum(r.goal_usd for r in every),
        raised_usd=sum(r.raised_usd for r in every),
        progress_goal_usd=goal,
        progress_raised_usd=raised,
        progress_pct=progress_pct(raised, goal),
        refundable_rounds=len(every) - len(funding),
    )
