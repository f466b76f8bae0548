"""A campaign as the indexer stores it, so that record tests need no chain, and ready-made inputs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from ledger.db.models import CampaignCreated, IndexerCursor, TokenAccepted
from ledger.db.session import write_session
from ledger.records import service
from ledger.records.schemas import (
    DeliveryCreate,
    DistributionCreate,
    OrderCreate,
    ShipmentCreate,
    SupplierCreate,
)
from tests.support.records import (
    ETH,
    USDT,
    WALLET,
    delivery_body,
    distribution_body,
    items,
    order_body,
    shipment_body,
    supplier_body,
)


def mirror_campaign(
    engine: Engine, campaign_id: int = 1, tokens: tuple[str, ...] = (ETH, USDT), beneficiary: str = "WAHO"
) -> None:
    """The mirror rows of a created campaign accepting ``tokens`` (normally written by the indexer)."""
    meta: dict[str, Any] = {
        "chain_id": 31337,
        "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "block_number": 1,
        "block_hash": "0x" + "11" * 32,
        "block_timestamp": 1_600_000_000,
        "tx_hash": "0x" + f"{campaign_id:064x}",
        "tx_index": 0,
    }
    with engine.begin() as conn:
        conn.execute(
            insert(CampaignCreated),
            [
                {
                    **meta,
                    "log_index": 0,
                    "campaign_id": campaign_id,
                    "manager": WALLET,
                    "beneficiary": beneficiary,
                    "metadata_hash": "0x" + "22" * 32,
                    "supplier_delay": 0,
                }
            ],
        )
        conn.execute(
            insert(TokenAccepted),
            [
                {
                    **meta,
                    "log_index": i + 1,
                    "campaign_id": campaign_id,
                    "token": token,
                    "feed": WALLET,
                    "token_decimals": 6 if token == USDT else 18,
                    "feed_decimals": 8,
                    "max_staleness": 3600,
                }
                for i, token in enumerate(tokens)
            ],
        )
    mirror_cursor(engine, meta["block_number"])


def mirror_cursor(engine: Engine, block_number: int) -> None:
    """The indexer's cursor of chain 31337 at ``block_number`` (or kept where it is, if further): the
    indexer moves it with the rows it writes, and reads stop at it."""
    values = {"block_number": block_number, "head_block": block_number, "finalized_block": block_number}
    with engine.begin() as conn:
        at = conn.execute(select(IndexerCursor.block_number).where(IndexerCursor.chain_id == 31337)).scalar()
        if at is not None:
            if at < block_number:
                conn.execute(update(IndexerCursor).where(IndexerCursor.chain_id == 31337).values(values))
            return
        conn.execute(
            insert(IndexerCursor).values(
                chain_id=31337,
                contract="0x5FbDB2315678afecb367f032d93F642f64180aa3",
                genesis_hash="0x" + "00" * 32,
                start_block=0,
                confirmations=0,
                reorgs=0,
                updated_at=datetime.now(UTC),
                **values,
            )
        )


def supplier_input(**changes: Any) -> SupplierCreate:
    return SupplierCreate.model_validate(supplier_body(**changes))


def order_input(supplier_id: int, **changes: Any) -> OrderCreate:
    return OrderCreate.model_validate(order_body(supplier_id, **changes))


def shipment_input(order_id: int, line_id: int, quantity: int, **changes: Any) -> ShipmentCreate:
    return ShipmentCreate.model_validate(shipment_body(order_id, items(line_id, quantity), **changes))


def delivery_input(shipment_id: int, line_id: int, quantity: int, **changes: Any) -> DeliveryCreate:
    return DeliveryCreate.model_validate(delivery_body(shipment_id, items(line_id, quantity), **changes))


def distribution_input(delivery_id: int, line_id: int, quantity: int, **changes: Any) -> DistributionCreate:
    return DistributionCreate.model_validate(distribution_body(delivery_id, line_id, quantity, **changes))


def stored_order(engine: Engine) -> tuple[int, int]:
    """A supplier and an order of 250,000 masks; returns (order id, its line id)."""
    mirror_campaign(engine)
    with write_session(engine) as s:
        supplier = service.create_supplier(s, data=supplier_input(), actor="test")
        order = service.create_order(s, data=order_input(supplier.id), actor="test")
        return order.id, order.lines[0].id
