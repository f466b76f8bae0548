"""A donor's view: their pledges and refunds, their share of each round, and what that share bought.

Shares are by USD at receipt (the value the contract recorded for each pledge), computed exactly as
fractions and rounded only where they are shown. What a share bought is the donor's share of the
campaign's spendable funding times the quantities delivered against the campaign's paid orders: funds are
pooled per campaign, so a donor owns a part of everything the campaign paid for, not particular boxes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from fractions import Fraction

from eth_utils.address import is_checksum_address, is_hex_address, to_checksum_address
from sqlalchemy.orm import Session

from ledger.errors import InvalidDonorAddressError
from ledger.gcpause import gc_paused
from ledger.reads import procurement
from ledger.reads.donors import donor_pledges, donor_refunds
from ledger.reads.mirror import MirrorPosition, mirror_position
from ledger.reads.payments import disbursements
from ledger.reads.rounds import campaign_rounds
from ledger.reads.tokens import accepted_tokens
from ledger.reads.units import approximately, decimal_places, usd
from ledger.reconcile.cache import ReconcileCache, round_usd
from ledger.reconcile.campaign import find_campaign
from ledger.reconcile.orders import payment_model, token_amounts
from ledger.reconcile.report import Amount, Dec, Model, Payment, TokenAmount
from ledger.rounds import RoundWord

# ─── the view ────────────────────────────────────────────────────────────────────────────────────────────


class DonorEvent(Model):
    """Where a donor's pledge or refund stands on chain, in which round and token."""

    tx_hash: str
    log_index: int
    block_number: int
    block_timestamp: int
    round_id: int
    token: str


class DonorPledge(DonorEvent):
    decimals: int
    amount: Amount
    usd_value: Dec


class DonorRefund(DonorEvent):
    amount: Amount
    caller: str


class DonorRoundShare(Model):
    """The donor's part of one round, by USD at receipt: ``share`` = ``donor_usd`` / ``round_usd`` (exact
    from those two; ``share`` itself is rounded to 18 places)."""

    round_id: int
    outcome: RoundWord
    spendable: bool
    donor_usd: Dec
    round_usd: Dec
    share: Dec


class BoughtItem(Model):
    """The donor's share of what the campaign's paid orders delivered: ``quantity`` = share × ``delivered``
    (6 places), ``display`` rounded for people, e.g. ``≈ 4,000``."""

    item: str
    unit: str
    delivered: int
    quantity: Dec
    display: str


class DonorView(Model):
    """One donor's pledges and refunds in a campaign, their share of each round and of the campaign's
    spendable funding, and what that share bought, with the payments' transactions as proof."""

    chain_id: int
    contract: str
    as_of_block: int
    campaign_id: int
    donor: str
    pledges: list[DonorPledge]
    refunds: list[DonorRefund]
    pledged: list[TokenAmount]
    refunded: list[TokenAmount]
    pledged_usd: Dec
    rounds: list[DonorRoundShare]
    #: The donor's USD in spendable rounds over all USD of the campaign's spendable rounds.
    funding_usd: Dec
    campaign_funding_usd: Dec
    campaign_share: Dec
    bought: list[BoughtItem]
    #: The payments of the orders whose deliveries ``bought`` counts.
    proof: list[Payment]


#: Places kept of a share (of a round, of the campaign) and of a share of goods.
SHARE_PLACES = 18
QUANTITY_PLACES = 6


def donor_address(value: str) -> str:
    """``value`` checksummed; lower- or upper-case hex is accepted, a wrong checksum is not."""
    text = value.strip()
    if not is_hex_address(text):
        raise InvalidDonorAddressError(f"{value!r} is not an address: expected 0x followed by 40 hex digits")
    body = text[2:]
    if body != body.lower() and body != body.upper() and not is_checksum_address(text):
        raise InvalidDonorAddressError(
            f"{value!r} has a wrong EIP-55 checksum (a mistyped address?); "
            f"write it in lower case or as {to_checksum_address(text)}"
        )
    return to_checksum_address(text)


