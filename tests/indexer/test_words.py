"""The plain word decoders agree with eth-abi: the same values for what it accepts, and None (so that
eth-abi decodes, and raises) for everything it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.indexer.words import checksum, word_decoder

TYPES = ["uint8", "uint40", "uint80", "uint256", "int8", "int24", "int256", "address", "bool", "bytes1"]
TYPES += ["bytes20", "bytes32"]


def _eth_abi(abi_type: str, word: str) -> Any:
    """What the indexer made of a word with eth-abi alone; an exception if eth-abi refuses it."""
    value = abi_decode([abi_type], bytes.fromhex(word))[0]
    if abi_type == "address":
        return checksum(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def _agrees(abi_type: str, word: str) -> None:
    decoder = word_decoder(abi_type)
    assert decoder is not None
    fast = decoder([word])
    try:
        expected = _eth_abi(abi_type, word)
    except Exception:
        assert fast is None, f"{abi_type} {word}: eth-abi refuses it, the plain decoder gave {fast}"
        return
    assert fast == [expected], f"{abi_type} {word}"


def _valid_value(abi_type: str) -> st.SearchStrategy[Any]:
    if abi_type == "address":
        return st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
    if abi_type == "bool":
        return st.booleans()
    if abi_type.startswith("bytes"):
        size = int(abi_type[5:])
        return st.binary(min_size=size, max_size=size)
    bits = int(abi_type.lstrip("uint"))
    if abi_type.startswith("uint"):
        return st.integers(0, 2**bits - 1)
    return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


@pytest.mark.parametrize("abi_type", TYPES)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_valid_words_decode_as_eth_abi_decodes_them(abi_type: str, data: st.DataObject) -> None:
    word = abi_encode([abi_type], [data.draw(_valid_value(abi_type))]).hex()
    decoder = word_decoder(abi_type)
    assert decoder is not None
    assert decoder([word]) == [_eth_abi(abi_type, word)]
    assert decoder([word.upper()]) == [_eth_abi(abi_type, word)]


@pytest.mark.parametrize("abi_type", TYPES)
@settings(max_examples=200, deadline=None)
@given(
    raw=st.binary(min_size=32, max_size=32), fill=st.sampled_from([0x00, 0xFF, None]), cut=st.integers(0, 32)
)
def test_any_word_decodes_as_eth_abi_or_not_at_all(
    abi_type: str, raw: bytes, fill: int | None, cut: int
) -> None:
    # Random words rarely have valid padding: half of them get runs of zeros or ones at either end.
    if fill is not None:
        raw = bytes([fill]) * cut + raw[cut:] if cut % 2 else raw[: 32 - cut] + bytes([fill]) * cut
    _agrees(abi_type, raw.hex())


@pytest.mark.parametrize("abi_type", TYPES)
@pytest.mark.parametrize(
    "junk", ["_1", " 1", "1 ", "+1", "-1", "0x", "g1", "٣٣", "１１", "\t1", "1\n"], ids=repr
)
def test_words_int_would_take_but_eth_abi_refuses_are_left_to_eth_abi(abi_type: str, junk: str) -> None:
    word = "0" * (64 - len(junk)) + junk
    assert len(word) == 64
    decoder = word_decoder(abi_type)
    assert decoder is not None
    assert decoder([word]) is None
    assert decoder(["0" * 64, word]) is None


def test_types_without_a_plain_decoder() -> None:
    for abi_type in ("fixed128x18", "ufixed128x18", "function", "uint7", "uint264", "bytes0", "bytes33"):
        assert word_decoder(abi_type) is None
