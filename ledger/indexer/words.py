"""Static ABI words decoded in plain Python: the common types of event parameters, without eth-abi.

A static parameter is one 32-byte word, 64 hex digits in a log. eth-abi reads each through a stack of
decoder objects (microseconds per word); an integer is one ``int(word, 16)`` and an address or a ``bytesN``
one slice. These decoders take words already known to be 64 characters long and accept exactly what eth-abi
accepts. Anything else (a non-hex digit, non-zero padding, a value out of its type's range) makes them
return None, and the caller decodes the words with eth-abi instead, which raises its own precise error.
Types without a decoder here (``fixed``, ``function``) always go through eth-abi.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from eth_utils.address import to_checksum_address

#: Decodes distinct 64-digit words of one type; None: let eth-abi decode them.
WordDecoder = Callable[[Sequence[str]], list[Any] | None]

_UINT, _INT, _BYTES = re.compile(r"uint(\d+)"), re.compile(r"int(\d+)"), re.compile(r"bytes(\d+)")
_ZEROS = "0" * 64


@lru_cache(maxsize=65_536)
def checksum(address: str) -> str:
    """EIP-55 form, cached: a ledger sees the same few thousand addresses again and again."""
    return to_checksum_address(address)


@lru_cache(maxsize=256)
def word_decoder(abi_type: str) -> WordDecoder | None:
    """The plain decoder of a static ABI type, if it has one."""
    if abi_type == "address":
        return _addresses
    if abi_type == "bool":
        return _bools
    if (m := _UINT.fullmatch(abi_type)) and _bits(m[1]):
        return _uints(int(m[1]))
    if (m := _INT.fullmatch(abi_type)) and _bits(m[1]):
        return _ints(int(m[1]))
    if (m := _BYTES.fullmatch(abi_type)) and 1 <= int(m[1]) <= 32:
        return _bytes(int(m[1]))
    return None


def _bits(size: str) -> bool:
    return 8 <= int(size) <= 256 and int(size) % 8 == 0


def _alphanumeric(words: Sequence[str]) -> bool:
    """Whether every word is ASCII letters and digits only. ``int(word, 16)`` also takes a sign, underscores,
    blanks and non-ASCII digits, which eth-abi refuses; it refuses letters beyond f itself."""
    joined = "".join(words)
    return not joined or (joined.isascii() and joined.isalnum())


def _hex(words: Sequence[str]) -> bool:
    """Whether every word is hex digits only."""
    if not _alphanumeric(words):
        return False
    try:
        bytes.fromhex("".join(words))  # no blanks (they would pass here): the words are alphanumeric
    except ValueError:
        return False
    return True


def _integers(words: Sequence[str]) -> list[int] | None:
    if not _alphanumeric(words):
        return None
    try:
        return [int(word, 16) for word in words]
    except ValueError:  # a letter beyond f
        return None


def _uints(bits: int) -> WordDecoder:
    def decode(words: Sequence[str]) -> list[Any] | None:
        values = _integers(words)
        if values is None or (bits < 256 and values and max(values) >> bits):
            return None  # non-zero padding
        return values

    return decode


def _ints(bits: int) -> WordDecoder:
    low, high = -(1 << (bits - 1)), 1 << (bits - 1)

    def decode(words: Sequence[str]) -> list[Any] | None:
        values = _integers(words)
        if values is None:
            return None
        values = [v - (1 << 256) if v >> 255 else v for v in values]  # two's complement
        if bits < 256 and values and not (low <= min(values) and max(values) < high):
            return None  # padding other than the sign's
        return values

    return decode


def _addresses(words: Sequence[str]) -> list[Any] | None:
    if not _hex(words) or any(word[:24] != _ZEROS[:24] for word in words):
        return None
    return [checksum("0x" + word[24:]) for word in words]


def _bools(words: Sequence[str]) -> list[Any] | None:
    values = _integers(words)
    if values is None or (values and max(values) > 1):
        return None
    return [value == 1 for value in values]


def _bytes(size: int) -> WordDecoder:
    digits = 2 * size

    def decode(words: Sequence[str]) -> list[Any] | None:
        if not _hex(words) or any(word[digits:] != _ZEROS[digits:] for word in words):
            return None  # not hex, or non-zero padding
        return ["0x" + word[:digits].lower() for word in words]

    return decode
