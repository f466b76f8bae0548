"""What a command works on: the chain, the database and the API it uses, given on the command line, set in
the environment (``PLEDGELEDGER_*``), or those of the ``up`` running from this directory, in that order;
and the deployment on that chain. Every mistake a user can make here is one line with a hint."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ledger.errors import LedgerError
from ledger.networks import check_rpc_url
from ledger.upstate import running_up

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session
    from web3 import Web3

    from ledger.deploy import Deployment
    from ledger.settings import Settings


def settings() -> Settings:
    from ledger.settings import get_settings

    return get_settings()


def chain_url(given: str | None, *, required: bool = True) -> str | None:
    """The node: ``--rpc-url``, else ``PLEDGELEDGER_RPC_URL``, else the running ``up``'s chain."""
    url = given or settings().rpc_url
    if url is None and (up := running_up()) is not None:
        url = up.rpc_url
    if url is None:
        if required:
            raise LedgerError(
                "no chain to talk to: pass --rpc-url, set PLEDGELEDGER_RPC_URL, "
                "or start `pledgeledger up` here"
            )
        return None
    return check_rpc_url(url)


def database_url(given: str | None) -> str:
    """The database: ``--database-url``, else ``PLEDGELEDGER_DATABASE_URL``, else the running ``up``'s, else
    the embedded default (a SQLite file in this directory)."""
    if given:
        return given
    current = settings()
    if "database_url" in current.model_fields_set:
        return current.database_url
    up = running_up()
    return up.database_url if up is not None else current.database_url


def migrated_engine(given: str | None) -> Engine:
    """An engine on :func:`database_url`, its schema brought up to date (a clear error if unreachable)."""
    from sqlalchemy.exc import OperationalError

    from ledger.db.engine import make_engine
    from ledger.db.migrate import upgrade

    engine = make_engine(database_url(given))
    try:
        upgrade(engine)
    except OperationalError as exc:
        engine.dispose()
        where = engine.url.render_as_string(hide_password=True)
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise LedgerError(f"cannot use the database {where}: {reason}") from None
    except BaseException:
        engine.dispose()
        raise
    return engine


def connect(url: str, *, timeout: float = 10.0) -> Web3:
    """A connection to ``url``, checked to answer within ``timeout`` seconds."""
    from ledger.chain import connect as connect_chain

    return connect_chain(url, timeout=timeout)


def deployment_of(w3: Web3) -> Deployment:
    """This chain's deployment file, checked to be for this very chain (same genesis)."""
    from ledger.deploy import load_deployment

    deployment = load_deployment(settings().deployments_dir, int(w3.eth.chain_id))
    return check_genesis(deployment, w3.eth.get_block(0)["hash"].to_0x_hex())


def check_genesis(deployment: Deployment, genesis_hash: str) -> Deployment:
    """``deployment``, checked to be for the chain whose block 0 is ``genesis_hash``."""
    from ledger.errors import ChainResetError

    if deployment.genesis_hash != genesis_hash:
        raise ChainResetError(
            f"the deployment file for chain {deployment.chain_id} was written for an earlier chain (its "
            "genesis differs from the node's): the node was restarted; run `pledgeledger deploy` first"
        )
    return deployment


@contextmanager
def records(given: str | None, *, write: bool = False) -> Iterator[Session]:
    """A session on the records (and the mirror) in :func:`database_url`: read-only unless ``write`` (then
    one transaction, committed when the block succeeds)."""
    from sqlalchemy.orm import Session

    from ledger.db.session import write_session

    engine = migrated_engine(given)
    try:
        if write:
            with write_session(engine) as session:
                yield session
        else:
            with Session(engine) as session:
                yield session
    finally:
        engine.dispose()
