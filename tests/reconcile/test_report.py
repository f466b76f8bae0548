"""The report as data: its hash (for attestReport), its JSON schema, its CSV rows, the views it reads."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ledger.db.engine import make_engine
from ledger.db.migrate import upgrade
from ledger.reconcile import CSV_COLUMNS, CampaignReport, report_csv_rows, report_hash
from ledger.reconcile.mirror_check import LEDGER_VIEWS_ABI
from tests.reconcile.support import reference_campaign, report
from tests.support.chain import LedgerEnv
from tests.support.db import empty_postgres


def test_the_report_hash_is_keccak_of_the_published_json_without_volatile_fields(
    env: LedgerEnv, engine: Engine
) -> None:
    ref = reference_campaign(env, engine)
    result = report(env, engine, ref.campaign_id)
    published = json.loads(result.model_dump_json())
    assert published["report_hash"] == result.report_hash == report_hash(published)
    assert result.report_hash.startswith("0x") and len(result.report_hash) == 66
    later = report(env, engine, ref.campaign_id)
    assert later.generated_from.generated_at > result.generated_from.generated_at
    assert later.report_hash == result.report_hash
    published["tokens"][0]["held"] = "1"
    assert report_hash(published) != result.report_hash
    receipt = env.auditor.send(
        env.f.attestReport(ref.campaign_id, bytes.fromhex(result.report_hash[2:]), result.as_of_block, "")
    )
    assert receipt["status"] == 1


@pytest.mark.postgres
def test_sqlite_and_postgresql_mirrors_give_the_same_report_hash(
    env: LedgerEnv, tmp_path: Path, postgres_url: str
) -> None:
    engines = [make_engine(f"sqlite:///{tmp_path / 'a.db'}"), make_engine(postgres_url)]
    try:
        upgrade(engines[0])
        empty_postgres(engines[1])
        ref = reference_campaign(env, engines)
        reports = [report(env, e, ref.campaign_id) for e in engines]
    finally:
        for e in engines:
            e.dispose()
    assert [r.generated_from.database for r in reports] == ["sqlite", "postgresql"]
    assert reports[0].report_hash == reports[1].report_hash


def test_uint256_values_are_decimal_strings_in_json_and_schema() -> None:
    schema = CampaignReport.model_json_schema(mode="serialization")
    totals = schema["$defs"]["TokenTotals"]["properties"]
    assert totals["pledged"]["type"] == "string"
    assert totals["pledged_usd"]["type"] == "string"


def test_csv_rows_carry_every_total(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    result = report(env, engine, ref.campaign_id)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(report_csv_rows(result))
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    held = {r["token"]: int(r["value"]) for r in rows if (r["section"], r["metric"]) == ("token", "held")}
    assert held == {t.token: t.held for t in result.tokens}
    delivered = [r for r in rows if (r["section"], r["metric"]) == ("order_line", "delivered")]
    assert [r["value"] for r in delivered] == ["250000"]
    assert sum(1 for r in rows if r["section"] == "recipient") == 15
    assert ("campaign", "report_hash", result.report_hash) in {
        (r["section"], r["metric"], r["value"]) for r in rows
    }


def test_the_views_abi_is_the_contracts(env: LedgerEnv) -> None:
    compiled = {e["name"]: e for e in env.build["PledgeLedger"].abi if e.get("type") == "function"}

    def types(params: list[dict[str, object]]) -> list[object]:
        return [(p["type"], types(p["components"]) if "components" in p else None) for p in params]  # type: ignore[arg-type]

    for entry in LEDGER_VIEWS_ABI:
        real = compiled[entry["name"]]
        assert types(entry["inputs"]) == types(real["inputs"]), entry["name"]
        assert types(entry["outputs"]) == types(real["outputs"]), entry["name"]
        assert real["stateMutability"] == "view"
