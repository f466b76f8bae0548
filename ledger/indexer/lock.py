"""One indexer per chain and database.

Two indexers writing the same mirror would race on the cursor. The lock is one the operating system or
the database releases by itself when its holder dies, so that an indexer killed with SIGKILL never
blocks the next one: a PostgreSQL session-level advisory lock, or ``flock`` on a file beside the SQLite
database.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, text

from ledger.errors import IndexerLockedError

#: High half of the advisory lock key: "pled" in ASCII; the low half is the chain id.
_KEY_PREFIX = 0x706C6564


def advisory_key(chain_id: int) -> int:
    key = (_KEY_PREFIX << 32) | (chain_id & 0xFFFFFFFF)
    return key - (1 << 64) if key >= 1 << 63 else key  # a signed bigint


@contextlib.contextmanager
def indexer_lock(engine: Engine, chain_id: int) -> Iterator[None]:
    """Hold the lock for ``chain_id`` in this database, or raise :class:`IndexerLockedError`."""
    if engine.dialect.name == "postgresql":
        with _postgres_lock(engine, chain_id):
            yield
    else:
        database = engine.url.database
        if not database or database == ":memory:":
            yield  # a private in-memory database has no second writer
            return
        with _file_lock(Path(f"{database}.indexer-{chain_id}.lock"), chain_id):
            yield


@contextlib.contextmanager
def _postgres_lock(engine: Engine, chain_id: int) -> Iterator[None]:
    key = advisory_key(chain_id)
    with engine.connect() as conn:
        if not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar():
            holder = conn.execute(
                text(
                    "SELECT a.pid, a.client_addr, a.backend_start FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                    "AND l.objid = :low AND l.classid = :high AND l.granted"
                ),
                {"low": key & 0xFFFFFFFF, "high": _KEY_PREFIX},
            ).first()
            who = (
                f" (PostgreSQL backend {holder.pid}, connected since {holder.backend_start:%Y-%m-%d %H:%M})"
                if holder
                else ""
            )
            raise IndexerLockedError(
                f"another indexer is already mirroring chain {chain_id} into this database{who}; "
                "stop it first, or use another database"
            )
        conn.commit()
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                conn.commit()


@contextlib.contextmanager
def _file_lock(path: Path, chain_id: int) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            raise IndexerLockedError(
                f"another indexer (pid {holder or '?'}) is already mirroring chain {chain_id} into "
                f"{path.name.split('.indexer-')[0]}; stop it first, or use another database"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
