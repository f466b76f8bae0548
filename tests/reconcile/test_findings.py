"""One scenario per finding: the reference campaign with one thing broken, on a real chain, indexed; exactly
that kind of finding appears, about the records involved."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, delete, update
from sqlalchemy.orm import Session

from ledger.db.models import Pledged
from ledger.db.session import write_session
from ledger.reconcile import Finding, MirrorVerifier, ReconcileOptions, reconcile_campaign
from ledger.records import service
from ledger.records.schemas import OrderUpdate, SupplierUpdate
from tests.contracts.support import unit
from tests.reconcile.support import (
    ACTOR,
    INVOICE,
    MASKS,
    add_order,
    advance_days,
    index,
    kinds,
    order_ref_bytes,
    pay,
    reference_campaign,
    report,
    sha256,
)
from tests.support.chain import LedgerEnv
from tests.support.units import USD

PO = "FCSSC-PO-2020-001"


def only(env: LedgerEnv, engine: Engine, campaign_id: int, kind: str, **kwargs: Any) -> list[Finding]:
    """The report's findings, all of ``kind``."""
    result = report(env, engine, campaign_id, **kwargs)
    assert kinds(result) == {kind}, [f.message for f in result.findings]
    return result.findings


def tx(receipt: Any) -> str:
    return str(receipt["transactionHash"].to_0x_hex())


# ─── payments ──────────────────────────────────────────────────────────────────────────────────────────


