"""The records every campaign shares: suppliers, reference prices and token names.

Who may write them is in :mod:`ledger.records.ownership`: a supplier by a key whose scope covers every
campaign using its wallet, a reference price or a token name only by a key for all campaigns. Each kind
has one natural key (a supplier's wallet; a price's item, unit and currency; a token's address) and a
second record with the same key is a conflict (409): edit the first instead.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.db.records import ReferencePrice, Supplier, Token
from ledger.errors import RecordConflictError
from ledger.records.ownership import authorize_new_wallet, authorize_shared
from ledger.records.schemas import (
    ReferencePriceCreate,
    ReferencePriceUpdate,
    SupplierCreate,
    SupplierUpdate,
    TokenCreate,
    TokenUpdate,
)
from ledger.records.versions import create_record, edited_values, finish_edit, plain_update, start_edit
from ledger.scope import EVERY_CAMPAIGN, KeyScope

# ─── suppliers ──────────────────────────────────────────────────────────────────────────────────────────


def create_supplier(
    s: Session, *, data: SupplierCreate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> Supplier:
    """Register a supplier; its wallet must not belong to another supplier."""
    authorize_new_wallet(s, scope, data.wallet)
    _unique_wallet(s, data.wallet, None)
    return create_record(s, Supplier(**data.model_dump()), actor=actor)


def update_supplier(
    s: Session, *, record_id: int, changes: SupplierUpdate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> Supplier:
    supplier, before = start_edit(s, Supplier, record_id, changes.version, scope)
    values = edited_values(changes)
    if "wallet" in values:
        authorize_new_wallet(s, scope, values["wallet"])
        _unique_wallet(s, values["wallet"], record_id)
    return finish_edit(s, supplier, before, values, actor=actor)


def _unique_wallet(s: Session, wallet: str, own_id: int | None) -> None:
    other = s.scalar(select(Supplier.id).where(Supplier.wallet == wallet))
    if other is not None and other != own_id:
        raise RecordConflictError(f"wallet {wallet} already belongs to supplier {other}")


# ─── reference prices ─────────────────────────────────────────────────────────────────────────────────


def create_reference_price(
    s: Session, *, data: ReferencePriceCreate, actor: str, scope: KeyScope = EVERY_CAMPAIGN
) -> ReferencePrice:
    """Record what one unit of an item normally costs (one price per item, unit and currency)."""
    authorize_shared(scope, "a reference price")
    clash = s.scalar(
        select(ReferencePrice.id).where(
            ReferencePrice.item == data.item,
            ReferencePrice.unit == data.unit,
            ReferencePrice.currency == data.currency,
        )
    )
    if clash is not None:
        raise RecordConflictError(
            f"a reference price for {data.item!r} per {data.unit} in {data.currency} exists already "
            f"(reference price {clash}): edit it instead"
        )
    return create_record(s, ReferencePrice(**data.model_dump()), actor=actor)


update_reference_price = plain_update(ReferencePrice, ReferencePriceUpdate)


# ─── token names ──────────────────────────────────────────────────────────────────────────────────────────


def create_token(s: Session, *, data: TokenCreate, actor: str, scope: KeyScope = EVERY_CAMPAIGN) -> Token:
    """Name a token by its address (one record per address; the address cannot be edited)."""
    authorize_shared(scope, "a token name")
    other = s.scalar(select(Token.id).where(Token.address == data.address))
    if other is not None:
        raise RecordConflictError(
            f"token {data.address} is recorded already (token {other}): edit it instead"
        )
    return create_record(s, Token(**data.model_dump()), actor=actor)


update_token = plain_update(Token, TokenUpdate)
