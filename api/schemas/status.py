"""The indexer's status, read from its cursor."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import PublicModel, UtcDatetime


class IndexerHalt(PublicModel):
    """Why the indexer stopped: the chain no longer holds the mirror and it cannot tell where they part."""

    reason: str = Field(description="What the indexer found, and what to do about it")
    since: UtcDatetime = Field(description="When it stopped")
    block: int = Field(description="The last block mirrored when it stopped; the chain no longer has it")


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
    halted: bool = Field(
        description="The indexer stopped because the chain no longer holds the mirror: no event is final "
        "until it resumes or is reset"
    )
    halt: IndexerHalt | None = Field(description="Why and since when it is halted; null when it is not")


class StatusPublic(PublicModel):
    data: list[ChainStatus]
