"""Shared fixtures: one Anvil and one deployment per session, rolled back to a snapshot after each test."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from web3 import Web3
from web3.contract import Contract

from ledger.chain import ErrorDecoder, Transactor, connect, dev_accounts
from ledger.client import LedgerClient, TxResult
from ledger.compiler import Build, compile_contracts
from ledger.db.engine import make_engine
from ledger.db.migrate import upgrade
from ledger.db.models import Base
from ledger.db.records import Supplier  # noqa: F401 - the off-chain tables belong to Base.metadata too
from ledger.deploy import LOCAL_ADMIN_TRANSFER_DELAY, LOCAL_MIN_SUPPLIER_DELAY, Deployment, deploy
from ledger.errors import TransactionFailedError
from ledger.node import LocalNode, start_node

ETH = "0x" + "00" * 20
DAY = 86_400
USD = 10**8  # the ledger's USD amounts carry 8 decimals

# Property-based tests are reproducible in CI: a fixed seed (derandomize) and no deadline (the chain is I/O).
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci")


#: The long runs — chains driven for minutes, load and hostile traffic over HTTP, whole-system e2e, the
#: benchmarks, the static analysis — marked ``slow``: ``scripts/test --fast`` leaves them out, CI runs all.
SLOW_MODULES = frozenset(
    {
        "api/test_hostile_suite.py",
        "api/test_load.py",
        "api/test_served_bodies.py",
        "cli/test_dry_run.py",
        "cli/test_reference_campaign.py",
        "cli/test_refusals.py",
        "contracts/test_invariants.py",
        "contracts/test_static_analysis.py",
        "e2e/test_up_demo.py",
        "indexer/test_faults.py",
        "indexer/test_random_activity.py",
        "scripts/test_bench_api.py",
        "scripts/test_bench_indexer.py",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = Path(__file__).parent
    for item in items:
        if item.path.relative_to(tests).as_posix() in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def build() -> Build:
    return compile_contracts()


@pytest.fixture(scope="session")
def anvil() -> Iterator[LocalNode]:
    node = start_node("anvil")
    try:
        yield node
    finally:
        node.stop()


@dataclass
class LedgerEnv:
    """A deployed ledger with named actors and the local test tokens and feeds.

    Actors: ``admin`` (account 0, deployer, the ledger's admin as a plain account), ``manager`` (1),
    ``auditor`` (2, has AUDITOR_ROLE), ``donors`` (3-6), ``supplier`` (7), ``outsider`` (8, no role),
    ``guardian`` (9, GUARDIAN_ROLE). The minimum supplier delay is 0, as on every local deployment. ERC-20
    tokens by symbol: USDC (6 decimals), DAI (18), USDT (6, returns no bool), FEE (18, 1% fee on transfer);
    every donor holds 1,000,000 of each and ETH.
    """

    w3: Web3
    build: Build
    deployment: Deployment
    ledger: Contract
    admin: Transactor
    manager: Transactor
    auditor: Transactor
    donors: list[Transactor]
    supplier: Transactor
    outsider: Transactor
    guardian: Transactor
    tokens: dict[str, Contract]
    feeds: dict[str, Contract]

    @property
    def f(self) -> Any:
        """Shorthand for ``ledger.functions``."""
        return self.ledger.functions

    def forget_nonces(self) -> None:
        """Read every actor's nonce from the node again, after the chain was rewound under them."""
        for actor in (
            self.admin,
            self.manager,
            self.auditor,
            self.supplier,
            self.outsider,
            self.guardian,
            *self.donors,
        ):
            actor.reset_nonce()

    def token_address(self, symbol: str) -> str:
        return ETH if symbol == "ETH" else self.tokens[symbol].address

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def advance(self, seconds: int) -> None:
        """Move the chain's clock forward and mine a block. Feeds age too: see :meth:`refresh_feeds`."""
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    def refresh_feeds(self) -> None:
        for feed in self.feeds.values():
            price = feed.functions.latestRoundData().call()[1]
            self.admin.send(feed.functions.setAnswer(price))

    def client(self, actor: Transactor | None = None) -> LedgerClient:
        """The typed client of the ledger, signing as ``actor`` (read-only without one)."""
        return LedgerClient(self.w3, self.ledger.address, self.build["PledgeLedger"].abi, actor)

    def create_campaign(
        self, symbols: tuple[str, ...] = ("ETH", "USDC", "DAI", "USDT", "FEE"), *, supplier_delay: int = 0
    ) -> int:
        """A campaign managed by ``manager`` that accepts ``symbols``; returns its id."""
        admin = self.client(self.admin)
        created = admin.create_campaign(self.manager.address, "WAHO", b"\x11" * 32, supplier_delay)
        campaign_id = int(created.event("CampaignCreated")["campaignId"])
        for symbol in symbols:
            admin.accept_token(campaign_id, self.token_address(symbol), self.feeds[symbol].address, DAY)
        return campaign_id

    def open_round(
        self, campaign_id: int, *, goal_usd: int = 1_000 * USD, days: int = 14, aon: bool = True
    ) -> int:
        now = self.now()
        opened = self.client(self.manager).open_round(campaign_id, now, now + days * DAY, goal_usd, aon)
        return int(opened.event("RoundOpened")["roundId"])

    def pledge(
        self, donor: Transactor, campaign_id: int, round_id: int, symbol: str, amount: int
    ) -> TxResult:
        """Pledge ``amount`` base units of ``symbol`` (approving ERC-20s first, as a wallet does: the exact
        amount); returns the pledge's transaction."""
        client = self.client(donor)
        if symbol != "ETH":
            client.approve_token(self.tokens[symbol].address, amount)
        return client.pledge_amount(campaign_id, round_id, self.token_address(symbol), amount)

    def balance_of_ledger(self, symbol: str) -> int:
        if symbol == "ETH":
            return int(self.w3.eth.get_balance(self.ledger.address))
        return int(self.tokens[symbol].functions.balanceOf(self.ledger.address).call())

    def balance(self, symbol: str, account: str) -> int:
        if symbol == "ETH":
            return int(self.w3.eth.get_balance(account))  # type: ignore[arg-type]
        return int(self.tokens[symbol].functions.balanceOf(account).call())


@contextlib.contextmanager
def reverts(error: str, *args: Any) -> Iterator[None]:
    """Assert that the block reverts with custom error ``error`` (and, if given, exactly these arguments)."""
    with pytest.raises(TransactionFailedError) as caught:
        yield
    assert caught.value.error == error, f"expected {error}, got {caught.value}"
    if args:
        assert tuple(caught.value.error_args) == args, f"expected {error}{args}, got {caught.value}"


def make_env(w3: Web3, build: Build) -> LedgerEnv:
    """Deploy the ledger and test assets, grant roles and fund donors."""
    decoder = ErrorDecoder(a.abi for a in build.artifacts.values())
    accounts = [Transactor(w3, acc, decoder) for acc in dev_accounts(10)]
    admin, manager, auditor = accounts[0], accounts[1], accounts[2]
    donors, supplier, outsider, guardian = accounts[3:7], accounts[7], accounts[8], accounts[9]
    deployment = deploy(
        w3,
        admin,
        build,
        admin=admin.address,
        guardian=guardian.address,
        admin_transfer_delay=LOCAL_ADMIN_TRANSFER_DELAY,
        min_supplier_delay=LOCAL_MIN_SUPPLIER_DELAY,
    )
    ledger = w3.eth.contract(
        address=Web3.to_checksum_address(deployment.ledger), abi=build["PledgeLedger"].abi
    )
    admin.send(ledger.functions.grantRole(ledger.functions.AUDITOR_ROLE().call(), auditor.address))
    tokens: dict[str, Contract] = {}
    feeds: dict[str, Contract] = {}
    contract_of = {
        "USDC": "MockERC20",
        "DAI": "MockERC20",
        "USDT": "MockNoReturnToken",
        "FEE": "MockFeeToken",
    }
    for symbol, info in deployment.tokens.items():
        feeds[symbol] = w3.eth.contract(
            address=Web3.to_checksum_address(info.feed), abi=build["MockAggregator"].abi
        )
        if symbol == "ETH":
            continue
        token = w3.eth.contract(
            address=Web3.to_checksum_address(info.address), abi=build[contract_of[symbol]].abi
        )
        tokens[symbol] = token
        for donor in donors:
            admin.send(token.functions.mint(donor.address, 1_000_000 * 10**info.decimals))
    return LedgerEnv(
        w3,
        build,
        deployment,
        ledger,
        admin,
        manager,
        auditor,
        donors,
        supplier,
        outsider,
        guardian,
        tokens,
        feeds,
    )


@pytest.fixture(scope="session")
def _session_env(anvil: LocalNode, build: Build) -> LedgerEnv:
    return make_env(connect(anvil.rpc_url), build)


@contextlib.contextmanager
def reverted(ledger_env: LedgerEnv) -> Iterator[LedgerEnv]:
    """The deployment as it is now, and as it was again after the block (``evm_snapshot``/``evm_revert``)."""
    w3 = ledger_env.w3
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    try:
        yield ledger_env
    finally:
        w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
        ledger_env.forget_nonces()


@pytest.fixture
def env(_session_env: LedgerEnv) -> Iterator[LedgerEnv]:
    """The session's deployment, reverted to its initial state after the test."""
    with reverted(_session_env) as ledger_env:
        yield ledger_env


# ─── databases ──────────────────────────────────────────────────────────────────────────────────────

#: The PostgreSQL server the suite may create its own database on (trust auth on this machine).
POSTGRES_ADMIN_URL = os.environ.get(
    "PLEDGELEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database of its own on the PostgreSQL server, migrated, dropped at the end of the session.

    Without a server the PostgreSQL tests are skipped, except under CI, where that is a failure.
    """
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"pledgeledger_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        message = f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc.orig}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    url = str(admin.url.set(database=name).render_as_string(hide_password=False))
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _empty_postgres(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a SQLite file, or the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'pledgeledger.db'}"
        engine = make_engine(url)
        upgrade(engine)
    else:
        url = request.getfixturevalue("postgres_url")
        engine = make_engine(url)
        _empty_postgres(engine)
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
