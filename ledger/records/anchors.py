"""What the chain anchors of a record: one canonical hash per kind, so that the manager who approves a
supplier on chain and the auditor who checks it later hash the very same bytes.

A supplier's anchor covers what vetting decided (who, where, which wallet, the vetting outcome) and the
record's version, so that any later edit of those fields shows as a different hash than the one approved.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from eth_utils.address import to_checksum_address

#: The supplier fields the anchor covers, in the record's own names.
SUPPLIER_ANCHOR_FIELDS = ("id", "name", "country", "wallet", "vetting_status", "version")


def supplier_anchor(supplier: Mapping[str, Any] | Any) -> dict[str, Any]:
    """The anchored fields of a supplier record (a stored record, or its JSON from the API)."""
    fields: dict[str, Any] = {
        name: supplier[name] if isinstance(supplier, Mapping) else getattr(supplier, name)
        for name in SUPPLIER_ANCHOR_FIELDS
    }
    fields["wallet"] = to_checksum_address(fields["wallet"])
    fields["id"], fields["version"] = int(fields["id"]), int(fields["version"])
    return fields


def supplier_record_hash(supplier: Mapping[str, Any] | Any) -> bytes:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of :func:`supplier_anchor`."""
    canonical = json.dumps(
        supplier_anchor(supplier), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).digest()
