"""The indexer beside the command that brings the system up: a thread of this process, so there is no child
to leave behind, stopped (and joined) when the ``with`` block ends; the database ``up`` mirrors into, and
the check that a port is free. The API beside it is started by :mod:`ledger.serving`."""

from __future__ import annotations

import contextlib
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from ledger.errors import LedgerError
from ledger.indexer.rpc import RpcClient
from ledger.indexer.runner import Indexer, IndexerConfig, LedgerSource
from ledger.indexer.store import CursorState


@dataclass
class IndexerThread:
    """The indexer following the head in a thread; a crash is kept and reported by :meth:`check`. A halt
    (the chain no longer holds the mirror, recorded in its cursor) is not a crash: the API reports it, and
    whoever serves it keeps serving."""

    indexer: Indexer
    stop: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    def run(self) -> None:
        try:
            self.indexer.run(stop=self.stop)
        except BaseException as exc:  # reported to the main thread by check()
            self.error = exc

    def cursor(self) -> CursorState | None:
        with contextlib.suppress(AssertionError):  # not opened yet
            return self.indexer.cursor
        return None

    def halt(self) -> CursorState | None:
        """The stored cursor, with why and where, if the indexer stopped on a halt it recorded."""
        if self.error is None:
            return None
        stored = self.indexer.store.cursor(self.indexer.chain_id)
        return stored if stored is not None and stored.halted else None

    def check(self) -> None:
        """Raise if the indexer stopped, unless on a halt (see :meth:`halt`)."""
        if self.error is not None and self.halt() is None:
            raise LedgerError(f"the indexer stopped: {self.error}") from self.error


@contextlib.contextmanager
def running_indexer(
    rpc_url: str, engine: Engine, source: LedgerSource, config: IndexerConfig, give_up_after: float
) -> Iterator[IndexerThread]:
    with RpcClient(rpc_url, give_up_after=give_up_after) as rpc:
        worker = IndexerThread(Indexer(rpc, engine, source, config))
        thread = threading.Thread(target=worker.run, name="indexer", daemon=True)
        thread.start()
        try:
            yield worker
        finally:
            worker.stop.set()
            thread.join(timeout=30)


def ensure_port_free(host: str, port: int, *, option: str = "--port") -> None:
    """Refuse a port something already listens on, with a message that says what to do."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if sock.connect_ex((host, port)) == 0:
            raise LedgerError(f"port {port} on {host} is in use: pass {option} to choose another")


def up_database_url(
    given: str | None, *, chain_started: bool, deployment_chain: tuple[int, str]
) -> str | None:
    """The database ``up`` mirrors into: ``given``, else None (the settings' database) for a chain that
    outlives ``up``; a chain started by ``up`` ends with it, so its mirror goes to a SQLite file of its own
    (a database never holds two chains with the same id). ``deployment_chain``: (chain id, genesis hash)."""
    if given:
        return given
    if not chain_started:
        return None
    chain_id, genesis = deployment_chain
    directory = Path(tempfile.gettempdir()) / "pledgeledger-up"
    return f"sqlite:///{directory / f'chain-{chain_id}-{genesis[2:14]}.db'}"
