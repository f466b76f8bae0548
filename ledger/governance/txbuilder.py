"""Batches of calls as the Safe{Wallet} Transaction Builder app reads and writes them, and their execution by
a Safe's owners.

``--unsigned FILE`` writes what a command would send as a Transaction Builder *batch file*, which a Safe's
owners import in Safe{Wallet} ("Transaction Builder" app, "drag and drop a JSON file") to sign it there. The
format is the app's own (``safe-global/safe-react-apps``, ``apps/tx-builder``: ``BatchFile`` in
``src/typings/models.ts``, written by ``generateBatchFile``/``addChecksum`` and read by ``initializeBatch`` in
``src/store/transactionLibraryContext.tsx``)::

    {"version": "1.0", "chainId": "31337", "createdAt": 1700000000000,
     "meta": {"name": ..., "description": ..., "txBuilderVersion": "1.18.3",
              "createdFromSafeAddress": "0x...", "createdFromOwnerAddress": "", "checksum": "0x..."},
     "transactions": [{"to": "0x...", "value": "0", "data": "0x...",
                       "contractMethod": null, "contractInputsValues": null}]}

Each transaction carries its calldata in ``data``, as the app writes a "custom data" transaction (the app uses
``data`` whenever it is set; ``contractMethod``/``contractInputsValues`` only describe a call it must encode
itself). Files the app wrote that way are read too (:func:`read_batch`, elementary argument types only).

The checksum is the app's ``calculateChecksum`` (``src/lib/checksum.ts``): keccak-256 of the UTF-8 bytes of
an idiosyncratic serialisation of the whole file with ``meta.name`` set to ``null`` and without
``meta.checksum`` -- an object is ``{`` + the JSON array of its sorted keys + each value's serialisation
followed by ``,`` + ``}``, an array is ``[`` + its items' serialisations joined by ``,`` + ``]``, anything
else is its ``JSON.stringify``. Renaming a batch keeps it valid; any other change breaks the checksum, which
the app warns about and :func:`read_batch` refuses.

How a Safe runs a batch, as Safe{Wallet} does: :mod:`ledger.governance.multisend`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.address import is_address, to_checksum_address
from eth_utils.crypto import keccak

from ledger.client.calls import Call
from ledger.errors import BatchChecksumError, BatchFileError, WrongChainError

#: The batch file format version the Transaction Builder writes and reads.
BATCH_VERSION = "1.0"
#: The Transaction Builder release whose format this module writes (``apps/tx-builder/package.json``).
TX_BUILDER_VERSION = "1.18.3"

_HEX = re.compile(r"0x(?:[0-9a-fA-F]{2})*")
_DECIMAL = re.compile(r"[0-9]+")
_INTEGER_TYPE = re.compile(r"u?int([0-9]*)")
_BYTES_N = re.compile(r"bytes([1-9]|[12][0-9]|3[0-2])")
#: Integers beyond this lose precision in JavaScript, where the app parses the file.
_JS_SAFE_INTEGER = 2**53


@dataclass(frozen=True)
class Batch:
    """A Transaction Builder batch: its calls, for one chain (and, if the file says so, one Safe)."""

    chain_id: int
    calls: tuple[Call, ...]
    name: str = ""
    description: str = ""
    #: The Safe the batch was made for (``meta.createdFromSafeAddress``), if the file names one.
    safe: str | None = None
    #: Milliseconds since the epoch (``createdAt``).
    created_at: int = 0
    checksum: str | None = None


# ─── the checksum ────────────────────────────────────────────────────────────────────────────────────


def _js_number(number: float) -> str:
    """JavaScript's ``Number.prototype.toString`` of a finite number (what ``JSON.stringify`` writes)."""
    if number == 0:
        return "0"
    if number < 0:
        return "-" + _js_number(-number)
    # repr() gives the shortest digits that round-trip, as JavaScript does; only the layout differs.
    mantissa, _, exponent = repr(float(number)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    every = whole + fraction
    leading_zeros = len(every) - len(every.lstrip("0"))
    digits = every.strip("0")
    point = len(whole) + int(exponent or 0) - leading_zeros  # where the decimal point falls in ``digits``
    if len(digits) <= point <= 21:
        return digits + "0" * (point - len(digits))
    if 0 < point <= 21:
        return digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return "0." + "0" * -point + digits
    shown = point - 1
    tail = "." + digits[1:] if len(digits) > 1 else ""
    return f"{digits[0]}{tail}e{'+' if shown > 0 else '-'}{abs(shown)}"


def _json(value: Any) -> str:
    """``JSON.stringify`` of a JSON scalar (no spaces, non-ASCII kept as is, numbers as JavaScript writes
    them after ``JSON.parse``)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            raise ValueError(f"{value} is not a JSON number")
        if isinstance(value, int) and abs(value) < _JS_SAFE_INTEGER:
            return str(value)
        return _js_number(float(value))
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _js_key_order(key: str) -> bytes:
    """JavaScript's default sort compares UTF-16 code units."""
    return key.encode("utf-16-be")


def serialize_for_checksum(value: Any) -> str:
    """The Transaction Builder's ``serializeJSONObject``: objects as their sorted keys then their values."""
    if isinstance(value, list):
        return "[" + ",".join(serialize_for_checksum(item) for item in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=_js_key_order)
        return (
            "{"
            + "["
            + ",".join(_json(k) for k in keys)
            + "]"
            + "".join(serialize_for_checksum(value[k]) + "," for k in keys)
            + "}"
        )
    return _json(value)


def batch_checksum(document: Mapping[str, Any]) -> str:
    """The checksum the Transaction Builder computes of a batch file (``calculateChecksum``): ``0x``-prefixed
    keccak-256 of :func:`serialize_for_checksum` of the file with ``meta.name`` null and no
    ``meta.checksum``."""
    meta = {k: v for k, v in dict(document.get("meta") or {}).items() if k != "checksum"}
    meta["name"] = None
    try:
        text = serialize_for_checksum({**document, "meta": meta})
        return "0x" + keccak(text.encode("utf-8")).hex()
    except (TypeError, ValueError, UnicodeEncodeError) as exc:
        raise BatchFileError(f"the batch cannot be checksummed: {exc}") from exc


# ─── writing ─────────────────────────────────────────────────────────────────────────────────────────


def batch_document(
    calls: Sequence[Call],
    *,
    chain_id: int,
    safe: str | None,
    name: str,
    description: str = "",
    created_at: int | None = None,
) -> dict[str, Any]:
    """The batch file's content, checksum included, keys in the order the app writes them."""
    if not calls:
        raise BatchFileError("a batch needs at least one call")
    document: dict[str, Any] = {
        "version": BATCH_VERSION,
        "chainId": str(int(chain_id)),
        "createdAt": int(time.time() * 1000) if created_at is None else int(created_at),
        "meta": {
            "name": name,
            "description": description,
            "txBuilderVersion": TX_BUILDER_VERSION,
            "createdFromSafeAddress": to_checksum_address(safe) if safe else "",
            "createdFromOwnerAddress": "",
        },
        "transactions": [
            {
                "to": to_checksum_address(call.target),
                "value": str(int(call.value)),
                "data": "0x" + bytes(call.data).hex(),
                "contractMethod": None,
                "contractInputsValues": None,
            }
            for call in calls
        ],
    }
    document["meta"]["checksum"] = batch_checksum(document)
    return document


def write_batch(
    path: str | Path,
    calls: Sequence[Call],
    *,
    chain_id: int,
    safe: str | None,
    name: str,
    description: str = "",
) -> Path:
    """Write ``calls`` as a Transaction Builder batch file for the Safe ``safe`` on ``chain_id``; returns the
    path written."""
    document = batch_document(calls, chain_id=chain_id, safe=safe, name=name, description=description)
    target = Path(path)
    try:
        target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise BatchFileError(f"cannot write the batch file {target}: {exc.strerror or exc}") from exc
    return target


# ─── reading ─────────────────────────────────────────────────────────────────────────────────────────


def read_batch(path: str | Path, *, chain_id: int | None = None, require_checksum: bool = True) -> Batch:
    """Read and check a Transaction Builder batch file: its format, its checksum (refused if wrong, or missing
    unless ``require_checksum`` is false) and, given ``chain_id``, that it is for that chain."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise BatchFileError(f"cannot read the batch file {source}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise BatchFileError(f"the batch file {source} is not UTF-8 text: {exc}") from exc
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise BatchFileError(f"the batch file {source} is not JSON: {exc}") from exc
    return parse_batch(document, chain_id=chain_id, require_checksum=require_checksum, source=str(source))


def parse_batch(
    document: Any, *, chain_id: int | None = None, require_checksum: bool = True, source: str = "the batch"
) -> Batch:
    """:func:`read_batch` of an already parsed file."""
    if not isinstance(document, dict):
        raise BatchFileError(f"{source} is not a Transaction Builder batch (not a JSON object)")
    if "data" in document and "transactions" not in document:
        raise BatchFileError(
            f"{source} is an export of the Transaction Builder's whole library, not one batch: "
            "download the batch itself"
        )
    version = document.get("version")
    if version != BATCH_VERSION:
        raise BatchFileError(
            f"{source} has batch format version {version!r}; only {BATCH_VERSION!r} is known"
        )
    file_chain = document.get("chainId")
    if not isinstance(file_chain, str) or not _DECIMAL.fullmatch(file_chain):
        raise BatchFileError(f"{source} has no valid chainId (a decimal string): {file_chain!r}")
    meta = document.get("meta")
    if not isinstance(meta, dict):
        raise BatchFileError(f"{source} has no meta object")
    transactions = document.get("transactions")
    if not isinstance(transactions, list) or not transactions:
        raise BatchFileError(f"{source} has no transactions")
    created_at = document.get("createdAt", 0)
    if isinstance(created_at, str) and _DECIMAL.fullmatch(created_at):
        created_at = int(created_at)
    elif created_at in (None, ""):
        created_at = 0
    if isinstance(created_at, bool) or not isinstance(created_at, int | float) or created_at != created_at:
        raise BatchFileError(f"{source} has an invalid createdAt: {created_at!r}")

    checksum = meta.get("checksum")
    if checksum in (None, ""):
        if require_checksum:
            raise BatchChecksumError(
                f"{source} has no checksum (meta.checksum): export it again from the Transaction Builder"
            )
        checksum = None
    elif not isinstance(checksum, str) or batch_checksum(document) != checksum:  # compared as the app does
        raise BatchChecksumError(
            f"{source} was modified after it was exported: its checksum {checksum!r} does not match its "
            "content"
        )

    if chain_id is not None and int(file_chain) != int(chain_id):
        raise WrongChainError(f"{source} is for chain {file_chain}, not for this chain ({chain_id})")

    safe_address = meta.get("createdFromSafeAddress") or None
    if safe_address is not None and (not isinstance(safe_address, str) or not is_address(safe_address)):
        raise BatchFileError(f"{source}: meta.createdFromSafeAddress is not an address: {safe_address!r}")
    calls = tuple(_parse_transaction(tx, i, source) for i, tx in enumerate(transactions, start=1))
    return Batch(
        chain_id=int(file_chain),
        calls=calls,
        name=_text(meta.get("name")),
        description=_text(meta.get("description")),
        safe=to_checksum_address(safe_address) if safe_address else None,
        created_at=int(created_at) if abs(created_at) < float("inf") else 0,
        checksum=checksum,
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _parse_transaction(tx: Any, index: int, source: str) -> Call:
    where = f"{source}, transaction {index}"
    if not isinstance(tx, dict):
        raise BatchFileError(f"{where} is not an object")
    to = tx.get("to")
    if not isinstance(to, str) or not is_address(to):
        raise BatchFileError(f"{where}: 'to' is not an address: {to!r}")
    value = tx.get("value")
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value.strip()):
        raise BatchFileError(f"{where}: 'value' must be a decimal string of wei, not {value!r}")
    method = tx.get("contractMethod")
    if method is not None and not isinstance(method, dict):
        raise BatchFileError(f"{where}: 'contractMethod' is not an object")
    function = method.get("name") if isinstance(method, dict) else None
    data = tx.get("data")
    if data:  # the app, too, uses the custom data whenever it is set
        if not isinstance(data, str) or not _HEX.fullmatch(data):
            raise BatchFileError(f"{where}: 'data' is not 0x-prefixed hex of whole bytes: {data!r}")
        calldata = bytes.fromhex(data[2:])
    elif method is not None:
        calldata = _encode_method(method, tx.get("contractInputsValues"), where)
    else:
        calldata = b""  # a plain transfer of ETH
    return Call(
        to_checksum_address(to),
        calldata,
        int(value),
        function if isinstance(function, str) and function else "call",
    )


# ─── transactions written as a method and its arguments ──────────────────────────────────────────────


def _encode_method(method: dict[str, Any], values: Any, where: str) -> bytes:
    """Calldata of a transaction the app describes by ``contractMethod`` and ``contractInputsValues`` (its
    ``encodeToHexData``), for arguments of elementary types."""
    name = method.get("name")
    inputs = method.get("inputs") or []
    if not isinstance(name, str) or not name or not isinstance(inputs, list):
        raise BatchFileError(f"{where}: 'contractMethod' has no name or no inputs list")
    if values is not None and not isinstance(values, dict):
        raise BatchFileError(f"{where}: 'contractInputsValues' is not an object")
    given = values or {}
    types: list[str] = []
    args: list[Any] = []
    for position, field in enumerate(inputs):
        if not isinstance(field, dict) or not isinstance(field.get("type"), str):
            raise BatchFileError(f"{where}: input {position} of {name} has no type")
        kind = field["type"]
        key = field.get("name") or str(position)
        raw = given.get(key)
        if raw is None:
            raise BatchFileError(f"{where}: no value for argument {key!r} of {name}")
        types.append(kind)
        args.append(_parse_argument(kind, raw, f"{where}: argument {key!r} of {name}"))
    signature = f"{name}({','.join(types)})"
    return keccak(text=signature)[:4] + abi_encode(types, args)


def _parse_argument(kind: str, raw: Any, where: str) -> Any:
    """One argument as the app parses it from its string (``parseInputValue``), elementary types only."""
    text = raw.strip() if isinstance(raw, str) else raw
    try:
        if kind == "bool":
            if isinstance(text, bool):
                return text
            lowered = str(text).lower()
            if lowered in ("true", "1"):
                return True
            if lowered in ("false", "0"):
                return False
            raise ValueError("not a boolean")
        integer = _INTEGER_TYPE.fullmatch(kind)
        if integer and (not integer[1] or (int(integer[1]) % 8 == 0 and 8 <= int(integer[1]) <= 256)):
            number = str(text).replace('"', "").replace("'", "").strip()
            return int(number, 16) if number.lower().startswith(("0x", "-0x")) else int(number, 10)
        if kind == "address":
            if not isinstance(text, str) or not is_address(text):
                raise ValueError("not an address")
            return to_checksum_address(text)
        fixed = _BYTES_N.fullmatch(kind)
        if kind == "bytes" or fixed:
            if not isinstance(text, str) or not re.fullmatch(r"0x[0-9a-fA-F]*", text):
                raise ValueError("not 0x-prefixed hex")
            digits = text[2:]
            if fixed:  # web3.js 1.x, which the app uses, pads a short bytesN on the right ("0x0": zero)
                size = 2 * int(fixed[1])
                digits = digits.ljust(size, "0")
                if len(digits) != size:
                    raise ValueError(f"longer than {size // 2} bytes")
            return bytes.fromhex(digits.rjust(len(digits) + len(digits) % 2, "0"))  # odd: one nibble
        if kind == "string":
            return str(raw)
    except ValueError as exc:
        raise BatchFileError(f"{where} ({kind}) is invalid: {raw!r} ({exc})") from exc
    raise BatchFileError(
        f"{where} is of type {kind}, which only the Transaction Builder app encodes: export the batch with "
        "its data (or import it in the app)"
    )
