"""Calldata in words: the function a call names and its arguments, decoded with the target's ABI.

A timelock operation is only calldata on chain; people approving or watching it need ``setManager(campaign
1, 0x3C44…93BC)``. Values are rendered as strings (integers in decimal, since they may exceed what JSON
numbers hold exactly; addresses checksummed; bytes as 0x-hex), an array as a list of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils.abi import collapse_if_tuple, function_abi_to_4byte_selector
from eth_utils.address import to_checksum_address

from ledger.reads.units import NATIVE_TOKEN

#: The argument naming the campaign a ledger function acts on.
CAMPAIGN_ARGUMENT = "campaignId"

#: A rendered argument: a scalar as a string, an array as a list of its items' strings.
ArgumentValue = str | list[str]


@dataclass(frozen=True)
class Argument:
    name: str
    type: str
    value: ArgumentValue


@dataclass(frozen=True)
class DecodedFunction:
    """A call's function and arguments, as the target's ABI names them."""

    name: str
    signature: str
    arguments: tuple[Argument, ...]

    def argument(self, name: str) -> ArgumentValue | None:
        return next((a.value for a in self.arguments if a.name == name), None)

    @property
    def campaign_id(self) -> int | None:
        """The ``campaignId`` argument, if the function has one."""
        value = self.argument(CAMPAIGN_ARGUMENT)
        return int(value) if isinstance(value, str) else None

    def text(self) -> str:
        """``setManager(campaign 1, 0x3C44…93BC)``: the arguments shortened for a sentence."""
        shown = [
            f"campaign {a.value}" if a.name == CAMPAIGN_ARGUMENT else _short_value(a.type, a.value)
            for a in self.arguments
        ]
        return f"{self.name}({', '.join(shown)})"


@dataclass(frozen=True)
class _Function:
    name: str
    signature: str
    names: tuple[str, ...]
    types: tuple[str, ...]


class CallDecoder:
    """Decodes calldata with one contract's ABI."""

    def __init__(self, abi: Iterable[dict[str, Any]]) -> None:
        self._functions: dict[bytes, _Function] = {}
        for entry in abi:
            if entry.get("type") != "function":
                continue
            inputs = entry.get("inputs", [])
            types = tuple(collapse_if_tuple(p) for p in inputs)
            selector = function_abi_to_4byte_selector(entry)  # type: ignore[arg-type]
            self._functions[selector] = _Function(
                name=entry["name"],
                signature=f"{entry['name']}({','.join(types)})",
                names=tuple(p.get("name") or f"arg{i}" for i, p in enumerate(inputs)),
                types=types,
            )

    def decode(self, data: str) -> DecodedFunction | None:
        """The function and arguments of calldata ``data`` (0x-hex); None if its selector is no function of
        the ABI or its arguments do not decode."""
        try:
            raw = bytes.fromhex(data.removeprefix("0x"))
        except ValueError:
            return None
        function = self._functions.get(raw[:4]) if len(raw) >= 4 else None
        if function is None:
            return None
        try:
            values = abi_decode(list(function.types), raw[4:])
        except (DecodingError, ValueError, OverflowError):
            return None
        return DecodedFunction(
            name=function.name,
            signature=function.signature,
            arguments=tuple(
                Argument(name, kind, render_value(kind, value))
                for name, kind, value in zip(function.names, function.types, values, strict=True)
            ),
        )


def _plain(kind: str, value: Any) -> Any:
    """A decoded value as JSON-ready data: strings for scalars, lists for arrays and tuples."""
    if isinstance(value, list | tuple):
        return [_plain(kind, v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str) and kind.startswith("address"):
        return to_checksum_address(value)
    return str(value)


def render_value(kind: str, value: Any) -> ArgumentValue:
    """A decoded argument as a string, or an array as a list of strings (nested items as JSON text)."""
    plain = _plain(kind, value)
    if isinstance(plain, list):
        return [item if isinstance(item, str) else json.dumps(item) for item in plain]
    return str(plain)


def short_address(address: str) -> str:
    """``0x3C44…93BC``; the zero address stays recognisable."""
    return "0x0" if address == NATIVE_TOKEN else f"{address[:6]}…{address[-4:]}"


def _short_value(kind: str, value: ArgumentValue) -> str:
    if isinstance(value, list):
        return f"[{len(value)} item{'' if len(value) == 1 else 's'}]"
    if kind == "address":
        return short_address(value)
    if kind.startswith("bytes") and len(value) > 14:
        return f"{value[:10]}…"
    if kind == "string":
        return json.dumps(value if len(value) <= 40 else value[:39] + "…", ensure_ascii=False)
    return value


def selector_text(data: str) -> str:
    """The 4-byte selector of undecoded calldata, or a note that it has none."""
    return data[:10] if len(data) >= 10 else "no function (a plain transfer)"


def short_calls(texts: Sequence[str]) -> str:
    """Calls in a sentence: ``a(…)``, ``a(…) and b(…)``, ``a(…), b(…) and c(…)``."""
    if len(texts) <= 1:
        return "".join(texts)
    return ", ".join(texts[:-1]) + " and " + texts[-1]
