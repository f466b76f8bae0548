"""The hostile-input suite (tests/api/hostile_requests.py) over real HTTP, against uvicorn serving a mirror
indexed off a real Anvil chain (the chain life of the API tests), on SQLite and PostgreSQL.

Every route of the schema is attacked: reads with hostile parameters, record writes and uploads with
bodies no route may take, and every protected route with forged, altered, revoked or wrong-role keys. At
the end: not one 5xx, every write, upload and forged-key request refused, the server alive and healthy
(and its log free of tracebacks), nothing written (the row count of every table and the whole record
history unchanged), and the mirror still equal to the chain, field for field and through the contract's
views (a reconciliation's chain check "verified" for every campaign). The counts per class are printed
as one JSON line.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from api.main import create_app
from devtools.served import served_api
from ledger.db.models import CampaignCreated
from ledger.db.session import write_session
from ledger.keys import create_key, revoke_key
from ledger.reconcile import MirrorVerifier, reconcile_campaign
from ledger.records import service
from ledger.records.schemas import OrderCreate, OrderLineIn, SupplierCreate
from ledger.settings import Settings
from tests.api.hostile import VALID_CREATES, stored
from tests.api.hostile_requests import CLASSES, Hostile, hostile_requests
from tests.api.support import chain_life
from tests.indexer.support import assert_mirror_matches_chain, rpc_url, run_indexer
from tests.support.chain import LedgerEnv

pytestmark = pytest.mark.timeout(900)

SEEDED_WALLET = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def seed_records(env: LedgerEnv, engine: Engine) -> dict[str, dict[str, Any]]:
    """A supplier and an order of campaign 1 (so that well-formed bodies name records that exist), and the
    well-formed bodies of this chain's tokens."""
    usdc = env.token_address("USDC")
    line = OrderLineIn(item="mask", quantity=10, unit="piece", unit_price=Decimal("0.4"), currency="USD")
    with write_session(engine) as s:
        supplier = SupplierCreate(name="Seeded", country="CN", wallet=SEEDED_WALLET)
        service.create_supplier(s, data=supplier, actor="setup")
        order = OrderCreate(
            campaign_id=1,
            supplier_id=1,
            reference="PO-SEEDED",
            payment_token=usdc,
            payment_amount=100,
            issued_on=date(2020, 5, 4),
            lines=[line],
        )
        service.create_order(s, data=order, actor="setup")
    valid = {**VALID_CREATES, "/tokens": {"address": usdc, "symbol": "USDC"}}
    valid["/orders"] = {**valid["/orders"], "payment_token": usdc, "reference": "PO-NEW"}
    return valid


@pytest.fixture
def keys(engine: Engine) -> dict[str, str]:
    with Session(engine) as s, s.begin():
        keys = {role: create_key(s, name=f"hostile {role}", role=role)[1] for role in ("manager", "auditor")}
        keys["revoked"] = create_key(s, name="hostile former manager", role="manager")[1]
    with Session(engine) as s, s.begin():
        revoke_key(s, name="hostile former manager")
    return keys


def send(client: httpx.Client, request: Hostile) -> int | None:
    """The answer's status, or None when the server closed the connection without one."""
    try:
        answer = client.request(request.method, request.url, headers=request.headers, content=request.body())
    except httpx.TransportError:
        return None
    return answer.status_code


def test_hostile_requests_get_no_5xx_write_nothing_and_leave_the_mirror_equal_to_the_chain(
    env: LedgerEnv,
    engine: Engine,
    database_url: str,
    keys: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    chain_life(env)
    run_indexer(env, engine)
    valid = seed_records(env, engine)
    app = create_app(Settings(database_url=database_url))
    requests = hostile_requests(app, keys, valid)
    before = stored(engine)

    statuses: dict[str, Counter[int | None]] = {kind: Counter() for kind in CLASSES}
    accepted: list[str] = []
    broken: list[str] = []  # a 5xx, or no answer at all
    log = tmp_path / "uvicorn.log"
    with (
        served_api(database_url, rpc_url=rpc_url(env), log=log) as base,
        httpx.Client(base_url=base, timeout=120) as client,
    ):
        for request in requests:
            status = send(client, request)
            statuses[request.kind][status] += 1
            if status is None or status >= 500:
                broken.append(f"{request.name}: {status}")
            if request.must_be_refused and (status is None or status < 400):
                accepted.append(f"{request.name}: {status}")
        health = client.get("/health")

    figures = {
        "backend": engine.dialect.name,
        "requests": {kind: sum(counts.values()) for kind, counts in statuses.items()},
        "status_5xx": sum(
            n for counts in statuses.values() for s, n in counts.items() if s is not None and s >= 500
        ),
        "no_answer": sum(counts[None] for counts in statuses.values()),
        "statuses": {
            kind: {str(s): n for s, n in sorted(c.items(), key=str)} for kind, c in statuses.items()
        },
    }
    with capsys.disabled():
        print(f"\nhostile-input suite: {json.dumps(figures)}")

    assert all(figures["requests"][kind] > 0 for kind in CLASSES), figures["requests"]
    assert broken == [], broken
    assert accepted == [], accepted
    assert health.status_code == 200
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
    assert stored(engine) == before, "a refused request wrote"

    assert_mirror_matches_chain(env, engine)
    with Session(engine) as session:
        campaigns = session.scalars(select(CampaignCreated.campaign_id)).all()
        assert campaigns
        for campaign_id in campaigns:
            report = reconcile_campaign(
                session, campaign_id=campaign_id, verifier=MirrorVerifier.from_rpc(rpc_url(env))
            )
            assert report.chain_check.status == "verified", (campaign_id, report.chain_check)
