"""Public reads carry an ``ETag`` of the database's state: stable while nothing changes, new once the mirror
moves (a pledge indexed, a reorganisation undone, the indexer halted) or a record is written; a matching
``If-None-Match`` gets ``304`` without the body being computed. Two servers on one database never serve a
stale body after a write through the other. Real Anvil, real SQLite and PostgreSQL, real HTTP through the
ASGI app and through uvicorn."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from api.freshness import (
    FRESH_READS,
    MAX_ENTRIES,
    MAX_TAGS,
    NOT_KEPT,
    FreshReadsMiddleware,
    _Answer,
    _Kept,
    kept_route,
    matches,
)
from api.main import create_app
from devtools.served import served_api
from ledger.db.models import IndexerCursor
from ledger.keys import create_key
from tests.api.support import API, TestClient, settings_for
from tests.indexer.support import rpc_url, run_indexer, some_pledges
from tests.support.chain import LedgerEnv
from tests.support.units import ETH

WALLET = "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB"


def _rpc(env: LedgerEnv, method: str, params: list[Any]) -> Any:
    answer = httpx.post(
        rpc_url(env), json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    ).json()
    assert "error" not in answer, f"{method}: {answer['error']}"
    return answer.get("result")


def _campaign(env: LedgerEnv, pledges: int = 3) -> tuple[int, int]:
    campaign_id = env.create_campaign(("ETH", "USDC"))
    round_id = env.open_round(campaign_id, goal_usd=10**9 * 10**8, days=30, aon=False)
    some_pledges(env, campaign_id, round_id, pledges)
    return campaign_id, round_id


def _fresh_reads(app: FastAPI) -> FreshReadsMiddleware:
    """The app's middleware instance (built on the first request)."""
    layer: Any = app.middleware_stack
    while not isinstance(layer, FreshReadsMiddleware):
        layer = layer.app
    return layer


def _manager(engine: Engine) -> dict[str, str]:
    with Session(engine) as s, s.begin():
        _, plaintext = create_key(s, name="manager", role="manager")
    return {"X-API-Key": plaintext}


