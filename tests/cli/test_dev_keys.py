"""The development accounts' keys are public: they sign only for a chain on this machine (a loopback RPC URL)
*and* with a local chain id. Everywhere they could sign (``deploy``, ``up``, ``up --demo``, the on-chain
commands, the demo's library), a local chain reached through another address, or a chain on this machine
with another id, is refused in one line, before anything is sent or written."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger.chain import connect
from ledger.compiler import Build
from ledger.demo import DemoChain
from ledger.deploy import load_deployment
from ledger.errors import LedgerError
from ledger.node import LocalNode, free_port, local_node, start_node
from ledger.settings import get_settings
from ledger.upstate import STATE_FILE
from tests.cli.support import Cli

SOMEONE = "0x" + "11" * 20


def _network_address() -> str | None:
    """An IPv4 address of this machine other than loopback (the one its default route leaves from)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") or address == "0.0.0.0" else address  # noqa: S104


@dataclass(frozen=True)
class ExposedChain:
    """An Anvil with the local chain id, answering on loopback and on this machine's network address."""

    node: LocalNode
    remote_url: str
    #: Where a ledger was deployed to it beforehand, through loopback (a deployment file to reuse).
    workdir: Path

    def blocks(self) -> int:
        return _blocks(self.node.rpc_url)


def _blocks(url: str) -> int:
    """The chain's height: any transaction sent would raise it (Anvil mines one block per transaction)."""
    return int(connect(url).eth.block_number)


@pytest.fixture(scope="module")
def exposed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExposedChain]:
    address = _network_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback")
    node = start_node("anvil", extra_args=["--host", address])
    try:
        workdir = tmp_path_factory.mktemp("exposed")
        Cli(workdir).ok("deploy", "--rpc-url", node.rpc_url)  # through loopback: the dev keys may sign
        yield ExposedChain(node, f"http://{address}:{node.port}", workdir)
    finally:
        node.stop()


@pytest.fixture(scope="module")
def chain_4242() -> Iterator[LocalNode]:
    """A chain on this machine whose id is not a local chain's (as a fork of a real network would have)."""
    with local_node("anvil", chain_id=4242) as node:
        yield node


def test_the_exposed_chain_is_the_same_chain_through_both_urls(exposed: ExposedChain) -> None:
    """The premise of the tests below: only the URL differs."""
    assert connect(exposed.remote_url).eth.chain_id == connect(exposed.node.rpc_url).eth.chain_id == 31337


def test_deploy_signs_for_no_chain_reached_through_a_network_address(
    exposed: ExposedChain, tmp_path: Path
) -> None:
    blocks = exposed.blocks()
    cli = Cli(tmp_path)
    local_setup = cli.refused("deploy", "--rpc-url", exposed.remote_url)
    governed = cli.refused(
        "deploy", "--rpc-url", exposed.remote_url, "--admin", SOMEONE, "--guardian", SOMEONE
    )
    assert "not on this machine" in local_setup.stderr
    assert "not on this machine" in governed.stderr and "--keystore" in governed.stderr
    assert exposed.blocks() == blocks, "nothing was sent"
    assert not (tmp_path / "deployments").exists()


@pytest.mark.parametrize("where", ["network address", "chain id 4242"])
def test_up_signs_for_no_chain_but_a_local_one_on_this_machine(
    where: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if where == "network address":
        exposed: ExposedChain = request.getfixturevalue("exposed")
        url, node, says = exposed.remote_url, exposed.node, "not on this machine"
    else:
        node = request.getfixturevalue("chain_4242")
        url, says = node.rpc_url, "chain 4242 is not a local chain"
    before = _blocks(node.rpc_url)
    database = tmp_path / "up.db"
    refused = Cli(tmp_path).refused(
        "up",
        "--rpc-url",
        url,
        "--database-url",
        f"sqlite:///{database}",
        "--port",
        str(free_port()),
        "--exit",
    )
    assert says in refused.stderr
    assert _blocks(node.rpc_url) == before, "nothing was sent"
    assert not (tmp_path / "deployments").exists() and not database.exists()
    assert not (tmp_path / STATE_FILE).exists()


def test_up_demo_on_a_deployed_chain_reached_through_a_network_address_refuses_before_serving(
    exposed: ExposedChain,
) -> None:
    """The ledger is deployed already (nothing to sign for that), but the demo would sign with the dev keys:
    refused at once, before the database, the indexer or the API start."""
    blocks = exposed.blocks()
    database = exposed.workdir / "demo.db"
    refused = Cli(exposed.workdir).refused(
        "up",
        "--demo",
        "--exit",
        "--rpc-url",
        exposed.remote_url,
        "--database-url",
        f"sqlite:///{database}",
        "--port",
        str(free_port()),
    )
    assert "not on this machine" in refused.stderr
    assert exposed.blocks() == blocks
    assert not database.exists(), "refused before anything was written"


def test_an_on_chain_command_signs_for_no_chain_reached_through_a_network_address(
    exposed: ExposedChain,
) -> None:
    blocks = exposed.blocks()
    refused = Cli(exposed.workdir).refused("campaign", "pause", "1", "--rpc-url", exposed.remote_url, "--yes")
    assert "not on this machine" in refused.stderr and "--keystore" in refused.stderr
    assert exposed.blocks() == blocks


def test_the_demos_chain_takes_the_dev_keys_only_for_a_local_chain_on_this_machine(
    exposed: ExposedChain, build: Build
) -> None:
    deployment = load_deployment(exposed.workdir / "deployments", 31337)
    mnemonic = get_settings().dev_mnemonic
    with pytest.raises(LedgerError, match="not on this machine"):
        DemoChain.connect(connect(exposed.remote_url), deployment, build, mnemonic)
    demo = DemoChain.connect(connect(exposed.node.rpc_url), deployment, build, mnemonic)
    assert demo.address("admin") == demo.actors["admin"].address
