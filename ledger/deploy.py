"""Deploy the ledger (and, on local chains, test tokens with price feeds) and record the deployment."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from web3 import Web3
from web3.contract import Contract

from ledger.chain import Transactor
from ledger.compiler import Build
from ledger.errors import DeploymentNotFoundError

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
    admin: str
    compiler_version: str
    deployed_at: str
    tokens: dict[str, TokenDeployment] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Deployment:
        data = json.loads(text)
        tokens = {symbol: TokenDeployment(**t) for symbol, t in data.pop("tokens").items()}
        return cls(**data, tokens=tokens)


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
    return Deployment.from_json(path.read_text())


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


def deploy(w3: Web3, deployer: Transactor, build: Build, *, test_assets: bool = True) -> Deployment:
    """Deploy the ledger with ``deployer`` as admin; with ``test_assets``, also mock tokens and feeds."""
    artifact = build["PledgeLedger"]
    ledger = deployer.deploy(artifact.abi, artifact.bytecode, deployer.address)
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
        admin=deployer.address,
        compiler_version=build.compiler_version,
        deployed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        tokens=tokens,
    )