@pytest.fixture
def app(engine: Engine) -> FastAPI:
    return create_app(settings_for(engine), engine=engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _get(client: TestClient | httpx.Client, path: str, **headers: str) -> httpx.Response:
    answer = client.get(path, headers=headers)
    assert answer.status_code in (200, 304), f"{path}: {answer.status_code} {answer.text[:300]}"
    return answer


# ─── which reads are kept ────────────────────────────────────────────────────────────────────────────


def test_every_api_read_is_kept_or_left_out_for_a_reason(app: FastAPI) -> None:
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    reads = {path for path, methods in paths.items() if "get" in methods and path.startswith(API)}
    unclassified = reads - set(FRESH_READS) - set(NOT_KEPT)
    assert not unclassified, f"add these to FRESH_READS or NOT_KEPT in api/freshness.py: {unclassified}"
    assert set(NOT_KEPT) <= reads
    assert set(FRESH_READS) - reads <= {f"{API}/campaigns/{{campaign_id}}/flow"}
    for path in (
        "/health",
        "/metrics",
        f"{API}/status",
        f"{API}/documents/3/content",
        f"{API}/history/order/1",
    ):
        assert kept_route(path) is None, path
    assert kept_route(f"{API}/campaigns/7/rounds/2") == f"{API}/campaigns/{{campaign_id}}/rounds/{{round_id}}"
    assert kept_route(f"{API}/campaigns/7/rounds/2/extra") is None


def test_if_none_match_compares_weakly_and_ignores_what_is_hostile() -> None:
    tag = 'W/"abc123"'
    assert matches(b'W/"abc123"', tag)
    assert matches(b'"abc123"', tag)
    assert matches(b'"other", W/"abc123"', tag)
    assert matches(b' "other" ,"abc123" ', tag)
    assert matches(b"*", tag) is None
    assert not matches(b'"abc1234"', tag)
    assert not matches(b"", tag)
    assert not matches(b"W/", tag)
    assert not matches(b'\xff\x00"abc123', tag)
    assert not matches(b'"x", ' * 10_000 + b'"abc123"', tag)  # too long: ignored
    many = b", ".join([b'"x"'] * MAX_TAGS + [b'"abc123"'])
    assert not matches(many, tag)  # beyond the tags read


def test_kept_answers_are_bounded_in_count_and_bytes() -> None:
    kept = _Kept(entries=3, size=100)
    for i in range(10):
        kept.put((f"/p{i}", b""), _Answer("s", (), b"x" * 30))
        assert len(kept) <= 3
        assert kept.bytes <= 100
    assert kept.get(("/p9", b""), "s") is not None
    assert kept.get(("/p9", b""), "other state") is None
    assert kept.get(("/p0", b""), "s") is None
    kept.put(("/big", b""), _Answer("s", (), b"x" * 101))
    assert len(kept) == 0
    assert kept.bytes == 0


# ─── through the ASGI app, on a real chain ───────────────────────────────────────────────────────────


def test_the_etag_is_stable_while_nothing_changes_and_304_answers_a_match(
    env: LedgerEnv, engine: Engine, app: FastAPI, client: TestClient
) -> None:
    campaign_id, _ = _campaign(env)
    run_indexer(env, engine)
    paths = [
        f"{API}/campaigns/{campaign_id}",
        f"{API}/campaigns/{campaign_id}/rounds",
        f"{API}/campaigns/{campaign_id}/reconciliation",
        f"{API}/pledges?campaign_id={campaign_id}",
        f"{API}/campaigns",
    ]
    for path in paths:
        first, second = _get(client, path), _get(client, path)
        etag = first.headers["etag"]
        assert etag.startswith('W/"'), path
        assert first.headers["cache-control"] == "no-cache"
        assert second.headers["etag"] == etag, path
        assert second.json() == first.json() or path.endswith("reconciliation"), path
        for condition in (etag, etag.removeprefix("W/"), f'"nope", {etag}', "*"):
            answer = client.get(path, headers={"If-None-Match": condition})
            assert answer.status_code == 304, (path, condition)
            assert answer.content == b""
            assert answer.headers["etag"] == etag
        assert _fresh_reads(app).last in ("304", "kept")
        for condition in ('W/"nope"', '"' + etag[3:-1] + 'x"', "garbage ,,, \x7f"):
            answer = client.get(path, headers={"If-None-Match": condition})
            assert answer.status_code == 200, (path, condition)
            assert answer.json()
    # The same path with another query is another answer with another tag.
    other = _get(client, f"{API}/pledges?campaign_id={campaign_id}&limit=1")
    assert other.headers["etag"] != _get(client, f"{API}/pledges?campaign_id={campaign_id}").headers["etag"]
    assert len(other.json()["data"]) == 1
    # A missing campaign is not kept and has no tag; `*` matches nothing there.
    missing = client.get(f"{API}/campaigns/999", headers={"If-None-Match": "*"})
    assert missing.status_code == 404
    assert "etag" not in missing.headers


def test_a_pledge_indexed_changes_the_etag_and_the_body(
    env: LedgerEnv, engine: Engine, client: TestClient
) -> None:
    campaign_id, round_id = _campaign(env)
    run_indexer(env, engine)
    path = f"{API}/campaigns/{campaign_id}"
    before = _get(client, path)
    etag = before.headers["etag"]
    assert _get(client, path, **{"If-None-Match": etag}).status_code == 304

    some_pledges(env, campaign_id, round_id, 1, offset=5)
    assert _get(client, path, **{"If-None-Match": etag}).status_code == 304, "not indexed yet: same state"
    run_indexer(env, engine)
    after = _get(client, path, **{"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["etag"] != etag
    assert after.json()["rounds"][0]["pledges"] == before.json()["rounds"][0]["pledges"] + 1
    assert int(after.json()["raised_usd"]) > int(before.json()["raised_usd"])
    pledges = _get(client, f"{API}/pledges?campaign_id={campaign_id}")
    assert len(pledges.json()["data"]) == 4


def test_a_record_written_through_the_api_changes_the_etag(
    env: LedgerEnv, engine: Engine, client: TestClient
) -> None:
    campaign_id, _ = _campaign(env)
    run_indexer(env, engine)
    manager = _manager(engine)
    campaign, suppliers = f"{API}/campaigns/{campaign_id}", f"{API}/suppliers"
    etags = {p: _get(client, p).headers["etag"] for p in (campaign, suppliers)}
    assert _get(client, suppliers).json()["data"] == []

    written = client.post(
        suppliers,
        headers=manager,
        json={"name": "Mask Maker Co.", "country": "CN", "wallet": WALLET, "vetting_status": "approved"},
    )
    assert written.status_code == 201, written.text
    listed = _get(client, suppliers, **{"If-None-Match": etags[suppliers]})
    assert listed.status_code == 200
    assert [s["name"] for s in listed.json()["data"]] == ["Mask Maker Co."]
    assert _get(client, campaign, **{"If-None-Match": etags[campaign]}).status_code == 200

    # A token record names the token in the campaign's detail.
    etag = _get(client, campaign).headers["etag"]
    named = client.post(f"{API}/tokens", headers=manager, json={"address": ETH, "symbol": "ETH"})
    assert named.status_code == 201, named.text
    detail = _get(client, campaign, **{"If-None-Match": etag})
    assert detail.status_code == 200
    assert {t["token"]: t["symbol"] for t in detail.json()["tokens"]}[ETH] == "ETH"


def test_a_reorganisation_and_a_halt_change_the_etag(
    env: LedgerEnv, engine: Engine, client: TestClient
) -> None:
    campaign_id, round_id = _campaign(env, pledges=2)
    run_indexer(env, engine)
    path = f"{API}/pledges?campaign_id={campaign_id}"
    kept = _get(client, path)
    snapshot = _rpc(env, "evm_snapshot", [])
    some_pledges(env, campaign_id, round_id, 2, offset=2)
    mirrored = run_indexer(env, engine)
    grown = _get(client, path)
    assert len(grown.json()["data"]) == 4
    assert grown.headers["etag"] != kept.headers["etag"]

    # Another, longer branch without the two pledges: the indexer undoes them.
    _rpc(env, "evm_revert", [snapshot])
    env.forget_nonces()
    _rpc(env, "anvil_mine", [hex(4)])
    cursor = run_indexer(env, engine)
    assert cursor.reorgs == mirrored.reorgs + 1
    undone = _get(client, path, **{"If-None-Match": grown.headers["etag"]})
    assert undone.status_code == 200
    assert len(undone.json()["data"]) == 2
    assert undone.headers["etag"] not in (grown.headers["etag"], kept.headers["etag"])

    # A halted indexer makes every mirrored pledge pending: a new state, a new answer.
    etag = undone.headers["etag"]
    with Session(engine) as s, s.begin():
        s.execute(update(IndexerCursor).values(halt_reason="the chain lost the mirror"))
    halted = _get(client, path, **{"If-None-Match": etag})
    assert halted.status_code == 200
    assert {p["confirmation"] for p in halted.json()["data"]} == {"pending"}


def test_hostile_validators_and_queries_cost_nothing_and_memory_stays_bounded(
    env: LedgerEnv, engine: Engine, app: FastAPI, client: TestClient
) -> None:
    campaign_id, _ = _campaign(env, pledges=1)
    run_indexer(env, engine)
    path = f"{API}/campaigns/{campaign_id}"
    etag = _get(client, path).headers["etag"]
    hostile = [
        "x" * 200_000,
        ", ".join(['"x"'] * 5_000) + f", {etag}",
        '"\u00e9\u0301", W/W/"x", """, ,,,',
        "\t" + etag.replace('"', "") + "\t",
    ]
    for value in hostile:
        started = time.perf_counter()
        answer = client.get(path, headers={"If-None-Match": value.encode()})
        assert answer.status_code == 200, answer.text[:200]
        assert answer.headers["etag"] == etag
        assert time.perf_counter() - started < 1.0
    fresh = _fresh_reads(app)
    for i in range(MAX_ENTRIES + 40):
        assert client.get(f"{API}/campaigns?limit=1&n={i}").status_code == 200
    assert len(fresh.kept) <= MAX_ENTRIES
    long_query = f"{API}/campaigns?limit=1&pad={'x' * 3000}"
    answer = client.get(long_query)
    assert answer.status_code == 200
    assert "etag" not in answer.headers
    assert fresh.last == "passed"


# ─── two servers on one database, through uvicorn ────────────────────────────────────────────────────


def test_two_servers_on_one_database_never_serve_a_stale_body_after_a_write(
    env: LedgerEnv, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    campaign_id, round_id = _campaign(env)
    run_indexer(env, engine)
    manager = _manager(engine)
    campaign, suppliers = f"{API}/campaigns/{campaign_id}", f"{API}/suppliers"
    with (
        served_api(database_url, rpc_url=None, log=tmp_path / "a.log") as a_url,
        served_api(database_url, rpc_url=None, log=tmp_path / "b.log") as b_url,
        httpx.Client(base_url=a_url, timeout=30) as a,
        httpx.Client(base_url=b_url, timeout=30) as b,
    ):
        for server in (a, b):  # both keep their answers
            for path in (campaign, suppliers):
                _get(server, path)
        etag = _get(b, campaign).headers["etag"]
        assert _get(a, campaign).headers["etag"] == etag, "equal state, equal tag on every server"

        written = a.post(
            suppliers,
            headers=manager,
            json={"name": "Mask Maker Co.", "country": "CN", "wallet": WALLET, "vetting_status": "approved"},
        )
        assert written.status_code == 201, written.text
        assert [s["name"] for s in _get(b, suppliers).json()["data"]] == ["Mask Maker Co."]
        assert _get(b, campaign, **{"If-None-Match": etag}).status_code == 200

        before = _get(b, campaign).json()
        some_pledges(env, campaign_id, round_id, 1, offset=7)
        run_indexer(env, engine)
        for server in (b, a):
            after = _get(server, campaign).json()
            assert after["rounds"][0]["pledges"] == before["rounds"][0]["pledges"] + 1
