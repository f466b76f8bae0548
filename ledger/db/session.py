"""Sessions for writers that check what is stored before they write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session in one transaction, committed on success and rolled back on any exception.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock before the first
    read, so what a writer checked cannot change before it writes (the driver would otherwise begin
    only at the first write, after the checks). PostgreSQL writers lock the rows they depend on instead.
    """
    with Session(engine, expire_on_commit=False) as session:
        if engine.dialect.name == "sqlite":
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.commit()
