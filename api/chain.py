"""What the routes read of the chain mirror, through :mod:`ledger.reads` (the read model the
reconciliation uses too): pages of events with their confirmation, and one campaign with its rounds and
aggregates (kept between requests by the app's :class:`~ledger.reconcile.ReconcileCache`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.pagination import PageParams, keyset_page, where_equal
from ledger.reads.aggregates import CampaignAggregates
from ledger.reads.campaigns import Campaign, campaign
from ledger.reads.mirror import MirrorPosition, of_campaign, position_of, settlement, with_confirmation
from ledger.reads.rounds import Round, campaign_rounds, with_figures
from ledger.reconcile.cache import ReconcileCache, campaign_aggregates


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


@dataclass(frozen=True)
class CampaignReads:
    """A campaign as of the mirror's block: the campaign, its aggregates and its rounds with figures."""

    pos: MirrorPosition
    campaign: Campaign
    sums: CampaignAggregates
    rounds: dict[int, Round]


def campaign_or_none(session: Session, chain_id: int | None, campaign_id: int) -> Campaign | None:
    pos = position_of(session, chain_id)
    return None if pos is None else campaign(session, pos, campaign_id)


def campaign_reads(
    session: Session, chain_id: int | None, campaign_id: int, cache: ReconcileCache | None
) -> CampaignReads:
    """Campaign ``campaign_id`` of ``chain_id`` with its rounds; 404 if the mirror does not have it."""
    pos = position_of(session, chain_id)
    found = None if pos is None else campaign(session, pos, campaign_id)
    if pos is None or found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no campaign {campaign_id} on this chain")
    sums = campaign_aggregates(session, pos, campaign_id, cache)
    return CampaignReads(pos, found, sums, with_figures(campaign_rounds(session, pos, campaign_id), sums))
