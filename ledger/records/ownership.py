"""Which campaign a record belongs to, and whether a key's scope may write or read it.

A purchase order belongs to its campaign; its lines, shipments, deliveries, distributions and the
documents attached to it belong to the same campaign, found through their parents (a record's parent
never changes after it is created). The rest is shared by every campaign, and guarded by its own rule:

- **Suppliers.** A supplier's wallet is where payments go (``pledgeledger pay`` reads it from the
  records), so one campaign's key must not redirect another campaign's payments. The campaigns that *use*
  a supplier are those with an order from it in the records, or whose on-chain events approved or paid
  its wallet. A scoped key may create a supplier only if every campaign using that wallet is in its scope
  (a new wallet: none), and edit one only if at least one campaign uses it and all of them are in its
  scope. A supplier no campaign uses yet is edited only with a key for all campaigns: whichever campaign
  orders from it next would trust its wallet.
- **Token names and reference prices** label and price every campaign's figures: only a key for all
  campaigns writes them.
- **Documents not attached to an order** (a hand-over certificate, say) change nothing by being stored:
  any manager key may upload one. Attaching a document to a record is a write of that record's campaign,
  and a document attached to another campaign's order cannot be used as its proof.

Reads behind a key (record history) follow the same lines: a scoped key reads the history of its
campaigns' records and of shared records, never another campaign's.
"""

from __future__ import annotations

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from ledger.db.models import Base, Disbursed, SupplierApproved
from ledger.db.records import (
    VERSIONED_RECORDS,
    Delivery,
    Distribution,
    Document,
    PurchaseOrder,
    ReferencePrice,
    Shipment,
    Supplier,
    Token,
)
from ledger.scope import KeyScope

#: Models whose records belong to one campaign, through their order.
CAMPAIGN_RECORDS: tuple[type[Base], ...] = (PurchaseOrder, Shipment, Delivery, Distribution, Document)


def record_campaign(s: Session, record: Base) -> int | None:
    """The campaign ``record`` belongs to, or ``None`` for a record shared by every campaign."""
    if isinstance(record, PurchaseOrder):
        return record.campaign_id
    statement = select(PurchaseOrder.campaign_id)
    if isinstance(record, Shipment):
        statement = statement.where(PurchaseOrder.id == record.order_id)
    elif isinstance(record, Delivery):
        statement = statement.join(Shipment, Shipment.order_id == PurchaseOrder.id).where(
            Shipment.id == record.shipment_id
        )
    elif isinstance(record, Distribution):
        statement = (
            statement.join(Shipment, Shipment.order_id == PurchaseOrder.id)
            .join(Delivery, Delivery.shipment_id == Shipment.id)
            .where(Delivery.id == record.delivery_id)
        )
    elif isinstance(record, Document) and record.order_id is not None:
        statement = statement.where(PurchaseOrder.id == record.order_id)
    else:
        return None
    return s.scalar(statement)


def _label(record: Base) -> str:
    name = "document" if isinstance(record, Document) else _type_name(record)
    return f"{name.replace('_', ' ')} {record.id}"  # type: ignore[attr-defined]


def _type_name(record: Base) -> str:
    return next(name for name, model in VERSIONED_RECORDS.items() if isinstance(record, model))


def wallet_campaigns(s: Session, wallet: str) -> set[int]:
    """Campaigns whose on-chain events approved or paid ``wallet``."""
    approved = select(SupplierApproved.campaign_id).where(SupplierApproved.supplier == wallet)
    paid = select(Disbursed.campaign_id).where(Disbursed.supplier == wallet)
    return {int(c) for c in s.scalars(union(approved, paid))}


def supplier_campaigns(s: Session, supplier: Supplier) -> set[int]:
    """Campaigns that use ``supplier``: an order from it in the records, or its wallet approved or paid on
    chain."""
    ordered = s.scalars(select(PurchaseOrder.campaign_id).where(PurchaseOrder.supplier_id == supplier.id))
    return {int(c) for c in ordered} | wallet_campaigns(s, supplier.wallet)


def authorize_write(s: Session, scope: KeyScope, record: Base) -> None:
    """Refuse (:class:`~ledger.scope.ScopeError`) unless ``scope`` may change ``record`` or add a record
    under it (a shipment under an order, a delivery under a shipment...)."""
    if scope.is_global:
        return
    if isinstance(record, Supplier):
        used = supplier_campaigns(s, record)
        if not used:
            scope.require_global(f"supplier {record.id} is used by no campaign yet")
        scope.require_every(used, f"supplier {record.id} (its wallet receives their payments)")
    elif isinstance(record, Token | ReferencePrice):
        scope.require_global(f"{_label(record)} is shared by every campaign")
    else:
        authorize_campaign_record(s, scope, record)


def authorize_new_wallet(s: Session, scope: KeyScope, wallet: str) -> None:
    """Refuse a scoped key a supplier wallet that campaigns outside its scope approved or paid on chain."""
    if not scope.is_global:
        scope.require_every(wallet_campaigns(s, wallet), f"wallet {wallet} (approved or paid on chain)")


def authorize_shared(scope: KeyScope, what: str) -> None:
    """Refuse a scoped key a new record shared by every campaign (a token name, a reference price)."""
    scope.require_global(f"{what} is shared by every campaign")


def authorize_campaign_record(s: Session, scope: KeyScope, record: Base) -> None:
    """Refuse unless ``scope`` covers the campaign of ``record`` (a record of no campaign passes)."""
    if scope.is_global:
        return
    campaign = record_campaign(s, record)
    if campaign is not None:
        scope.require(campaign, _label(record))


def authorize_history(s: Session, scope: KeyScope, record_type: str, record_id: int) -> None:
    """Refuse a scoped key the history of another campaign's record (shared records' history is open to
    every reader key; a record that does not exist is left to the history's own 404)."""
    if scope.is_global:
        return
    model = Document if record_type == "document" else VERSIONED_RECORDS.get(record_type)
    record = s.get(model, record_id) if model in CAMPAIGN_RECORDS else None
    if record is not None:
        authorize_campaign_record(s, scope, record)
