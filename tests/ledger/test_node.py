"""Local chains start on free loopback ports, answer JSON-RPC, and are always stopped."""

import os
import re
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from ledger.errors import NodeStartError
from ledger.node import local_node, rpc_ready, start_node
from tests.e2e.support import PLEDGELEDGER, descendants

#: Development account 0's private key, which Anvil prints at start.
FIRST_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return False


def test_anvil_is_stopped_even_when_the_block_raises() -> None:
    seen: dict[str, object] = {}

    def failing_test_body() -> None:
        with local_node("anvil") as node:
            assert rpc_ready(node.rpc_url)
            assert node.rpc_url.startswith("http://127.0.0.1:")
            seen.update(pid=node.process.pid, url=node.rpc_url)
            raise RuntimeError("test failure inside the block")

    with pytest.raises(RuntimeError, match="inside the block"):
        failing_test_body()
    assert _wait_gone(int(str(seen["pid"])))
    assert not rpc_ready(str(seen["url"]))


def test_two_nodes_get_different_ports() -> None:
    with local_node("anvil") as a, local_node("anvil") as b:
        assert a.port != b.port
        assert rpc_ready(a.rpc_url) and rpc_ready(b.rpc_url)


def test_taken_port_gives_a_clear_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(NodeStartError, match="did not start"):
            start_node("anvil", port=port, timeout=5)


def test_stop_is_idempotent() -> None:
    node = start_node("anvil")
    node.stop()
    node.stop()
    assert not node.alive()


def test_node_dies_with_its_parent_process() -> None:
    """If the process that started a chain is killed outright, the chain goes too (no orphans)."""
    code = (
        "from ledger.node import start_node; import sys, time\n"
        "n = start_node('anvil'); print(n.process.pid, flush=True); time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child_pid = int(parent.stdout.readline())
        assert not _gone(child_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        assert _wait_gone(child_pid), "anvil outlived its killed parent"
    finally:
        parent.kill()
        parent.wait()


@pytest.mark.ganache
def test_ganache_starts_and_stops() -> None:
    with local_node("ganache") as node:
        assert rpc_ready(node.rpc_url)
        pid = node.process.pid
    assert _wait_gone(pid)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder ``tempfile`` hands out, for this test alone (to see what is left in it)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("kind", ["anvil", pytest.param("ganache", marks=pytest.mark.ganache)])
def test_a_nodes_log_is_private_and_goes_with_the_node(kind: str, private_tmp: Path) -> None:
    """The log holds the chain's keys: mode 0600, in a folder of its own made by mkdtemp (0700), removed when
    the node stops."""
    with local_node(kind) as node:  # type: ignore[arg-type]
        log, folder = node.log_path, node.log_path.parent
        assert folder.parent == private_tmp and folder.name.startswith(f"pledgeledger-{kind}-")
        assert _mode(folder) == 0o700
        assert _mode(log) == 0o600
        assert list(folder.iterdir()) == [log]
        if kind == "anvil":
            assert FIRST_DEV_KEY in log.read_text(), "the secret the modes protect"
            assert FIRST_DEV_KEY not in node.last_output(10**6), "nor is it ever shown"
            assert "Mnemonic" not in node.last_output(10**6)
    assert not folder.exists()
    assert list(private_tmp.iterdir()) == []


def test_a_node_that_fails_to_start_leaves_no_log_behind(private_tmp: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(NodeStartError, match="Address already in use"):
            start_node("anvil", port=busy.getsockname()[1], timeout=5)
    assert list(private_tmp.iterdir()) == []


def test_a_log_in_a_folder_given_is_private_too_and_stays(tmp_path: Path) -> None:
    with local_node("anvil", log_dir=tmp_path) as node:
        assert node.log_path.parent == tmp_path
        assert _mode(node.log_path) == 0o600
    assert node.log_path.exists(), "the caller's folder and log are the caller's to keep"


def test_chain_that_dies_is_a_one_line_error_without_keys_and_its_log_is_gone(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path), "COLUMNS": "200"}
    chain = subprocess.Popen(
        [PLEDGELEDGER, "chain"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert chain.stdout is not None
        line = chain.stdout.readline()
        assert re.search(r"listening at http://127\.0\.0\.1:\d+", line), line
        [folder] = tmp_path.iterdir()
        assert _mode(folder) == 0o700
        [node_pid] = descendants(chain.pid)
        os.kill(node_pid, signal.SIGKILL)
        _, stderr = chain.communicate(timeout=30)
    finally:
        chain.kill()
        chain.wait()
    assert chain.returncode == 1
    assert stderr.startswith("Error: the local chain (anvil) stopped unexpectedly with exit code -9"), stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert FIRST_DEV_KEY not in stderr and "Traceback" not in stderr
    assert list(tmp_path.iterdir()) == [], "the log, with the keys, went with the node"
