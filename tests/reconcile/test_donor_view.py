"""A donor's view: pledges with their transactions, exact shares, and what the shares bought."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from eth_typing import HexStr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ledger.db.records import Supplier
from ledger.errors import LedgerError, RecordNotFoundError
from ledger.reconcile import DonorView, donor_view
from tests.contracts.support import unit
from tests.reconcile.support import (
    INVOICE,
    MASKS,
    add_order,
    add_supplier,
    deliver,
    index,
    pay,
    reference_campaign,
    sha256,
    ship,
)
from tests.support.chain import LedgerEnv


def view(engine: Engine, campaign_id: int, donor: str) -> DonorView:
    with Session(engine) as s:
        return donor_view(s, campaign_id=campaign_id, donor=donor)


def fraction(value: Decimal) -> Fraction:
    return Fraction(value)


def test_a_donor_sees_their_pledge_share_and_what_it_bought(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    huobi = ref.donors["Huobi Charity"]
    result = view(engine, ref.campaign_id, huobi.address.lower())  # any case is accepted
    assert result.donor == huobi.address
    (pledge,) = result.pledges
    assert (pledge.token, pledge.amount, str(pledge.usd_value)) == (
        env.token_address("USDC"),
        70_000 * unit("USDC"),
        "70000.00000000",
    )
    (share,) = result.rounds
    assert fraction(share.donor_usd) / fraction(share.round_usd) == Fraction(2, 3)
    assert str(result.campaign_share) == "0.666666666666666667"
    (masks,) = result.bought
    assert (masks.item, masks.delivered, masks.display) == ("disposable surgical mask", MASKS, "≈ 166,667")
    (proof,) = result.proof
    assert proof.order_reference == "FCSSC-PO-2020-001"
    assert env.w3.eth.get_transaction_receipt(HexStr(proof.tx_hash))["status"] == 1


def test_the_donors_shares_add_up_to_the_round_and_the_goods(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    views = [view(engine, ref.campaign_id, d.address) for d in ref.donors.values()]
    round_usd = views[0].rounds[0].round_usd
    assert sum(v.rounds[0].donor_usd for v in views) == round_usd
    assert sum(fraction(v.rounds[0].donor_usd) / fraction(round_usd) for v in views) == 1
    assert abs(sum((v.bought[0].quantity for v in views), Decimal(0)) - MASKS) <= Decimal("0.000002")


def test_a_donor_without_pledges_has_an_empty_share(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    result = view(engine, ref.campaign_id, env.outsider.address)
    assert (result.pledges, result.rounds, result.campaign_share) == ([], [], Decimal(0))
    assert [b.quantity for b in result.bought] == [Decimal(0)]


def test_a_malformed_donor_or_unknown_campaign_is_a_clear_error(env: LedgerEnv, engine: Engine) -> None:
    ref = reference_campaign(env, engine)
    donor = ref.donors["Taiyi Group"].address
    wrong_checksum = donor[:2] + donor[2:].swapcase()
    for bad in ("0x1234", "not an address", wrong_checksum):
        with pytest.raises(ValueError, match=r"address|checksum") as caught:
            view(engine, ref.campaign_id, bad)
        assert isinstance(caught.value, LedgerError)
    with pytest.raises(RecordNotFoundError, match="campaign 99 is not in the mirror"):
        view(engine, 99, donor)


# Amounts in whole tokens, by donor (0-3) and token; each example is a new campaign on the same chain.
pledges_strategy = st.lists(
    st.tuples(
        st.integers(0, 3),
        st.sampled_from(["ETH", "USDC", "DAI"]),
        st.integers(1, 5_000),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=6, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pledges=pledges_strategy, delivered=st.integers(1, 10**7))
def test_shares_are_exact_for_any_pledges(
    env: LedgerEnv, engine: Engine, pledges: list[tuple[int, str, int]], delivered: int
) -> None:
    campaign_id = env.create_campaign(("ETH", "USDC", "DAI"))
    env.refresh_feeds()
    round_id = env.open_round(campaign_id, goal_usd=1)
    for donor, symbol, whole in pledges:
        amount = whole * unit(symbol) // (1_000 if symbol == "ETH" else 1)
        env.pledge(env.donors[donor], campaign_id, round_id, symbol, amount)
    env.manager.send(env.f.closeRound(campaign_id, round_id))
    env.manager.send(env.f.approveSupplier(campaign_id, env.supplier.address, b"\x0c" * 32))
    index(env, engine)
    with Session(engine) as s:
        supplier_id = s.scalar(select(Supplier.id).where(Supplier.wallet == env.supplier.address))
    if supplier_id is None:
        supplier_id = add_supplier(engine, env.supplier.address)
    token = pledges[0][1]
    order_id, (line_id,) = add_order(
        engine,
        campaign_id=campaign_id,
        supplier_id=supplier_id,
        reference="PO-1",
        token=env.token_address(token),
        amount=1,
        lines=[("surgical mask", delivered, "piece", Decimal("0.1"), "USD")],
    )
    pay(env, campaign_id, token, 1, "PO-1", sha256(INVOICE))
    deliver(engine, ship(engine, order_id, {line_id: delivered}), {line_id: delivered}, None)
    index(env, engine)

    donors = {env.donors[d].address for d, _, _ in pledges}
    views = [view(engine, campaign_id, d) for d in sorted(donors)]
    (round_usd,) = {v.rounds[0].round_usd for v in views}
    assert sum(v.rounds[0].donor_usd for v in views) == round_usd
    assert sum(fraction(v.rounds[0].donor_usd) / fraction(round_usd) for v in views) == 1
    bought = sum((v.bought[0].quantity for v in views), Decimal(0))
    assert abs(bought - delivered) <= Decimal("0.0000005") * len(views)
