"""Deploy the ledger (and, on local chains, its governance and test tokens with price feeds) and record the
deployment."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from ledger.chain import Transactor
from ledger.compiler import Build
from ledger.errors import (
    CorruptDeploymentError,
    DeploymentNotFoundError,
    LedgerError,
    OutdatedDeploymentError,
)
from ledger.governance.local import GovernanceDeployment, deploy_local_governance
from ledger.governance.safe import SafeDeployment
from ledger.governance.timelock import TIMELOCK_CONTRACT

#: The ledger contract's version. A deployment file of another version is never reused: its contract has
#: another ABI.
LEDGER_VERSION = 2
DAY = 86_400
#: Defaults for a production deployment: how long a new admin waits before accepting the role, and the
#: shortest supplier delay a campaign may have. Local chains use 1 day and 0.
DEFAULT_ADMIN_TRANSFER_DELAY = 5 * DAY
DEFAULT_MIN_SUPPLIER_DELAY = 2 * DAY
LOCAL_ADMIN_TRANSFER_DELAY = DAY
LOCAL_MIN_SUPPLIER_DELAY = 0

#: Test tokens for local chains: symbol → (contract, decimals, USD price with 8 decimals). They cover
#: what real campaigns meet: 6- and 18-decimal stablecoins, a USDT-style token that returns no bool,
#: and a fee-on-transfer token.
LOCAL_TOKENS: dict[str, tuple[str, int, int]] = {
    "USDC": ("MockERC20", 6, 100_000_000),
    "DAI": ("MockERC20", 18, 100_000_000),
    "USDT": ("MockNoReturnToken", 6, 100_000_000),
    "FEE": ("MockFeeToken", 18, 100_000_000),
}
#: ETH/USD on local chains, 8 decimals.
LOCAL_ETH_USD = 2_000_00000000
FEED_DECIMALS = 8
FEE_TOKEN_BPS = 100


@dataclass(frozen=True)
class TokenDeployment:
    """A token the deployment knows, with its USD price feed. ETH is the symbol ``ETH`` at address(0)."""

    symbol: str
    address: str
    decimals: int
    feed: str


@dataclass(frozen=True)
class Deployment:
    """Where the contracts of one chain are, and what built them."""

    chain_id: int
    genesis_hash: str
    ledger: str
    block_number: int
    #: The ledger's admin: a TimelockController (then also :attr:`timelock`), or an account.
    admin: str
    guardian: str
    admin_transfer_delay: int
    min_supplier_delay: int
    compiler_version: str
    deployed_at: str
    #: The admin when it is a TimelockController: the indexer mirrors what it schedules against the ledger.
    timelock: str | None = None
    #: The Safes and timelock built on a local chain from its development accounts.
    governance: GovernanceDeployment | None = None
    tokens: dict[str, TokenDeployment] = field(default_factory=dict)
    ledger_version: int = LEDGER_VERSION
    #: The hash of the transaction that created the ledger (``0x``-prefixed hex); ``None`` in files written
    #: before it was recorded.
    creation_tx: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Deployment:
        """Read a deployment file; one of an older ledger version raises :class:`OutdatedDeploymentError`, one
        that is not a deployment file :class:`CorruptDeploymentError`."""
        try:
            data = json.loads(text)
            version = data.get("ledger_version", 1)
        except (ValueError, AttributeError) as exc:
            raise CorruptDeploymentError(f"the deployment file is not a JSON object: {exc}") from exc
        if version != LEDGER_VERSION:
            raise OutdatedDeploymentError(
                f"the deployment file is for version {version} of the ledger contract, this is version "
                f"{LEDGER_VERSION}: deploy again (`pledgeledger deploy`)"
            )
        try:
            tokens = {symbol: TokenDeployment(**t) for symbol, t in data.pop("tokens").items()}
            governance = data.pop("governance")
            if governance is not None:
                safes = SafeDeployment(**governance.pop("safe_contracts"))
                governance = GovernanceDeployment(**governance, safe_contracts=safes)
            return cls(**data, tokens=tokens, governance=governance)
        except (KeyError, TypeError, AttributeError) as exc:
            raise CorruptDeploymentError(f"the deployment file lacks or mistypes a field: {exc}") from exc


def deployment_path(directory: Path, chain_id: int) -> Path:
    return directory / f"{chain_id}.json"


def write_deployment(deployment: Deployment, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = deployment_path(directory, deployment.chain_id)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(deployment.to_json())
    tmp.replace(path)
    return path


def load_deployment(directory: Path, chain_id: int) -> Deployment:
    path = deployment_path(directory, chain_id)
    if not path.exists():
        raise DeploymentNotFoundError(
            f"no deployment for chain {chain_id} at {path}: run `pledgeledger deploy`"
        )
    try:
        return Deployment.from_json(path.read_text())
    except CorruptDeploymentError as exc:
        raise CorruptDeploymentError(f"{path}: {exc}") from exc


def _deploy_token(deployer: Transactor, build: Build, symbol: str) -> tuple[Contract, Contract]:
    contract_name, decimals, price = LOCAL_TOKENS[symbol]
    artifact = build[contract_name]
    args: tuple[object, ...] = (f"Test {symbol}", symbol, decimals)
    if contract_name == "MockFeeToken":
        args = (*args, FEE_TOKEN_BPS)
    token = deployer.deploy(artifact.abi, artifact.bytecode, *args)
    feed = deploy_feed(deployer, build, f"{symbol} / USD", price)
    return token, feed


def deploy_feed(deployer: Transactor, build: Build, description: str, price: int) -> Contract:
    """A settable mock price feed (local chains only)."""
    artifact = build["MockAggregator"]
    return deployer.deploy(artifact.abi, artifact.bytecode, FEED_DECIMALS, description, price)


def is_timelock(w3: Web3, build: Build, address: str) -> bool:
    """True if ``address`` answers like a TimelockController (``getMinDelay`` and ``PROPOSER_ROLE``)."""
    if not w3.eth.get_code(Web3.to_checksum_address(address)):
        return False
    contract = w3.eth.contract(address=Web3.to_checksum_address(address), abi=build[TIMELOCK_CONTRACT].abi)
    try:
        contract.functions.getMinDelay().call()
        contract.functions.PROPOSER_ROLE().call()
    except Exception:
        return False
    return True


def ledger_constructor_args(
    *, admin: str, guardian: str, admin_transfer_delay: int, min_supplier_delay: int
) -> tuple[str, str, int, int]:
    """The ledger constructor's arguments, in its order: ``(admin, guardian, adminTransferDelay,
    minSupplierDelay)``. :mod:`ledger.verification` encodes them again from a :class:`Deployment`."""
    return (
        Web3.to_checksum_address(admin),
        Web3.to_checksum_address(guardian),
        admin_transfer_delay,
        min_supplier_delay,
    )


def deploy(
    w3: Web3,
    deployer: Transactor,
    build: Build,
    *,
    admin: str,
    guardian: str,
    admin_transfer_delay: int = DEFAULT_ADMIN_TRANSFER_DELAY,
    min_supplier_delay: int = DEFAULT_MIN_SUPPLIER_DELAY,
    governance: GovernanceDeployment | None = None,
    test_assets: bool = True,
) -> Deployment:
    """Deploy the ledger with ``admin`` and ``guardian``; with ``test_assets``, also mock tokens and feeds.

    ``governance`` records the local Safes and timelock when ``admin`` is one built by
    :func:`~ledger.governance.local.deploy_local_governance`.
    """
    if not Web3.is_address(admin) or not Web3.is_address(guardian):
        raise LedgerError(f"the admin ({admin}) and the guardian ({guardian}) must be addresses")
    artifact = build["PledgeLedger"]
    ledger, receipt = deployer.deploy_with_receipt(
        artifact.abi,
        artifact.bytecode,
        *ledger_constructor_args(
            admin=admin,
            guardian=guardian,
            admin_transfer_delay=admin_transfer_delay,
            min_supplier_delay=min_supplier_delay,
        ),
    )
    block_number = w3.eth.block_number
    tokens: dict[str, TokenDeployment] = {}
    if test_assets:
        eth_feed = deploy_feed(deployer, build, "ETH / USD", LOCAL_ETH_USD)
        tokens["ETH"] = TokenDeployment("ETH", "0x" + "00" * 20, 18, eth_feed.address)
        for symbol, (_, decimals, _) in LOCAL_TOKENS.items():
            token, feed = _deploy_token(deployer, build, symbol)
            tokens[symbol] = TokenDeployment(symbol, token.address, decimals, feed.address)
    genesis = w3.eth.get_block(0)["hash"]
    return Deployment(
        chain_id=w3.eth.chain_id,
        genesis_hash=Web3.to_hex(genesis),
        ledger=ledger.address,
        block_number=block_number,
        admin=Web3.to_checksum_address(admin),
        guardian=Web3.to_checksum_address(guardian),
        admin_transfer_delay=admin_transfer_delay,
        min_supplier_delay=min_supplier_delay,
        compiler_version=build.compiler_version,
        deployed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        timelock=Web3.to_checksum_address(admin) if is_timelock(w3, build, admin) else None,
        governance=governance,
        tokens=tokens,
        creation_tx=Web3.to_hex(receipt["transactionHash"]),
    )


def deploy_local(
    w3: Web3, deployer: Transactor, build: Build, accounts: Sequence[LocalAccount]
) -> Deployment:
    """The supported set-up on a local chain: the ledger administered by a timelock proposed by the board
    Safe, guarded by the guardian Safe (:mod:`ledger.governance.local`), with the test tokens and feeds."""
    governance = deploy_local_governance(deployer, build, accounts)
    return deploy(
        w3,
        deployer,
        build,
        admin=governance.timelock,
        guardian=governance.guardian_safe,
        admin_transfer_delay=LOCAL_ADMIN_TRANSFER_DELAY,
        min_supplier_delay=LOCAL_MIN_SUPPLIER_DELAY,
        governance=governance,
    )


def reusable_deployment(w3: Web3, directory: Path) -> Deployment | None:
    """This chain's deployment file if it was written for this very chain (same genesis, the ledger's code at
    its address), so that ``up`` run again on the same chain continues it; else None."""
    try:
        known = load_deployment(directory, w3.eth.chain_id)
    except DeploymentNotFoundError:
        return None
    genesis = w3.eth.get_block(0)["hash"].to_0x_hex()
    if known.genesis_hash == genesis and w3.eth.get_code(Web3.to_checksum_address(known.ledger)):
        return known
    return None


@dataclass(frozen=True)
class GovernancePlan:
    """Who governs a new deployment and with which delays: ``deploy``'s options with the defaults
    filled in."""

    admin: str
    guardian: str
    admin_transfer_delay: int
    min_supplier_delay: int


def governance_plan(
    *,
    local: bool,
    admin: str | None,
    guardian: str | None,
    admin_delay: int | None = None,
    min_supplier_delay: int | None = None,
    not_local_because: str | None = None,
) -> GovernancePlan | None:
    """The governance a deployment gets. None: the local set-up built from the development accounts
    (:func:`deploy_local`), which only a local chain may have. Refuses what would leave donors' money with a
    single key and no time to react: no admin or guardian on a real chain, a supplier delay of 0 there.
    ``not_local_because``: why the chain is not local, for the message."""
    if admin is None:
        if not local:
            why = f" ({not_local_because})" if not_local_because else ""
            raise LedgerError(
                f"this is not a local chain on this machine{why}: deploy with "
                "`pledgeledger deploy --admin ADDRESS --guardian ADDRESS` "
                "(a TimelockController whose proposer is your board's Safe, and a Safe)"
            )
        return None
    if guardian is None:
        raise LedgerError("--admin needs --guardian too: the guardian (a Safe) pauses, revokes and cancels")
    for name, address in (("--admin", admin), ("--guardian", guardian)):
        if not Web3.is_address(address):
            raise LedgerError(f"{name} {address!r} is not an address (0x followed by 40 hex digits)")
    if min_supplier_delay is None:
        min_supplier_delay = LOCAL_MIN_SUPPLIER_DELAY if local else DEFAULT_MIN_SUPPLIER_DELAY
    if min_supplier_delay == 0 and not local:
        raise LedgerError("a minimum supplier delay of 0 is for local chains only: give the guardian time")
    if admin_delay is None:
        admin_delay = LOCAL_ADMIN_TRANSFER_DELAY if local else DEFAULT_ADMIN_TRANSFER_DELAY
    return GovernancePlan(
        Web3.to_checksum_address(admin), Web3.to_checksum_address(guardian), admin_delay, min_supplier_delay
    )
