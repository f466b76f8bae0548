"""Drive the ``pledgeledger`` command line as its users do, in subprocesses, against a running ``up``; and
play the world around it (the clock passing, the price feeds updating, donors holding tokens), which no
command of ours does on a real chain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger.chain import ErrorDecoder, Transactor, connect, dev_accounts
from ledger.client import LedgerClient, RoundInfo
from ledger.client.calls import abi_function
from ledger.client.prices import AGGREGATOR_ABI
from ledger.contract_abi import packaged_abi
from ledger.demo.api_client import ApiClient
from ledger.deploy import Deployment, load_deployment
from ledger.governance.local import BOARD_OWNERS, BOARD_THRESHOLD
from tests.support.chain import ChainClock

#: Development accounts of the people (the board Safe's owners are 0, 8 and 9: ledger.governance.local).
MANAGER, AUDITOR, ANYONE, SUPPLIER = 1, 2, 6, 7
PLEDGELEDGER = str(Path(sys.executable).parent / "pledgeledger")
DAY = 86_400
#: ``MockAggregator.setAnswer`` and ``MockERC20.mint``: open to anyone, as mocks.
_MOCKS_ABI: list[dict[str, Any]] = [
    abi_function("setAnswer", [("answer", "int256")], view=False),
    *AGGREGATOR_ABI,
    abi_function("mint", [("to", "address"), ("amount", "uint256")], view=False),
]


@dataclass(frozen=True)
class CliResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        """The one JSON object a ``--json`` command prints last."""
        parsed: dict[str, Any] = json.loads(self.stdout.strip().splitlines()[-1])
        return parsed

    def __str__(self) -> str:
        return f"$ pledgeledger {' '.join(self.args)}\n[exit {self.returncode}]\n{self.stdout}\n{self.stderr}"


class Cli:
    """``pledgeledger`` run in ``cwd`` (where ``up`` runs, so the commands find it)."""

    def __init__(self, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.cwd = cwd
        self.env = {**os.environ, "COLUMNS": "200", **(env or {})}

    def run(self, *args: str, timeout: float = 180, input: str | None = None) -> CliResult:
        done = subprocess.run(
            [PLEDGELEDGER, *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
            check=False,
        )
        return CliResult(tuple(args), done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str, timeout: float = 180) -> CliResult:
        """Run a command that must succeed."""
        result = self.run(*args, timeout=timeout)
        assert result.returncode == 0, str(result)
        return result

    def refused(self, *args: str) -> CliResult:
        """Run a command that must be refused: exit 1, one ``Error:`` line, no traceback."""
        result = self.run(*args)
        assert result.returncode == 1, str(result)
        assert result.stderr.startswith("Error: "), str(result)
        assert len(result.stderr.strip().splitlines()) == 1, str(result)
        assert "Traceback" not in result.stderr + result.stdout, str(result)
        return result

    def send(self, *args: str) -> dict[str, Any]:
        """Run an on-chain command with ``--yes --json``; its JSON result."""
        return self.ok(*args, "--yes", "--json").json()


class World(ChainClock):
    """What happens on a local chain between our commands: time passes, oracles post prices, donors are
    funded. Account 9 keeps the mock feeds fresh: no command of the test signs with it."""

    def __init__(self, rpc_url: str, deployments_dir: Path) -> None:
        self.w3: Web3 = connect(rpc_url)
        self.deployment: Deployment = load_deployment(deployments_dir, int(self.w3.eth.chain_id))
        self.accounts: list[LocalAccount] = dev_accounts(10)
        self.keeper = Transactor(self.w3, self.accounts[9], ErrorDecoder([]))

    def address(self, index: int) -> str:
        return str(self.accounts[index].address)

    def nonce(self, index: int) -> int:
        return int(self.w3.eth.get_transaction_count(self.accounts[index].address))

    def nonces(self) -> list[int]:
        """Every development account's nonce: unchanged when a command sent nothing."""
        return [self.nonce(i) for i in range(len(self.accounts))]

    def _mock(self, address: str) -> Any:
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=_MOCKS_ABI)

    def advance(self, seconds: int) -> None:
        """Move the clock forward, mine, and post fresh prices (else every pledge would be refused)."""
        super().advance(seconds)
        self.refresh_feeds()

    def advance_to(self, timestamp: int) -> None:
        if timestamp > self.now():
            self.advance(timestamp - self.now())

    def refresh_feeds(self) -> None:
        for token in self.deployment.tokens.values():
            feed = self._mock(token.feed)
            self.keeper.send(feed.functions.setAnswer(feed.functions.latestRoundData().call()[1]))

    def fund(self, index: int, symbol: str, whole: int) -> int:
        """Mint ``whole`` tokens of ``symbol`` to development account ``index``; the base units."""
        token = self.deployment.tokens[symbol]
        amount: int = whole * 10 ** int(token.decimals)
        self.keeper.send(self._mock(token.address).functions.mint(self.address(index), amount))
        return amount


