"""Decode: raw logs into table rows, straight from the contract's ABI with eth-abi.

Logs of one event kind are decoded together: their data fields are concatenated and, when every
non-indexed parameter has a static ABI type (true of all but two of the ledger's events), decoded by one
``eth_abi.decode`` call over the repeated type list, which is exactly the encoding of the concatenation.
Rows are plain dicts keyed by column name (the parameter's name in snake case), ready for a bulk insert.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.grammar import parse as parse_abi_type
from eth_utils.abi import event_abi_to_log_topic
from eth_utils.address import to_checksum_address

from ledger.indexer.fetch import RawLog

Row = dict[str, Any]


def snake_case(name: str) -> str:
    """``purchaseOrderRef`` → ``purchase_order_ref``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


@lru_cache(maxsize=65_536)
def checksum(address: str) -> str:
    """EIP-55 form, cached: a ledger sees the same few thousand addresses again and again."""
    return to_checksum_address(address)


@dataclass(frozen=True)
class EventSpec:
    """How to turn one event's logs into rows."""

    name: str
    topic: str
    indexed: tuple[tuple[str, str], ...]  # (column, ABI type), in topic order
    data: tuple[tuple[str, str], ...]  # (column, ABI type), in data order
    static_data: bool  # every data parameter is one 32-byte word

    @classmethod
    def from_abi(cls, entry: dict[str, Any]) -> EventSpec:
        inputs = entry["inputs"]
        data = tuple((snake_case(i["name"]), _abi_type(i)) for i in inputs if not i["indexed"])
        return cls(
            name=entry["name"],
            topic="0x" + event_abi_to_log_topic(entry).hex(),  # type: ignore[arg-type]
            indexed=tuple((snake_case(i["name"]), _abi_type(i)) for i in inputs if i["indexed"]),
            data=data,
            static_data=all(
                not parse_abi_type(t).is_dynamic and not parse_abi_type(t).is_array for _, t in data
            ),
        )

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.indexed) + tuple(c for c, _ in self.data)


def _abi_type(param: dict[str, Any]) -> str:
    # Enums arrive as uint8 in the ABI; tuples do not occur in the ledger's events.
    if param["type"].startswith("tuple"):
        raise ValueError(f"tuple event parameters are not supported: {param['name']}")
    return str(param["type"])


def _convert(abi_type: str, value: Any) -> Any:
    if abi_type == "address":
        return checksum(value)
    if abi_type.startswith("bytes") and abi_type != "bytes":
        return "0x" + value.hex()
    if abi_type == "bytes":
        return "0x" + value.hex()
    return value


class EventDecoder:
    """Decodes the logs of one contract into rows per event name."""

    def __init__(self, abi: Iterable[dict[str, Any]], chain_id: int) -> None:
        self.chain_id = chain_id
        self.specs: dict[str, EventSpec] = {}
        for entry in abi:
            if entry.get("type") == "event" and not entry.get("anonymous"):
                spec = EventSpec.from_abi(entry)
                self.specs[spec.topic] = spec
        self.unknown = 0  # logs whose first topic is no event of the ABI

    def decode(self, logs: Sequence[RawLog], timestamps: dict[int, int]) -> dict[str, list[Row]]:
        """Rows per event name; ``timestamps`` gives the block times that logs do not carry themselves."""
        groups: dict[str, list[RawLog]] = defaultdict(list)
        for raw in logs:
            topics = raw["topics"]
            if raw.get("removed") or not topics:
                continue
            if topics[0] in self.specs:
                groups[topics[0]].append(raw)
            else:
                self.unknown += 1
        return {
            self.specs[topic].name: self._decode_group(self.specs[topic], group, timestamps)
            for topic, group in groups.items()
        }

    def _decode_group(self, spec: EventSpec, logs: list[RawLog], timestamps: dict[int, int]) -> list[Row]:
        rows = [self._meta(raw, timestamps) for raw in logs]
        # Indexed parameters: each topic position, all logs at once.
        for position, (column, abi_type) in enumerate(spec.indexed, start=1):
            if parse_abi_type(abi_type).is_dynamic:  # only its hash is logged
                for row, raw in zip(rows, logs, strict=True):
                    row[column] = raw["topics"][position]
                continue
            blob = b"".join(bytes.fromhex(raw["topics"][position][2:]) for raw in logs)
            values = abi_decode([abi_type] * len(logs), blob)
            for row, value in zip(rows, values, strict=True):
                row[column] = _convert(abi_type, value)
        # Data: in one call for static layouts, log by log otherwise.
        types = [t for _, t in spec.data]
        if not types:
            return rows
        # A log whose data is not exactly one word per parameter (not emitted by this ABI's contract) would
        # shift every later log of a joint decode; such a group is decoded log by log instead.
        width = len(types)
        if spec.static_data and all(len(raw["data"]) == 2 + 64 * width for raw in logs):
            blob = b"".join(bytes.fromhex(raw["data"][2:]) for raw in logs)
            flat = abi_decode(types * len(logs), blob)
            decoded: list[Sequence[Any]] = [flat[i : i + width] for i in range(0, len(flat), width)]
        else:
            decoded = [abi_decode(types, bytes.fromhex(raw["data"][2:])) for raw in logs]
        for row, params in zip(rows, decoded, strict=True):
            for (column, abi_type), value in zip(spec.data, params, strict=True):
                row[column] = _convert(abi_type, value)
        return rows

    def _meta(self, raw: RawLog, timestamps: dict[int, int]) -> Row:
        number = int(raw["blockNumber"], 16)
        stamp = raw.get("blockTimestamp")
        return {
            "chain_id": self.chain_id,
            "contract": checksum(raw["address"]),
            "block_number": number,
            "block_hash": raw["blockHash"],
            "block_timestamp": int(stamp, 16) if stamp else timestamps[number],
            "tx_hash": raw["transactionHash"],
            "tx_index": int(raw["transactionIndex"], 16),
            "log_index": int(raw["logIndex"], 16),
        }
