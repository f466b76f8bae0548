"""Engines for SQLite (the embedded default) and PostgreSQL, configured the same way for every caller."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from ledger.db.types import SQLITE_UINT_SUM, SqliteUintSum
from ledger.errors import DatabaseError

#: Where the embedded database lives when no URL is given.
DEFAULT_DATABASE_URL = "sqlite:///pledgeledger.db"


def database_url(url: str | URL) -> URL:
    """Parse a database URL, choosing psycopg 3 for PostgreSQL (``postgresql://`` or ``postgres://``)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(
            f"not a database URL: {url!r} (e.g. sqlite:///ledger.db, postgresql://host/db)"
        ) from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseError(f"unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL")
    return parsed


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and the exact :func:`uint_sum` aggregate."""
    parsed = database_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(parsed, pool_pre_ping=True, **kwargs)


def _configure_sqlite(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    dbapi_connection.create_aggregate(SQLITE_UINT_SUM, 1, SqliteUintSum)  # type: ignore[arg-type]
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets the API read while the indexer writes. With WAL, synchronous=NORMAL loses nothing
        # committed when a process is killed; a power cut may drop the last transactions, never tear one.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
    finally:
        cursor.close()
