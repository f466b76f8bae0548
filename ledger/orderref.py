"""The purchase-order reference a payment carries on chain: ``disburse``'s ``purchaseOrderRef`` (bytes32).

A reference is at most 32 ASCII characters, stored right-padded with zero bytes, so it reads on any
explorer. The records service encodes it when an order is created, the demo when it pays, the
reconciliation and the API decode it from the mirror's ``Disbursed`` rows.
"""

from __future__ import annotations

from ledger.errors import InvalidRecordError


def order_ref(reference: str) -> str:
    """The bytes32 a payment carries for ``reference``: its ASCII bytes right-padded with zeros."""
    raw = reference.encode("ascii")
    if not 0 < len(raw) <= 32:
        raise InvalidRecordError(f"an order reference is 1 to 32 ASCII characters, got {len(raw)}")
    return "0x" + raw.ljust(32, b"\0").hex()


def reference_of(ref: str) -> str | None:
    """The readable reference inside an on-chain ``purchaseOrderRef``, or ``None`` if it is not one."""
    try:
        raw = bytes.fromhex(ref.removeprefix("0x")).rstrip(b"\0")
    except ValueError:
        return None
    if not raw or any(b < 0x20 or b > 0x7E for b in raw):
        return None
    return raw.decode("ascii")
