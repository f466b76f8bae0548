"""A campaign as the indexer stores it, so that record tests need no chain, and ready-made inputs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert

from ledger.db.models import CampaignCreated, TokenAccepted
from ledger.db.session import write_session
from ledger.records import service
from ledger.records.schemas import OrderCreate, SupplierCreate

USDT = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
ETH = "0x0000000000000000000000000000000000000000"
WALLET = "0x00000000219ab540356cBB839Cbe05303d7705Fa"


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


def supplier_input(**changes: Any) -> SupplierCreate:
    values = {"name": "Mask Maker Co.", "country": "CN", "wallet": WALLET, "vetting_status": "approved"}
    return SupplierCreate.model_validate({**values, **changes})


def order_input(supplier_id: int, **changes: Any) -> OrderCreate:
    values = {
        "campaign_id": 1,
        "supplier_id": supplier_id,
        "reference": "WAHO-PO-0001",
        "payment_token": USDT,
        "payment_amount": "100000000000",
        "issued_on": date(2020, 5, 4),
        "lines": [
            {
                "item": "surgical mask",
                "quantity": 250_000,
                "unit": "piece",
                "unit_price": Decimal("0.4"),
                "currency": "USD",
            }
        ],
    }
    return OrderCreate.model_validate({**values, **changes})


def stored_order(engine: Engine) -> tuple[int, int]:
    """A supplier and an order of 250,000 masks; returns (order id, its line id)."""
    mirror_campaign(engine)
    with write_session(engine) as s:
        supplier = service.create_supplier(s, data=supplier_input(), actor="test")
        order = service.create_order(s, data=order_input(supplier.id), actor="test")
        return order.id, order.lines[0].id
