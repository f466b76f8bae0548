"""Types shared by every response model: uint256 values as decimal strings, addresses, errors, pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from eth_utils.address import to_checksum_address
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
BYTES32_PATTERN = r"^0x[0-9a-fA-F]{64}$"
#: Largest uint256, the bound of every on-chain integer.
MAX_UINT256 = 2**256 - 1


def _address(value: str) -> str:
    if not re.fullmatch(ADDRESS_PATTERN, value):
        raise ValueError(f"{value!r} is not an address: expected 0x followed by 40 hex digits")
    return to_checksum_address(value)


def _bytes32(value: str) -> str:
    if not re.fullmatch(BYTES32_PATTERN, value):
        raise ValueError(f"{value!r} is not 32 bytes: expected 0x followed by 64 hex digits")
    return value.lower()


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


#: A time with its zone: SQLite hands back naive datetimes for ``DateTime(timezone=True)`` columns, and
#: everything stored is UTC, so a naive value is UTC (RFC 3339 ``date-time`` needs the offset).
UtcDatetime = Annotated[datetime, AfterValidator(_utc)]

#: A uint256 (token base units, USD with 8 decimals): an ``int`` in Python, a decimal string in JSON,
#: since JSON numbers lose precision past 2**53 in most clients.
UintStr = Annotated[
    int,
    PlainSerializer(str, return_type=str, when_used="always"),
    WithJsonSchema({"type": "string", "pattern": "^[0-9]+$"}, mode="serialization"),
]
#: An EVM address in any case, checksummed once validated.
Address = Annotated[
    str, AfterValidator(_address), WithJsonSchema({"type": "string", "pattern": ADDRESS_PATTERN})
]
#: 32 bytes as 0x-hex (transaction hashes, purchase order references, invoice hashes), lower case.
Bytes32 = Annotated[
    str, AfterValidator(_bytes32), WithJsonSchema({"type": "string", "pattern": BYTES32_PATTERN})
]
#: How settled an event is: ``final`` at or below the finalized block, ``confirmed`` once enough blocks
#: are on top (setting ``confirmation_depth``), else ``pending`` (a reorganisation may still drop it).
#: While the indexer is halted (``/status``), every event is ``pending``: the chain no longer holds the
#: whole mirror.
Confirmation = Literal["pending", "confirmed", "final"]


class PublicModel(BaseModel):
    """Base of the response models: built from ORM rows or dicts, fields serialised as declared."""

    model_config = ConfigDict(from_attributes=True)


class ErrorBody(BaseModel):
    """Every error answer: what went wrong, in a sentence."""

    detail: str = Field(description="What is wrong, and where")
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="For invalid input: each problem with its location (`loc`) and message"
    )


class Page(BaseModel):
    """Keyset pagination: pass ``next_cursor`` back as ``cursor`` for the next page; ``null`` at the end."""

    next_cursor: str | None = Field(description="Cursor of the next page, or null on the last page")


class ChainEventPublic(PublicModel):
    """Where on the chain an event was emitted (the proof anyone can look up) and how settled it is."""

    id: int = Field(description="Row id: increases in chain order")
    chain_id: int
    block_number: int
    block_timestamp: int = Field(description="Unix time of the block")
    tx_hash: str
    log_index: int
    confirmation: Confirmation
