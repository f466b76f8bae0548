"""The API in a child process (uvicorn on a free loopback port), for callers that run it beside other
work: the API benchmark, the load and hostile-traffic tests, the dashboard and offline-docs tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from ledger.errors import LedgerError
from ledger.node import die_with_parent, free_port
from ledger.paths import PROJECT_ROOT


class ApiStartError(LedgerError, RuntimeError):
    """The API process exited or did not answer ``/health`` in time; its log says why."""


@contextlib.contextmanager
def served_api(database_url: str, *, rpc_url: str | None, log: Path, timeout: float = 60.0) -> Iterator[str]:
    """Serve ``api.main:create_app`` from a child process on ``database_url`` (checking reconciliations
    against ``rpc_url`` when given), its output in ``log``; yields the base URL once ``/health`` answers,
    and stops the process on exit, whatever happened."""
    port = free_port()
    env = {**os.environ, "PLEDGELEDGER_DATABASE_URL": database_url}
    env.pop("PLEDGELEDGER_RPC_URL", None)
    if rpc_url is not None:
        env["PLEDGELEDGER_RPC_URL"] = rpc_url
    command = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
    command += ["--no-proxy-headers"]  # its clients are local: no proxy's X-Forwarded-For to believe
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        await_health(process, base_url, log, timeout=timeout)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def await_health(
    process: subprocess.Popen[bytes],
    base_url: str,
    log: Path,
    *,
    timeout: float,
    name: str = "the API",
    error: type[Exception] = ApiStartError,
) -> None:
    """Wait until ``base_url/health`` answers 200; raise ``error`` (with the end of ``log``) when
    ``process`` exits first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise error(f"{name} exited with {process.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise error(f"{name} did not answer within {timeout:.0f} s: {log.read_text()[-2000:]}")
        time.sleep(0.1)
