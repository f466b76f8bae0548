"""A local chain restarted under the indexer (a new genesis at the same URL) is caught at once, with a
message that says what happened and what to do; ``--reset`` mirrors the new chain. SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine
from web3 import Web3

from ledger.chain import connect
from ledger.compiler import Build
from ledger.deploy import LOCAL_ETH_USD, deploy_feed, write_deployment
from ledger.errors import ChainResetError
from ledger.indexer.rpc import RpcClient
from ledger.indexer.runner import Indexer
from ledger.indexer.store import MirrorStore
from ledger.node import LocalNode, NodeKind, start_node
from ledger.settings import get_settings
from tests.indexer.support import chain_events, ledger_source, mirror_events, run_indexer
from tests.support.chain import LedgerEnv, deploy_env
from tests.support.units import DAY, ETH, USD

#: The console script, as a user runs it.
PLEDGELEDGER = str(Path(sys.executable).with_name("pledgeledger"))
GAS = 500_000


@dataclass
class RestartingNode:
    """A local chain that can be restarted on the same port, as an operator restarting Anvil would."""

    kind: NodeKind
    node: LocalNode | None = None
    port: int | None = None
    genesis_times: list[int] = field(default_factory=list)

    @property
    def rpc_url(self) -> str:
        assert self.node is not None
        return self.node.rpc_url

    def start(self) -> Web3:
        if self.genesis_times:  # a genesis from the same second as the last one could have the same hash
            while time.time() < self.genesis_times[-1] + 1:
                time.sleep(0.05)
        self.node = start_node(self.kind, port=self.port)
        self.port = self.node.port
        w3 = connect(self.node.rpc_url)
        self.genesis_times.append(int(w3.eth.get_block(0)["timestamp"]))
        return w3

    def restart(self) -> Web3:
        self.stop()
        return self.start()

    def stop(self) -> None:
        if self.node is not None:
            self.node.stop()
            self.node = None


def _restarting(kind: NodeKind) -> Iterator[RestartingNode]:
    node = RestartingNode(kind)
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(params=["anvil", pytest.param("ganache", marks=pytest.mark.ganache)])
def chain(request: pytest.FixtureRequest) -> Iterator[RestartingNode]:
    yield from _restarting(request.param)


@pytest.fixture
def anvil_chain() -> Iterator[RestartingNode]:
    yield from _restarting("anvil")


def _ledger_life(w3: Web3, build: Build, pledges: int) -> LedgerEnv:
    """A fresh deployment of the ledger alone (no test tokens: restarting chains is slow enough) with an
    ETH price feed, one campaign and ``pledges`` ETH pledges."""
    env = deploy_env(w3, build, test_assets=False, min_supplier_delay=0)
    admin, manager, donors, ledger = env.admin, env.manager, env.donors, env.ledger
    feed = deploy_feed(admin, build, "ETH / USD", LOCAL_ETH_USD)
    env.feeds["ETH"] = feed
    # Gas given, not estimated: Ganache takes a quarter of a second per estimate.
    f = ledger.functions
    receipt = admin.send(f.createCampaign(manager.address, "WAHO", b"\x11" * 32, 0), gas=GAS)
    campaign_id = ledger.events.CampaignCreated().process_receipt(receipt)[0]["args"]["campaignId"]
    admin.send(f.acceptToken(campaign_id, ETH, feed.address, DAY), gas=GAS)
    now = env.now()
    receipt = manager.send(f.openRound(campaign_id, now, now + 14 * DAY, 10**6 * USD, True), gas=GAS)
    round_id = ledger.events.RoundOpened().process_receipt(receipt)[0]["args"]["roundId"]
    for i in range(pledges):
        donors[i % len(donors)].send(f.pledge(campaign_id, round_id), value=(i + 1) * 10**15, gas=GAS)
    return env


def _assert_mirror_is(env: LedgerEnv, engine: Engine) -> None:
    """The mirror holds exactly this chain's events, field for field."""
    mirrored = mirror_events(engine, env.w3.eth.chain_id)
    assert mirrored == chain_events(env)
    assert mirrored, "the test made some activity"


