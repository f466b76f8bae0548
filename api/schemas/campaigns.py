"""Campaigns: who runs them, which tokens they accept, their rounds and what they hold."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Page, PublicModel, UintStr
from api.schemas.rounds import RoundPublic


class CampaignSummary(PublicModel):
    chain_id: int
    campaign_id: UintStr
    manager: str = Field(description="The campaign's manager now")
    beneficiary: str
    metadata_hash: str
    cancelled: bool
    cancelled_by: str | None = Field(
        description="Who cancelled it (the guardian or the admin); null if not cancelled, or not recorded "
        "(a version 1 ledger)"
    )
    paused: bool = Field(description="The guardian (or the admin) has paused its disbursements")
    paused_by: str | None = Field(description="Who paused it, while paused")
    supplier_delay: int = Field(
        description="Seconds between a supplier's approval and its taking effect, fixed at creation"
    )
    created_block: int
    created_tx_hash: str
    created_at: int = Field(description="Unix time of the creating block")
    goal_usd: UintStr = Field(description="Sum of every round's goal, USD with 8 decimals")
    raised_usd: UintStr = Field(description="Sum of the pledges' USD values at receipt, 8 decimals")
    progress_goal_usd: UintStr = Field(
        description="Sum of the goals of the rounds whose pledges are not refundable (open, succeeded, or "
        "failed without all-or-nothing: the campaign keeps what they raised), 8 decimals"
    )
    progress_raised_usd: UintStr = Field(
        description="USD value at receipt of the pledges in those rounds, 8 decimals"
    )
    progress_pct: str = Field(
        description="progress_raised_usd / progress_goal_usd in percent, two decimals, rounded down: "
        "a refundable round (cancelled, or failed all-or-nothing) counts neither raised nor goal"
    )
    refundable_rounds: int = Field(
        description="Rounds whose pledges are refundable: cancelled, or failed all-or-nothing"
    )


class CampaignsPublic(Page):
    data: list[CampaignSummary]


class AcceptedToken(PublicModel):
    token: str = Field(description="Token address; 0x000…000 is native ETH")
    symbol: str | None = Field(description="The symbol of the token's record (/tokens), if there is one")
    feed: str = Field(description="Chainlink-style USD price feed")
    token_decimals: int
    feed_decimals: int
    max_staleness: int = Field(description="Seconds after which the feed's price is refused")


class TokenTotals(PublicModel):
    token: str
    symbol: str | None = Field(description="The symbol of the token's record (/tokens), if there is one")
    pledged: UintStr = Field(description="Base units pledged")
    pledged_usd: UintStr = Field(description="USD value at receipt of the pledges, 8 decimals")
    refunded: UintStr
    disbursed: UintStr
    held: UintStr = Field(description="pledged − refunded − disbursed: what the contract holds for it")


class CampaignDetail(CampaignSummary):
    tokens: list[AcceptedToken]
    rounds: list[RoundPublic]
    totals: list[TokenTotals]
