"""Decode: raw logs into table rows, straight from the contract's ABI.

Logs of one event kind are decoded together, column by column: one parameter of every log at a time.
When every non-indexed parameter has a static ABI type (true of all but two of the ledger's events), its
data word sits at the same offset in every log. The words of a column are deduplicated (campaign and round
ids, donors, tokens and prices repeat from log to log) and the distinct ones decoded at once: in plain
Python for integers, addresses, booleans and ``bytesN`` (:mod:`ledger.indexer.words`), otherwise by one
``eth_abi.decode`` call as an array of the parameter's type, whose encoding is exactly their concatenation
behind a two-word head. Other events are decoded log by log with eth-abi. The rows stay in their columns
(:class:`EventRows`), named after the parameters in snake case: the store binds them as tuples, and
building a dict per row would cost as much as decoding it.

Each contract's logs are decoded with its own ABI (:class:`ContractsDecoder`): the ledger's timelock emits
``RoleGranted`` too, with the same topic, and its roles are not the ledger's.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.grammar import parse as parse_abi_type
from eth_utils.abi import event_abi_to_log_topic

from ledger.gcpause import gc_paused
from ledger.indexer.fetch import RawLog
from ledger.indexer.words import checksum, word_decoder


@dataclass(frozen=True, slots=True)
class EventRows:
    """The rows of one event kind, column by column: ``columns[i]`` holds the ``names[i]`` of every row."""

    names: tuple[str, ...]
    columns: tuple[Sequence[Any], ...]

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def tuples(self) -> Iterator[tuple[Any, ...]]:
        """The rows as tuples, in the order of :attr:`names`."""
        # Every column has one value per row, by construction: zip's length checks would only cost time.
        return zip(*self.columns)  # noqa: B905

    def dicts(self) -> list[dict[str, Any]]:
        """The rows as dicts keyed by column name."""
        return [dict(zip(self.names, values)) for values in self.tuples()]  # noqa: B905


def snake_case(name: str) -> str:
    """``purchaseOrderRef`` → ``purchase_order_ref``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


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


#: The head of an ABI-encoded dynamic array as the only value of a tuple: the offset of its data (32 bytes
#: on); the array's length follows, then its items.
_ARRAY_OFFSET = (32).to_bytes(32, "big")


def _decode_words(abi_type: str, words: Sequence[str]) -> list[Any]:
    """Decode 32-byte words (64 hex digits) of one static ABI type, converted for SQL: in plain Python if
    :func:`~ledger.indexer.words.word_decoder` can, else with one ``eth_abi.decode`` call: the words are
    the items of a ``T[]`` array, so prefixed with its offset and length they are its exact encoding. (A
    ``T[]`` rather than a tuple ``(T, T, …)`` or a ``T[k]``: eth-abi decodes the static items of those
    twice, and caches a decoder per length.)"""
    fast = word_decoder(abi_type)
    if fast is not None and (values := fast(words)) is not None:
        return values
    blob = b"".join((_ARRAY_OFFSET, len(words).to_bytes(32, "big"), bytes.fromhex("".join(words))))
    decoded = abi_decode([f"{abi_type}[]"], blob)[0]
    if abi_type == "address":
        return [checksum(v) for v in decoded]
    if abi_type.startswith("bytes"):  # bytesN: static
        return ["0x" + v.hex() for v in decoded]
    return list(decoded)


def _decode_column(abi_type: str, words: Sequence[str], *, prefixed: bool) -> list[Any]:
    """One parameter of many logs, given as 32-byte words of 64 hex digits (after ``0x`` if ``prefixed``),
    each distinct word decoded once: ids, donors, tokens and prices repeat across the logs of a batch, so
    most columns cost a dictionary lookup per log."""
    distinct = list(dict.fromkeys(words))
    skip = 2 if prefixed else 0
    if any(len(word) != 64 + skip or word[:skip] != "0x"[:skip] for word in distinct):
        raise ValueError(f"malformed {abi_type} word in a log: expected 64 hex digits")
    digits = [word[skip:] for word in distinct] if skip else distinct
    value_of = dict(zip(distinct, _decode_words(abi_type, digits), strict=True))
    return [value_of[word] for word in words]


