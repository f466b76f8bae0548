"""``pledgeledger keys`` in a subprocess, as an operator runs it: keys for some campaigns or for all, the
scope shown at creation and in ``keys list``, and enforced by the API."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ledger.db.records import ApiKey
from tests.api.support import API, api_client
from tests.cli.support import PLEDGELEDGER
from tests.records.support import USDT


def keys(*args: str, database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PLEDGELEDGER, "keys", *args, "--database-url", database_url],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_keys_are_created_for_some_campaigns_or_all_and_listed_with_their_scope(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    desk = keys(
        "create", "--role", "manager", "--name", "desk", "--campaign", "1", "--campaign", "2",
        database_url=database_url, cwd=tmp_path,
    )  # fmt: skip
    assert desk.returncode == 0, desk.stderr
    assert "for campaigns 1, 2" in desk.stderr
    audit = keys(
        "create", "--role", "auditor", "--name", "audit-1", "--campaign", "1",
        database_url=database_url, cwd=tmp_path,
    )  # fmt: skip
    assert audit.returncode == 0, audit.stderr
    head = keys("create", "--role", "manager", "--name", "head", database_url=database_url, cwd=tmp_path)
    assert head.returncode == 0, head.stderr
    assert "for all campaigns" in head.stderr

    listed = keys("list", database_url=database_url, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[1]: line for line in listed.stdout.splitlines() if "pl_" in line}
    assert "campaigns 1, 2" in rows["desk"]
    assert "campaign 1" in rows["audit-1"] and "campaigns" not in rows["audit-1"]
    assert "all campaigns" in rows["head"]
    for created in (desk, audit, head):
        assert created.stdout.strip() not in listed.stdout

    token = {"address": USDT, "symbol": "USDT"}
    desk_key = {"X-API-Key": desk.stdout.strip()}
    with api_client(engine) as client:
        outside = client.post(
            f"{API}/orders",
            headers=desk_key,
            json={
                "campaign_id": 3,
                "supplier_id": 1,
                "reference": "PO-3",
                "payment_token": USDT,
                "payment_amount": "1",
                "issued_on": "2020-05-04",
                "lines": [
                    {"item": "mask", "quantity": 1, "unit": "piece", "unit_price": "1", "currency": "USD"}
                ],
            },
        )
        assert outside.status_code == 403
        assert "'desk' is limited to campaigns 1, 2" in outside.json()["detail"]
        assert client.post(f"{API}/tokens", headers=desk_key, json=token).status_code == 403
        head_key = {"X-API-Key": head.stdout.strip()}
        assert client.post(f"{API}/tokens", headers=head_key, json=token).status_code == 201


def test_a_campaign_id_out_of_range_is_refused_in_one_line_and_creates_nothing(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    for bad in ("-1", str(2**63), "one"):
        result = keys(
            "create", "--role", "manager", "--name", "desk", "--campaign", bad,
            database_url=database_url, cwd=tmp_path,
        )  # fmt: skip
        assert result.returncode != 0, result
        assert "campaign" in result.stderr
        assert "Traceback" not in result.stderr
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ApiKey)) == 0
