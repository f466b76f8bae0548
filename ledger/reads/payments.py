"""A campaign's payments to suppliers (``Disbursed``), read as rows: there are about as many as a report
shows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.db.models import Disbursed
from ledger.reads.mirror import MirrorPosition, mirrored


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
        select(
            Disbursed.tx_hash,
            Disbursed.log_index,
            Disbursed.block_number,
            Disbursed.block_timestamp,
            Disbursed.supplier,
            Disbursed.token,
            Disbursed.amount,
            Disbursed.purchase_order_ref,
            Disbursed.invoice_hash,
        )
        .where(*mirrored(Disbursed, pos, campaign_id))
        .order_by(Disbursed.block_number, Disbursed.log_index)
    )
    return [
        DisbursedRow(tx, li, bn, ts, sup, tok, int(amt), ref.lower(), inv.lower())
        for tx, li, bn, ts, sup, tok, amt, ref, inv in rows
    ]
