"""The PostgreSQL server the suite creates its databases on, and emptying one between tests."""

from __future__ import annotations

import os

from sqlalchemy import Engine, text

from ledger.db.models import Base
from ledger.db.records import Supplier  # noqa: F401 - the off-chain tables belong to Base.metadata too

#: The PostgreSQL server the suite may create its own database on (trust auth on this machine).
POSTGRES_ADMIN_URL = os.environ.get(
    "PLEDGELEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def empty_postgres(engine: Engine) -> None:
    """Remove every row of every table (mirror and records) and restart the identities."""
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
