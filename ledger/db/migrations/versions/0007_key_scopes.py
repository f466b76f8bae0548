"""API key scopes: a key acts on every campaign, or only on the campaigns listed for it.

``api_keys.all_campaigns`` says which; ``api_key_campaigns`` lists a scoped key's campaigns.

Existing keys: they stay global (``all_campaigns`` true), so nothing that works today breaks on upgrade.
``pledgeledger keys list`` shows their scope as "all campaigns"; an operator who wants them narrower
creates scoped keys (``keys create --campaign N``) and revokes the old ones. The column is added with a
server default only to fill the existing rows, then the default is dropped: a key written later must say
its scope (``ledger.keys.create_key`` always does), so no insert is global by accident.

Self-contained: it touches only the API key tables.

Revision ID: 0007
Revises: 0006 (the indexer's halt)
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("all_campaigns", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.alter_column("all_campaigns", server_default=None)
    op.create_table(
        "api_key_campaigns",
        sa.Column("api_key_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name=op.f("fk_api_key_campaigns_api_key_id_api_keys")
        ),
        sa.PrimaryKeyConstraint("api_key_id", "campaign_id", name=op.f("pk_api_key_campaigns")),
    )


def downgrade() -> None:
    # Scoped keys would become global without their campaigns: refuse to widen them silently.
    scoped = op.get_bind().scalar(sa.text("SELECT count(*) FROM api_keys WHERE NOT all_campaigns"))
    if scoped:
        raise RuntimeError(
            f"{scoped} API key(s) are limited to some campaigns; revision 0005 cannot express that: "
            "delete those keys (their api_key_campaigns rows, then their api_keys rows) first"
        )
    op.drop_table("api_key_campaigns")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("all_campaigns")