def _genesis(env: LedgerEnv) -> str:
    return env.w3.eth.get_block(0)["hash"].to_0x_hex()


def test_a_restarted_chain_stops_the_indexer_at_once_and_reset_mirrors_the_new_one(
    chain: RestartingNode, build: Build, engine: Engine
) -> None:
    old = _ledger_life(chain.start(), build, 3)
    old_genesis = _genesis(old)
    with RpcClient(chain.rpc_url, give_up_after=30) as rpc:
        following = Indexer(rpc, engine, ledger_source(old))
        following.run(once=True)
        mirrored = mirror_events(engine, following.chain_id)

        new_w3 = chain.restart()  # same URL, new genesis, nothing deployed yet
        with pytest.raises(ChainResetError, match=r"restarted.*`pledgeledger index --reset`"):
            following.step()  # the indexer that was following the old chain notices at its next step

        new = _ledger_life(new_w3, build, 5)
        assert _genesis(new) != old_genesis
        assert new.ledger.address == old.ledger.address  # same deployer, same nonce: only the genesis differs
        with pytest.raises(ChainResetError, match=r"restarted.*`pledgeledger index --reset`"):
            Indexer(rpc, engine, ledger_source(new)).run(once=True)  # a new indexer refuses from the start
    assert mirror_events(engine, new.w3.eth.chain_id) == mirrored, "the old mirror is left as it was"
    halted = MirrorStore(engine).cursor(new.w3.eth.chain_id)
    assert halted is not None and halted.halt_reason is not None, "the API must stop calling it final"
    assert "restarted" in halted.halt_reason

    cursor = run_indexer(new, engine, reset=True)
    assert not cursor.halted
    assert cursor.genesis_hash == _genesis(new)
    assert cursor.block_hash == new.w3.eth.get_block("latest")["hash"].to_0x_hex()
    assert cursor.reorgs == 0
    _assert_mirror_is(new, engine)


def _index_cli(*args: str, rpc_url: str, database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}  # as in a log file: no terminal width
    env.update(
        PLEDGELEDGER_DEPLOYMENTS_DIR=str(cwd / "deployments"),
        PLEDGELEDGER_BUILD_DIR=str(get_settings().build_dir),
    )
    command = [PLEDGELEDGER, "index", "--rpc-url", rpc_url, "--database-url", database_url, "--once", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"the error should be one line:\n{result.stderr}"
    assert lines[0].startswith("Error: ")
    return lines[0]


def test_cli_index_on_a_restarted_chain_fails_in_one_line_and_reset_mirrors_the_new_chain(
    anvil_chain: RestartingNode, build: Build, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    old = _ledger_life(anvil_chain.start(), build, 3)
    write_deployment(old.deployment, tmp_path / "deployments")
    run_indexer(old, engine)
    mirrored = mirror_events(engine, old.w3.eth.chain_id)

    new_w3 = anvil_chain.restart()
    where = {"rpc_url": anvil_chain.rpc_url, "database_url": database_url, "cwd": tmp_path}
    error = _one_line_error(_index_cli(**where))  # the deployment file is the old chain's too
    assert "restarted" in error and "`pledgeledger deploy`" in error

    new = _ledger_life(new_w3, build, 5)
    write_deployment(new.deployment, tmp_path / "deployments")
    error = _one_line_error(_index_cli(**where))
    assert "restarted" in error and "`pledgeledger index --reset`" in error
    assert mirror_events(engine, new.w3.eth.chain_id) == mirrored

    result = _index_cli("--reset", **where)
    assert result.returncode == 0, result.stderr
    assert f"mirrored up to block {new.w3.eth.block_number}" in result.stdout
    _assert_mirror_is(new, engine)
