"""Funding rounds: as opened, how they closed, and the progress towards their goal."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import PublicModel, UintStr
from ledger.rounds import RoundWord


class RoundPublic(PublicModel):
    campaign_id: UintStr
    round_id: UintStr
    start: int = Field(description="Unix time pledges open")
    end: int = Field(description="Unix time pledges close")
    goal_usd: UintStr = Field(description="Goal in USD, 8 decimals")
    all_or_nothing: bool = Field(description="Pledges are refundable if the goal is not met")
    state: RoundWord = Field(
        description="`open` until it is closed: by anyone after its end, by its manager once its goal is "
        "met, or by its campaign's cancellation"
    )
    spendable: bool = Field(
        description="Its pledges went to the campaign: it succeeded, or failed without all-or-nothing"
    )
    refundable: bool = Field(
        description="Its pledges go back to the donors: it was cancelled, or failed all-or-nothing"
    )
    raised_usd: UintStr = Field(description="USD value of the round's pledges at receipt, 8 decimals")
    progress_pct: str = Field(description="raised_usd / goal_usd in percent, two decimals, rounded down")
    pledges: int = Field(description="Number of pledges")
    donors: int = Field(description="Number of distinct donors")
    opened_block: int
    opened_tx_hash: str
    closed_block: int | None
    closed_tx_hash: str | None
    closed_by: str | None = Field(
        description="Who closed it; null while open, or not recorded (a version 1 ledger)"
    )


class RoundsPublic(PublicModel):
    data: list[RoundPublic]
