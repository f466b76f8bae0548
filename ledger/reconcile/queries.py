"""The SQL behind a report: a fixed number of queries whatever the size of the campaign.

Pledges and refunds are only ever aggregated in SQL (``GROUP BY`` with exact sums, see
:mod:`ledger.reconcile.sums`); payments, orders and their lines are read as rows, since there are about as
many of them as the report shows. Every query of the mirror stops at the block the report is made at
(``block_number <= as_of``), so an indexer writing meanwhile cannot make the totals disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, select, union_all
from sqlalchemy.orm import Session

from ledger.db.models import (
    Block,
    CampaignCancelled,
    CampaignCreated,
    CampaignPaused,
    CampaignUnpaused,
    ChainEvent,
    Disbursed,
    IndexerCursor,
    Pledged,
    Refunded,
    RoundClosed,
    RoundOpened,
    TokenAccepted,
)
from ledger.db.records import (
    DeliveryItem,
    Distribution,
    Document,
    OrderLine,
    PurchaseOrder,
    ReferencePrice,
    ShipmentItem,
    Supplier,
    Token,
)
from ledger.reconcile.sums import grouped_sums
from ledger.reconcile.units import money
from ledger.records.errors import InvalidRecordError, RecordNotFoundError

# ─── the mirror ─────────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class MirrorPosition:
    """How far the mirror of one chain goes: the report is made as of ``block_number``."""

    chain_id: int
    contract: str
    #: The ledger's timelock, when the mirror follows one.
    timelock: str | None
    genesis_hash: str
    #: Reorganisations undone so far: a change means rows below the cursor may have changed.
    reorgs: int
    block_number: int
    block_hash: str | None
    head_block: int
    updated_at: datetime
    #: Time of the newest stored block header at or below ``block_number`` (None before any).
    timestamp: int | None


def mirror_position(s: Session, chain_id: int | None) -> MirrorPosition:
    """The cursor of ``chain_id``, or of the only chain mirrored when ``chain_id`` is None."""
    query = select(IndexerCursor)
    if chain_id is not None:
        query = query.where(IndexerCursor.chain_id == chain_id)
    cursors = s.scalars(query.order_by(IndexerCursor.chain_id)).all()
    if not cursors:
        where = f"chain {chain_id}" if chain_id is not None else "any chain"
        raise RecordNotFoundError(f"nothing is mirrored from {where} yet: run `pledgeledger index`")
    if len(cursors) > 1:
        chains = ", ".join(str(c.chain_id) for c in cursors)
        raise InvalidRecordError(f"the database mirrors several chains ({chains}): name the chain_id")
    cursor = cursors[0]
    timestamp = s.scalar(
        select(Block.timestamp)
        .where(Block.chain_id == cursor.chain_id, Block.number <= cursor.block_number)
        .order_by(Block.number.desc())
        .limit(1)
    )
    return MirrorPosition(
        chain_id=cursor.chain_id,
        contract=cursor.contract,
        timelock=cursor.timelock,
        genesis_hash=cursor.genesis_hash,
        reorgs=cursor.reorgs,
        block_number=cursor.block_number,
        block_hash=cursor.block_hash,
        head_block=cursor.head_block,
        updated_at=cursor.updated_at,
        timestamp=timestamp,
    )


def mirrored(
    model: type[ChainEvent], pos: MirrorPosition, campaign_id: int, *, after_block: int | None = None
) -> list[ColumnElement[bool]]:
    """The campaign's rows up to the report's block; with ``after_block``, only those of later blocks."""
    if after_block is None:
        # "+ 0": a whole campaign is read by a scan; SQLite would otherwise walk the (chain, block) index
        # and fetch every row through it, which is slower than reading the table.
        upto = (model.block_number + 0) <= pos.block_number
        return [model.chain_id == pos.chain_id, upto, model.campaign_id == campaign_id]  # type: ignore[attr-defined]
    return [
        model.chain_id == pos.chain_id,
        model.block_number > after_block,
        model.block_number <= pos.block_number,
        model.campaign_id == campaign_id,  # type: ignore[attr-defined]
    ]


@dataclass(frozen=True)
class CampaignRow:
    campaign_id: int
    manager: str
    beneficiary: str
    metadata_hash: str
    supplier_delay: int
    block_number: int
    block_timestamp: int
    tx_hash: str
    cancelled_block: int | None
    cancelled_timestamp: int | None
    paused: bool = False


def campaign_row(s: Session, pos: MirrorPosition, campaign_id: int) -> CampaignRow | None:
    created = s.execute(
        select(
            CampaignCreated.manager,
            CampaignCreated.beneficiary,
            CampaignCreated.metadata_hash,
            CampaignCreated.supplier_delay,
            CampaignCreated.block_number,
            CampaignCreated.block_timestamp,
            CampaignCreated.tx_hash,
        )
        .where(*mirrored(CampaignCreated, pos, campaign_id))
        .order_by(CampaignCreated.id)
        .limit(1)
    ).first()
    if created is None:
        return None
    cancelled = s.execute(
        select(CampaignCancelled.block_number, CampaignCancelled.block_timestamp)
        .where(*mirrored(CampaignCancelled, pos, campaign_id))
        .order_by(CampaignCancelled.id)
        .limit(1)
    ).first()
    pause = pause_states(s, chain_id=pos.chain_id, campaign_ids=[campaign_id], upto_block=pos.block_number)
    return CampaignRow(
        campaign_id,
        *created,
        cancelled_block=cancelled[0] if cancelled else None,
        cancelled_timestamp=cancelled[1] if cancelled else None,
        paused=campaign_id in pause and pause[campaign_id].paused,
    )


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
        where = [model.chain_id == chain_id, model.campaign_id.in_(ids)]
        if upto_block is not None:
            where.append(model.block_number <= upto_block)
        parts.append(
            select(
                model.campaign_id,
                model.block_number,
                model.log_index,
                literal(paused).label("paused"),
                model.account,
                model.block_timestamp,
                model.tx_hash,
            ).where(*where)
        )
    rows = sorted(s.execute(union_all(*parts)), key=lambda r: (r[1], r[2]))
    return {
        int(campaign_id): PauseState(bool(paused), account, block, timestamp, tx)
        for campaign_id, block, _log, paused, account, timestamp, tx in rows
    }


@dataclass(frozen=True)
class TokenRow:
    token: str
    decimals: int
    feed: str


def accepted_tokens(s: Session, pos: MirrorPosition, campaign_id: int) -> dict[str, TokenRow]:
    """The campaign's tokens, in the order they were accepted (a later event for a token changed its feed)."""
    tokens: dict[str, TokenRow] = {}
    rows = s.execute(
        select(TokenAccepted.token, TokenAccepted.token_decimals, TokenAccepted.feed)
        .where(*mirrored(TokenAccepted, pos, campaign_id))
        .order_by(TokenAccepted.id)
    )
    for token, decimals, feed in rows:
        tokens[token] = TokenRow(token, decimals, feed)
    return tokens


