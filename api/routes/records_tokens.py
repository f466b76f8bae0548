"""Token names: the symbol people know a token address by (the chain's events carry only the address)."""

from __future__ import annotations

from api.routes.records_common import RecordFilters, record_router
from api.schemas.records import TokensPublic
from ledger.records.schemas import ChecksumAddress


class TokenFilters(RecordFilters):
    address: ChecksumAddress | None = None


router = record_router("/tokens", "token", TokensPublic, TokenFilters, summary="List token names")
