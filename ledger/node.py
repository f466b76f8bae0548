"""Start and stop local chains (Anvil, Ganache) from node_modules on free loopback ports.

A started node is always stopped: by the context manager, at interpreter exit, and, on Linux, by
the kernel if this process dies (the child gets SIGTERM through ``PR_SET_PDEATHSIG``).

A node's output holds its accounts' private keys and mnemonic (Anvil prints them at start): its log is
written with mode 0600 into a private folder of its own (``tempfile.mkdtemp``: mode 0700), removed when the
node stops.

``PR_SET_PDEATHSIG`` fires when the *thread* that started the child ends, not only the process: start
nodes from the main thread, or from a thread that outlives them.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

from ledger.compiler import EVM_VERSION
from ledger.errors import NodeStartError, ToolchainError
from ledger.networks import ANVIL_CHAIN_ID as ANVIL_CHAIN_ID
from ledger.networks import GANACHE_CHAIN_ID as GANACHE_CHAIN_ID
from ledger.paths import NODE_MODULES
from ledger.settings import get_settings

NodeKind = Literal["anvil", "ganache"]

DEV_BALANCE_ETH = 1_000_000

_running: set[LocalNode] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def anvil_binary() -> Path:
    """The native Anvil binary shipped by ``@foundry-rs/anvil`` for this platform."""
    for candidate in sorted((NODE_MODULES / "@foundry-rs").glob("anvil-*/bin/anvil")):
        if os.access(candidate, os.X_OK):
            return candidate
    wrapper = NODE_MODULES / ".bin" / "anvil"
    if wrapper.exists():
        return wrapper
    raise ToolchainError("Anvil is not installed: run `scripts/setup` (it runs `npm ci`)")


def ganache_command() -> list[str]:
    """``node <ganache cli>``, started directly so the node process is our own child."""
    cli = NODE_MODULES / "ganache" / "dist" / "node" / "cli.js"
    if not cli.exists():
        raise ToolchainError("Ganache is not installed: run `scripts/setup` (it runs `npm ci`)")
    return ["node", str(cli)]


def die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    os.setsid()
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def rpc_ready(url: str, timeout: float = 1.0) -> bool:
    """True if ``url`` (http or https) answers ``eth_chainId``."""
    if not url.startswith(("http://", "https://")):
        return False
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
            return "result" in json.loads(response.read())
    except (OSError, urllib.error.URLError, json.JSONDecodeError):
        return False


@dataclass(eq=False)
class LocalNode:
    """A running local chain process."""

    kind: NodeKind
    port: int
    chain_id: int
    process: subprocess.Popen[bytes]
    log_path: Path
    #: The private folder made for the log, removed at :meth:`stop` (None: the caller's folder, kept).
    log_dir: Path | None = None
    _stopped: bool = field(default=False, repr=False)

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def last_output(self, limit: int = 2000) -> str:
        """The end of the node's output, without its keys: for an error message, while the log exists."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return _without_secrets(text)[-limit:]

    def stopped_unexpectedly(self) -> str:
        """One line for the user when the node exited on its own: its log goes when it is stopped."""
        lines = self.last_output().strip().splitlines()
        said = f": {lines[-1].strip()}" if lines else ""
        return (
            f"the local chain ({self.kind}) stopped unexpectedly with exit code {self.process.poll()}{said}"
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the process group: SIGTERM, then SIGKILL if it lingers. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        _running.discard(self)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=timeout)
        if self.log_dir is not None:
            shutil.rmtree(self.log_dir, ignore_errors=True)

    def __enter__(self) -> LocalNode:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _command(
    kind: NodeKind, port: int, mnemonic: str, chain_id: int | None, extra_args: Sequence[str]
) -> tuple[list[str], int]:
    if kind == "anvil":
        chain_id = chain_id or ANVIL_CHAIN_ID
        args = [
            str(anvil_binary()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--chain-id",
            str(chain_id),
            "--mnemonic",
            mnemonic,
            "--balance",
            str(DEV_BALANCE_ETH),
            "--hardfork",
            EVM_VERSION,
        ]
        return [*args, *extra_args], chain_id
    chain_id = chain_id or GANACHE_CHAIN_ID
    args = [
        *ganache_command(),
        "--server.host",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--chain.chainId",
        str(chain_id),
        "--chain.hardfork",
        EVM_VERSION,
        "--wallet.mnemonic",
        mnemonic,
        "--wallet.defaultBalance",
        str(DEV_BALANCE_ETH),
        "--logging.quiet",
    ]
    return [*args, *extra_args], chain_id


#: Lines of a node's start-up banner that give an account away: Anvil's ``(0) 0x<private key>`` and
#: ``Mnemonic:`` lines.
_SECRET_LINE = re.compile(r"^\s*(\(\d+\)\s+0x[0-9a-fA-F]{64}|Mnemonic:.*)\s*$", re.MULTILINE)


def _without_secrets(text: str) -> str:
    return _SECRET_LINE.sub("[redacted]", text)


def _open_private_log(path: Path) -> BinaryIO:
    """``path`` created (or emptied) for writing, readable by this user only, never through a symlink."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    os.fchmod(fd, 0o600)  # a file that was there already keeps its mode through O_CREAT
    return os.fdopen(fd, "wb")


def start_node(
    kind: NodeKind = "anvil",
    *,
    port: int | None = None,
    chain_id: int | None = None,
    extra_args: Sequence[str] = (),
    timeout: float | None = None,
    log_dir: Path | None = None,
) -> LocalNode:
    """Start a local chain on a free loopback port and wait until it answers JSON-RPC."""
    settings = get_settings()
    timeout = timeout or settings.node_start_timeout
    attempts = 1 if port else 3  # a free port can be taken between probing and binding
    last_error = ""
    for _ in range(attempts):
        chosen = port or free_port()
        command, actual_chain_id = _command(kind, chosen, settings.dev_mnemonic, chain_id, extra_args)
        # The node's own private folder (mode 0700), unless the caller keeps its logs in one of theirs.
        folder = log_dir or Path(tempfile.mkdtemp(prefix=f"pledgeledger-{kind}-"))
        own_dir = None if log_dir is not None else folder
        log_path = folder / f"pledgeledger-{kind}-{chosen}.log"
        try:
            with _open_private_log(log_path) as log:
                process = subprocess.Popen(
                    command,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    preexec_fn=die_with_parent,
                )
        except BaseException:
            if own_dir is not None:
                shutil.rmtree(own_dir, ignore_errors=True)
            raise
        node = LocalNode(
            kind=kind,
            port=chosen,
            chain_id=actual_chain_id,
            process=process,
            log_path=log_path,
            log_dir=own_dir,
        )
        _running.add(node)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and node.alive():
            if rpc_ready(node.rpc_url, timeout=0.5):
                return node
            time.sleep(0.05)
        last_error = node.last_output()  # before stop() removes the log
        node.stop()
    raise NodeStartError(
        f"{kind} did not start on 127.0.0.1 within {timeout:.0f}s; its output:\n{last_error}"
    )


@contextlib.contextmanager
def local_node(kind: NodeKind = "anvil", **kwargs: object) -> Iterator[LocalNode]:
    """A local chain for the duration of a ``with`` block, stopped however the block ends."""
    node = start_node(kind, **kwargs)  # type: ignore[arg-type]
    try:
        yield node
    finally:
        node.stop()


@atexit.register
def _stop_all() -> None:
    for node in list(_running):
        node.stop()
