"""Writes of off-chain records, each with its version history, inside the caller's transaction: the one
door the API and the CLI write records through.

Every function takes a :class:`~sqlalchemy.orm.Session` whose transaction the caller owns
(``with write_session(engine) as s: ...``, see :func:`ledger.db.session.write_session`) so that a refused
write leaves nothing behind: a function either returns the stored record, flushed, or raises a
:class:`~ledger.errors.RecordError` and the caller's transaction rolls back. Every write takes the
``scope`` of the key it is made with and refuses (:class:`~ledger.scope.ScopeError`) a record of a
campaign outside it; callers with the database in hand (CLI, scripts) act on every campaign, the default.

Each rule lives in one module, gathered here:

- :mod:`ledger.records.versions`: versions, history and edits of a stale version (409);
- :mod:`ledger.records.ownership`: which campaign a record belongs to, and who may write it;
- :mod:`ledger.records.shared`: suppliers, reference prices, token names;
- :mod:`ledger.records.orders`: purchase orders and their lines;
- :mod:`ledger.records.custody`: shipments, deliveries, distributions and the quantity limits along
  the chain of custody, under locks;
- :mod:`ledger.records.documents`: stored files and their SHA-256.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ledger.records.custody import (
    create_delivery,
    create_distribution,
    create_shipment,
    update_delivery,
    update_distribution,
    update_shipment,
)
from ledger.records.documents import DEFAULT_DOCUMENT_MAX_BYTES, DELIVERY_PROOF_KINDS, add_document
from ledger.records.orders import create_order, update_order
from ledger.records.shared import (
    create_reference_price,
    create_supplier,
    create_token,
    update_reference_price,
    update_supplier,
    update_token,
)
from ledger.records.versions import HISTORY_TYPES, history, snapshot

#: Each editable kind's create and edit, by the name its history uses (the API builds its routes from them).
WRITES: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "supplier": (create_supplier, update_supplier),
    "reference_price": (create_reference_price, update_reference_price),
    "order": (create_order, update_order),
    "shipment": (create_shipment, update_shipment),
    "delivery": (create_delivery, update_delivery),
    "distribution": (create_distribution, update_distribution),
    "token": (create_token, update_token),
}

__all__ = [
    "DEFAULT_DOCUMENT_MAX_BYTES",
    "DELIVERY_PROOF_KINDS",
    "HISTORY_TYPES",
    "WRITES",
    "add_document",
    "create_delivery",
    "create_distribution",
    "create_order",
    "create_reference_price",
    "create_shipment",
    "create_supplier",
    "create_token",
    "history",
    "snapshot",
    "update_delivery",
    "update_distribution",
    "update_order",
    "update_reference_price",
    "update_shipment",
    "update_supplier",
    "update_token",
]
