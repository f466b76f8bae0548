"""``pledgeledger reconcile`` as a user runs it: a real subprocess on the test's database and chain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from tests.contracts.support import unit
from tests.indexer.support import rpc_url
from tests.reconcile.support import INVOICE, index, pay, reference_campaign, sha256
from tests.support.chain import LedgerEnv

CLI = [sys.executable, "-c", "from ledger.cli import main; main()"]


def run(database_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "COLUMNS": "200",
        "PLEDGELEDGER_DATABASE_URL": database_url,
        "PLEDGELEDGER_RPC_URL": "",
    }
    return subprocess.run(
        [*CLI, "reconcile", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_reconcile_prints_tables_checked_against_the_chain(
    env: LedgerEnv, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    ref = reference_campaign(env, engine)
    result = run(database_url, tmp_path, str(ref.campaign_id), "--rpc-url", rpc_url(env))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in ("Funds per token", "FCSSC-PO-2020-001", "70,000", "No findings", "verified", "250,000"):
        assert expected in out, expected
    assert "USDC" in out and "DAI" in out  # tokens by their records' symbols
    assert "Traceback" not in result.stderr
    narrowed = run(database_url, tmp_path, str(ref.campaign_id), "--round", "1", "--no-chain")
    assert "rounds table: round 1 only; totals and findings: the whole campaign" in narrowed.stdout


def test_reconcile_json_parses_and_error_findings_exit_1(
    env: LedgerEnv, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    ref = reference_campaign(env, engine)
    pay(env, ref.campaign_id, "ETH", unit("ETH"), "NO-SUCH-ORDER", sha256(INVOICE))
    index(env, engine)
    result = run(database_url, tmp_path, str(ref.campaign_id), "--json", "--no-chain", "--round", "1")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["chain_check"]["status"] == "not_checked"
    assert [f["kind"] for f in report["findings"]] == ["payment_without_order"]
    assert report["round_id"] == 1 and [r["round_id"] for r in report["rounds"]] == [1]
    assert isinstance(report["tokens"][0]["pledged"], str)


def test_unknown_campaign_is_one_line_and_exit_2(
    env: LedgerEnv, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    ref = reference_campaign(env, engine)
    for args in (["99"], [str(ref.campaign_id), "--round", "7"]):
        result = run(database_url, tmp_path, *args, "--no-chain")
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert (len(lines) == 1 and "not in the mirror" in lines[0]) or "no round 7" in lines[0], lines
