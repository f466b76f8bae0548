"""A campaign's payments to suppliers (``Disbursed``), read as rows: there are about as many as a report
shows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ledger.db.models import Disbursed
from ledger.reads.mirror import MirrorPosition, mirrored
from ledger.reads.rows import select_fields


@dataclass(frozen=True)
class DisbursedRow:
    tx_hash: str
    log_index: int
    block_number: int
    block_timestamp: int
    supplier: str
    token: str
    amount: int
    purchase_order_ref: str
    invoice_hash: str


def disbursements(s: Session, pos: MirrorPosition, campaign_id: int) -> list[DisbursedRow]:
    """Every payment of the campaign, in chain order."""
    rows = s.execute(
        select_fields(Disbursed, DisbursedRow)
        .where(*mirrored(Disbursed, pos, campaign_id))
        .order_by(Disbursed.block_number, Disbursed.log_index)
    )
    return [
        DisbursedRow(tx, li, bn, ts, sup, tok, int(amt), ref.lower(), inv.lower())
        for tx, li, bn, ts, sup, tok, amt, ref, inv in rows
    ]
