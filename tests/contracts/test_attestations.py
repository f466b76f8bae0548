"""Auditor attestations: attestReport and attestedAt."""

from __future__ import annotations

from tests.contracts.support import only_event
from tests.support.chain import LedgerEnv, reverts

REPORT = b"\x5a" * 32


def test_attest_report_records_time_and_emits_event(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    as_of = env.w3.eth.block_number
    receipt = env.auditor.send(env.f.attestReport(c, REPORT, as_of, "ipfs://bafy-report"))
    assert dict(only_event(env, receipt, "ReportAttested")) == {
        "campaignId": c,
        "auditor": env.auditor.address,
        "reportHash": REPORT,
        "asOfBlock": as_of,
        "uri": "ipfs://bafy-report",
    }
    mined_at = env.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert env.f.attestedAt(c, REPORT, env.auditor.address).call() == mined_at > 0


def test_attested_at_is_zero_for_anything_not_attested(env: LedgerEnv) -> None:
    c1, c2 = env.create_campaign(()), env.create_campaign(())
    env.auditor.send(env.f.attestReport(c1, REPORT, 1, ""))
    assert env.f.attestedAt(c1, b"\x5b" * 32, env.auditor.address).call() == 0
    assert env.f.attestedAt(c2, REPORT, env.auditor.address).call() == 0
    assert env.f.attestedAt(c1, REPORT, env.admin.address).call() == 0
    assert env.f.attestedAt(99, REPORT, env.auditor.address).call() == 0


def test_attest_report_accepts_empty_uri(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    receipt = env.auditor.send(env.f.attestReport(c, REPORT, 0, ""))
    assert only_event(env, receipt, "ReportAttested")["uri"] == ""


def test_attest_report_reverts_on_duplicate(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    env.auditor.send(env.f.attestReport(c, REPORT, 1, "a"))
    first = env.f.attestedAt(c, REPORT, env.auditor.address).call()
    with reverts("LedgerAlreadyAttested", c, REPORT, env.auditor.address):
        env.auditor.send(env.f.attestReport(c, REPORT, 2, "b"))
    assert env.f.attestedAt(c, REPORT, env.auditor.address).call() == first


def test_same_report_may_be_attested_by_another_auditor_or_for_another_campaign(env: LedgerEnv) -> None:
    c1, c2 = env.create_campaign(()), env.create_campaign(())
    second = env.outsider
    env.admin.send(env.f.grantRole(env.f.AUDITOR_ROLE().call(), second.address))
    env.auditor.send(env.f.attestReport(c1, REPORT, 1, ""))
    env.auditor.send(env.f.attestReport(c2, REPORT, 1, ""))
    env.auditor.send(env.f.attestReport(c1, b"\x5b" * 32, 1, ""))
    receipt = second.send(env.f.attestReport(c1, REPORT, 1, ""))
    assert only_event(env, receipt, "ReportAttested")["auditor"] == second.address
    assert env.f.attestedAt(c1, REPORT, second.address).call() > 0


def test_attest_report_reverts_on_zero_hash(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    with reverts("LedgerInvalidReportHash", b"\x00" * 32):
        env.auditor.send(env.f.attestReport(c, b"\x00" * 32, 1, ""))


def test_attest_report_reverts_on_unknown_campaign(env: LedgerEnv) -> None:
    env.create_campaign(())
    with reverts("LedgerUnknownCampaign", 2):
        env.auditor.send(env.f.attestReport(2, REPORT, 1, ""))
    with reverts("LedgerUnknownCampaign", 0):
        env.auditor.send(env.f.attestReport(0, REPORT, 1, ""))


def test_attest_report_allowed_on_cancelled_campaign(env: LedgerEnv) -> None:
    c = env.create_campaign(())
    env.guardian.send(env.f.cancelCampaign(c))
    env.auditor.send(env.f.attestReport(c, REPORT, 1, "final"))
    assert env.f.attestedAt(c, REPORT, env.auditor.address).call() > 0
