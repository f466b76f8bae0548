"""A campaign as the mirror knows it: created, its manager now, cancelled or paused, and by whom.

One definition for the API (a page of campaigns, one campaign) and the reconciliation (one campaign as of
the mirror's block): every read takes ``upto_block`` (None: every row mirrored).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, literal, select, union_all
from sqlalchemy.orm import Session

from ledger.db.models import (
    CampaignCancelled,
    CampaignCreated,
    CampaignManagerChanged,
    CampaignPaused,
    CampaignUnpaused,
    ChainEvent,
)
from ledger.reads.mirror import MirrorPosition, mirrored


@dataclass(frozen=True)
class Campaign:
    """A campaign's creation and its state now (as of the block read up to)."""

    chain_id: int
    campaign_id: int
    #: The campaign's manager now (its creator's choice, or the last CampaignManagerChanged).
    manager: str
    beneficiary: str
    metadata_hash: str
    supplier_delay: int
    created_block: int
    created_tx_hash: str
    created_at: int
    cancelled: bool = False
    #: Who cancelled it; None if not cancelled, or not recorded (a version 1 ledger).
    cancelled_by: str | None = None
    cancelled_block: int | None = None
    cancelled_timestamp: int | None = None
    paused: bool = False
    #: Who paused it, while paused.
    paused_by: str | None = None


def _upto(model: type[ChainEvent], upto_block: int | None) -> list[ColumnElement[bool]]:
    return [] if upto_block is None else [model.block_number <= upto_block]


def campaigns_of(
    s: Session, chain_id: int, created: Sequence[CampaignCreated], *, upto_block: int | None = None
) -> list[Campaign]:
    """The :class:`Campaign` of each ``CampaignCreated`` row (of chain ``chain_id``), in their order."""
    ids = [c.campaign_id for c in created]
    managers = current_managers(s, chain_id=chain_id, campaign_ids=ids, upto_block=upto_block)
    cancelled = s.execute(
        select(
            CampaignCancelled.campaign_id,
            CampaignCancelled.account,
            CampaignCancelled.block_number,
            CampaignCancelled.block_timestamp,
        )
        .where(
            CampaignCancelled.chain_id == chain_id,
            CampaignCancelled.campaign_id.in_(ids),
            *_upto(CampaignCancelled, upto_block),
        )
        .order_by(CampaignCancelled.id.desc())
    )
    cancels = {campaign_id: (account, block, ts) for campaign_id, account, block, ts in cancelled}
    pauses = pause_states(s, chain_id=chain_id, campaign_ids=ids, upto_block=upto_block)
    result = []
    for c in created:
        cancel = cancels.get(c.campaign_id)
        pause = pauses.get(c.campaign_id)
        paused = pause is not None and pause.paused
        result.append(
            Campaign(
                chain_id=c.chain_id,
                campaign_id=c.campaign_id,
                manager=managers.get(c.campaign_id, c.manager),
                beneficiary=c.beneficiary,
                metadata_hash=c.metadata_hash,
                supplier_delay=c.supplier_delay,
                created_block=c.block_number,
                created_tx_hash=c.tx_hash,
                created_at=c.block_timestamp,
                cancelled=cancel is not None,
                cancelled_by=cancel[0] if cancel else None,
                cancelled_block=cancel[1] if cancel else None,
                cancelled_timestamp=cancel[2] if cancel else None,
                paused=paused,
                paused_by=pause.account if pause is not None and paused else None,
            )
        )
    return result


def campaign(s: Session, pos: MirrorPosition, campaign_id: int) -> Campaign | None:
    """Campaign ``campaign_id`` as of the mirror's block, or None if it is not in the mirror."""
    created = s.scalars(
        select(CampaignCreated)
        .where(*mirrored(CampaignCreated, pos, campaign_id))
        .order_by(CampaignCreated.id)
        .limit(1)
    ).first()
    if created is None:
        return None
    [found] = campaigns_of(s, pos.chain_id, [created], upto_block=pos.block_number)
    return found


def current_managers(
    s: Session, *, chain_id: int, campaign_ids: Iterable[int], upto_block: int | None = None
) -> dict[int, str]:
    """The manager each campaign has now, for those whose manager changed since creation."""
    managers: dict[int, str] = {}
    rows = s.execute(
        select(CampaignManagerChanged.campaign_id, CampaignManagerChanged.new_manager)
        .where(
            CampaignManagerChanged.chain_id == chain_id,
            CampaignManagerChanged.campaign_id.in_(list(campaign_ids)),
            *_upto(CampaignManagerChanged, upto_block),
        )
        .order_by(CampaignManagerChanged.id)
    )
    for campaign_id, manager in rows:
        managers[campaign_id] = manager
    return managers


@dataclass(frozen=True)
class PauseState:
    """A campaign's last pause or unpause: it is paused if that was a pause."""

    paused: bool
    account: str
    block_number: int
    block_timestamp: int
    tx_hash: str


def pause_states(
    s: Session, *, chain_id: int, campaign_ids: Iterable[int], upto_block: int | None = None
) -> dict[int, PauseState]:
    """The last pause or unpause of each of ``campaign_ids`` that has one (up to ``upto_block``, if given):
    the one rule for whether a campaign's disbursements are paused."""
    ids = list(campaign_ids)
    if not ids:
        return {}
    parts = []
    for model, paused in ((CampaignPaused, True), (CampaignUnpaused, False)):
        parts.append(
            select(
                model.campaign_id,
                model.block_number,
                model.log_index,
                literal(paused).label("paused"),
                model.account,
                model.block_timestamp,
                model.tx_hash,
            ).where(model.chain_id == chain_id, model.campaign_id.in_(ids), *_upto(model, upto_block))
        )
    rows = sorted(s.execute(union_all(*parts)), key=lambda r: (r[1], r[2]))
    return {
        int(campaign_id): PauseState(bool(paused), account, block, timestamp, tx)
        for campaign_id, block, _log, paused, account, timestamp, tx in rows
    }
