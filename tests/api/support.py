"""Helpers for the API tests: an app on a test database, scratch databases of a module's own, chain
activity worth reading, and walking keyset pages."""

from __future__ import annotations

import contextlib
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from api.main import create_app
from ledger.settings import Settings
from tests.indexer.support import busy_life, some_pledges
from tests.support.chain import LedgerEnv
from tests.support.db import migrate, postgres_database
from tests.support.units import DAY

with warnings.catch_warnings():
    # Starlette suggests httpx2 for its test client; httpx is what is installed and works.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient as TestClient

API = "/api/v1"


def settings_for(engine: Engine, **overrides: Any) -> Settings:
    url = engine.url.render_as_string(hide_password=False)
    return Settings(**{"database_url": url, "rpc_url": None, **overrides})


@contextlib.contextmanager
def api_client(engine: Engine, **overrides: Any) -> Iterator[TestClient]:
    """A test client of an app on ``engine`` (settings overridden by keyword)."""
    app = create_app(settings_for(engine, **overrides), engine=engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@contextlib.contextmanager
def scratch_database(backend: str, directory: Path) -> Iterator[str]:
    """A migrated database of its own (not the shared test database), dropped afterwards."""
    if backend == "sqlite":
        url = f"sqlite:///{directory / f'api-{uuid.uuid4().hex[:6]}.db'}"
        migrate(url)
        yield url
        return
    with postgres_database("pledgeledger_api_") as url:
        migrate(url)
        yield url


#: The third campaign's supplier delay: its supplier's approval is still pending when the life ends.
C3_SUPPLIER_DELAY = 5 * DAY


def chain_life(env: LedgerEnv, *, open_pledges: int = 30) -> dict[str, int]:
    """:func:`busy_life` (every event kind) plus a third campaign, paused by the guardian, whose open round
    holds ``open_pledges`` small pledges from every donor in ETH and USDC (enough rows for several pages)
    and whose supplier approval waits out its delay (a pending change)."""
    ids = busy_life(env)
    c3 = env.create_campaign(("ETH", "USDC"), supplier_delay=C3_SUPPLIER_DELAY)
    r4 = env.open_round(c3, goal_usd=10**9 * 10**8, days=30, aon=False)
    some_pledges(env, c3, r4, open_pledges)
    env.manager.send(env.f.approveSupplier(c3, env.supplier.address, b"\x0c" * 32))
    env.guardian.send(env.f.pauseCampaign(c3))
    return {**ids, "c3": c3, "r4": r4}


def walk(client: TestClient, path: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every row of a paginated list, following ``next_cursor``; and the number of pages read."""
    rows: list[dict[str, Any]] = []
    pages = 0
    cursor: str | None = None
    while True:
        query = {k: v for k, v in params.items() if v is not None}
        if cursor is not None:
            query["cursor"] = cursor
        answer = client.get(path, params=query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        rows.extend(body["data"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return rows, pages
        assert pages < 10_000, "pagination does not end"


@dataclass
class Indexed:
    """A chain with :func:`chain_life` on it, indexed into ``engine``; ``ids`` names its campaigns/rounds."""

    env: LedgerEnv
    engine: Engine
    ids: dict[str, int]
