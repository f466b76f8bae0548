"""Shared fixtures: one Anvil and one deployment per session, rolled back to a snapshot after each test.

Fixtures and hooks only: what tests import lives in :mod:`tests.support`."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from ledger.chain import connect
from ledger.compiler import Build, compile_contracts
from ledger.db.engine import make_engine
from ledger.node import LocalNode, local_node
from tests.support.chain import LedgerEnv, make_env, reverted
from tests.support.db import POSTGRES_ADMIN_URL, empty_postgres, migrate, postgres_database

if TYPE_CHECKING:
    from tests.e2e.support import UpProcess

# Property-based tests are reproducible in CI: a fixed seed (derandomize) and no deadline (the chain is I/O).
# ``scripts/test --fast`` picks the "fast" profile (HYPOTHESIS_PROFILE): the same fixed seed, fewer examples
# where a test does not set its own number.
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile("fast", derandomize=True, deadline=None, max_examples=10)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


#: The long runs — chains driven for minutes, load and hostile traffic over HTTP, whole-system e2e (the
#: browser's too), the benchmarks, the static analysis, the gas measurement, the exhaustive matrices of roles
#: and attacks, the reorganisation, restart and node-fault scenarios, property tests over chain activity —
#: marked ``slow``: ``scripts/test --fast`` leaves them out, CI runs all. An entry is a module's path, or
#: ``path::test`` for one test (all its parameters).
SLOW_TESTS = frozenset(
    {
        "api/test_auth.py::test_a_key_created_with_the_cli_works_until_revoked",
        "api/test_hostile_bodies.py",
        "api/test_hostile_suite.py",
        "api/test_json_depth.py",
        "api/test_load.py",
        "api/test_schema.py",
        "api/test_served_bodies.py",
        "cli/test_dry_run.py",
        "cli/test_reference_campaign.py",
        "cli/test_refusals.py",
        "api/test_chain_reads.py::test_pledges_walked_page_by_page_equal_the_chain",
        "contracts/test_attacks.py",
        "contracts/test_gas_snapshot.py",
        "contracts/test_invariants.py",
        "contracts/test_refunds.py::test_burning_donor_never_makes_an_underfunded_batch_run_out_of_gas",
        "contracts/test_roles.py",
        "contracts/test_static_analysis.py",
        "dashboard/test_dashboard.py",
        "e2e/test_up_demo.py",
        "ledger/test_cli.py::test_up_exit_deploys_and_returns",
        "indexer/test_chain_reset.py",
        "indexer/test_faults.py",
        "indexer/test_node_answers.py",
        "indexer/test_random_activity.py",
        "indexer/test_reorgs.py",
        "reconcile/test_donor_view.py::test_shares_are_exact_for_any_pledges",
        "scripts/test_bench_api.py",
        "scripts/test_bench_indexer.py",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = Path(__file__).parent
    missing = sorted(e for e in SLOW_TESTS if not (tests / e.partition("::")[0]).is_file())
    if missing:
        raise pytest.UsageError(f"SLOW_TESTS names modules that do not exist: {missing}")
    for item in items:
        module = item.path.relative_to(tests).as_posix()
        name = getattr(item, "originalname", item.name)
        if module in SLOW_TESTS or f"{module}::{name}" in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def build() -> Build:
    return compile_contracts()


@pytest.fixture(scope="session")
def anvil() -> Iterator[LocalNode]:
    with local_node("anvil") as node:
        yield node


@pytest.fixture
def up_processes() -> Iterator[list[UpProcess]]:
    """The ``up`` processes a test starts (it appends them), stopped after it however it ends."""
    started: list[UpProcess] = []
    try:
        yield started
    finally:
        for up in started:
            up.stop()


@pytest.fixture(scope="session")
def _session_env(anvil: LocalNode, build: Build) -> LedgerEnv:
    return make_env(connect(anvil.rpc_url), build)


@pytest.fixture
def env(_session_env: LedgerEnv) -> Iterator[LedgerEnv]:
    """The session's deployment, reverted to its initial state after the test."""
    with reverted(_session_env) as ledger_env:
        yield ledger_env


# ─── databases ──────────────────────────────────────────────────────────────────────────────────────


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own on the PostgreSQL server, migrated, dropped at the end of the session.

    Without a server the PostgreSQL tests are skipped, except under CI, where that is a failure.
    """
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(postgres_database(f"pledgeledger_test_{os.getpid()}_"))
        except OperationalError as exc:
            message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc.orig}"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        migrate(url)
        yield url


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file, copied for each test: migrating costs a third of a second, a copy
    nothing. Every connection is closed (the WAL checkpointed) before it is copied."""
    path = tmp_path_factory.mktemp("template") / "pledgeledger.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a SQLite file, or the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        path = tmp_path / "pledgeledger.db"
        shutil.copyfile(request.getfixturevalue("_migrated_sqlite"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    empty_postgres(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on :func:`database_url`, disposed after the test."""
    eng = make_engine(database_url)
    try:
        yield eng
    finally:
        eng.dispose()
