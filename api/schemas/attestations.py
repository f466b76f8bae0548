"""Reconciliation reports anchored on chain by auditors."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import ChainEventPublic, Page, UintStr


class AttestationPublic(ChainEventPublic):
    campaign_id: UintStr
    auditor: str
    report_hash: str = Field(description="Hash (or Merkle root) of the report attested")
    as_of_block: UintStr = Field(description="The block the report describes the ledger at")
    uri: str


class AttestationsPublic(Page):
    data: list[AttestationPublic]
