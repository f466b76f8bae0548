"""Pledges as mirrored from the chain."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import ChainEventPublic, Page, UintStr


class PledgePublic(ChainEventPublic):
    campaign_id: UintStr
    round_id: UintStr
    donor: str
    token: str = Field(description="Token address; 0x000…000 is native ETH")
    amount: UintStr = Field(description="Base units the contract received")
    usd_value: UintStr = Field(description="USD value at receipt, 8 decimals")
    price: UintStr = Field(description="The feed's price used, in its own decimals")


class PledgesPublic(Page):
    data: list[PledgePublic]
