"""``pledgeledger up --demo`` end to end: a real Anvil, the real API and indexer, SQLite and PostgreSQL;
the demo campaign reconciles with no findings, its totals are the chain's, and nothing is left running."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from ledger.chain import dev_accounts
from ledger.compiler import Build
from ledger.db.engine import make_engine
from ledger.demo.data import ACCOUNT_INDEX, FAILED_PLEDGES, MASKS, MEMBER_STATES, SUPPLIER_DELAY
from ledger.node import LocalNode, local_node
from ledger.reconcile import MirrorVerifier, reconcile_campaign
from tests.e2e.support import UpProcess, alive, chain_totals, report_totals
from tests.support.db import empty_postgres


def assert_reference_campaign(
    report: dict[str, Any], rpc_url: str, ledger: str, build: Build, campaign: int
) -> None:
    """No findings, the mirror verified against the chain, both rounds, the masks to the 15 states, and every
    token total equal to the contract's view."""
    assert report["findings"] == [], report["findings"]
    assert report["chain_check"]["status"] == "verified"
    assert [r["outcome"] for r in report["rounds"]] == ["succeeded", "failed"]
    (item,) = report["procurement"]["items"]
    assert (item["ordered"], item["delivered"], item["distributed"]) == (MASKS, MASKS, MASKS)
    recipients = {r["recipient"] for r in report["procurement"]["recipients"]}
    assert recipients == set(MEMBER_STATES)
    totals = report_totals(report)
    assert len(totals) == 3 and all(t["pledged"] > 0 for t in totals.values())
    for token, mirrored in totals.items():
        assert mirrored == chain_totals(rpc_url, ledger, build, campaign, token), token


def assert_governed_as_in_production(base: str, campaign_id: int) -> None:
    """The ledger's admin is the timelock, the campaign was created through it with the demo's supplier delay,
    a donor closed the failed round, and nothing is left pending once the demo is over."""
    (status,) = httpx.get(f"{base}/api/v1/status", timeout=30).json()["data"]
    assert status["timelock"], "the ledger is governed by a timelock"
    campaign = httpx.get(f"{base}/api/v1/campaigns/{campaign_id}", timeout=30).json()
    assert campaign["supplier_delay"] == SUPPLIER_DELAY and campaign["paused"] is False
    rounds = httpx.get(f"{base}/api/v1/campaigns/{campaign_id}/rounds", timeout=30).json()["data"]
    closer = dev_accounts(ACCOUNT_INDEX[FAILED_PLEDGES[-1][0]] + 1)[-1].address
    assert [r["closed_by"] for r in rounds] == [dev_accounts(2)[1].address, closer]
    pending = httpx.get(f"{base}/api/v1/campaigns/{campaign_id}/pending-changes", timeout=30).json()
    assert pending["data"] == []


def test_up_demo_on_a_fresh_anvil_and_sqlite_then_ctrl_c(
    tmp_path: Path, build: Build, up_processes: list[UpProcess]
) -> None:
    up = UpProcess(["--demo"], cwd=tmp_path)
    up_processes.append(up)
    up.wait_for("Serving.")
    base = f"http://127.0.0.1:{up.port}"

    report = httpx.get(f"{base}/api/v1/campaigns/{up.campaign_id}/reconciliation", timeout=30).json()
    assert_reference_campaign(report, up.rpc_url, up.ledger_address, build, up.campaign_id)
    attestations = httpx.get(f"{base}/api/v1/attestations", timeout=30).json()["data"]
    assert len(attestations) == 1 and int(attestations[0]["campaign_id"]) == up.campaign_id
    assert up.started, "up started its own Anvil"
    assert_governed_as_in_production(base, up.campaign_id)

    up.process.send_signal(2)  # Ctrl-C
    assert up.wait(60) == 130, up.output
    assert not [pid for pid in up.started if alive(pid)], "a process outlived `up`"
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/health", timeout=2)


@pytest.fixture
def anvil_node() -> Iterator[LocalNode]:
    with local_node("anvil") as node:
        yield node


@pytest.mark.postgres
def test_up_demo_twice_on_postgresql_and_an_existing_node(
    tmp_path: Path, build: Build, postgres_url: str, anvil_node: LocalNode, up_processes: list[UpProcess]
) -> None:
    engine = make_engine(postgres_url)
    empty_postgres(engine)
    args = ["--demo", "--exit", "--rpc-url", anvil_node.rpc_url, "--database-url", postgres_url]
    campaigns = []
    for _ in range(2):  # the second run continues the same deployment with a new campaign
        up = UpProcess(args, cwd=tmp_path)
        up_processes.append(up)
        assert up.wait(120) == 0, up.output
        assert not [pid for pid in up.started if alive(pid)], "a process outlived `up`"
        campaigns.append((up.campaign_id, up.ledger_address))
    assert [c for c, _ in campaigns] == [1, 2]
    assert campaigns[0][1] == campaigns[1][1], "the deployment is reused"

    ledger = campaigns[0][1]
    try:
        for campaign_id, _ in campaigns:
            with Session(engine) as session:
                verifier = MirrorVerifier.from_rpc(anvil_node.rpc_url, ledger)
                report = reconcile_campaign(session, campaign_id=campaign_id, verifier=verifier)
            assert_reference_campaign(
                report.model_dump(mode="json"), anvil_node.rpc_url, ledger, build, campaign_id
            )
    finally:
        engine.dispose()


def test_up_on_a_port_in_use_says_so_and_starts_nothing(
    tmp_path: Path, up_processes: list[UpProcess]
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        up = UpProcess(["--demo", "--exit"], cwd=tmp_path, port=port)
        up_processes.append(up)
        assert up.wait(60) == 1
    assert f"port {port} on 127.0.0.1 is in use: pass --port" in up.output
    assert not up.started, "nothing started"
