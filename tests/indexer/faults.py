"""Fault injection for indexer tests: a TCP proxy that fails like a node does, an endpoint that cannot be
reached, a chain with thousands of sparse events, and the indexer run as a real, killable process.

Everything listens on, and connects to, 127.0.0.1 only; every thread, socket and process started here is
stopped by the context manager or ``close()`` that started it, however the test ends.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import requests

from ledger.indexer.store import CursorState
from ledger.node import die_with_parent
from ledger.settings import get_settings
from tests.indexer.support import busy_life
from tests.support.chain import LedgerEnv
from tests.support.units import USD

LOOPBACK = "127.0.0.1"

#: ``refuse``: nothing listens (the node's process is down). ``drop``: connections are reset (it crashed, or
#: something between cut them). ``hang``: connections open but nothing answers (it froze, or a packet-eating
#: network).
Outage = Literal["refuse", "drop", "hang"]
Mode = Literal["up", "refuse", "drop", "hang"]


def _reset(sock: socket.socket) -> None:
    """Close with a TCP RST, as a crashed peer does, rather than an orderly FIN."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class FlakyProxy:
    """A TCP proxy on a free loopback port in front of a node, which a test can make fail.

    :meth:`fail` starts an outage at once; :meth:`arm` starts it when a request containing a marker (e.g.
    ``b"eth_getLogs"``) passes, so that it hits that request. An outage ends after its duration, or at
    :meth:`restore`. :meth:`retarget` points the proxy at another node (one restarted on a new port).
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.mode: Mode = "up"
        #: The outages that happened, in order.
        self.outages: list[Outage] = []
        #: Problems of the proxy itself (e.g. its port taken while it refused); a test asserts none.
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._armed: tuple[Outage, float | None, bytes] | None = None
        self._timers: list[threading.Timer] = []
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._closed = threading.Event()
        self._listener: socket.socket | None = self._listen(0)
        self.port = int(self._listener.getsockname()[1])
        self._acceptor = threading.Thread(target=self._accept_loop, name="flaky-proxy", daemon=True)
        self._acceptor.start()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    # ─── control ───────────────────────────────────────────────────────────────────────────────────

    def fail(self, outage: Outage, duration: float | None = None) -> None:
        """Start an outage now, for ``duration`` seconds (None: until :meth:`restore`)."""
        with self._lock:
            self.mode = outage
            self.outages.append(outage)
            if duration is not None:
                timer = threading.Timer(duration, self._end, args=(len(self.outages),))
                timer.daemon = True
                self._timers.append(timer)
                timer.start()
        if outage != "hang":
            self._reset_all()

    def arm(self, outage: Outage, duration: float | None, *, on: bytes) -> None:
        """Start an outage when a request containing ``on`` arrives; that request is caught in it."""
        with self._lock:
            self._armed = (outage, duration, on)

    def restore(self) -> None:
        """End the outage: listen and relay again. Connections that hung are reset."""
        with self._lock:
            self._armed = None
            was, self.mode = self.mode, "up"
        if was == "hang":
            self._reset_all()

    def _end(self, outage_number: int) -> None:
        """A timer's end of an outage: only if no later outage has started or been armed since."""
        if len(self.outages) == outage_number and self._armed is None:
            self.restore()

    def retarget(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            for timer in self._timers:
                timer.cancel()
        self._reset_all()
        self._acceptor.join(timeout=5)
        for thread in list(self._threads):
            thread.join(timeout=5)

    def __enter__(self) -> FlakyProxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ─── relaying ──────────────────────────────────────────────────────────────────────────────────

    def _listen(self, port: int) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, port))
        listener.listen(64)
        listener.settimeout(0.02)
        return listener

    def _accept_loop(self) -> None:
        try:
            while not self._closed.is_set():
                if self.mode == "refuse":
                    if self._listener is not None:
                        self._listener.close()  # connecting now gets ECONNREFUSED, as from a stopped node
                        self._listener = None
                    time.sleep(0.01)
                    continue
                if self._listener is None:
                    try:
                        self._listener = self._listen(self.port)
                    except OSError as exc:
                        self.errors.append(f"cannot listen on port {self.port} again: {exc}")
                        time.sleep(0.05)
                        continue
                try:
                    client, _ = self._listener.accept()
                except TimeoutError:
                    continue
                except OSError as exc:  # e.g. out of file descriptors: say so, and keep serving
                    self.errors.append(f"accept failed: {exc}")
                    time.sleep(0.05)
                    continue
                client.settimeout(None)
                client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # relay each write at once
                thread = threading.Thread(target=self._relay, args=(client,), daemon=True)
                self._threads = [t for t in self._threads if t.is_alive()] + [thread]
                thread.start()
        finally:
            if self._listener is not None:
                self._listener.close()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _reset_all(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _reset(sock)

    def _trigger(self, data: bytes) -> None:
        armed = self._armed
        if armed is not None and armed[2] in data:
            with self._lock:
                if self._armed is not armed:
                    return
                self._armed = None
            self.fail(armed[0], armed[1])

    def _relay(self, client: socket.socket) -> None:
        self._track(client)
        upstream: socket.socket | None = None
        hung = graceful = False
        selector = selectors.DefaultSelector()
        try:
            if self.mode in ("refuse", "drop"):
                return
            if self.mode == "up":
                try:
                    upstream = socket.create_connection((LOOPBACK, self.upstream_port), timeout=2)
                except OSError:
                    return  # the node is down: the client's connection is reset
                upstream.settimeout(None)
                upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._track(upstream)
                selector.register(upstream, selectors.EVENT_READ)
            selector.register(client, selectors.EVENT_READ)
            while not self._closed.is_set():
                mode = self.mode
                if mode in ("refuse", "drop") or (hung and mode == "up"):
                    return
                hung = hung or mode == "hang"
                for key, _ in selector.select(0.02):
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    data = source.recv(1 << 16)
                    if not data:
                        graceful = not hung  # a side closed: close the other too, without a reset
                        return
                    if source is client and not hung:
                        self._trigger(data)
                        if self.mode != "up":
                            hung = self.mode == "hang"
                            break  # the request that tripped the outage is caught in it
                    if hung or upstream is None:
                        continue  # a frozen node reads and never answers
                    (upstream if source is client else client).sendall(data)
        except OSError:
            pass
        finally:
            selector.close()
            for sock in (client, upstream):
                if sock is not None:
                    with self._lock:
                        self._sockets.discard(sock)
                    if graceful:
                        sock.close()
                    else:
                        _reset(sock)


@contextlib.contextmanager
def unreachable_endpoint() -> Iterator[str]:
    """A loopback URL whose connections time out, like a node host that drops packets: a listener whose
    backlog is full and that never accepts."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind((LOOPBACK, 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        filler.connect((LOOPBACK, port))  # the one connection the backlog holds; further SYNs are dropped
        yield f"http://{LOOPBACK}:{port}"
    finally:
        filler.close()
        listener.close()


# ─── a long chain with sparse events ─────────────────────────────────────────────────────────────────


def spread_pledges(env: LedgerEnv, *, blocks: int, per_block: int, gap: int) -> int:
    """After :func:`busy_life`, ``blocks`` blocks of ``per_block`` pledges (ETH and USDC in turn), each
    followed by ``gap`` empty blocks, like a real chain where the ledger is one contract among many.
    Returns the number of pledges. Transactions are sent unsigned (Anvil's dev accounts are unlocked)
    and mined in bulk, which is a hundred times faster than one receipt at a time."""
    ids = busy_life(env)
    round_id = env.open_round(ids["c1"], goal_usd=10**14 * USD, days=30, aon=False)
    usdc = env.tokens["USDC"]
    for donor in env.donors:
        env.client(donor).approve_token(usdc.address, 2**255)
    calls = env.client().calls
    url = str(env.w3.provider.endpoint_uri)  # type: ignore[attr-defined]
    session = requests.Session()

    def rpc(*calls: tuple[str, list[Any]]) -> None:
        body = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
        for answer in session.post(url, json=body, timeout=60).json():
            assert "error" not in answer, answer

    rpc(("evm_setAutomine", [False]))
    try:
        count = 0
        for _ in range(blocks):
            txs = []
            for _ in range(per_block):
                donor = env.donors[count % len(env.donors)].address
                if count % 2:
                    call = calls.pledge_token(ids["c1"], round_id, usdc.address, 10**6 + count)
                else:
                    call = calls.pledge(ids["c1"], round_id, 10**15 + count)
                tx = {
                    "from": donor,
                    "to": call.to,
                    "data": "0x" + call.data.hex(),
                    "value": hex(call.value),
                    "gas": hex(300_000),
                }
                txs.append(("eth_sendTransaction", [tx]))
                count += 1
            rpc(*txs)
            rpc(("evm_mine", []), ("anvil_mine", [hex(gap)]))
    finally:
        rpc(("evm_setAutomine", [True]))
        session.close()
        for donor in env.donors:
            donor.reset_nonce()
    return count


# ─── the indexer as a process ────────────────────────────────────────────────────────────────────────

CLI = [sys.executable, "-c", "from ledger.cli import main; main()"]


def cli_environment(deployments: Path) -> dict[str, str]:
    """The environment of a ``pledgeledger`` child: the repository's build cache (no recompiling), the
    test's deployment files, wide lines so that messages are not wrapped, and no settings of the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGELEDGER_")}
    env.update(
        COLUMNS="400",
        PLEDGELEDGER_BUILD_DIR=str(get_settings().build_dir),
        PLEDGELEDGER_DEPLOYMENTS_DIR=str(deployments),
    )
    return env


class IndexerProcess:
    """``pledgeledger index …`` running in a process group of its own, its output in files."""

    def __init__(self, args: list[str], *, workdir: Path, deployments: Path, name: str) -> None:
        self.stdout_path = workdir / f"{name}.out"
        self.stderr_path = workdir / f"{name}.err"
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                [*CLI, "index", *args],
                cwd=workdir,
                env=cli_environment(deployments),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                preexec_fn=die_with_parent,  # its own process group, and SIGTERM if pytest dies
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> int:
        """SIGKILL the process group; returns the exit status (``-9`` if it was still running)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.wait(timeout=30)

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the indexer did not finish within {timeout:g} s:\n{self.output}") from None


@contextlib.contextmanager
def indexer_process(
    args: list[str], *, workdir: Path, deployments: Path, name: str
) -> Iterator[IndexerProcess]:
    """An indexer process, killed when the block ends if it still runs."""
    proc = IndexerProcess(args, workdir=workdir, deployments=deployments, name=name)
    try:
        yield proc
    finally:
        if proc.alive():
            proc.kill()


def wait_for_cursor(
    read: Callable[[], CursorState | None],
    reached: Callable[[CursorState | None], bool],
    *,
    timeout: float,
    proc: IndexerProcess | None = None,
    poll: float = 0.002,
) -> CursorState | None:
    """Poll the cursor until ``reached``; fail if ``proc`` exits first or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        cursor = read()
        if reached(cursor):
            return cursor
        if proc is not None and not proc.alive():
            raise AssertionError(f"the indexer exited with {proc.process.returncode} first:\n{proc.output}")
        if time.monotonic() > deadline:
            raise AssertionError(f"the cursor did not get there within {timeout:g} s (it is at {cursor})")
        time.sleep(poll)
