"""The indexer's halted state in its cursor: why, since when and at which block it stopped because the chain
no longer holds the mirror (a reorganisation deeper than its finality depth, a node restarted on a new chain),
so that the API can say so and stop calling mirrored events final. NULL on every existing row: not halted.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 18:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("indexer_cursor", schema=None) as batch_op:
        batch_op.add_column(sa.Column("halt_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("halted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("halted_block", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("indexer_cursor", schema=None) as batch_op:
        batch_op.drop_column("halted_block")
        batch_op.drop_column("halted_at")
        batch_op.drop_column("halt_reason")
