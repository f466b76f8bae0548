"""Exact conversions between the chain's integers and decimals, and their display for people."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal
from fractions import Fraction

#: The ledger's USD amounts (goals, values at receipt) carry 8 decimals.
USD_DECIMALS = 8
NATIVE_TOKEN = "0x" + "00" * 20

#: Wide enough that sums and products of prices (38 digits) and quantities (19 digits) are exact.
EXACT = Context(prec=200)


def usd(value: int) -> Decimal:
    """A USD amount with 8 decimals (``123450000`` → ``1.23450000``), exact."""
    return Decimal(value).scaleb(-USD_DECIMALS, EXACT)


#: Prices and document amounts are stored with 8 decimals (``ledger.db.records.Money``).
MONEY_QUANTUM = Decimal("1E-8")


def money(value: Decimal) -> Decimal:
    """A stored price or amount with exactly 8 decimals, whatever the backend returned (``0.28`` or
    ``0.28000000``), so that reports from SQLite and PostgreSQL serialise, and hash, alike."""
    return value.quantize(MONEY_QUANTUM, context=EXACT)


def decimal_places(value: Fraction, places: int) -> Decimal:
    """``value`` rounded half-even to ``places`` decimals."""
    scaled = value * 10**places
    whole = round(scaled)  # Fraction rounds half to even
    return Decimal(whole).scaleb(-places, EXACT)


def token_label(token: str) -> str:
    """``ETH`` for native ETH, else the token's address shortened (symbols are not on chain)."""
    return "ETH" if token == NATIVE_TOKEN else f"{token[:6]}…{token[-4:]}"


def human_amount(amount: int, decimals: int) -> str:
    """Base units in whole tokens with thousands separators, trailing zeros dropped: ``1,250.5``."""
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), 10**decimals) if decimals > 0 else (abs(amount), 0)
    text = f"{sign}{whole:,}"
    if fraction:
        text += "." + str(fraction).rjust(decimals, "0").rstrip("0")
    return text


@dataclass(frozen=True)
class TokenUnits:
    """How a report names tokens and their amounts: the symbol of the token's record (else ETH, else the
    address shortened), and whole tokens by the decimals the ledger recorded for it."""

    decimals: Mapping[str, int]
    symbols: Mapping[str, str]

    def label(self, token: str) -> str:
        return self.symbols.get(token) or token_label(token)

    def amount(self, amount: int, token: str) -> str:
        """``1,250.5 USDC``."""
        return f"{human_amount(amount, self.decimals.get(token, 0))} {self.label(token)}"


def human_decimal(value: Decimal, places: int = 2) -> str:
    """``1234.5`` → ``1,234.50``."""
    quantum = Decimal(1).scaleb(-places)
    return f"{value.quantize(quantum, rounding=ROUND_HALF_EVEN, context=EXACT):,}"


def approximately(quantity: Decimal) -> str:
    """A share of goods for people: ``≈ 4,000`` (whole units from 10 on), ``≈ 0.37`` below."""
    if quantity >= 10:
        return f"≈ {quantity.quantize(Decimal(1), rounding=ROUND_HALF_EVEN, context=EXACT):,}"
    return f"≈ {quantity.quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN, context=EXACT)}"


def base_units(text: str, decimals: int) -> int:
    """``"70,000.5"`` whole tokens → base units, exactly; refuses what is not a non-negative
    amount or has more
    decimals than the token (a fraction of a base unit cannot be sent)."""
    from decimal import InvalidOperation

    cleaned = text.strip().replace(",", "").replace("_", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount (e.g. 10, 0.5 or 70,000)") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{text!r} is not an amount (e.g. 10, 0.5 or 70,000)")
    scaled = value.scaleb(decimals, EXACT)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{text!r} has more than {decimals} decimals, the token's smallest unit")
    return int(scaled)
