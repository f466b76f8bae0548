"""The bytes32 purchase-order reference a payment carries on chain, and its readable text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import InvalidRecordError
from ledger.orderref import order_ref, reference_of


@settings(max_examples=200, derandomize=True)
@given(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=32))
def test_an_order_reference_reads_back_from_its_bytes32(reference: str) -> None:
    ref = order_ref(reference)
    assert len(ref) == 66
    assert reference_of(ref) == reference


def test_a_reference_longer_than_32_bytes_cannot_go_on_chain() -> None:
    with pytest.raises(InvalidRecordError):
        order_ref("x" * 33)
    assert reference_of("0x" + "ff" * 32) is None
