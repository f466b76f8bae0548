"""What the client returns: a mined transaction with the ledger's events decoded, and the ledger's views as
typed records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_utils.abi import event_abi_to_log_topic
from hexbytes import HexBytes
from web3.contract import Contract
from web3.types import LogReceipt, TxReceipt

from ledger.rounds import RoundState


@dataclass(frozen=True)
class LedgerEvent:
    """One event the ledger emitted, its arguments by their ABI names."""

    name: str
    args: dict[str, Any]
    log_index: int

    def to_json(self) -> dict[str, Any]:
        return {
            "event": self.name,
            "log_index": self.log_index,
            "args": {k: _json(v) for k, v in self.args.items()},
        }


@dataclass(frozen=True)
class TxResult:
    """A mined transaction: where it is, what it cost, and the ledger's events in it."""

    tx_hash: str
    block_number: int
    gas_used: int
    effective_gas_price: int
    events: tuple[LedgerEvent, ...] = field(default_factory=tuple)

    def all(self, name: str) -> list[dict[str, Any]]:
        """The arguments of every ``name`` event, in log order."""
        return [e.args for e in self.events if e.name == name]

    def event(self, name: str) -> dict[str, Any]:
        """The arguments of the transaction's one ``name`` event."""
        found = self.all(name)
        if len(found) != 1:
            raise LookupError(f"transaction {self.tx_hash} emitted {len(found)} {name} events, not one")
        return found[0]

    @property
    def fee_wei(self) -> int:
        return self.gas_used * self.effective_gas_price

    def to_json(self) -> dict[str, Any]:
        return {
            "tx_hash": self.tx_hash,
            "block_number": self.block_number,
            "gas_used": self.gas_used,
            "fee_wei": str(self.fee_wei),
            "events": [e.to_json() for e in self.events],
        }


def _json(value: Any) -> Any:
    """Event values as JSON keeps them exactly: bytes as 0x-hex, integers beyond 2**53 as strings."""
    if isinstance(value, bytes | HexBytes):
        return "0x" + bytes(value).hex()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else str(value)
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


class EventReader:
    """Decodes the ledger's own logs of a receipt (other contracts' logs, e.g. a token's, are skipped)."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        events: list[dict[str, Any]] = [
            dict(item) for item in contract.abi if item.get("type") == "event" and not item.get("anonymous")
        ]
        self._names = {event_abi_to_log_topic(item): str(item["name"]) for item in events}  # type: ignore[arg-type]

    def decode(self, logs: Sequence[LogReceipt]) -> tuple[LedgerEvent, ...]:
        found = []
        address = self.contract.address.lower()
        for log in logs:
            if log["address"].lower() != address or not log["topics"]:
                continue
            name = self._names.get(bytes(log["topics"][0]))
            if name is None:
                continue
            decoded = getattr(self.contract.events, name)().process_log(log)
            found.append(LedgerEvent(name, dict(decoded["args"]), int(log["logIndex"])))
        return tuple(found)

    def result(self, receipt: TxReceipt) -> TxResult:
        return TxResult(
            tx_hash=receipt["transactionHash"].to_0x_hex(),
            block_number=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
            effective_gas_price=int(receipt.get("effectiveGasPrice", 0)),
            events=self.decode(receipt["logs"]),
        )


# ─── views ──────────────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class CampaignInfo:
    campaign_id: int
    manager: str
    metadata_hash: bytes
    round_count: int
    cancelled: bool
    paused: bool
    supplier_delay: int
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class RoundInfo:
    campaign_id: int
    round_id: int
    start: int
    end: int
    state: RoundState
    all_or_nothing: bool
    goal_usd: int
    raised_usd: int


@dataclass(frozen=True)
class TokenConfig:
    feed: str
    token_decimals: int
    scale_exponent: int
    max_staleness: int
    accepted: bool


@dataclass(frozen=True)
class TokenTotals:
    pledged: int
    refunded: int
    disbursed: int
    held: int
    available: int


@dataclass(frozen=True)
class SupplierApproval:
    record_hash: bytes
    effective_at: int

    @property
    def approved(self) -> bool:
        return self.record_hash != b"\x00" * 32
