"""Types shared by every response model: uint256 values as decimal strings, addresses, errors, pages."""

from __future__ import annotations

from typing import Annotated, Any

from eth_utils.address import to_checksum_address
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints

#: A uint256 (token base units, USD with 8 decimals, ids): an ``int`` in Python, a decimal string in JSON,
#: since JSON numbers lose precision past 2**53 in most clients.
UintStr = Annotated[
    int,
    PlainSerializer(str, return_type=str, when_used="always"),
    Field(json_schema_extra={"pattern": "^[0-9]+$"}),
]
#: An EVM address in any case, checksummed once validated.
Address = Annotated[
    str,
    StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$"),
    AfterValidator(to_checksum_address),
]
#: 32 bytes as 0x-hex (transaction hashes, purchase order references, invoice hashes).
Bytes32 = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{64}$"), AfterValidator(str.lower)]


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


class ChainRef(PublicModel):
    """Where on the chain an event was emitted: the proof anyone can look up."""

    chain_id: int
    block_number: int
    block_timestamp: int
    tx_hash: str
    log_index: int
