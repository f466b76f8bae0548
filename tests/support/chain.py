"""The ledger deployed on a test chain, with named actors, test tokens and price feeds; rewinding it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import pytest
from web3 import Web3
from web3.contract import Contract

from ledger.chain import ErrorDecoder, Transactor, dev_accounts
from ledger.client import LedgerClient, TxResult
from ledger.compiler import Build
from ledger.deploy import LOCAL_ADMIN_TRANSFER_DELAY, LOCAL_MIN_SUPPLIER_DELAY, Deployment, deploy
from ledger.errors import TransactionFailedError
from tests.support.units import DAY, ETH, USD


class ChainClock:
    """The clock of the local chain at ``w3``: read it, move it forward."""

    w3: Web3

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def advance(self, seconds: int) -> None:
        """Move the chain's clock forward and mine a block (price feeds age too)."""
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


@dataclass
class LedgerEnv(ChainClock):
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


def deploy_env(w3: Web3, build: Build, *, test_assets: bool = True, **options: Any) -> LedgerEnv:
    """Deploy the ledger (with ``options`` for :func:`ledger.deploy.deploy`) with the named actors; with
    ``test_assets``, the mock tokens (unminted) and feeds too, else neither."""
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
        test_assets=test_assets,
        **options,
    )
    ledger = w3.eth.contract(
        address=Web3.to_checksum_address(deployment.ledger), abi=build["PledgeLedger"].abi
    )
    env = LedgerEnv(
        w3, build, deployment, ledger, admin, manager, auditor, donors, supplier, outsider, guardian, {}, {}
    )
    contract_of = {
        "USDC": "MockERC20",
        "DAI": "MockERC20",
        "USDT": "MockNoReturnToken",
        "FEE": "MockFeeToken",
    }
    for symbol, info in deployment.tokens.items():
        env.feeds[symbol] = w3.eth.contract(
            address=Web3.to_checksum_address(info.feed), abi=build["MockAggregator"].abi
        )
        if symbol != "ETH":
            env.tokens[symbol] = w3.eth.contract(
                address=Web3.to_checksum_address(info.address), abi=build[contract_of[symbol]].abi
            )
    return env


def make_env(w3: Web3, build: Build) -> LedgerEnv:
    """Deploy the ledger and test assets, grant roles and fund donors."""
    env = deploy_env(
        w3,
        build,
        admin_transfer_delay=LOCAL_ADMIN_TRANSFER_DELAY,
        min_supplier_delay=LOCAL_MIN_SUPPLIER_DELAY,
    )
    env.admin.send(env.f.grantRole(env.f.AUDITOR_ROLE().call(), env.auditor.address))
    for symbol, token in env.tokens.items():
        decimals = env.deployment.tokens[symbol].decimals
        for donor in env.donors:
            env.admin.send(token.functions.mint(donor.address, 1_000_000 * 10**decimals))
    return env


class Rewindable(Protocol):
    """A deployment on a local chain whose actors can re-read their nonces."""

    @property
    def w3(self) -> Web3: ...

    def forget_nonces(self) -> None: ...


R = TypeVar("R", bound=Rewindable)


@contextlib.contextmanager
def reverted(deployment: R) -> Iterator[R]:
    """The deployment as it is now, and as it was again after the block (``evm_snapshot``/``evm_revert``)."""
    w3 = deployment.w3
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    try:
        yield deployment
    finally:
        w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
        deployment.forget_nonces()
