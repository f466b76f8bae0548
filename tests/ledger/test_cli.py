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

    with local_node("anvil", chain_id=4242) as node:
        result = _run("deploy", "--rpc-url", node.rpc_url, cwd=tmp_path)
    assert result.returncode == 1
    assert "pass --keystore" in result.stderr