@dataclass(frozen=True)
class RoundRow:
    round_id: int
    start: int
    end: int
    goal_usd: int
    all_or_nothing: bool
    #: RoundState of the close (2 Succeeded, 3 Failed, 4 Cancelled), None while open.
    outcome: int | None
    closed_raised_usd: int | None
    closed_block: int | None
    closed_timestamp: int | None


def rounds(s: Session, pos: MirrorPosition, campaign_id: int) -> dict[int, RoundRow]:
    closed = {
        round_id: (outcome, raised, block, timestamp)
        for round_id, outcome, raised, block, timestamp in s.execute(
            select(
                RoundClosed.round_id,
                RoundClosed.outcome,
                RoundClosed.raised_usd,
                RoundClosed.block_number,
                RoundClosed.block_timestamp,
            ).where(*mirrored(RoundClosed, pos, campaign_id))
        )
    }
    opened = s.execute(
        select(
            RoundOpened.round_id,
            RoundOpened.start,
            RoundOpened.end,
            RoundOpened.goal_usd,
            RoundOpened.all_or_nothing,
        ).where(*mirrored(RoundOpened, pos, campaign_id))
    )
    result: dict[int, RoundRow] = {}
    for round_id, start, end, goal, aon in opened:
        outcome, raised, block, timestamp = closed.get(round_id, (None, None, None, None))
        result[round_id] = RoundRow(round_id, start, end, goal, bool(aon), outcome, raised, block, timestamp)
    return dict(sorted(result.items()))


@dataclass(frozen=True)
class Sums:
    """Count and exact sums of a group of pledges (``usd`` 8 decimals) or refunds (``usd`` 0)."""

    count: int
    amount: int
    usd: int = 0
    last_timestamp: int = 0


def pledge_sums(
    s: Session, pos: MirrorPosition, campaign_id: int, *, after_block: int | None = None
) -> dict[tuple[int, str], Sums]:
    """Pledges per (round, token): count, base units, USD at receipt."""
    rows = grouped_sums(
        s,
        [Pledged.round_id, Pledged.token],
        [func.count()],
        [Pledged.amount, Pledged.usd_value],
        mirrored(Pledged, pos, campaign_id, after_block=after_block),
    )
    return {(int(r), t): Sums(int(n), a, u) for r, t, n, a, u in rows}


