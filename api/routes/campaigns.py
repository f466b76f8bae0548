"""Campaigns: the list with their progress, and one campaign with its tokens, rounds and totals."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, HTTPException, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.chain import (
    RoundFigures,
    campaign_row,
    cancelled_campaigns,
    current_managers,
    of_chain,
    progress_pct,
    rounds,
    token_totals,
)
from api.deps import ChainIdDep, SessionDep
from api.errors import NOT_FOUND
from api.pagination import PageDep, keyset_page
from api.params import CampaignIdPath
from api.routes.rounds import round_public
from api.schemas.campaigns import (
    AcceptedToken,
    CampaignDetail,
    CampaignsPublic,
    CampaignSummary,
    TokenTotals,
)
from ledger.db.models import CampaignCreated, TokenAccepted
from ledger.db.records import Token
from ledger.reconcile.queries import pause_states

#: Rounds whose pledges go back to the donors: they count neither towards the progress nor its goal.

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


def _summaries(
    session: Session, chain_id: int, campaigns: Sequence[CampaignCreated]
) -> tuple[list[CampaignSummary], dict[int, list[RoundFigures]]]:
    ids = [c.campaign_id for c in campaigns]
    managers = current_managers(session, chain_id=chain_id, campaign_ids=ids)
    cancelled = cancelled_campaigns(session, chain_id=chain_id, campaign_ids=ids)
    pauses = pause_states(session, chain_id=chain_id, campaign_ids=ids)
    by_campaign = rounds(session, chain_id=chain_id, campaign_ids=ids)
    summaries = []
    for c in campaigns:
        figures = by_campaign.get(c.campaign_id, [])
        funding = [r for r in figures if not r.refundable]
        funding_goal = sum(r.opened.goal_usd for r in funding)
        funding_raised = sum(r.raised_usd for r in funding)
        pause = pauses.get(c.campaign_id)
        paused = pause is not None and pause.paused
        summaries.append(
            CampaignSummary(
                chain_id=c.chain_id,
                campaign_id=c.campaign_id,
                manager=managers.get(c.campaign_id, c.manager),
                beneficiary=c.beneficiary,
                metadata_hash=c.metadata_hash,
                cancelled=c.campaign_id in cancelled,
                cancelled_by=cancelled.get(c.campaign_id),
                paused=paused,
                paused_by=pause.account if pause is not None and paused else None,
                supplier_delay=c.supplier_delay,
                created_block=c.block_number,
                created_tx_hash=c.tx_hash,
                created_at=c.block_timestamp,
                goal_usd=sum(r.opened.goal_usd for r in figures),
                raised_usd=sum(r.raised_usd for r in figures),
                progress_goal_usd=funding_goal,
                progress_raised_usd=funding_raised,
                progress_pct=progress_pct(funding_raised, funding_goal),
                refundable_rounds=len(figures) - len(funding),
            )
        )
    return summaries, by_campaign


def token_symbols(session: Session, addresses: set[str]) -> dict[str, str]:
    """The recorded symbol of each of ``addresses`` that has a token record."""
    if not addresses:
        return {}
    found = session.execute(select(Token.address, Token.symbol).where(Token.address.in_(addresses)))
    return {address: symbol for address, symbol in found}


@router.get("", response_model=CampaignsPublic, summary="Campaigns in creation order, with their progress")
def list_campaigns(session: SessionDep, chain_id: ChainIdDep, page: PageDep) -> CampaignsPublic:
    statement = select(CampaignCreated).where(of_chain(CampaignCreated, chain_id))
    rows, next_cursor = keyset_page(
        session, statement, CampaignCreated.id, limit=page.limit, cursor=page.cursor
    )
    if chain_id is None:
        return CampaignsPublic(data=[], next_cursor=None)
    summaries, _ = _summaries(session, chain_id, rows)
    return CampaignsPublic(data=summaries, next_cursor=next_cursor)


@router.get(
    "/{campaign_id}",
    response_model=CampaignDetail,
    responses=NOT_FOUND,
    summary="A campaign: accepted tokens, rounds with progress to goal, totals per token",
)
def read_campaign(session: SessionDep, chain_id: ChainIdDep, campaign_id: CampaignIdPath) -> CampaignDetail:
    campaign = campaign_row(session, chain_id=chain_id, campaign_id=campaign_id)
    if campaign is None or chain_id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no campaign {campaign_id} on this chain")
    [summary], by_campaign = _summaries(session, chain_id, [campaign])
    tokens = session.scalars(
        select(TokenAccepted)
        .where(TokenAccepted.chain_id == chain_id, TokenAccepted.campaign_id == campaign_id)
        .order_by(TokenAccepted.id)
    ).all()
    totals = token_totals(session, chain_id=chain_id, campaign_id=campaign_id)
    symbols = token_symbols(session, {t.token for t in tokens} | set(totals))
    return CampaignDetail(
        **summary.model_dump(),
        tokens=[
            AcceptedToken(
                token=t.token,
                symbol=symbols.get(t.token),
                feed=t.feed,
                token_decimals=t.token_decimals,
                feed_decimals=t.feed_decimals,
                max_staleness=t.max_staleness,
            )
            for t in tokens
        ],
        rounds=[round_public(r) for r in by_campaign.get(campaign_id, [])],
        totals=[
            TokenTotals(
                token=token,
                symbol=symbols.get(token),
                pledged=f.pledged,
                pledged_usd=f.pledged_usd,
                refunded=f.refunded,
                disbursed=f.disbursed,
                held=f.held,
            )
            for token, f in sorted(totals.items())
        ],
    )
