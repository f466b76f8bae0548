"""Alembic environment: runs on the connection :func:`ledger.db.migrate.upgrade` passes in, or on the URL
from ``sqlalchemy.url`` when Alembic's own command line is used."""

from alembic import context
from sqlalchemy import Connection

from ledger.db import records  # noqa: F401 - registers the off-chain tables on Base.metadata
from ledger.db.engine import make_engine
from ledger.db.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        run_migrations(conn)
    engine.dispose()