def donor_counts(s: Session, pos: MirrorPosition, campaign_id: int) -> tuple[dict[int, int], int]:
    """Distinct donors per round, and in the whole campaign."""
    pairs = (
        select(Pledged.round_id, Pledged.donor)
        .where(*mirrored(Pledged, pos, campaign_id))
        .group_by(Pledged.round_id, Pledged.donor)
        .cte("round_donors")
    )
    per_round = select(pairs.c.round_id, func.count()).group_by(pairs.c.round_id)
    overall = select(literal(None).label("round_id"), func.count(pairs.c.donor.distinct()))
    by_round: dict[int, int] = {}
    total = 0
    for round_id, count in s.execute(union_all(per_round, overall)):
        if round_id is None:
            total = int(count)
        else:
            by_round[int(round_id)] = int(count)
    return by_round, total


def refund_sums(
    s: Session, pos: MirrorPosition, campaign_id: int, *, after_block: int | None = None
) -> dict[tuple[int, str], Sums]:
    """Refunds per (round, token): count, base units, time of the last one."""
    rows = grouped_sums(
        s,
        [Refunded.round_id, Refunded.token],
        [func.count(), func.max(Refunded.block_timestamp)],
        [Refunded.amount],
        mirrored(Refunded, pos, campaign_id, after_block=after_block),
    )
    return {(int(r), t): Sums(int(n), a, 0, int(last)) for r, t, n, last, a in rows}


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


def ledger_held(s: Session, pos: MirrorPosition, *, after_block: int | None = None) -> dict[str, int]:
    """Per token, what all campaigns of the chain hold (pledged − refunded − disbursed): the contract's
    balance must cover it. With ``after_block``, the change over the blocks after it."""
    held: dict[str, int] = {}
    for model, sign in ((Pledged, 1), (Refunded, -1), (Disbursed, -1)):
        where = [model.chain_id == pos.chain_id, (model.block_number + 0) <= pos.block_number]
        if after_block is not None:
            where = [
                model.chain_id == pos.chain_id,
                model.block_number > after_block,
                model.block_number <= pos.block_number,
            ]
        for token, amount in grouped_sums(s, [model.token], [], [model.amount], where):
            held[token] = held.get(token, 0) + sign * int(amount)
    return held


# ─── the off-chain records ─────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class OrderRow:
    id: int
    reference: str
    order_ref: str
    status: str
    issued_on: date
    supplier_id: int
    supplier_name: str
    supplier_wallet: str
    supplier_vetting: str
    payment_token: str
    payment_amount: int


def orders(s: Session, campaign_id: int) -> list[OrderRow]:
    rows = s.execute(
        select(
            PurchaseOrder.id,
            PurchaseOrder.reference,
            PurchaseOrder.order_ref,
            PurchaseOrder.status,
            PurchaseOrder.issued_on,
            PurchaseOrder.supplier_id,
            Supplier.name,
            Supplier.wallet,
            Supplier.vetting_status,
            PurchaseOrder.payment_token,
            PurchaseOrder.payment_amount,
        )
        .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
        .where(PurchaseOrder.campaign_id == campaign_id)
        .order_by(PurchaseOrder.id)
    )
    return [
        OrderRow(i, ref, oref.lower(), st, iss, sid, name, wallet, vetting, tok, int(amt))
        for i, ref, oref, st, iss, sid, name, wallet, vetting, tok, amt in rows
    ]


@dataclass(frozen=True)
class LineRow:
    id: int
    order_id: int
    line_no: int
    item: str
    unit: str
    quantity: int
    unit_price: Decimal
    currency: str


def _campaign_orders(campaign_id: int) -> Any:
    return select(PurchaseOrder.id).where(PurchaseOrder.campaign_id == campaign_id)


def order_lines(s: Session, campaign_id: int) -> list[LineRow]:
    rows = s.execute(
        select(
            OrderLine.id,
            OrderLine.order_id,
            OrderLine.line_no,
            OrderLine.item,
            OrderLine.unit,
            OrderLine.quantity,
            OrderLine.unit_price,
            OrderLine.currency,
        )
        .where(OrderLine.order_id.in_(_campaign_orders(campaign_id)))
        .order_by(OrderLine.order_id, OrderLine.line_no)
    )
    return [
        LineRow(i, order_id, line_no, item, unit, quantity, money(price), currency)
        for i, order_id, line_no, item, unit, quantity, price, currency in rows
    ]


@dataclass(frozen=True)
class DocumentRow:
    id: int
    kind: str
    order_id: int | None
    sha256: str
    amount: Decimal | None
    currency: str | None


_DOCUMENT_COLUMNS = (
    Document.id,
    Document.kind,
    Document.order_id,
    Document.sha256,
    Document.amount,
    Document.currency,
)


def _document(row: Any) -> DocumentRow:
    i, kind, order_id, digest, amount, currency = row
    return DocumentRow(i, kind, order_id, digest, None if amount is None else money(amount), currency)


