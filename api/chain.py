"""What the routes read of the chain mirror, through :mod:`ledger.reads` (the read model the
reconciliation uses too): pages of events with their confirmation, and one campaign with its rounds and
aggregates (kept between requests by the app's :class:`~ledger.reconcile.ReconcileCache`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.deps import ChainIdDep, SessionDep, SettingsDep
from api.pagination import PageDep, PageParams, keyset_page, where_equal
from api.params import CampaignFilter, DonorFilter, RoundFilter, TokenFilter
from api.schemas.common import Page
from ledger.reads.aggregates import CampaignAggregates
from ledger.reads.campaigns import Campaign, campaign
from ledger.reads.mirror import MirrorPosition, of_campaign, position_of, settlement, with_confirmation
from ledger.reads.rounds import Round, campaign_rounds, with_figures
from ledger.reconcile.cache import ReconcileCache, campaign_aggregates

P = TypeVar("P", bound=Page)


@dataclass(frozen=True)
class EventPages:
    """What every list of chain events is read with: the chain, the page asked for and the campaign filter."""

    session: Session
    chain_id: int | None
    page: PageParams
    campaign_id: int | None
    depth: int

    def rows(self, model: Any, **filters: object) -> tuple[list[dict[str, object]], str | None]:
        """One keyset page of ``model``'s events (of the campaign if given, narrowed by ``filters``), each
        as its columns plus its confirmation state, and the next page's cursor."""
        statement = select(model).where(of_campaign(model, self.chain_id, self.campaign_id))
        statement = where_equal(statement, model, **filters)
        rows, next_cursor = keyset_page(
            self.session, statement, model.id, limit=self.page.limit, cursor=self.page.cursor
        )
        settled = settlement(self.session, chain_id=self.chain_id, depth=self.depth)
        return [with_confirmation(row, settled) for row in rows], next_cursor

    def answer(self, model: Any, page_model: type[P], **filters: object) -> P:
        """:meth:`rows` as ``page_model`` (a :class:`Page` whose ``data`` are the events)."""
        rows, next_cursor = self.rows(model, **filters)
        return page_model.model_validate({"data": rows, "next_cursor": next_cursor})


def event_pages(
    session: SessionDep,
    settings: SettingsDep,
    chain_id: ChainIdDep,
    page: PageDep,
    campaign_id: CampaignFilter = None,
) -> EventPages:
    return EventPages(session, chain_id, page, campaign_id, settings.confirmation_depth)


#: The reads of a list of chain events, with the query parameters every such list takes.
EventPagesDep = Annotated[EventPages, Depends(event_pages)]


def donor_event_filters(
    round_id: RoundFilter = None, donor: DonorFilter = None, token: TokenFilter = None
) -> dict[str, object]:
    return {"round_id": round_id, "donor": donor, "token": token}


#: The filters of a list of donors' events (pledges, refunds), as :meth:`EventPages.answer` takes them.
DonorEventFiltersDep = Annotated[dict[str, object], Depends(donor_event_filters)]


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