class EventDecoder:
    """Decodes the logs of one contract into rows per event name."""

    def __init__(
        self, abi: Iterable[dict[str, Any]], chain_id: int, *, events: Collection[str] | None = None
    ) -> None:
        """Decode the events of ``abi`` (only those named in ``events``, if given)."""
        self.chain_id = chain_id
        self.specs: dict[str, EventSpec] = {}
        for entry in abi:
            if entry.get("type") == "event" and not entry.get("anonymous"):
                if events is not None and entry["name"] not in events:
                    continue
                spec = EventSpec.from_abi(entry)
                self.specs[spec.topic] = spec
        self.unknown = 0  # logs whose first topic is no event decoded here

    def decode(self, logs: Sequence[RawLog], timestamps: dict[int, int]) -> dict[str, EventRows]:
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
        with gc_paused():
            return {
                self.specs[topic].name: self._decode_group(self.specs[topic], group, timestamps)
                for topic, group in groups.items()
            }

    def _decode_group(self, spec: EventSpec, logs: list[RawLog], timestamps: dict[int, int]) -> EventRows:
        names: list[str] = list(_META_COLUMNS)
        columns: list[Sequence[Any]] = list(self._meta_columns(logs, timestamps))
        # Indexed parameters: each topic position, all logs at once.
        for position, (column, abi_type) in enumerate(spec.indexed, start=1):
            words = [raw["topics"][position] for raw in logs]
            names.append(column)
            if parse_abi_type(abi_type).is_dynamic:  # only its hash is logged
                columns.append(words)
            else:
                columns.append(_decode_column(abi_type, words, prefixed=True))
        # Data: column by column for static layouts, log by log otherwise.
        # A log whose data is not exactly one word per parameter (not emitted by this ABI's contract) would
        # shift every later word of a joint decode; such a group is decoded log by log instead.
        width = len(spec.data)
        names.extend(column for column, _ in spec.data)
        data = [raw["data"] for raw in logs]
        if spec.static_data and all(len(d) == 2 + 64 * width for d in data):
            for i, (_, abi_type) in enumerate(spec.data):
                lo = 2 + 64 * i
                words = [d[lo : lo + 64] for d in data]
                columns.append(_decode_column(abi_type, words, prefixed=False))
        elif width:
            types = [t for _, t in spec.data]
            decoded = [abi_decode(types, bytes.fromhex(d[2:])) for d in data]
            for i, abi_type in enumerate(types):
                columns.append([_convert(abi_type, params[i]) for params in decoded])
        return EventRows(tuple(names), tuple(columns))

    def _meta_columns(self, logs: list[RawLog], timestamps: dict[int, int]) -> Iterable[Sequence[Any]]:
        """The columns every row has, in the order of :data:`_META_COLUMNS`."""
        blocks = [int(raw["blockNumber"], 16) for raw in logs]
        stamps = [raw.get("blockTimestamp") for raw in logs]
        yield [self.chain_id] * len(logs)
        yield [checksum(raw["address"]) for raw in logs]
        yield blocks
        yield [raw["blockHash"] for raw in logs]
        yield [int(s, 16) if s else timestamps[n] for s, n in zip(stamps, blocks, strict=True)]
        yield [raw["transactionHash"] for raw in logs]
        yield [int(raw["transactionIndex"], 16) for raw in logs]
        yield [int(raw["logIndex"], 16) for raw in logs]


@dataclass(frozen=True)
class ContractEvents:
    """One contract to decode: its address, its ABI, and the table each of its events is stored in (events
    not named here are skipped)."""

    address: str
    abi: Sequence[dict[str, Any]]
    tables: Mapping[str, str]


class ContractsDecoder:
    """Decodes the logs of several contracts, each with its own ABI, into rows per table name."""

    def __init__(self, contracts: Iterable[ContractEvents], chain_id: int) -> None:
        self._decoders: dict[str, tuple[EventDecoder, Mapping[str, str]]] = {
            c.address.lower(): (EventDecoder(c.abi, chain_id, events=set(c.tables)), c.tables)
            for c in contracts
        }
        self._other = 0  # logs of no contract decoded here

    @property
    def unknown(self) -> int:
        """Logs skipped: of another contract, or of an event not decoded."""
        return self._other + sum(decoder.unknown for decoder, _ in self._decoders.values())

    def decode(self, logs: Sequence[RawLog], timestamps: dict[int, int]) -> dict[str, EventRows]:
        """Rows per table name; ``timestamps`` gives the block times that logs do not carry themselves."""
        if len(self._decoders) == 1:  # the node filtered by the one address: no need to look at each log
            [address] = self._decoders
            by_address: dict[str, Sequence[RawLog]] = {address: logs}
        else:
            groups: dict[str, list[RawLog]] = defaultdict(list)
            for raw in logs:
                groups[raw["address"].lower()].append(raw)
            by_address = dict(groups)
        rows: dict[str, EventRows] = {}
        for address, group in by_address.items():
            entry = self._decoders.get(address)
            if entry is None:
                self._other += len(group)
                continue
            decoder, tables = entry
            for event, event_rows in decoder.decode(group, timestamps).items():
                rows[tables[event]] = event_rows
        return rows


_META_COLUMNS = (
    "chain_id",
    "contract",
    "block_number",
    "block_hash",
    "block_timestamp",
    "tx_hash",
    "tx_index",
    "log_index",
)
