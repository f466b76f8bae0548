"""Off-chain procurement records: suppliers, purchase orders, documents, shipments, deliveries,
distributions, reference prices and token names, with the history of every edit and the API keys.

These tables are written only through :mod:`ledger.records` (used by the API and the CLI), never by the
indexer. Each record carries a ``version`` that grows by one per edit; every create and edit also writes
a :class:`RecordVersion` holding who, when and the values before and after, in the same transaction.
Quantities are integers, prices are ``Decimal`` (``NUMERIC``), crypto amounts are token base units.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ledger.db.models import Address, Base, Hash, RowId
from ledger.db.types import ExactDecimal, Uint256

#: Prices and document amounts: 38 significant digits, 8 after the point (enough for any fiat or USD
#: price with sub-cent precision), exact on both backends.
Money = ExactDecimal()

API_ROLES = ("manager", "auditor")


class Versioned:
    """Columns every editable record has."""

    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Name of the API key (or CLI user) that made the last change.
    updated_by: Mapped[str] = mapped_column(String(100))


class Supplier(Versioned, Base):
    """A manufacturer or vendor; ``wallet`` is where the contract pays it (checksummed)."""

    __tablename__ = "suppliers"
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    wallet: Mapped[str] = mapped_column(Address, unique=True)
    vetting_status: Mapped[str] = mapped_column(String(20), default="pending")
    notes: Mapped[str] = mapped_column(Text, default="")


class ReferencePrice(Versioned, Base):
    """What one unit of an item normally costs; orders far above it are flagged."""

    __tablename__ = "reference_prices"
    __table_args__ = (UniqueConstraint("item", "unit", "currency"),)
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    item: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(10))
    unit_price: Mapped[Decimal] = mapped_column(Money)
    source: Mapped[str] = mapped_column(Text, default="")
    as_of: Mapped[date | None] = mapped_column(Date, nullable=True)


class PurchaseOrder(Versioned, Base):
    """An order placed with a supplier for a campaign.

    ``reference`` is what the manager passes to ``disburse`` as ``purchaseOrderRef``: at most 32 ASCII
    characters, stored on chain right-padded with zero bytes (``order_ref``), so it reads on any explorer.
    ``payment_token``/``payment_amount`` are the agreed price in crypto, in the token's base units: the
    reconciliation compares what was paid against it exactly.
    """

    __tablename__ = "purchase_orders"
    __table_args__ = (
        UniqueConstraint("campaign_id", "reference"),
        UniqueConstraint("campaign_id", "order_ref"),
    )
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(BigInteger, index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    reference: Mapped[str] = mapped_column(String(32))
    order_ref: Mapped[str] = mapped_column(Hash)
    payment_token: Mapped[str] = mapped_column(Address)
    payment_amount: Mapped[int] = mapped_column(Uint256)
    issued_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    notes: Mapped[str] = mapped_column(Text, default="")

    supplier: Mapped[Supplier] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.line_no", cascade="all, delete-orphan"
    )


class OrderLine(Base):
    """One item of an order. Lines are part of their order's version history."""

    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("quantity > 0", name="positive_quantity"),
    )
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit: Mapped[str] = mapped_column(String(40))
    unit_price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(10))

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")


class Document(Base):
    """A stored file (invoice, bill of lading, delivery note, hand-over certificate) and its SHA-256.

    Documents are immutable: the hash is what goes on chain (an invoice's hash is the ``invoiceHash`` of
    its payment), so the same content is stored once. The bytes are loaded only when asked for.
    """

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(30))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id"), nullable=True, index=True)
    #: An invoice's total, in ``currency``.
    amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(10), nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Shipment(Versioned, Base):
    """Goods of one order leaving the supplier (e.g. the masks flown from Beijing)."""

    __tablename__ = "shipments"
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id"), index=True)
    reference: Mapped[str] = mapped_column(String(100), default="")
    carrier: Mapped[str] = mapped_column(String(200), default="")
    origin: Mapped[str] = mapped_column(String(200))
    destination: Mapped[str] = mapped_column(String(200))
    shipped_on: Mapped[date] = mapped_column(Date)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)

    items: Mapped[list[ShipmentItem]] = relationship(
        order_by="ShipmentItem.order_line_id", cascade="all, delete-orphan", lazy="selectin"
    )


class ShipmentItem(Base):
    __tablename__ = "shipment_items"
    __table_args__ = (
        UniqueConstraint("shipment_id", "order_line_id"),
        CheckConstraint("quantity > 0", name="positive_quantity"),
    )
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    quantity: Mapped[int] = mapped_column(BigInteger)


class Delivery(Versioned, Base):
    """A shipment received by its consignee, with the proof (delivery note or hand-over certificate)."""

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    consignee: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200))
    delivered_on: Mapped[date] = mapped_column(Date)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)

    items: Mapped[list[DeliveryItem]] = relationship(
        order_by="DeliveryItem.order_line_id", cascade="all, delete-orphan", lazy="selectin"
    )


class DeliveryItem(Base):
    __tablename__ = "delivery_items"
    __table_args__ = (
        UniqueConstraint("delivery_id", "order_line_id"),
        CheckConstraint("quantity > 0", name="positive_quantity"),
    )
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    quantity: Mapped[int] = mapped_column(BigInteger)


class Distribution(Versioned, Base):
    """Part of a delivery handed on to a final recipient (e.g. one of WAHO's 15 member states)."""

    __tablename__ = "distributions"
    __table_args__ = (CheckConstraint("quantity > 0", name="positive_quantity"),)
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(BigInteger)
    distributed_on: Mapped[date] = mapped_column(Date)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)


class Token(Versioned, Base):
    """What people call a token (e.g. USDC): the chain's ``TokenAccepted`` carries only its address, and
    the indexer makes no calls to read a symbol, so the organisation records it here."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    address: Mapped[str] = mapped_column(Address, unique=True)
    symbol: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200), default="")


class RecordVersion(Base):
    """One create or edit of an off-chain record: who, when, and the values before and after."""

    __tablename__ = "record_versions"
    __table_args__ = (
        UniqueConstraint("record_type", "record_id", "version"),
        Index("ix_record_versions_changed_at", "changed_at"),
    )
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(10))
    actor: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: The record's values before the change (``None`` for a create) and after it, as JSON.
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)


class ApiKey(Base):
    """An API key: only its SHA-256 is stored; ``prefix`` (the start of the key) finds it and names it in
    logs without revealing it.

    Its scope: ``all_campaigns`` true for every campaign, else exactly the campaigns of ``campaigns`` (a
    scoped key without rows acts on none: the scope fails closed).
    """

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    all_campaigns: Mapped[bool] = mapped_column(Boolean)

    campaigns: Mapped[list[ApiKeyCampaign]] = relationship(
        order_by="ApiKeyCampaign.campaign_id", cascade="all, delete-orphan", lazy="selectin"
    )


class ApiKeyCampaign(Base):
    """One campaign a scoped API key may act on."""

    __tablename__ = "api_key_campaigns"
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


#: Editable records by the name used in their history and in the API.
VERSIONED_RECORDS: dict[str, type[Base]] = {
    "supplier": Supplier,
    "reference_price": ReferencePrice,
    "order": PurchaseOrder,
    "shipment": Shipment,
    "delivery": Delivery,
    "distribution": Distribution,
    "token": Token,
}
