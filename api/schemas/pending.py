"""Pending changes: what is scheduled on chain and not yet in force (see ledger.reconcile.pending)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import PublicModel, UintStr, UtcDatetime

PendingKind = Literal["supplier_approval", "timelock_operation", "admin_transfer", "admin_delay_change"]


class CallArgumentPublic(PublicModel):
    name: str
    type: str = Field(description="ABI type, e.g. `uint256` or `address[]`")
    value: str | list[str] = Field(
        description="Integers in decimal, addresses checksummed, bytes as 0x-hex, booleans `true`/`false`; "
        "an array as a list of those"
    )


class PendingCallPublic(PublicModel):
    """One call of a timelock operation: decoded with the ledger's ABI when it targets the ledger, with the
    timelock's when it targets the timelock itself; otherwise only its calldata."""

    index: int = Field(description="Position of the call in the operation")
    target: str
    target_name: Literal["ledger", "timelock"] | None = Field(
        description="`ledger` or `timelock` when the target is one of them, else null"
    )
    value: UintStr = Field(description="Wei sent with the call")
    data: str = Field(description="The calldata, 0x-hex")
    function: str | None = Field(description="The function called, if decoded")
    signature: str | None = Field(description="e.g. `setManager(uint256,address)`, if decoded")
    arguments: list[CallArgumentPublic]
    campaign_id: UintStr | None = Field(description="The campaign the call acts on; null: all campaigns")
    text: str = Field(description="The call in words, e.g. `setManager(campaign 1, 0x3C44…93BC)`")


class PendingOperationPublic(PublicModel):
    operation_id: str = Field(description="The timelock's operation id (bytes32)")
    predecessor: str = Field(description="Operation that must run first (bytes32; zero: none)")
    salt: str | None = Field(description="The operation's salt, if not zero")
    delay: UintStr = Field(description="Seconds between scheduling and the operation being ready")
    calls: list[PendingCallPublic] = Field(description="In index order")


class PendingChangePublic(PublicModel):
    """A change scheduled on chain and not yet in force as of the mirror's block."""

    kind: PendingKind
    description: str = Field(description="The change in a sentence, times in UTC")
    campaign_ids: list[UintStr] = Field(description="The campaigns it touches; empty when all campaigns")
    all_campaigns: bool = Field(
        description="It touches every campaign: creating campaigns, roles, the admin, the timelock's settings"
    )
    effective_at: UtcDatetime | None = Field(
        description="When it takes effect (approval, delay change) or can be carried out (timelock "
        "operation, admin transfer), in UTC; null if later than the year 9999"
    )
    effective_at_unix: UintStr = Field(description="The same time in Unix seconds, exact")
    ready: bool = Field(
        description="It can be carried out now: a timelock operation ready to execute, an admin transfer "
        "ready to accept (approvals and delay changes take effect by themselves)"
    )
    scheduled_block: int
    scheduled_at: UtcDatetime | None = Field(
        description="Time of the block it was scheduled in, UTC (null only past the year 9999)"
    )
    tx_hash: str = Field(description="The transaction that scheduled it")
    log_index: int
    supplier: str | None = Field(description="For a supplier approval: the supplier")
    record_hash: str | None = Field(description="For a supplier approval: the hash of its vetting record")
    new_admin: str | None = Field(description="For an admin transfer: the new admin")
    new_delay: int | None = Field(description="For an admin delay change: the new delay, seconds")
    operation: PendingOperationPublic | None = Field(description="For a timelock operation: its calls")


class PendingChangesPublic(BaseModel):
    """Every pending change (of one campaign, on the campaign's route), as of the mirror's block."""

    chain_id: int | None = Field(description="The chain read; null when nothing is mirrored yet")
    as_of_block: int | None = Field(description="The mirror's block the list is computed at")
    as_of_time: UtcDatetime | None = Field(description="That block's time, UTC: what `ready` is judged by")
    data: list[PendingChangePublic] = Field(description="In the order they were scheduled")
