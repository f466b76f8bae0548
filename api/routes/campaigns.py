"""Campaigns: the list with their progress, and one campaign with its tokens, rounds and totals, read
through :mod:`ledger.reads` as the reconciliation reads them."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter
from sqlalchemy import select

from api.chain import campaign_reads
from api.deps import CacheDep, ChainIdDep, SessionDep
from api.errors import NOT_FOUND
from api.pagination import PageDep, keyset_page
from api.params import CampaignIdPath
from api.schemas.campaigns import CampaignDetail, CampaignsPublic
from ledger.db.models import CampaignCreated
from ledger.reads.campaigns import campaigns_of
from ledger.reads.mirror import of_chain, position_of
from ledger.reads.rounds import progress, raised_by_round, rounds, with_raised
from ledger.reads.tokens import accepted_tokens, disbursed_totals, token_figures, token_symbols

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.get("", response_model=CampaignsPublic, summary="Campaigns in creation order, with their progress")
def list_campaigns(session: SessionDep, chain_id: ChainIdDep, page: PageDep) -> CampaignsPublic:
    pos = position_of(session, chain_id)
    if pos is None:
        return CampaignsPublic(data=[], next_cursor=None)
    statement = select(CampaignCreated).where(
        of_chain(CampaignCreated, pos.chain_id), CampaignCreated.block_number <= pos.block_number
    )
    created, next_cursor = keyset_page(
        session, statement, CampaignCreated.id, limit=page.limit, cursor=page.cursor
    )
    ids = [c.campaign_id for c in created]
    by_campaign = rounds(session, chain_id=pos.chain_id, campaign_ids=ids, upto_block=pos.block_number)
    raised = raised_by_round(session, chain_id=pos.chain_id, campaign_ids=ids, upto_block=pos.block_number)
    summaries = [
        {**asdict(c), **asdict(progress(with_raised(by_campaign.get(c.campaign_id, {}), raised)))}
        for c in campaigns_of(session, pos.chain_id, created, upto_block=pos.block_number)
    ]
    return CampaignsPublic.model_validate({"data": summaries, "next_cursor": next_cursor})


@router.get(
    "/{campaign_id}",
    response_model=CampaignDetail,
    responses=NOT_FOUND,
    summary="A campaign: accepted tokens, rounds with progress to goal, totals per token",
)
def read_campaign(
    session: SessionDep, chain_id: ChainIdDep, cache: CacheDep, campaign_id: CampaignIdPath
) -> CampaignDetail:
    found = campaign_reads(session, chain_id, campaign_id, cache)
    tokens = accepted_tokens(session, found.pos, campaign_id)
    totals = token_figures(found.sums, disbursed_totals(session, found.pos, campaign_id))
    symbols = token_symbols(session, {*tokens, *totals})
    return CampaignDetail.model_validate(
        {
            **asdict(found.campaign),
            **asdict(progress(found.rounds.values())),
            "tokens": [{**asdict(t), "symbol": symbols.get(t.token)} for t in tokens.values()],
            "rounds": list(found.rounds.values()),
            "totals": [
                {**asdict(f), "held": f.held, "symbol": symbols.get(token)}
                for token, f in sorted(totals.items())
            ],
        }
    )