def as_admin(cli: Cli, world: World, tmp: Path, name: str, *command: str) -> dict[str, Any]:
    """What the organisation's board does: the CLI writes the admin's calls as a Safe batch (scheduling
    them on the timelock), enough owners sign and execute it, the delay passes, anyone runs it."""
    batch = tmp / f"{name}.json"
    written = cli.ok(*command, "--unsigned", str(batch), "--json").json()
    assert written["safe"] == world.deployment.governance.board_safe  # type: ignore[union-attr]
    owners = [arg for i in BOARD_OWNERS[:BOARD_THRESHOLD] for arg in ("--account", str(i))]
    cli.ok("safe", "execute", str(batch), *owners, "--yes")
    early = cli.refused("timelock", "execute", written["timelock_operation"], "--yes")
    assert "is not ready" in early.stderr
    world.advance(world.deployment.governance.timelock_delay + 60)  # type: ignore[union-attr]
    return cli.send("timelock", "execute", written["timelock_operation"], "--account", str(ANYONE))


def create_campaign(cli: Cli, world: World, tmp: Path, *accept: str) -> int:
    """The board creates a campaign for WAHO managed by account 1 (supplier delay 2 days), accepts tokens in
    it (``accept``: the arguments of ``token accept`` after the campaign) and appoints account 2 auditor, each
    through the timelock; returns the campaign's id."""
    metadata = tmp / "campaign.json"
    metadata.write_text('{"beneficiary": "WAHO", "organisation": "FCSSC"}')
    created = as_admin(
        cli, world, tmp, "create",
        "campaign", "create", "--manager", world.address(MANAGER), "--beneficiary", "WAHO",
        "--metadata", str(metadata), "--supplier-delay", "2d",
    )  # fmt: skip
    campaign = int(created["campaign"])
    as_admin(cli, world, tmp, "tokens", "token", "accept", str(campaign), *accept)
    as_admin(cli, world, tmp, "auditor", "role", "grant", "auditor", world.address(AUDITOR))
    return campaign


def records_api(cli: Cli, base_url: str) -> ApiClient:
    key = cli.ok("keys", "create", "--role", "manager", "--name", "procurement desk").stdout.strip()
    return ApiClient(base_url, key)


# ─── a campaign set up once for many short tests (tests/cli/conftest.py) ─────────────────────────────


@dataclass(frozen=True)
class Stage:
    """A running ``up`` in ``tmp`` and a campaign set up on it through the command line: created by the
    board through the timelock, taking ETH, USDC and DAI, an auditor appointed, its first round opened by
    the manager; and a records API client with a manager key."""

    tmp: Path
    cli: Cli
    world: World
    api: ApiClient
    campaign: int

    def latest_round(self) -> RoundInfo:
        """The campaign's latest round as the chain has it now."""
        ledger = LedgerClient(self.world.w3, self.world.deployment.ledger, packaged_abi("PledgeLedger"))
        count = ledger.campaign(self.campaign).round_count
        assert count > 0, f"campaign {self.campaign} has no round"
        return ledger.round(self.campaign, count)

    def mirrored(self) -> None:
        """Wait until the indexer has mirrored the chain's latest block (what `attest` reconciles)."""
        w3 = self.world.w3
        self.api.wait_for_block(int(w3.eth.block_number), int(w3.eth.chain_id))


@contextmanager
def nothing_sent(world: World) -> Iterator[None]:
    """Assert that the block sends nothing: every development account's nonce and the chain's head are
    the same after it as before."""
    nonces, head = world.nonces(), int(world.w3.eth.block_number)
    yield
    assert world.nonces() == nonces, "a transaction was sent"
    assert int(world.w3.eth.block_number) == head, "a block was mined"


def refused_unsent(stage: Stage, *args: str, says: str, cli: Cli | None = None) -> CliResult:
    """Run a command that must be refused (:meth:`Cli.refused`) before anything is sent, its one line saying
    ``says``."""
    with nothing_sent(stage.world):
        result = (cli or stage.cli).refused(*args)
    assert says in result.stderr, str(result)
    return result


def supplier_record(stage: Stage, wallet: str, vetting_status: str, name: str) -> dict[str, Any]:
    """A supplier entered through the records API, as the organisation's staff would."""
    body = {"name": name, "country": "CN", "wallet": wallet, "vetting_status": vetting_status}
    record: dict[str, Any] = stage.api.post("/suppliers", body)
    return record


def order_record(stage: Stage, supplier_id: int, reference: str, usdc: int) -> dict[str, Any]:
    """A purchase order of the stage's campaign to ``supplier_id``, paid in ``usdc`` whole USDC (one line of
    masks), entered through the records API."""
    body = {
        "campaign_id": stage.campaign,
        "supplier_id": supplier_id,
        "reference": reference,
        "payment_token": stage.world.deployment.tokens["USDC"].address,
        "payment_amount": str(usdc * 10**6),
        "issued_on": "2026-03-01",
        "lines": [
            {"item": "surgical masks", "quantity": usdc, "unit": "box", "unit_price": "1", "currency": "USD"}
        ],
    }
    record: dict[str, Any] = stage.api.post("/orders", body)
    return record
