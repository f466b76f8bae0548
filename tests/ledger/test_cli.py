"""The CLI as a user runs it: real subprocesses, real chains, clean errors."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from web3 import Web3

from ledger.compiler import Build
from ledger.node import LocalNode, free_port, rpc_ready

CLI = [sys.executable, "-c", "from ledger.cli import main; main()"]


def _run(
    *args: str, cwd: Path, env_extra: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", **(env_extra or {})}
    return subprocess.run([*CLI, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_deploy_to_an_existing_node_writes_the_deployment_file(anvil: LocalNode, tmp_path: Path) -> None:
    result = _run("deploy", "--rpc-url", anvil.rpc_url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    deployment = json.loads((tmp_path / "deployments" / "31337.json").read_text())
    w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
    assert len(w3.eth.get_code(deployment["ledger"])) > 1000
    assert deployment["genesis_hash"] == w3.to_hex(w3.eth.get_block(0)["hash"])
    assert set(deployment["tokens"]) == {"ETH", "USDC", "DAI", "USDT", "FEE"}
    assert deployment["ledger"] in result.stdout


def test_deploy_on_a_local_chain_puts_the_ledger_behind_a_timelock_and_safes(
    anvil: LocalNode, build: Build, tmp_path: Path
) -> None:
    result = _run("deploy", "--rpc-url", anvil.rpc_url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    deployment = json.loads((tmp_path / "deployments" / "31337.json").read_text())
    w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
    ledger = w3.eth.contract(address=deployment["ledger"], abi=build["PledgeLedger"].abi)
    governance = deployment["governance"]
    assert deployment["admin"] == deployment["timelock"] == governance["timelock"]
    assert ledger.functions.defaultAdmin().call() == governance["timelock"]
    guardian_role = ledger.functions.GUARDIAN_ROLE().call()
    assert ledger.functions.hasRole(guardian_role, governance["guardian_safe"]).call()
    assert deployment["guardian"] == governance["guardian_safe"]
    timelock = w3.eth.contract(address=governance["timelock"], abi=build["TimelockController"].abi)
    proposer = timelock.functions.PROPOSER_ROLE().call()
    assert timelock.functions.hasRole(proposer, governance["board_safe"]).call()
    assert ledger.functions.MIN_SUPPLIER_DELAY().call() == 0
    assert "(timelock)" in result.stdout


def test_deploy_with_an_admin_and_a_guardian_given(anvil: LocalNode, build: Build, tmp_path: Path) -> None:
    admin, guardian = "0x" + "ab" * 20, "0x" + "cd" * 20
    result = _run(
        "deploy", "--rpc-url", anvil.rpc_url, "--admin", admin, "--guardian", guardian, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    deployment = json.loads((tmp_path / "deployments" / "31337.json").read_text())
    w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
    ledger = w3.eth.contract(address=deployment["ledger"], abi=build["PledgeLedger"].abi)
    assert ledger.functions.defaultAdmin().call() == Web3.to_checksum_address(admin)
    assert deployment["timelock"] is None and deployment["governance"] is None


def test_deploy_refuses_an_admin_without_a_guardian_or_not_an_address(
    anvil: LocalNode, tmp_path: Path
) -> None:
    result = _run("deploy", "--rpc-url", anvil.rpc_url, "--admin", "0x" + "ab" * 20, cwd=tmp_path)
    assert result.returncode == 1
    assert "--admin needs --guardian" in result.stderr
    result = _run(
        "deploy", "--rpc-url", anvil.rpc_url, "--admin", "fcssc", "--guardian", "0x" + "cd" * 20, cwd=tmp_path
    )
    assert result.returncode == 1
    assert "--admin 'fcssc' is not an address" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "deployments").exists()


def test_a_deployment_file_of_the_v1_ledger_is_not_reused(anvil: LocalNode, tmp_path: Path) -> None:
    deployments = tmp_path / "deployments"
    deployments.mkdir()
    w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
    v1 = {
        "chain_id": 31337,
        "genesis_hash": w3.to_hex(w3.eth.get_block(0)["hash"]),
        "ledger": "0x" + "11" * 20,
    }
    (deployments / "31337.json").write_text(json.dumps(v1))
    result = _run("index", "--rpc-url", anvil.rpc_url, "--once", cwd=tmp_path)
    assert result.returncode == 1
    assert "version 1 of the ledger contract" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_node_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    result = _run("deploy", "--rpc-url", "http://127.0.0.1:9", cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot reach the chain at http://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_up_serves_until_interrupted_and_leaves_no_process(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.Popen(
        [*CLI, "up", "--port", str(free_port())],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        output = ""
        deadline = time.monotonic() + 120
        while "Press Ctrl-C" not in output and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            output += line
        match = re.search(r"at (http://127\.0\.0\.1:\d+)", output)
        assert match, output
        url = match.group(1)
        assert rpc_ready(url)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130
        assert not rpc_ready(url), "the chain started by `up` must stop with it"
    finally:
        proc.kill()
        proc.wait()


def test_up_exit_deploys_and_returns(tmp_path: Path) -> None:
    result = _run("up", "--exit", "--port", str(free_port()), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "PledgeLedger" in result.stdout
    assert (tmp_path / "deployments" / "31337.json").exists()


def test_mainnet_like_chain_requires_a_keystore(tmp_path: Path) -> None:
    from ledger.node import local_node

    someone = "0x" + "11" * 20
    with local_node("anvil", chain_id=4242) as node:
        ungoverned = _run("deploy", "--rpc-url", node.rpc_url, cwd=tmp_path)
        result = _run(
            "deploy", "--rpc-url", node.rpc_url, "--admin", someone, "--guardian", someone, cwd=tmp_path
        )
    assert ungoverned.returncode == 1
    assert "--admin ADDRESS --guardian ADDRESS" in ungoverned.stderr
    assert result.returncode == 1
    assert "pass --keystore" in result.stderr
