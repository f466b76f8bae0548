"""The chain mirror: one table per ledger event, one per event of the ledger's timelock that the mirror
needs, the recent blocks, and the indexer's cursor.

Only the indexer writes these tables. Every event row carries where it came from (chain, contract, block,
transaction, log index) and is unique on ``(chain_id, tx_hash, log_index)``, so a batch written twice
changes nothing. Column names are the event's parameters in snake case (but for the few a model renames in
:attr:`ChainEvent.renamed`); :mod:`ledger.indexer.decode` maps the ABI onto them and a test checks that every
event of the ledger's ABI, and the timelock's events in :data:`TIMELOCK_EVENT_TABLES`, have their table.

Rows mirrored from a version 1 ledger (before migration 0005) lack what v2 events added: their
``supplier_delay`` is 0 and their approvals' ``effective_at`` their block's time (v1 approvals took effect at
once, so both are exact), and who cancelled a campaign or closed a round is NULL (v1 did not say).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from ledger.db.types import Uint256

#: Constraint names that Alembic can refer to on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: A row id: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite so that it autoincrements.
RowId = BigInteger().with_variant(Integer(), "sqlite")

Address = String(42)  # checksummed 0x-address
Hash = String(66)  # 0x-prefixed 32 bytes


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ChainEvent(Base):
    """Columns every mirrored event has: where on the chain it was emitted."""

    __abstract__ = True
    #: The event's name in the ABI; set by each subclass.
    event_name: str
    #: Columns not named after their parameter: parameter (snake case) → column. A parameter ``id`` would
    #: clash with the row id, and ``index`` with a method of every result row.
    renamed: ClassVar[dict[str, str]] = {}

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    contract: Mapped[str] = mapped_column(Address)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(Hash)
    block_timestamp: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(Hash)
    tx_index: Mapped[int] = mapped_column(Integer)
    log_index: Mapped[int] = mapped_column(Integer)

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[object, ...]:
        return (
            UniqueConstraint("chain_id", "tx_hash", "log_index"),
            Index(f"ix_{cls.__tablename__}_chain_block", "chain_id", "block_number"),
        )


class CampaignCreated(ChainEvent):
    __tablename__ = "campaign_created"
    event_name = "CampaignCreated"
    campaign_id: Mapped[int] = mapped_column(Uint256)
    manager: Mapped[str] = mapped_column(Address)
    beneficiary: Mapped[str] = mapped_column(Text)
    metadata_hash: Mapped[str] = mapped_column(Hash)
    #: Seconds between a supplier's approval and its taking effect (uint32; 0 for v1 rows).
    supplier_delay: Mapped[int] = mapped_column(BigInteger)


class CampaignManagerChanged(ChainEvent):
    __tablename__ = "campaign_manager_changed"
    event_name = "CampaignManagerChanged"
    campaign_id: Mapped[int] = mapped_column(Uint256)
    previous_manager: Mapped[str] = mapped_column(Address)
    new_manager: Mapped[str] = mapped_column(Address)


class CampaignCancelled(ChainEvent):
    __tablename__ = "campaign_cancelled"
    event_name = "CampaignCancelled"
    campaign_id: Mapped[int] = mapped_column(Uint256)
    cancelled_round_id: Mapped[int] = mapped_column(Uint256)
    #: The guardian or the admin who cancelled (NULL for v1 rows).
    account: Mapped[str | None] = mapped_column(Address, nullable=True)


class CampaignPaused(ChainEvent):
    __tablename__ = "campaign_paused"
    event_name = "CampaignPaused"
    campaign_id: Mapped[int] = mapped_column(Uint256)
    account: Mapped[str] = mapped_column(Address)


class CampaignUnpaused(ChainEvent):
    __tablename__ = "campaign_unpaused"
    event_name = "CampaignUnpaused"
    campaign_id: Mapped[int] = mapped_column(Uint256)
    account: Mapped[str] = mapped_column(Address)


class TokenAccepted(ChainEvent):
    __tablename__ = "token_accepted"
    event_name = "TokenAccepted"
    campaign_id: Mapped[int] = mapped_column(Uint256)
    token: Mapped[str] = mapped_column(Address)
    feed: Mapped[str] = mapped_column(Address)
    token_decimals: Mapped[int] = mapped_column(SmallInteger)
    feed_decimals: Mapped[int] = mapped_column(SmallInteger)
    max_staleness: Mapped[int] = mapped_column(BigInteger)


class RoundOpened(ChainEvent):
    __tablename__ = "round_opened"
    event_name = "RoundOpened"
    campaign_id: Mapped[int] = mapped_column(Uint256)
    round_id: Mapped[int] = mapped_column(Uint256)
    start: Mapped[int] = mapped_column(BigInteger)
    end: Mapped[int] = mapped_column(BigInteger)
    goal_usd: Mapped[int] = mapped_column(Uint256)
    all_or_nothing: Mapped[bool] = mapped_column(Boolean)


class Pledged(ChainEvent):
    __tablename__ = "pledged"
    event_name = "Pledged"
    campaign_id: Mapped[int] = mapped_column(Uint256)
    round_id: Mapped[int] = mapped_column(Uint256)
    donor: Mapped[str] = mapped_column(Address, index=True)
    token: Mapped[str] = mapped_column(Address)
    amount: Mapped[int] = mapped_column(Uint256)
    usd_value: Mapped[int] = mapped_column(Uint256)
    price: Mapped[int] = mapped_column(Uint256)


class RoundClosed(ChainEvent):
    __tablename__ = "round_closed"
    event_name = "RoundClosed"
    campaign_id: Mapped[int] = mapped_column(Uint256)
    round_id: Mapped[int] = mapped_column(Uint256)
    outcome: Mapped[int] = mapped_column(SmallInteger)
    raised_usd: Mapped[int] = mapped_column(Uint256)
    #: Who closed the round (NULL for v1 rows).
    caller: Mapped[str | None] = mapped_column(Address, nullable=True)


class Refunded(ChainEvent):
    __tablename__ = "refunded"
    event_name = "Refunded"
    campaign_id: Mapped[int] = mapped_column(Uint256)
    round_id: Mapped[int] = mapped_column(Uint256)
    donor: Mapped[str] = mapped_column(Address, index=True)
    token: Mapped[str] = mapped_column(Address)
    amount: Mapped[int] = mapped_column(Uint256)
    caller: Mapped[str] = mapped_column(Address)


class RefundDeferred(ChainEvent):
    __tablename__ = "refund_deferred"
    event_name = "RefundDeferred"
    campaign_id: Mapped[int] = mapped_column(Uint256)
    round_id: Mapped[int] = mapped_column(Uint256)
    donor: Mapped[str] = mapped_column(Address)
    token: Mapped[str] = mapped_column(Address)
    amount: Mapped[int] = mapped_column(Uint256)


class SupplierApproved(ChainEvent):
    __tablename__ = "supplier_approved"
    event_name = "SupplierApproved"
    campaign_id: Mapped[int] = mapped_column(Uint256)
    supplier: Mapped[str] = mapped_column(Address)
    record_hash: Mapped[str] = mapped_column(Hash)
    #: Unix time from which the supplier can be paid (uint48; the block's time for v1 rows).
    effective_at: Mapped[int] = mapped_column(BigInteger)


class SupplierRevoked(ChainEvent):
    __tablename__ = "supplier_revoked"
    event_name = "SupplierRevoked"
    campaign_id: Mapped[int] = mapped_column(Uint256)
    supplier: Mapped[str] = mapped_column(Address)
    #: The manager, the guardian or the admin who revoked (NULL for v1 rows).
    account: Mapped[str | None] = mapped_column(Address, nullable=True)


class Disbursed(ChainEvent):
    __tablename__ = "disbursed"
    event_name = "Disbursed"
    campaign_id: Mapped[int] = mapped_column(Uint256)
    supplier: Mapped[str] = mapped_column(Address)
    purchase_order_ref: Mapped[str] = mapped_column(Hash)
    token: Mapped[str] = mapped_column(Address)
    amount: Mapped[int] = mapped_column(Uint256)
    invoice_hash: Mapped[str] = mapped_column(Hash)


class ReportAttested(ChainEvent):
    __tablename__ = "report_attested"
    event_name = "ReportAttested"
    campaign_id: Mapped[int] = mapped_column(Uint256)
    auditor: Mapped[str] = mapped_column(Address)
    report_hash: Mapped[str] = mapped_column(Hash)
    as_of_block: Mapped[int] = mapped_column(Uint256)
    uri: Mapped[str] = mapped_column(Text)


class RoleGranted(ChainEvent):
    __tablename__ = "role_granted"
    event_name = "RoleGranted"
    role: Mapped[str] = mapped_column(Hash)
    account: Mapped[str] = mapped_column(Address)
    sender: Mapped[str] = mapped_column(Address)


class RoleRevoked(ChainEvent):
    __tablename__ = "role_revoked"
    event_name = "RoleRevoked"
    role: Mapped[str] = mapped_column(Hash)
    account: Mapped[str] = mapped_column(Address)
    sender: Mapped[str] = mapped_column(Address)


class RoleAdminChanged(ChainEvent):
    __tablename__ = "role_admin_changed"
    event_name = "RoleAdminChanged"
    role: Mapped[str] = mapped_column(Hash)
    previous_admin_role: Mapped[str] = mapped_column(Hash)
    new_admin_role: Mapped[str] = mapped_column(Hash)


class DefaultAdminTransferScheduled(ChainEvent):
    """OpenZeppelin AccessControlDefaultAdminRules: ``new_admin`` may accept the admin role from
    ``accept_schedule`` (a Unix time) on."""

    __tablename__ = "default_admin_transfer_scheduled"
    event_name = "DefaultAdminTransferScheduled"
    new_admin: Mapped[str] = mapped_column(Address)
    accept_schedule: Mapped[int] = mapped_column(BigInteger)


class DefaultAdminTransferCanceled(ChainEvent):
    __tablename__ = "default_admin_transfer_canceled"
    event_name = "DefaultAdminTransferCanceled"


class DefaultAdminDelayChangeScheduled(ChainEvent):
    """The admin transfer delay becomes ``new_delay`` seconds at ``effect_schedule`` (a Unix time)."""

    __tablename__ = "default_admin_delay_change_scheduled"
    event_name = "DefaultAdminDelayChangeScheduled"
    new_delay: Mapped[int] = mapped_column(BigInteger)
    effect_schedule: Mapped[int] = mapped_column(BigInteger)


class DefaultAdminDelayChangeCanceled(ChainEvent):
    __tablename__ = "default_admin_delay_change_canceled"
    event_name = "DefaultAdminDelayChangeCanceled"


# ─── the ledger's timelock (OpenZeppelin TimelockController) ────────────────────────────────────────────


class TimelockCallScheduled(ChainEvent):
    """Call ``call_index`` of operation ``operation_id``, runnable ``delay`` seconds after its block."""

    __tablename__ = "timelock_call_scheduled"
    event_name = "CallScheduled"
    renamed: ClassVar[dict[str, str]] = {"id": "operation_id", "index": "call_index"}
    operation_id: Mapped[str] = mapped_column(Hash)
    call_index: Mapped[int] = mapped_column(Uint256)
    target: Mapped[str] = mapped_column(Address)
    value: Mapped[int] = mapped_column(Uint256)
    data: Mapped[str] = mapped_column(Text)  # 0x-hex calldata
    predecessor: Mapped[str] = mapped_column(Hash)
    delay: Mapped[int] = mapped_column(Uint256)


class TimelockCallExecuted(ChainEvent):
    __tablename__ = "timelock_call_executed"
    event_name = "CallExecuted"
    renamed: ClassVar[dict[str, str]] = {"id": "operation_id", "index": "call_index"}
    operation_id: Mapped[str] = mapped_column(Hash)
    call_index: Mapped[int] = mapped_column(Uint256)
    target: Mapped[str] = mapped_column(Address)
    value: Mapped[int] = mapped_column(Uint256)
    data: Mapped[str] = mapped_column(Text)  # 0x-hex calldata


class TimelockCallSalt(ChainEvent):
    """The salt of a scheduled operation (emitted only when it is not zero)."""

    __tablename__ = "timelock_call_salt"
    event_name = "CallSalt"
    renamed: ClassVar[dict[str, str]] = {"id": "operation_id"}
    operation_id: Mapped[str] = mapped_column(Hash)
    salt: Mapped[str] = mapped_column(Hash)


class TimelockCancelled(ChainEvent):
    __tablename__ = "timelock_cancelled"
    event_name = "Cancelled"
    renamed: ClassVar[dict[str, str]] = {"id": "operation_id"}
    operation_id: Mapped[str] = mapped_column(Hash)


class TimelockMinDelayChange(ChainEvent):
    __tablename__ = "timelock_min_delay_change"
    event_name = "MinDelayChange"
    old_duration: Mapped[int] = mapped_column(Uint256)
    new_duration: Mapped[int] = mapped_column(Uint256)


# Pending operations are looked up by id.
for _timelock_model in (TimelockCallScheduled, TimelockCallExecuted, TimelockCancelled):
    Index(
        f"ix_{_timelock_model.__tablename__}_chain_operation",
        _timelock_model.chain_id,
        _timelock_model.operation_id,
    )


# The API lists pledges, refunds and payments of one campaign page by page in id (chain) order: with
# these an index seek finds each page, whatever its depth, instead of sorting the campaign's rows.
for _model in (Pledged, Refunded, Disbursed):
    Index(f"ix_{_model.__tablename__}_chain_campaign_id", _model.chain_id, _model.campaign_id, _model.id)


#: The table of every mirrored event of the ledger, by the event's ABI name.
EVENT_TABLES: dict[str, type[ChainEvent]] = {
    cls.event_name: cls
    for cls in (
        CampaignCreated,
        CampaignManagerChanged,
        CampaignCancelled,
        CampaignPaused,
        CampaignUnpaused,
        TokenAccepted,
        RoundOpened,
        Pledged,
        RoundClosed,
        Refunded,
        RefundDeferred,
        SupplierApproved,
        SupplierRevoked,
        Disbursed,
        ReportAttested,
        RoleGranted,
        RoleRevoked,
        RoleAdminChanged,
        DefaultAdminTransferScheduled,
        DefaultAdminTransferCanceled,
        DefaultAdminDelayChangeScheduled,
        DefaultAdminDelayChangeCanceled,
    )
}

#: The timelock's events the mirror keeps, by ABI name: only these, and only from the deployment's timelock
#: (its own role events are not the ledger's roles).
TIMELOCK_EVENT_TABLES: dict[str, type[ChainEvent]] = {
    cls.event_name: cls
    for cls in (
        TimelockCallScheduled,
        TimelockCallExecuted,
        TimelockCallSalt,
        TimelockCancelled,
        TimelockMinDelayChange,
    )
}

#: Every mirror table of events, by table name.
MIRROR_TABLES: dict[str, type[ChainEvent]] = {
    cls.__tablename__: cls for cls in (*EVENT_TABLES.values(), *TIMELOCK_EVENT_TABLES.values())
}


class Block(Base):
    """A recently indexed block: the window in which a reorganisation is detected and undone."""

    __tablename__ = "blocks"
    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[str] = mapped_column(Hash)
    parent_hash: Mapped[str] = mapped_column(Hash)
    timestamp: Mapped[int] = mapped_column(BigInteger)


class IndexerCursor(Base):
    """How far the mirror of one chain goes, and what the indexer last saw of the chain (its status)."""

    __tablename__ = "indexer_cursor"
    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    contract: Mapped[str] = mapped_column(Address)
    #: The ledger's timelock mirrored with it, if any: a mirror started without it lacks its early events.
    timelock: Mapped[str | None] = mapped_column(Address, nullable=True)
    genesis_hash: Mapped[str] = mapped_column(Hash)
    start_block: Mapped[int] = mapped_column(BigInteger)
    #: The last block whose events are all stored (``start_block - 1`` before the first batch).
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str | None] = mapped_column(Hash, nullable=True)
    head_block: Mapped[int] = mapped_column(BigInteger)
    finalized_block: Mapped[int] = mapped_column(BigInteger)
    confirmations: Mapped[int] = mapped_column(Integer)
    reorgs: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Why the indexer stopped with the mirror no longer on the chain, beyond what it may undo on its own (a
    #: reorganisation deeper than the blocks it keeps, a node restarted on a new chain); NULL while it is not.
    #: Until it resumes or is reset, no mirrored event is final.
    halt_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: When it first stopped for that reason.
    halted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: The last block mirrored when it stopped, whose hash the chain no longer has.
    halted_block: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
