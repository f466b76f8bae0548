"""Funding rounds: as opened, how they closed, and the progress towards their goal."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.schemas.common import PublicModel, UintStr

RoundState = Literal["open", "succeeded", "failed", "cancelled", "closed"]


class RoundPublic(PublicModel):
    campaign_id: UintStr
    round_id: UintStr
    start: int = Field(description="Unix time pledges open")
    end: int = Field(description="Unix time pledges close")
    goal_usd: UintStr = Field(description="Goal in USD, 8 decimals")
    all_or_nothing: bool = Field(description="Pledges are refundable if the goal is not met")
    state: RoundState = Field(description="`open` until the manager (or a cancellation) closes it")
    raised_usd: UintStr = Field(description="USD value of the round's pledges at receipt, 8 decimals")
    progress_pct: str = Field(description="raised_usd / goal_usd in percent, two decimals, rounded down")
    pledges: int = Field(description="Number of pledges")
    donors: int = Field(description="Number of distinct donors")
    opened_block: int
    opened_tx_hash: str
    closed_block: int | None
    closed_tx_hash: str | None


class RoundsPublic(PublicModel):
    data: list[RoundPublic]
