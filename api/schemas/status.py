"""The indexer's status, read from its cursor."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import PublicModel, UtcDatetime


class ChainStatus(PublicModel):
    """How far the mirror of one chain goes and what the indexer last saw of it."""

    chain_id: int
    contract: str
    timelock: str | None = Field(description="The ledger's timelock, when the indexer mirrors one")
    start_block: int = Field(description="The block the ledger was deployed in")
    indexed_block: int = Field(description="The last block whose events are all mirrored")
    head_block: int = Field(description="The chain's head when the indexer last looked")
    finalized_block: int = Field(description="The last block the indexer considers final")
    lag: int = Field(description="Blocks between the head and the last block mirrored")
    confirmations: int = Field(description="Blocks on top the indexer waits for before mirroring a block")
    reorgs: int = Field(description="Reorganisations undone since indexing began")
    updated_at: UtcDatetime = Field(description="When the indexer last stored a batch or polled the head")


class StatusPublic(PublicModel):
    data: list[ChainStatus]
