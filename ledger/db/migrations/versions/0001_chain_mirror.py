"""The chain mirror: one table per ledger event, recent blocks and the indexer cursor.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 11:50:44.727561
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ledger.db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blocks",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("parent_hash", sa.String(length=66), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "number", name=op.f("pk_blocks")),
    )
    op.create_table(
        "campaign_cancelled",
        sa.Column("campaign_id", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("cancelled_round_id", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_cancelled")),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("uq_campaign_cancelled_chain_id_tx_hash_log_index")
        ),
    )
    with op.batch_alter_table("campaign_cancelled", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_cancelled_chain_block", ["chain_id", "block_number"], unique=False)

    op.create_table(
        "campaign_created",
        sa.Column("campaign_id", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("manager", sa.String(length=42), nullable=False),
        sa.Column("beneficiary", sa.Text(), nullable=False),
        sa.Column("metadata_hash", sa.String(length=66), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_created")),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("uq_campaign_created_chain_id_tx_hash_log_index")
        ),
    )
    with op.batch_alter_table("campaign_created", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_created_chain_block", ["chain_id", "block_number"], unique=False)

    op.create_table(
        "campaign_manager_changed",
        sa.Column("campaign_id", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("previous_manager", sa.String(length=42), nullable=False),
        sa.Column("new_manager", sa.String(length=42), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_manager_changed")),
        sa.UniqueConstraint(
            "chain_id",
            "tx_hash",
            "log_index",
            name=op.f("uq_campaign_manager_changed_chain_id_tx_hash_log_index"),
        ),
    )
    with op.batch_alter_table("campaign_manager_changed", schema=None) as batch_op:
        batch_op.create_index(
            "ix_campaign_manager_changed_chain_block", ["chain_id", "block_number"], unique=False
        )

    op.create_table(
        "disbursed",
        sa.Column("campaign_id", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("supplier", sa.String(length=42), nullable=False),
        sa.Column("purchase_order_ref", sa.String(length=66), nullable=False),
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("amount", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("invoice_hash", sa.String(length=66), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disbursed")),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("uq_disbursed_chain_id_tx_hash_log_index")
        ),
    )
    with op.batch_alter_table("disbursed", schema=None) as batch_op:
        batch_op.create_index("ix_disbursed_chain_block", ["chain_id", "block_number"], unique=False)

    op.create_table(
        "indexer_cursor",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("genesis_hash", sa.String(length=66), nullable=False),
        sa.Column("start_block", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=True),
        sa.Column("head_block", sa.BigInteger(), nullable=False),
        sa.Column("finalized_block", sa.BigInteger(), nullable=False),
        sa.Column("confirmations", sa.Integer(), nullable=False),
        sa.Column("reorgs", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", name=op.f("pk_indexer_cursor")),
    )
    op.create_table(
        "pledged",
        sa.Column("campaign_id", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("round_id", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("donor", sa.String(length=42), nullable=False),
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("amount", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("usd_value", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("price", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pledged")),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("uq_pledged_chain_id_tx_hash_log_index")
        ),
    )
    with op.batch_alter_table("pledged", schema=None) as batch_op:
        batch_op.create_index("ix_pledged_chain_block", ["chain_id", "block_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_pledged_donor"), ["donor"], unique=False)

    op.create_table(
        "refund_deferred",
        sa.Column("campaign_id", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("round_id", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("donor", sa.String(length=42), nullable=False),
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("amount", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_deferred")),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("uq_refund_deferred_chain_id_tx_hash_log_index")
        ),
    )
    with op.batch_alter_table("refund_deferred", schema=None) as batch_op:
        batch_op.create_index("ix_refund_deferred_chain_block", ["chain_id", "block_number"], unique=False)

    op.create_table(
        "refunded",
        sa.Column("campaign_id", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("round_id", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("donor", sa.String(length=42), nullable=False),
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("amount", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("caller", sa.String(length=42), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunded")),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("uq_refunded_chain_id_tx_hash_log_index")
        ),
    )
    with op.batch_alter_table("refunded", schema=None) as batch_op:
        batch_op.create_index("ix_refunded_chain_block", ["chain_id", "block_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_refunded_donor"), ["donor"], unique=False)

    op.create_table(
        "report_attested",
        sa.Column("campaign_id", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("auditor", sa.String(length=42), nullable=False),
        sa.Column("report_hash", sa.String(length=66), nullable=False),
        sa.Column("as_of_block", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_attested")),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("uq_report_attested_chain_id_tx_hash_log_index")
        ),
    )
    with op.batch_alter_table("report_attested", schema=None) as batch_op:
        batch_op.create_index("ix_report_attested_chain_block", ["chain_id", "block_number"], unique=False)

    op.create_table(
        "role_admin_changed",
        sa.Column("role", sa.String(length=66), nullable=False),
        sa.Column("previous_admin_role", sa.String(length=66), nullable=False),
        sa.Column("new_admin_role", sa.String(length=66), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_admin_changed")),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("uq_role_admin_changed_chain_id_tx_hash_log_index")
        ),
    )
    with op.batch_alter_table("role_admin_changed", schema=None) as batch_op:
        batch_op.create_index("ix_role_admin_changed_chain_block", ["chain_id", "block_number"], unique=False)

    op.create_table(
        "role_granted",
        sa.Column("role", sa.String(length=66), nullable=False),
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("sender", sa.String(length=42), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_granted")),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("uq_role_granted_chain_id_tx_hash_log_index")
        ),
    )
    with op.batch_alter_table("role_granted", schema=None) as batch_op:
        batch_op.create_index("ix_role_granted_chain_block", ["chain_id", "block_number"], unique=False)

    op.create_table(
        "role_revoked",
        sa.Column("role", sa.String(length=66), nullable=False),
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("sender", sa.String(length=42), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_revoked")),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("uq_role_revoked_chain_id_tx_hash_log_index")
        ),
    )
    with op.batch_alter_table("role_revoked", schema=None) as batch_op:
        batch_op.create_index("ix_role_revoked_chain_block", ["chain_id", "block_number"], unique=False)

    op.create_table(
        "round_closed",
        sa.Column("campaign_id", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("round_id", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("outcome", sa.SmallInteger(), nullable=False),
        sa.Column("raised_usd", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_closed")),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("uq_round_closed_chain_id_tx_hash_log_index")
        ),
    )
    with op.batch_alter_table("round_closed", schema=None) as batch_op:
        batch_op.create_index("ix_round_closed_chain_block", ["chain_id", "block_number"], unique=False)

    op.create_table(
        "round_opened",
        sa.Column("campaign_id", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("round_id", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("end", sa.BigInteger(), nullable=False),
        sa.Column("goal_usd", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("all_or_nothing", sa.Boolean(), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_opened")),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("uq_round_opened_chain_id_tx_hash_log_index")
        ),
    )
    with op.batch_alter_table("round_opened", schema=None) as batch_op:
        batch_op.create_index("ix_round_opened_chain_block", ["chain_id", "block_number"], unique=False)

    op.create_table(
        "supplier_approved",
        sa.Column("campaign_id", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("supplier", sa.String(length=42), nullable=False),
        sa.Column("record_hash", sa.String(length=66), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_approved")),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("uq_supplier_approved_chain_id_tx_hash_log_index")
        ),
    )
    with op.batch_alter_table("supplier_approved", schema=None) as batch_op:
        batch_op.create_index("ix_supplier_approved_chain_block", ["chain_id", "block_number"], unique=False)

    op.create_table(
        "supplier_revoked",
        sa.Column("campaign_id", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("supplier", sa.String(length=42), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_revoked")),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("uq_supplier_revoked_chain_id_tx_hash_log_index")
        ),
    )
    with op.batch_alter_table("supplier_revoked", schema=None) as batch_op:
        batch_op.create_index("ix_supplier_revoked_chain_block", ["chain_id", "block_number"], unique=False)

    op.create_table(
        "token_accepted",
        sa.Column("campaign_id", ledger.db.types.Uint256(precision=78, scale=0), nullable=False),
        sa.Column("token", sa.String(length=42), nullable=False),
        sa.Column("feed", sa.String(length=42), nullable=False),
        sa.Column("token_decimals", sa.SmallInteger(), nullable=False),
        sa.Column("feed_decimals", sa.SmallInteger(), nullable=False),
        sa.Column("max_staleness", sa.BigInteger(), nullable=False),
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_token_accepted")),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("uq_token_accepted_chain_id_tx_hash_log_index")
        ),
    )
    with op.batch_alter_table("token_accepted", schema=None) as batch_op:
        batch_op.create_index("ix_token_accepted_chain_block", ["chain_id", "block_number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("token_accepted", schema=None) as batch_op:
        batch_op.drop_index("ix_token_accepted_chain_block")

    op.drop_table("token_accepted")
    with op.batch_alter_table("supplier_revoked", schema=None) as batch_op:
        batch_op.drop_index("ix_supplier_revoked_chain_block")

    op.drop_table("supplier_revoked")
    with op.batch_alter_table("supplier_approved", schema=None) as batch_op:
        batch_op.drop_index("ix_supplier_approved_chain_block")

    op.drop_table("supplier_approved")
    with op.batch_alter_table("round_opened", schema=None) as batch_op:
        batch_op.drop_index("ix_round_opened_chain_block")

    op.drop_table("round_opened")
    with op.batch_alter_table("round_closed", schema=None) as batch_op:
        batch_op.drop_index("ix_round_closed_chain_block")

    op.drop_table("round_closed")
    with op.batch_alter_table("role_revoked", schema=None) as batch_op:
        batch_op.drop_index("ix_role_revoked_chain_block")

    op.drop_table("role_revoked")
    with op.batch_alter_table("role_granted", schema=None) as batch_op:
        batch_op.drop_index("ix_role_granted_chain_block")

    op.drop_table("role_granted")
    with op.batch_alter_table("role_admin_changed", schema=None) as batch_op:
        batch_op.drop_index("ix_role_admin_changed_chain_block")

    op.drop_table("role_admin_changed")
    with op.batch_alter_table("report_attested", schema=None) as batch_op:
        batch_op.drop_index("ix_report_attested_chain_block")

    op.drop_table("report_attested")
    with op.batch_alter_table("refunded", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunded_donor"))
        batch_op.drop_index("ix_refunded_chain_block")

    op.drop_table("refunded")
    with op.batch_alter_table("refund_deferred", schema=None) as batch_op:
        batch_op.drop_index("ix_refund_deferred_chain_block")

    op.drop_table("refund_deferred")
    with op.batch_alter_table("pledged", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pledged_donor"))
        batch_op.drop_index("ix_pledged_chain_block")

    op.drop_table("pledged")
    op.drop_table("indexer_cursor")
    with op.batch_alter_table("disbursed", schema=None) as batch_op:
        batch_op.drop_index("ix_disbursed_chain_block")

    op.drop_table("disbursed")
    with op.batch_alter_table("campaign_manager_changed", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_manager_changed_chain_block")

    op.drop_table("campaign_manager_changed")
    with op.batch_alter_table("campaign_created", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_created_chain_block")

    op.drop_table("campaign_created")
    with op.batch_alter_table("campaign_cancelled", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_cancelled_chain_block")

    op.drop_table("campaign_cancelled")
    op.drop_table("blocks")