def test_a_payment_naming_no_order_is_flagged(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    receipt = pay(env, ref.campaign_id, "ETH", unit("ETH"), "FCSSC-PO-UNKNOWN", sha256(INVOICE))
    index(env, engine)
    (finding,) = only(env, engine, ref.campaign_id, "payment_without_order")
    assert finding.severity == "error"
    assert "'FCSSC-PO-UNKNOWN'" in finding.message
    assert (finding.records[0].type, finding.records[0].tx_hash) == ("disbursed", tx(receipt))
    assert [p.tx_hash for p in report(env, engine, ref.campaign_id).unmatched_payments] == [tx(receipt)]


def test_an_order_with_no_payment_is_unpaid(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    order_id, _ = add_order(
        engine,
        campaign_id=ref.campaign_id,
        supplier_id=ref.supplier_id,
        reference="FCSSC-PO-2020-002",
        token=env.token_address("DAI"),
        amount=10_000 * unit("DAI"),
        lines=[("nitrile gloves", 100_000, "pair", Decimal("0.10"), "USD")],
    )
    (finding,) = only(env, engine, ref.campaign_id, "order_unpaid")
    assert finding.severity == "warning"
    assert finding.records == [finding.records[0]] and finding.records[0].id == order_id


def test_paying_one_base_unit_more_than_agreed_is_an_overpayment(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine, agreed=70_000 * unit("USDC") - 1)
    (finding,) = only(env, engine, ref.campaign_id, "overpayment")
    assert finding.severity == "error"
    assert "(0.000001 USDC too many)" in finding.message


def test_paying_a_cancelled_order_is_an_overpayment(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    with write_session(engine) as s:
        service.update_order(
            s, record_id=ref.order_id, changes=OrderUpdate(version=1, status="cancelled"), actor=ACTOR
        )
    (finding,) = only(env, engine, ref.campaign_id, "overpayment")
    assert "cancelled" in finding.message


def test_paying_one_base_unit_less_than_agreed_is_an_underpayment(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine, agreed=70_000 * unit("USDC") + 1)
    (finding,) = only(env, engine, ref.campaign_id, "underpayment")
    assert finding.severity == "warning"
    assert "(0.000001 USDC short)" in finding.message


def test_a_payment_in_another_token_than_agreed_is_flagged(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    receipt = pay(env, ref.campaign_id, "DAI", 500 * unit("DAI"), PO, sha256(INVOICE))
    index(env, engine)
    (finding,) = only(env, engine, ref.campaign_id, "wrong_payment_token")
    assert finding.severity == "error"
    assert tx(receipt) in {r.tx_hash for r in finding.records}
    (order,) = report(env, engine, ref.campaign_id).orders
    assert order.paid == order.payment_amount
    assert [(o.token, o.amount) for o in order.paid_other] == [(env.token_address("DAI"), 500 * unit("DAI"))]


def test_paying_an_order_to_another_address_than_its_supplier_is_flagged(
    env: LedgerEnv, engine: Engine
) -> None:
    ref = reference_campaign(env, engine, paid=70_000 * unit("USDC") - 100)
    env.manager.send(env.f.approveSupplier(ref.campaign_id, env.outsider.address, b"\x0d" * 32))
    receipt = env.manager.send(
        env.f.disburse(
            ref.campaign_id,
            env.token_address("USDC"),
            env.outsider.address,
            100,
            order_ref_bytes(PO),
            bytes.fromhex(sha256(INVOICE)),
        )
    )
    index(env, engine)
    (finding,) = only(env, engine, ref.campaign_id, "wrong_supplier")
    assert finding.severity == "error"
    assert env.outsider.address in finding.message
    assert tx(receipt) in {r.tx_hash for r in finding.records}


def test_paying_a_supplier_that_is_not_vetted_is_flagged(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    with write_session(engine) as s:
        changes = SupplierUpdate(version=1, vetting_status="suspended")
        service.update_supplier(s, record_id=ref.supplier_id, changes=changes, actor=ACTOR)
    (finding,) = only(env, engine, ref.campaign_id, "supplier_not_vetted")
    assert finding.severity == "warning"
    assert "suspended" in finding.message


def test_an_invoice_hash_that_is_not_the_stored_invoice_is_flagged(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine, invoice=b"%PDF-1.4 a different invoice\n")
    (finding,) = only(env, engine, ref.campaign_id, "invoice_hash_mismatch")
    assert finding.severity == "error"
    assert "0x" + sha256(INVOICE) in finding.message


# ─── goods and prices ───────────────────────────────────────────────────────────────────────────────────


def test_delivering_less_than_ordered_is_flagged(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine, delivered=MASKS - 1_000)
    (finding,) = only(env, engine, ref.campaign_id, "delivered_short")
    assert finding.severity == "warning"
    assert "250,000 piece ordered, 249,000 delivered" in finding.message
    assert {(r.type, r.id) for r in finding.records} == {("order", ref.order_id), ("order_line", ref.line_id)}


def test_a_unit_price_far_above_the_reference_is_flagged(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine, reference_price=Decimal("0.20"))  # 0.28 > 1.25 × 0.20
    (finding,) = only(env, engine, ref.campaign_id, "price_above_reference")
    assert "1.40× the reference 0.2" in finding.message
    tolerant = ReconcileOptions(price_tolerance=Decimal("0.5"))
    assert report(env, engine, ref.campaign_id, options=tolerant).findings == []


# ─── funds ──────────────────────────────────────────────────────────────────────────────────────────────


def test_funds_held_with_nothing_moving_past_the_limit_are_idle(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    advance_days(env, 31)
    index(env, engine)
    assert report(env, engine, ref.campaign_id).findings == []  # within the default 90 days
    monthly = ReconcileOptions(idle_after_seconds=30 * 86_400)
    findings = only(env, engine, ref.campaign_id, "funds_idle", options=monthly)
    # ETH and DAI are still held; USDC was all paid out.
    assert {r.key for f in findings for r in f.records} == {
        env.token_address("ETH"),
        env.token_address("DAI"),
    }


def test_funds_are_not_idle_while_a_round_is_open(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    advance_days(env, 100)
    env.refresh_feeds()
    env.open_round(ref.campaign_id, goal_usd=1_000 * USD, days=30)
    index(env, engine)
    assert report(env, engine, ref.campaign_id).findings == []


# ─── the mirror against the chain ──────────────────────────────────────────────────────────────────────


def test_a_tampered_pledge_row_is_a_mirror_mismatch(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    with engine.begin() as conn:
        conn.execute(
            update(Pledged)
            .where(Pledged.token == env.token_address("USDC"))
            .values(amount=70_000 * unit("USDC") + 1)
        )
    findings = only(env, engine, ref.campaign_id, "mirror_mismatch", verify=True)
    messages = " | ".join(f.message for f in findings)
    assert "tokenTotals(USDC).pledged" in messages and "mirror 70,000.000001 USDC" in messages
    result = report(env, engine, ref.campaign_id, verify=True)
    assert result.chain_check.status == "mismatch" and result.chain_check.mismatches == len(findings)


def test_a_deleted_pledge_row_is_a_mirror_mismatch(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    with engine.begin() as conn:
        conn.execute(delete(Pledged).where(Pledged.token == env.token_address("DAI")))
    findings = only(env, engine, ref.campaign_id, "mirror_mismatch", verify=True)
    assert any("raisedUsd" in f.message for f in findings)
    assert report(env, engine, ref.campaign_id).findings == []  # without the chain nothing tells


def test_a_lagging_mirror_is_not_a_mismatch(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    env.refresh_feeds()
    round_id = env.open_round(ref.campaign_id, goal_usd=1_000 * USD, days=7)
    env.pledge(env.donors[3], ref.campaign_id, round_id, "USDC", 5_000 * unit("USDC"))
    pay(env, ref.campaign_id, "ETH", unit("ETH"), "FCSSC-PO-UNKNOWN", sha256(INVOICE))
    result = report(env, engine, ref.campaign_id, verify=True)
    assert result.as_of_block < env.w3.eth.block_number
    assert result.findings == []
    assert result.chain_check.status == "verified"


def test_an_unreachable_node_is_a_warning_not_a_failure(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    with Session(engine) as s:
        result = reconcile_campaign(
            s, campaign_id=ref.campaign_id, verifier=MirrorVerifier.from_rpc("http://127.0.0.1:9", timeout=2)
        )
    (finding,) = result.findings
    assert (finding.kind, finding.severity) == ("chain_unreachable", "warning")
    assert result.chain_check.status == "unreachable"