def invoices(s: Session, campaign_id: int) -> list[DocumentRow]:
    """The invoices of the campaign's orders (the files themselves are not read)."""
    rows = s.execute(
        select(*_DOCUMENT_COLUMNS)
        .where(Document.kind == "invoice", Document.order_id.in_(_campaign_orders(campaign_id)))
        .order_by(Document.id)
    )
    return [_document(row) for row in rows]


def documents_by_sha256(s: Session, digests: Iterable[str]) -> dict[str, DocumentRow]:
    """Stored documents with these SHA-256 digests (64 hex digits), whatever their order."""
    wanted = sorted(set(digests))
    if not wanted:
        return {}
    rows = s.execute(select(*_DOCUMENT_COLUMNS).where(Document.sha256.in_(wanted)))
    return {row.sha256: _document(row) for row in rows}


@dataclass(frozen=True)
class Custody:
    """Quantities along the chain of custody per order line, and per recipient of each item."""

    shipped: dict[int, int]
    delivered: dict[int, int]
    distributed: dict[int, int]
    #: (recipient, item, unit) → quantity distributed.
    recipients: dict[tuple[str, str, str], int]


def custody(s: Session, campaign_id: int) -> Custody:
    """Shipped, delivered and distributed quantities per order line, and distributed per recipient and
    item, in one round trip."""
    lines = select(OrderLine.id).where(OrderLine.order_id.in_(_campaign_orders(campaign_id)))
    empty = literal("")

    def per_line(stage: str, line: Any, quantity: Any) -> Select[Any]:
        return (
            select(literal(stage), empty, empty, empty, line, func.sum(quantity))
            .where(line.in_(lines))
            .group_by(line)
        )

    recipients = (
        select(
            literal("recipient"),
            Distribution.recipient,
            OrderLine.item,
            OrderLine.unit,
            literal(0),
            func.sum(Distribution.quantity),
        )
        .join(OrderLine, OrderLine.id == Distribution.order_line_id)
        .where(OrderLine.order_id.in_(_campaign_orders(campaign_id)))
        .group_by(Distribution.recipient, OrderLine.item, OrderLine.unit)
    )
    parts: Any = union_all(
        per_line("shipped", ShipmentItem.order_line_id, ShipmentItem.quantity),
        per_line("delivered", DeliveryItem.order_line_id, DeliveryItem.quantity),
        per_line("distributed", Distribution.order_line_id, Distribution.quantity),
        recipients,
    )
    result = Custody({}, {}, {}, {})
    by_line = {"shipped": result.shipped, "delivered": result.delivered, "distributed": result.distributed}
    for stage, recipient, item, unit, line_id, quantity in s.execute(parts):
        if stage == "recipient":
            result.recipients[(recipient, item, unit)] = int(quantity)
        else:
            by_line[stage][int(line_id)] = int(quantity)
    return result


@dataclass(frozen=True)
class ReferenceRow:
    id: int
    unit_price: Decimal


def reference_prices(s: Session, campaign_id: int) -> dict[tuple[str, str, str], ReferenceRow]:
    """Reference prices of the items the campaign's orders buy, by (item, unit, currency)."""
    items = (
        select(OrderLine.item, OrderLine.unit, OrderLine.currency)
        .where(OrderLine.order_id.in_(_campaign_orders(campaign_id)))
        .distinct()
        .subquery()
    )
    rows = s.execute(
        select(
            ReferencePrice.item,
            ReferencePrice.unit,
            ReferencePrice.currency,
            ReferencePrice.id,
            ReferencePrice.unit_price,
        ).join(
            items,
            (items.c.item == ReferencePrice.item)
            & (items.c.unit == ReferencePrice.unit)
            & (items.c.currency == ReferencePrice.currency),
        )
    )
    return {(item, unit, cur): ReferenceRow(rid, money(price)) for item, unit, cur, rid, price in rows}


@dataclass(frozen=True)
class SupplierRow:
    id: int
    name: str
    wallet: str
    vetting_status: str


def suppliers_by_wallet(s: Session, wallets: Sequence[str]) -> dict[str, SupplierRow]:
    if not wallets:
        return {}
    rows = s.execute(
        select(Supplier.id, Supplier.name, Supplier.wallet, Supplier.vetting_status).where(
            Supplier.wallet.in_(sorted(set(wallets)))
        )
    )
    return {row.wallet: SupplierRow(*row) for row in rows}


def round_usd(s: Session, pos: MirrorPosition, campaign_id: int) -> dict[int, int]:
    """The USD at receipt (8 decimals) of every round's pledges."""
    rows = grouped_sums(s, [Pledged.round_id], [], [Pledged.usd_value], mirrored(Pledged, pos, campaign_id))
    return {int(r): u for r, u in rows}


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


def token_symbols(s: Session) -> dict[str, str]:
    """The symbol of every token that has a record, by address: how reports and findings name tokens."""
    return {address: symbol for address, symbol in s.execute(select(Token.address, Token.symbol))}
