"""One donor's pledges and refunds to a campaign, in chain order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from ledger.db.models import Pledged, Refunded
from ledger.reads.mirror import MirrorPosition, mirrored
from ledger.reads.rows import select_fields


@dataclass(frozen=True)
class DonorEventRow:
    tx_hash: str
    log_index: int
    block_number: int
    block_timestamp: int
    round_id: int
    token: str
    amount: int


@dataclass(frozen=True)
class DonorPledgeRow(DonorEventRow):
    usd_value: int


@dataclass(frozen=True)
class DonorRefundRow(DonorEventRow):
    caller: str


R = TypeVar("R", bound=DonorEventRow)


def _donor_events(
    s: Session, pos: MirrorPosition, model: Any, row_type: type[R], campaign_id: int, donor: str
) -> list[R]:
    """The donor's ``model`` events in the campaign in chain order, as ``row_type`` (fields name columns)."""
    rows = s.execute(
        select_fields(model, row_type)
        .where(*mirrored(model, pos, campaign_id), model.donor == donor)
        .order_by(model.block_number, model.log_index)
    )
    return [row_type(*row) for row in rows]


def donor_pledges(s: Session, pos: MirrorPosition, campaign_id: int, donor: str) -> list[DonorPledgeRow]:
    return _donor_events(s, pos, Pledged, DonorPledgeRow, campaign_id, donor)


def donor_refunds(s: Session, pos: MirrorPosition, campaign_id: int, donor: str) -> list[DonorRefundRow]:
    return _donor_events(s, pos, Refunded, DonorRefundRow, campaign_id, donor)
