"""Refunds as mirrored from the chain (claimed by the donor or pushed by anyone)."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import ChainEventPublic, Page, UintStr


class RefundPublic(ChainEventPublic):
    campaign_id: UintStr
    round_id: UintStr
    donor: str
    token: str
    amount: UintStr
    caller: str = Field(description="Who sent the refund transaction (the donor, or anyone pushing it)")


class RefundsPublic(Page):
    data: list[RefundPublic]
