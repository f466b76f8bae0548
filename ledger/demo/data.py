"""The reference campaign's facts (SCENARIO.md) as demo data: who, what, how much, where to."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

USD = 10**8  # the ledger's USD amounts carry 8 decimals
DAY = 86_400

BENEFICIARY = "West African Health Organization (WAHO)"
ORGANISATION = "Finance Center for South-South Cooperation (FCSSC)"
DONORS = ("Taiyi Group", "Huobi Charity", "Jubi Group")
#: Development accounts (BIP-44 index) of each actor on a local chain. The ledger's admin is the local
#: timelock, proposed by the board Safe (accounts 0, 8 and 9: ledger.governance.local); account 0 also pays
#: for the Safe transactions and keeps the mock feeds fresh.
ACCOUNT_INDEX = {
    "admin": 0,
    "manager": 1,
    "auditor": 2,
    "Taiyi Group": 3,
    "Huobi Charity": 4,
    "Jubi Group": 5,
    "supplier": 7,
}

#: Seconds between a supplier's approval and its first payment: the guardian's time to revoke it.
SUPPLIER_DELAY = 2 * DAY

ROUND_DAYS = 14
#: The successful round: goal, and each donor's pledge (symbol, whole tokens) with the day it comes in.
GOAL_USD = 100_000
PLEDGES = (
    ("Taiyi Group", "ETH", 10, 2),
    ("Huobi Charity", "USDC", 70_000, 6),
    ("Jubi Group", "DAI", 15_000, 9),
)
#: The second, all-or-nothing round misses its goal and is refunded.
FAILED_GOAL_USD = 500_000
FAILED_PLEDGES = (
    ("Taiyi Group", "ETH", 2, 3),
    ("Huobi Charity", "USDC", 5_000, 5),
    ("Jubi Group", "DAI", 1_000, 8),
)

SUPPLIER_NAME = "Shenzhen PPE Manufacturing Co. (accepts crypto)"
SUPPLIER_COUNTRY = "CN"
ITEM = "disposable surgical mask"
UNIT = "piece"
MASKS = 250_000
MASK_PRICE = Decimal("0.28")  # USD per piece: 70,000 USD in all
REFERENCE_PRICE = Decimal("0.25")
PAYMENT_SYMBOL = "USDC"
PAYMENT_TOKENS = 70_000

ORDER_ISSUED = date(2020, 5, 4)
SHIPPED_ON = date(2020, 5, 20)
DELIVERED_ON = date(2020, 5, 22)
DISTRIBUTED_ON = date(2020, 6, 1)

#: WAHO's 15 member states and how many masks each received (250,000 in all).
MEMBER_STATES = (
    "Benin",
    "Burkina Faso",
    "Cabo Verde",
    "Côte d'Ivoire",
    "The Gambia",
    "Ghana",
    "Guinea",
    "Guinea-Bissau",
    "Liberia",
    "Mali",
    "Niger",
    "Nigeria",
    "Senegal",
    "Sierra Leone",
    "Togo",
)
SHARES = (16_666,) * 14 + (MASKS - 16_666 * 14,)


def order_reference(campaign_id: int) -> str:
    """The purchase order's reference; it goes on chain, so it names the campaign to stay unique."""
    return f"FCSSC-PO-2020-C{campaign_id}"


def invoice_pdf(campaign_id: int) -> bytes:
    """A small deterministic PDF-like invoice (its SHA-256 is the payment's invoice hash)."""
    return (
        f"%PDF-1.4\n% Invoice for purchase order {order_reference(campaign_id)}\n"
        f"Seller: {SUPPLIER_NAME}\nBuyer: {ORGANISATION} for {BENEFICIARY}\n"
        f"{MASKS:,} {ITEM}s at {MASK_PRICE} USD = {MASKS * MASK_PRICE:,.2f} USD, "
        f"paid {PAYMENT_TOKENS:,} {PAYMENT_SYMBOL}\n%%EOF\n"
    ).encode()


def handover_pdf(campaign_id: int) -> bytes:
    """The hand-over certificate signed in Abuja."""
    return (
        f"%PDF-1.4\n% Hand-over certificate, purchase order {order_reference(campaign_id)}\n"
        f"{MASKS:,} {ITEM}s flown Beijing -> Abuja by freight aircraft and received for {BENEFICIARY} "
        f"in Abuja, Nigeria on {DELIVERED_ON.isoformat()}\n%%EOF\n"
    ).encode()


#: The tokens the campaign accepts and what they are called (the chain knows them by address only).
TOKEN_NAMES = {"ETH": "Ether", "USDC": "USD Coin", "DAI": "Dai Stablecoin"}
