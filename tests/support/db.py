"""The PostgreSQL server the suite creates its databases on, and emptying one between tests."""

from __future__ import annotations

import contextlib
import os
import uuid
import warnings
from collections.abc import Iterator

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from ledger.db.engine import make_engine
from ledger.db.migrate import upgrade
from ledger.db.models import Base
from ledger.db.records import Supplier  # noqa: F401 - the off-chain tables belong to Base.metadata too

#: The PostgreSQL server the suite may create its own database on (trust auth on this machine).
POSTGRES_ADMIN_URL = os.environ.get(
    "PLEDGELEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def empty_postgres(engine: Engine) -> None:
    """Remove every row of every table (mirror and records) and restart the identities.

    The database is this test session's own, so a connection to it that still holds a lock now was left
    open by an earlier test (a server or thread it started): it is named in a warning and closed, rather
    than leaving TRUNCATE to wait for it until the test times out."""
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    for attempt in range(2):
        try:
            with engine.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '10s'"))
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            return
        except OperationalError:
            if attempt:
                raise
            _close_leftover_connections(engine)


def _close_leftover_connections(engine: Engine) -> None:
    with engine.connect() as conn:
        leftovers = conn.execute(
            text(
                "SELECT pg_terminate_backend(pid), state, left(query, 200) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).all()
    warnings.warn(
        f"closed connections an earlier test left open: {[tuple(r[1:]) for r in leftovers]}", stacklevel=3
    )


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema."""
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


@contextlib.contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """The URL of an empty database of its own on the PostgreSQL server (named ``prefix`` and a random
    suffix), dropped afterwards. Without a server, the :class:`~sqlalchemy.exc.OperationalError` of the
    ``CREATE DATABASE``."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"{prefix}{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except BaseException:
        admin.dispose()
        raise
    try:
        yield str(admin.url.set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