def donor_view(
    session: Session,
    *,
    campaign_id: int,
    donor: str,
    chain_id: int | None = None,
    cache: ReconcileCache | None = None,
) -> DonorView:
    """``donor``'s part of ``campaign_id`` as of the mirror's cursor on ``chain_id`` (default: the only
    chain mirrored). A donor with no pledge gets an empty view; an unknown campaign raises
    :class:`~ledger.errors.RecordNotFoundError`, a malformed address
    :class:`InvalidDonorAddressError`."""
    address = donor_address(donor)
    with gc_paused():  # many small objects, no cycles: see ledger.reconcile.campaign
        return _donor_view(session, campaign_id, address, chain_id, cache)


def _donor_view(
    session: Session, campaign_id: int, address: str, chain_id: int | None, cache: ReconcileCache | None
) -> DonorView:
    pos = mirror_position(session, chain_id)
    find_campaign(session, pos, campaign_id)
    decimals = {t.token: t.decimals for t in accepted_tokens(session, pos, campaign_id).values()}
    round_rows = campaign_rounds(session, pos, campaign_id)
    pledges = donor_pledges(session, pos, campaign_id, address)
    refunds = donor_refunds(session, pos, campaign_id, address)
    round_totals = round_usd(session, pos, campaign_id, cache)

    donor_usd: dict[int, int] = defaultdict(int)
    for p in pledges:
        donor_usd[p.round_id] += p.usd_value
    shares = []
    funding = campaign_funding = 0
    for round_id, r in round_rows.items():
        total = round_totals.get(round_id, 0)
        if r.spendable:
            funding += donor_usd.get(round_id, 0)
            campaign_funding += total
        if round_id in donor_usd:
            shares.append(
                DonorRoundShare(
                    round_id=round_id,
                    outcome=r.state,
                    spendable=r.spendable,
                    donor_usd=usd(donor_usd[round_id]),
                    round_usd=usd(total),
                    share=decimal_places(Fraction(donor_usd[round_id], total or 1), SHARE_PLACES),
                )
            )
    share = Fraction(funding, campaign_funding) if campaign_funding else Fraction(0)
    bought, proof = _bought(session, pos, campaign_id, share)
    return DonorView(
        chain_id=pos.chain_id,
        contract=pos.contract,
        as_of_block=pos.block_number,
        campaign_id=campaign_id,
        donor=address,
        pledges=[
            DonorPledge.model_validate(
                {**asdict(p), "decimals": decimals.get(p.token, 0), "usd_value": usd(p.usd_value)}
            )
            for p in pledges
        ],
        refunds=[DonorRefund.model_validate(asdict(r)) for r in refunds],
        pledged=token_amounts((p.token, p.amount) for p in pledges),
        refunded=token_amounts((r.token, r.amount) for r in refunds),
        pledged_usd=usd(sum(p.usd_value for p in pledges)),
        rounds=shares,
        funding_usd=usd(funding),
        campaign_funding_usd=usd(campaign_funding),
        campaign_share=decimal_places(share, SHARE_PLACES),
        bought=bought,
        proof=proof,
    )


def _bought(
    session: Session, pos: MirrorPosition, campaign_id: int, share: Fraction
) -> tuple[list[BoughtItem], list[Payment]]:
    """The share of each item delivered against the campaign's paid orders, and those orders' payments."""
    orders = {o.order_ref: o for o in procurement.orders(session, campaign_id) if o.status != "cancelled"}
    payments = [p for p in disbursements(session, pos, campaign_id) if p.purchase_order_ref in orders]
    paid_orders = {orders[p.purchase_order_ref].id for p in payments}
    custody = procurement.custody(session, campaign_id)
    delivered: dict[tuple[str, str], int] = defaultdict(int)
    for line in procurement.order_lines(session, campaign_id):
        if line.order_id in paid_orders:
            delivered[(line.item, line.unit)] += custody.delivered.get(line.id, 0)
    items = []
    for (item, unit), quantity in sorted(delivered.items()):
        if quantity == 0:
            continue
        mine = decimal_places(share * quantity, QUANTITY_PLACES)
        items.append(
            BoughtItem(item=item, unit=unit, delivered=quantity, quantity=mine, display=approximately(mine))
        )
    return items, [payment_model(p) for p in payments]
