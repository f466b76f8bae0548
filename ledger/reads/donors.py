"""One donor's pledges and refunds to a campaign, in chain order."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.db.models import Pledged, Refunded
from ledger.reads.mirror import MirrorPosition, mirrored


@dataclass(frozen=True)
class DonorPledgeRow:
    tx_hash: str
    log_index: int
    block_number: int
    block_timestamp: int
    round_id: int
    token: str
    amount: int
    usd_value: int


@dataclass(frozen=True)
class DonorRefundRow:
    tx_hash: str
    log_index: int
    block_number: int
    block_timestamp: int
    round_id: int
    token: str
    amount: int
    caller: str


def donor_pledges(s: Session, pos: MirrorPosition, campaign_id: int, donor: str) -> list[DonorPledgeRow]:
    rows = s.execute(
        select(
            Pledged.tx_hash,
            Pledged.log_index,
            Pledged.block_number,
            Pledged.block_timestamp,
            Pledged.round_id,
            Pledged.token,
            Pledged.amount,
            Pledged.usd_value,
        )
        .where(*mirrored(Pledged, pos, campaign_id), Pledged.donor == donor)
        .order_by(Pledged.block_number, Pledged.log_index)
    )
    return [DonorPledgeRow(*row) for row in rows]


def donor_refunds(s: Session, pos: MirrorPosition, campaign_id: int, donor: str) -> list[DonorRefundRow]:
    rows = s.execute(
        select(
            Refunded.tx_hash,
            Refunded.log_index,
            Refunded.block_number,
            Refunded.block_timestamp,
            Refunded.round_id,
            Refunded.token,
            Refunded.amount,
            Refunded.caller,
        )
        .where(*mirrored(Refunded, pos, campaign_id), Refunded.donor == donor)
        .order_by(Refunded.block_number, Refunded.log_index)
    )
    return [DonorRefundRow(*row) for row in rows]
