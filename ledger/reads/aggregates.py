"""The heavy part of every read of a campaign: its pledges and refunds per (round, token), with exact sums
(:mod:`ledger.reads.sums`), and its distinct donors; computed in full, or brought from an earlier block to
the mirror's current one by adding the rows of the blocks in between (see :mod:`ledger.reconcile.cache`).
Rounds (:mod:`ledger.reads.rounds`) and token totals (:mod:`ledger.reads.tokens`) are made from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from ledger.db.models import Pledged, Refunded
from ledger.reads.mirror import MirrorPosition, mirrored
from ledger.reads.sums import grouped_sums

#: Above this many new pledges since an earlier computation, recompute rather than add them up.
MAX_DELTA_ROWS = 20_000
#: Donors checked per ``IN (…)`` list.
_CHUNK = 500


@dataclass(frozen=True)
class Sums:
    """Count and exact sums of a group of pledges (``usd`` 8 decimals) or refunds (``usd`` 0)."""

    count: int
    amount: int
    usd: int = 0
    last_timestamp: int = 0


def pledge_sums(
    s: Session, pos: MirrorPosition, campaign_id: int, *, after_block: int | None = None
) -> dict[tuple[int, str], Sums]:
    """Pledges per (round, token): count, base units, USD at receipt."""
    rows = grouped_sums(
        s,
        [Pledged.round_id, Pledged.token],
        [func.count()],
        [Pledged.amount, Pledged.usd_value],
        mirrored(Pledged, pos, campaign_id, after_block=after_block),
    )
    return {(int(r), t): Sums(int(n), a, u) for r, t, n, a, u in rows}


def refund_sums(
    s: Session, pos: MirrorPosition, campaign_id: int, *, after_block: int | None = None
) -> dict[tuple[int, str], Sums]:
    """Refunds per (round, token): count, base units, time of the last one."""
    rows = grouped_sums(
        s,
        [Refunded.round_id, Refunded.token],
        [func.count(), func.max(Refunded.block_timestamp)],
        [Refunded.amount],
        mirrored(Refunded, pos, campaign_id, after_block=after_block),
    )
    return {(int(r), t): Sums(int(n), a, 0, int(last)) for r, t, n, last, a in rows}


def donor_counts(s: Session, pos: MirrorPosition, campaign_id: int) -> tuple[dict[int, int], int]:
    """Distinct donors per round, and in the whole campaign."""
    pairs = (
        select(Pledged.round_id, Pledged.donor)
        .where(*mirrored(Pledged, pos, campaign_id))
        .group_by(Pledged.round_id, Pledged.donor)
        .cte("round_donors")
    )
    per_round = select(pairs.c.round_id, func.count()).group_by(pairs.c.round_id)
    overall = select(literal(None).label("round_id"), func.count(pairs.c.donor.distinct()))
    by_round: dict[int, int] = {}
    total = 0
    for round_id, count in s.execute(union_all(per_round, overall)):
        if round_id is None:
            total = int(count)
        else:
            by_round[int(round_id)] = int(count)
    return by_round, total


@dataclass(frozen=True)
class CampaignAggregates:
    """A campaign's pledges and refunds per (round, token), and its distinct donors, as of one block."""

    pledges: Mapping[tuple[int, str], Sums]
    refunds: Mapping[tuple[int, str], Sums]
    donors_by_round: Mapping[int, int]
    donors: int

    def round_usd(self) -> dict[int, int]:
        usd: dict[int, int] = {}
        for (round_id, _), sums in self.pledges.items():
            usd[round_id] = usd.get(round_id, 0) + sums.usd
        return usd


def compute(s: Session, pos: MirrorPosition, campaign_id: int) -> CampaignAggregates:
    donors_by_round, donors = donor_counts(s, pos, campaign_id)
    return CampaignAggregates(
        pledges=pledge_sums(s, pos, campaign_id),
        refunds=refund_sums(s, pos, campaign_id),
        donors_by_round=donors_by_round,
        donors=donors,
    )


def _add(a: Mapping[tuple[int, str], Sums], b: Mapping[tuple[int, str], Sums]) -> dict[tuple[int, str], Sums]:
    total = dict(a)
    for key, sums in b.items():
        old = total.get(key)
        total[key] = (
            sums
            if old is None
            else Sums(
                old.count + sums.count,
                old.amount + sums.amount,
                old.usd + sums.usd,
                max(old.last_timestamp, sums.last_timestamp),
            )
        )
    return total


def advance(
    s: Session, pos: MirrorPosition, campaign_id: int, old: CampaignAggregates, since: int
) -> CampaignAggregates | None:
    """``old`` (as of block ``since``) moved to ``pos`` by the rows of the blocks after ``since``; None when
    there are too many of them to be worth it."""
    pledges = pledge_sums(s, pos, campaign_id, after_block=since)
    if sum(p.count for p in pledges.values()) > MAX_DELTA_ROWS:
        return None
    refunds = refund_sums(s, pos, campaign_id, after_block=since)
    by_round = dict(old.donors_by_round)
    donors = old.donors
    if pledges:
        new_pairs: set[tuple[int, str]] = {
            (round_id, donor)
            for round_id, donor in s.execute(
                select(Pledged.round_id, Pledged.donor)
                .where(*mirrored(Pledged, pos, campaign_id, after_block=since))
                .distinct()
            )
        }
        seen_pairs, seen_donors = _known_donors(s, pos, campaign_id, since, sorted({d for _, d in new_pairs}))
        for round_id, _donor in new_pairs - seen_pairs:
            by_round[round_id] = by_round.get(round_id, 0) + 1
        donors += len({d for _, d in new_pairs} - seen_donors)
    return replace(
        old,
        pledges=_add(old.pledges, pledges),
        refunds=_add(old.refunds, refunds),
        donors_by_round=by_round,
        donors=donors,
    )


def _known_donors(
    s: Session, pos: MirrorPosition, campaign_id: int, until: int, donors: Sequence[str]
) -> tuple[set[tuple[int, str]], set[str]]:
    """Which (round, donor) pairs, and which donors, had pledged to the campaign by block ``until``."""
    pairs: set[tuple[int, str]] = set()
    for start in range(0, len(donors), _CHUNK):
        chunk = donors[start : start + _CHUNK]
        pairs |= {
            (round_id, donor)
            for round_id, donor in s.execute(
                select(Pledged.round_id, Pledged.donor)
                .where(
                    Pledged.chain_id == pos.chain_id,
                    Pledged.campaign_id == campaign_id,
                    Pledged.block_number <= until,
                    Pledged.donor.in_(chunk),
                )
                .distinct()
            )
        }
    return pairs, {d for _, d in pairs}
