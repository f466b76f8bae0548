"""The heavy part of a report: a campaign's pledge and refund aggregates, computed in full, or brought
from an earlier block to the mirror's current one by adding the rows of the blocks in between (see
:mod:`ledger.reconcile.cache`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.db.models import Pledged
from ledger.reconcile import queries as q

#: Above this many new pledges since an earlier computation, recompute rather than add them up.
MAX_DELTA_ROWS = 20_000
#: Donors checked per ``IN (…)`` list.
_CHUNK = 500


@dataclass(frozen=True)
class CampaignAggregates:
    """A campaign's pledges and refunds per (round, token), and its distinct donors, as of one block."""

    pledges: Mapping[tuple[int, str], q.Sums]
    refunds: Mapping[tuple[int, str], q.Sums]
    donors_by_round: Mapping[int, int]
    donors: int

    def round_usd(self) -> dict[int, int]:
        usd: dict[int, int] = {}
        for (round_id, _), sums in self.pledges.items():
            usd[round_id] = usd.get(round_id, 0) + sums.usd
        return usd


def compute(s: Session, pos: q.MirrorPosition, campaign_id: int) -> CampaignAggregates:
    donors_by_round, donors = q.donor_counts(s, pos, campaign_id)
    return CampaignAggregates(
        pledges=q.pledge_sums(s, pos, campaign_id),
        refunds=q.refund_sums(s, pos, campaign_id),
        donors_by_round=donors_by_round,
        donors=donors,
    )


def _add(
    a: Mapping[tuple[int, str], q.Sums], b: Mapping[tuple[int, str], q.Sums]
) -> dict[tuple[int, str], q.Sums]:
    total = dict(a)
    for key, sums in b.items():
        old = total.get(key)
        total[key] = (
            sums
            if old is None
            else q.Sums(
                old.count + sums.count,
                old.amount + sums.amount,
                old.usd + sums.usd,
                max(old.last_timestamp, sums.last_timestamp),
            )
        )
    return total


def advance(
    s: Session, pos: q.MirrorPosition, campaign_id: int, old: CampaignAggregates, since: int
) -> CampaignAggregates | None:
    """``old`` (as of block ``since``) moved to ``pos`` by the rows of the blocks after ``since``; None when
    there are too many of them to be worth it."""
    pledges = q.pledge_sums(s, pos, campaign_id, after_block=since)
    if sum(p.count for p in pledges.values()) > MAX_DELTA_ROWS:
        return None
    refunds = q.refund_sums(s, pos, campaign_id, after_block=since)
    by_round = dict(old.donors_by_round)
    donors = old.donors
    if pledges:
        new_pairs: set[tuple[int, str]] = {
            (round_id, donor)
            for round_id, donor in s.execute(
                select(Pledged.round_id, Pledged.donor)
                .where(*q.mirrored(Pledged, pos, campaign_id, after_block=since))
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
    s: Session, pos: q.MirrorPosition, campaign_id: int, until: int, donors: Sequence[str]
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
