"""Query and path parameters shared by the routes, each with its bounds and a description."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

from api.schemas.common import MAX_UINT256, Address, Bytes32


def _without_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError("must not contain NUL (\\u0000) characters")
    return value


CampaignIdPath = Annotated[int, Path(ge=0, le=MAX_UINT256, description="The campaign's id on chain")]
RoundIdPath = Annotated[int, Path(ge=0, le=MAX_UINT256, description="The round's id within its campaign")]
CampaignFilter = Annotated[int | None, Query(ge=0, le=MAX_UINT256, description="Only this campaign")]
RoundFilter = Annotated[int | None, Query(ge=0, le=MAX_UINT256, description="Only this round")]
DonorFilter = Annotated[Address | None, Query(description="Only this donor (any case; 0x + 40 hex digits)")]
TokenFilter = Annotated[
    Address | None, Query(description="Only this token (0x000…000 for native ETH; any case)")
]
SupplierFilter = Annotated[Address | None, Query(description="Only payments to this supplier's wallet")]
OrderRefFilter = Annotated[
    Bytes32 | None, Query(description="Only payments carrying this purchase order reference (bytes32 0x-hex)")
]
#: Free text compared with stored text (PostgreSQL text cannot hold NUL: it is bad input, never a 500).
TextFilter = Annotated[str | None, Query(max_length=200), AfterValidator(_without_nul)]
