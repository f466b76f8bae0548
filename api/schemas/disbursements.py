"""Payments to suppliers as mirrored from the chain."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import ChainEventPublic, Page, UintStr


class DisbursementPublic(ChainEventPublic):
    campaign_id: UintStr
    supplier: str
    token: str
    amount: UintStr
    purchase_order_ref: str = Field(description="The bytes32 the payment carries")
    purchase_order_reference: str | None = Field(
        description="The readable order reference inside purchase_order_ref, if it is one"
    )
    invoice_hash: str = Field(description="SHA-256 of the invoice document, as 0x-hex")


class DisbursementsPublic(Page):
    data: list[DisbursementPublic]
