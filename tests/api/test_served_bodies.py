"""Hostile bodies over real HTTP, against the processes users run: ``pledgeledger serve`` (uvicorn in the
command's own process) and ``pledgeledger up`` (the API in a thread beside the indexer and the chain).

No body of any depth, up to the deepest that fits under a route's size limit, may take the process down:
a single unauthenticated request of ``[`` once killed the API, and under ``up`` the indexer and the chain
with it. Also over real HTTP: an oversized chunked body (no Content-Length) is a 413, and answers carry
``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.body_limit import JSON_BODY_LIMIT
from api.main import create_app
from ledger.node import free_port
from ledger.settings import Settings
from tests.api.hostile import assert_nesting_answer, body_limit, nesting_cases, write_operations
from tests.api.support import API
from tests.e2e.support import PLEDGELEDGER, UpProcess, alive, descendants

pytestmark = pytest.mark.timeout(600)


class ServeProcess:
    """``pledgeledger serve`` on a free loopback port, its output in a log file."""

    def __init__(self, database_url: str, cwd: Path) -> None:
        self.base = f"http://127.0.0.1:{(port := free_port())}"
        self.log = cwd / "serve.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [PLEDGELEDGER, "serve", "--port", str(port), "--database-url", database_url],
                cwd=cwd,
                env={**os.environ, "COLUMNS": "200"},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_until_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, f"serve exited: {self.log.read_text()[-2000:]}"
            try:
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"serve did not answer: {self.log.read_text()[-2000:]}"
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[ServeProcess]:
    serve = ServeProcess(database_url, tmp_path)
    try:
        serve.wait_until_healthy()
        yield serve
    finally:
        serve.stop()


@pytest.fixture
def app(database_url: str) -> FastAPI:
    """The app as served, for its schema's write routes and its body limits (never started)."""
    return create_app(Settings(database_url=database_url))


def send_every_depth_to_every_write_route(base: str, app: FastAPI, is_alive: object) -> int:
    """Each write route gets every nesting case, unauthenticated; after each route the process must still
    be alive and answer /health. Returns the number of bodies sent."""
    sent = 0
    with httpx.Client(base_url=base, timeout=120) as client:
        for op in write_operations(app):
            for name, body, depth in nesting_cases(body_limit(app, op.path)):
                answer = client.request(
                    op.method, op.path, content=body, headers={"content-type": "application/json"}
                )
                assert_nesting_answer(op, answer.status_code, answer.text, depth, f"{op} {name}")
                sent += 1
            assert callable(is_alive) and is_alive(), f"the process died on {op}"
            assert client.get("/health").status_code == 200, f"no /health after {op}"
    return sent


def test_serve_survives_bodies_of_every_depth_on_every_write_route(
    served: ServeProcess, app: FastAPI
) -> None:
    sent = send_every_depth_to_every_write_route(served.base, app, lambda: served.process.poll() is None)
    assert sent >= 9 * len(write_operations(app))
    assert served.process.poll() is None


def indexer_follows(base: str, rpc_url: str, within: float = 30) -> bool:
    """Whether the indexer sees a block mined now (its status reports the chain's new head)."""
    httpx.post(rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []}, timeout=10)
    head = int(
        httpx.post(rpc_url, json={"jsonrpc": "2.0", "id": 2, "method": "eth_blockNumber"}, timeout=10).json()[
            "result"
        ],
        16,
    )
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if httpx.get(f"{base}{API}/status", timeout=30).json()["data"][0]["head_block"] >= head:
            return True
        time.sleep(0.25)
    return False


def test_up_survives_bodies_of_every_depth_on_every_write_route_with_its_indexer_and_chain(
    tmp_path: Path,
) -> None:
    up = UpProcess([], cwd=tmp_path)
    try:
        up.wait_for("Serving.")
        base = f"http://127.0.0.1:{up.port}"
        children = descendants(up.process.pid)  # the chain it started
        assert children, "up started its own chain"
        app = create_app(Settings(database_url="sqlite://"))
        send_every_depth_to_every_write_route(base, app, lambda: up.process.poll() is None)
        assert up.process.poll() is None, up.output
        assert all(alive(pid) for pid in children), "a process up started has died"
        assert indexer_follows(base, up.rpc_url), "the indexer stopped following the chain"
    finally:
        up.stop()


# ─── size limits and headers over real HTTP ──────────────────────────────────────────────────────────


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """``total`` bytes of a JSON string, sent chunked (no Content-Length)."""
    yield b'{"notes": "'
    sent = 11
    while sent < total:
        yield b"x" * size
        sent += size
    yield b'"}'


def test_an_oversized_chunked_body_is_a_413_as_is_a_declared_one(served: ServeProcess) -> None:
    with httpx.Client(base_url=served.base, timeout=60) as client:
        chunked = client.post(
            f"{API}/suppliers",
            content=chunks(2 * JSON_BODY_LIMIT),
            headers={"content-type": "application/json"},
        )
        assert "content-length" not in chunked.request.headers
        assert chunked.status_code == 413, chunked.text
        assert chunked.json() == {
            "detail": f"the request body is larger than the limit of {JSON_BODY_LIMIT:,} bytes"
        }
        declared = client.post(
            f"{API}/suppliers",
            content=b"x" * (JSON_BODY_LIMIT + 1),
            headers={"content-type": "application/json"},
        )
        assert declared.status_code == 413
        assert (
            chunked.headers["x-content-type-options"]
            == declared.headers["x-content-type-options"]
            == "nosniff"
        )
        within = client.post(
            f"{API}/suppliers",
            content=chunks(JSON_BODY_LIMIT // 2),
            headers={"content-type": "application/json"},
        )
        assert within.status_code == 401, "a body within the limit reaches the route (which wants a key)"
        assert client.get("/health").status_code == 200


def test_an_oversized_chunked_upload_is_a_413(served: ServeProcess, app: FastAPI) -> None:
    limit = body_limit(app, f"{API}/documents")
    boundary = b"hostile"

    def multipart() -> Iterator[bytes]:
        yield b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
        yield b"Content-Type: application/pdf\r\n\r\n"
        yield from (b"\0" * (1024 * 1024) for _ in range(limit // (1024 * 1024) + 2))
        yield b"\r\n--" + boundary + b"--\r\n"

    answer = httpx.post(
        f"{served.base}{API}/documents",
        content=multipart(),
        headers={"content-type": f"multipart/form-data; boundary={boundary.decode()}", "X-API-Key": "pl_x"},
        timeout=60,
    )
    assert answer.status_code == 413, answer.text
    assert "limit" in answer.json()["detail"]
