"""The reference campaign (SCENARIO.md) reconciles with no findings, and its totals are the contract's."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.contracts.support import unit
from tests.reconcile.support import MASKS, reference_campaign, report
from tests.support.chain import LedgerEnv


def test_reference_campaign_reconciles_with_no_findings(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    result = report(env, engine, ref.campaign_id, verify=True)
    assert result.findings == []
    assert result.chain_check.status == "verified", result.chain_check
    by_token = {t.token: t for t in result.tokens}
    usdc = by_token[env.token_address("USDC")]
    assert (usdc.pledged, usdc.disbursed, usdc.held) == (70_000 * unit("USDC"), 70_000 * unit("USDC"), 0)
    for token, totals in by_token.items():
        on_chain = env.f.tokenTotals(ref.campaign_id, token).call()
        assert (totals.pledged, totals.refunded, totals.disbursed, totals.held) == tuple(on_chain[:4])
    (round_report,) = result.rounds
    assert round_report.outcome == "succeeded"
    assert round_report.donors == 3 and result.donors == 3
    assert str(result.pledged_usd) == "105000.00000000"
    (order,) = result.orders
    assert order.paid == order.payment_amount
    assert [(line.quantity, line.shipped, line.delivered, line.distributed) for line in order.lines] == [
        (MASKS, MASKS, MASKS, MASKS)
    ]
    assert len(result.procurement.recipients) == 15
