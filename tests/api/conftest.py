"""API fixtures: a database holding an indexed, busy chain, shared by a module's read-only tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledger.db.engine import make_engine
from tests.api.support import Indexed, chain_life, scratch_database
from tests.indexer.support import run_indexer
from tests.support.chain import LedgerEnv, reverted


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def indexed(
    request: pytest.FixtureRequest, _session_env: LedgerEnv, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Indexed]:
    """Built once per module and backend; tests must not write to it (the chain is theirs to change, under
    the function-scoped ``env`` snapshot)."""
    if request.param == "postgresql":
        request.getfixturevalue("postgres_url")  # skips (or fails under CI) without a server
    with (
        reverted(_session_env) as env,
        scratch_database(request.param, tmp_path_factory.mktemp("api")) as url,
    ):
        ids = chain_life(env)
        engine = make_engine(url)
        try:
            run_indexer(env, engine)
            yield Indexed(env, engine, ids)
        finally:
            engine.dispose()
