"""USD prices from Chainlink-style feeds (``AggregatorV3Interface``): read one, check that it looks like a
price feed a campaign can rely on, and value an amount of a token with it, exactly."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.exceptions import ContractLogicError, Web3RPCError

from ledger.client.calls import abi_function
from ledger.errors import FeedError
from ledger.reads.units import EXACT
from ledger.reverts import duration

#: The feed functions a campaign relies on.
AGGREGATOR_ABI: list[dict[str, Any]] = [
    abi_function("decimals", outputs=[("", "uint8")]),
    abi_function("description", outputs=[("", "string")]),
    abi_function(
        "latestRoundData",
        outputs=[
            ("roundId", "uint80"),
            ("answer", "int256"),
            ("startedAt", "uint256"),
            ("updatedAt", "uint256"),
            ("answeredInRound", "uint80"),
        ],
    ),
]
#: Chainlink's USD feeds answer with 8 decimals; anything beyond 18 is not a price feed.
MAX_FEED_DECIMALS = 18


@dataclass(frozen=True)
class FeedReading:
    """A feed's latest answer."""

    feed: str
    decimals: int
    answer: int
    updated_at: int
    description: str

    def usd(self, amount: int, token_decimals: int) -> Decimal:
        """What ``amount`` base units of the token are worth in USD at this answer, exactly."""
        return (Decimal(amount) * Decimal(self.answer)).scaleb(-(token_decimals + self.decimals), EXACT)

    def price(self) -> Decimal:
        return Decimal(self.answer).scaleb(-self.decimals, EXACT)


def read_feed(w3: Web3, feed: str) -> FeedReading:
    """The feed's ``decimals()``, ``latestRoundData()`` and ``description()`` (optional); a
    :class:`FeedError` when it has no such functions."""
    if not Web3.is_address(feed):
        raise FeedError(f"{feed!r} is not an address (0x followed by 40 hex digits)")
    address = to_checksum_address(feed)
    if not w3.eth.get_code(address):
        raise FeedError(f"the feed {address} has no code on this chain: is it the right network?")
    contract = w3.eth.contract(address=address, abi=AGGREGATOR_ABI)
    try:
        decimals = int(contract.functions.decimals().call())
        _, answer, _, updated_at, _ = contract.functions.latestRoundData().call()
    except (ContractLogicError, Web3RPCError, ValueError) as exc:
        raise FeedError(
            f"{address} does not answer decimals() and latestRoundData() like a price feed: {exc}"
        ) from exc
    try:
        description = str(contract.functions.description().call())
    except (ContractLogicError, Web3RPCError, ValueError):
        description = ""
    return FeedReading(address, decimals, int(answer), int(updated_at), description)


def check_feed(reading: FeedReading, *, now: int, max_staleness: int) -> None:
    """Refuse a feed a campaign must not accept: odd decimals, a non-positive answer, an answer never
    updated, from the future, or older than ``max_staleness`` seconds (every pledge would then revert)."""
    where = f"the feed {reading.feed}"
    if not 0 < reading.decimals <= MAX_FEED_DECIMALS:
        raise FeedError(f"{where} says it has {reading.decimals} decimals: not a USD price feed")
    if reading.answer <= 0:
        raise FeedError(f"{where} answers {reading.answer}: a price must be positive")
    if reading.updated_at == 0:
        raise FeedError(f"{where} has never been updated")
    if reading.updated_at > now + 900:
        raise FeedError(f"{where} was updated in the future (at {reading.updated_at}, now {now})")
    age = now - reading.updated_at
    if age > max_staleness:
        raise FeedError(
            f"{where} was last updated {duration(age)} ago, more than the maximum staleness of "
            f"{duration(max_staleness)}: "
            "every pledge would be refused (pick the feed's heartbeat as the staleness)"
        )
