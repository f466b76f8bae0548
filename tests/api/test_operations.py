"""Operations on SQLite and PostgreSQL: /health, the indexer status, Prometheus /metrics, and the API
served over real HTTP by ``pledgeledger serve``."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.main import create_app
from ledger.db.engine import make_engine
from ledger.db.models import IndexerCursor
from ledger.node import free_port
from ledger.settings import Settings
from tests.api.support import API, Indexed, TestClient, api_client


def _cursor(indexed: Indexed) -> IndexerCursor:
    with Session(indexed.engine) as session:
        return session.scalars(select(IndexerCursor)).one()


def test_health_says_the_database_answers(indexed: Indexed) -> None:
    with api_client(indexed.engine) as client:
        answer = client.get("/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok", "indexer": "ok", "halted_chains": []}


def test_health_is_503_json_when_the_database_is_gone(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    url = f"postgresql://postgres@127.0.0.1:{port}/gone"
    engine = make_engine(url, connect_args={"connect_timeout": 2})
    app = create_app(Settings(database_url=url), engine=engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        health = client.get("/health")
        pledges = client.get(f"{API}/pledges")
    engine.dispose()
    assert health.status_code == 503
    assert health.json() == {"detail": "the database is unreachable"}
    assert pledges.status_code == 503
    assert "database is unavailable" in pledges.json()["detail"]


def test_status_reports_the_indexer_cursor(indexed: Indexed) -> None:
    cursor = _cursor(indexed)
    with api_client(indexed.engine) as client:
        [chain] = client.get(f"{API}/status").json()["data"]
    head = indexed.env.w3.eth.block_number
    assert chain["chain_id"] == indexed.env.w3.eth.chain_id
    assert chain["contract"] == indexed.env.ledger.address
    assert (chain["indexed_block"], chain["head_block"], chain["lag"]) == (head, head, 0)
    assert chain["finalized_block"] == cursor.finalized_block
    assert chain["reorgs"] == cursor.reorgs


def _sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of a Prometheus text exposition, or None."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if match and match[1] == name and ",".join(sorted((match[2] or "").split(","))) == wanted:
            return float(match[3])
    return None


def test_metrics_count_requests_by_route_template_and_report_the_indexer(indexed: Indexed) -> None:
    ids = indexed.ids
    with api_client(indexed.engine) as client:
        for campaign in (ids["c1"], ids["c2"], ids["c3"]):
            assert client.get(f"{API}/campaigns/{campaign}").status_code == 200
        assert client.get(f"{API}/campaigns/999").status_code == 404
        assert client.get("/no/such/page").status_code == 404
        assert client.get(f"{API}/pledges", params={"donor": "0x12"}).status_code == 422
        answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    route = f"{API}/campaigns/{{campaign_id}}"
    assert _sample(text, "pledgeledger_http_requests_total", method="GET", route=route, status="200") == 3
    assert _sample(text, "pledgeledger_http_requests_total", method="GET", route=route, status="404") == 1
    assert (
        _sample(text, "pledgeledger_http_requests_total", method="GET", route="unmatched", status="404") == 1
    )
    assert (
        _sample(text, "pledgeledger_http_requests_total", method="GET", route=f"{API}/pledges", status="422")
        == 1
    )
    assert _sample(text, "pledgeledger_http_request_duration_seconds_count", method="GET", route=route) == 4
    cursor = _cursor(indexed)
    chain = str(cursor.chain_id)
    assert _sample(text, "pledgeledger_indexer_head_block", chain_id=chain) == cursor.head_block
    assert _sample(text, "pledgeledger_indexer_indexed_block", chain_id=chain) == cursor.block_number
    assert _sample(text, "pledgeledger_indexer_finalized_block", chain_id=chain) == cursor.finalized_block
    assert _sample(text, "pledgeledger_indexer_lag_blocks", chain_id=chain) == 0
    assert _sample(text, "pledgeledger_indexer_reorgs", chain_id=chain) == cursor.reorgs
    assert (_sample(text, "pledgeledger_indexer_seconds_since_update", chain_id=chain) or -1) >= 0
    assert _sample(text, "pledgeledger_database_up") == 1


CLI = [sys.executable, "-c", "from ledger.cli import main; main()"]


def test_serve_answers_over_real_http_and_stops_on_sigint(indexed: Indexed, tmp_path: Path) -> None:
    url = indexed.engine.url.render_as_string(hide_password=False)
    port = free_port()
    proc = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--database-url", url],
        cwd=tmp_path,
        env={**os.environ, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the API did not start"
            time.sleep(0.2)
        with api_client(indexed.engine) as in_process:
            expected = in_process.get(f"{API}/pledges", params={"limit": 5}).json()
        over_http = httpx.get(f"{base}{API}/pledges", params={"limit": 5}, timeout=10)
        assert over_http.status_code == 200
        assert over_http.json() == expected
        bad = httpx.get(f"{base}{API}/pledges", params={"cursor": "x"}, timeout=10)
        assert bad.status_code == 422
        assert "invalid cursor" in bad.json()["detail"]
        assert httpx.get(f"{base}{API}/exports/tables", timeout=10).status_code == 401
        assert httpx.get(f"{base}/openapi.json", timeout=10).json()["info"]["title"] == "pledgeledger"
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        try:
            httpx.get(f"{base}/health", timeout=2)
            raise AssertionError("the API still answers after SIGINT")
        except httpx.TransportError:
            pass
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)
