"""The chain mirror: one table per ledger event, the recent blocks, and the indexer's cursor.

Only the indexer writes these tables. Every event row carries where it came from (chain, block,
transaction, log index) and is unique on ``(chain_id, tx_hash, log_index)``, so a batch written twice
changes nothing. Column names are the event's parameters in snake case; :mod:`ledger.indexer.decode`
maps the ABI onto them and a test checks that every event of the ABI has its table.
"""

from __future__ import annotations

from datetime import datetime

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


class SupplierRevoked(ChainEvent):
    __tablename__ = "supplier_revoked"
    event_name = "SupplierRevoked"
    campaign_id: Mapped[int] = mapped_column(Uint256)
    supplier: Mapped[str] = mapped_column(Address)


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


# The API lists pledges, refunds and payments of one campaign page by page in id (chain) order: with
# these an index seek finds each page, whatever its depth, instead of sorting the campaign's rows.
for _model in (Pledged, Refunded, Disbursed):
    Index(f"ix_{_model.__tablename__}_chain_campaign_id", _model.chain_id, _model.campaign_id, _model.id)


#: Every mirrored event's table, by the event's ABI name.
EVENT_TABLES: dict[str, type[ChainEvent]] = {
    cls.event_name: cls
    for cls in (
        CampaignCreated,
        CampaignManagerChanged,
        CampaignCancelled,
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
    )
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
