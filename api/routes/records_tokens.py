"""Token names: the symbol people know a token address by (the chain's events carry only the address)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from api.deps import SessionDep
from api.pagination import PageDep, keyset_page, where_equal
from api.routes.records_common import add_record_routes
from api.schemas.records import TokenPublic, TokensPublic
from ledger.db.records import Token
from ledger.records import service
from ledger.records.schemas import ChecksumAddress, TokenCreate, TokenUpdate

router = APIRouter(prefix="/tokens", tags=["records"])


@router.get("", response_model=TokensPublic, summary="List token names")
def list_tokens(
    session: SessionDep,
    page: PageDep,
    address: ChecksumAddress | None = None,
) -> TokensPublic:
    statement = where_equal(select(Token), Token, address=address)
    rows, next_cursor = keyset_page(session, statement, Token.id, limit=page.limit, cursor=page.cursor)
    return TokensPublic(data=[TokenPublic.model_validate(r) for r in rows], next_cursor=next_cursor)


add_record_routes(
    router,
    label="token",
    model=Token,
    public=TokenPublic,
    create_schema=TokenCreate,
    update_schema=TokenUpdate,
    create=service.create_token,
    update=service.update_token,
)
