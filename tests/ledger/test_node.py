"""Local chains start on free loopback ports, answer JSON-RPC, and are always stopped."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from ledger.errors import NodeStartError
from ledger.node import local_node, rpc_ready, start_node


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
