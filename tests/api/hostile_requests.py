"""The hostile-input suite's requests, built from the app's OpenAPI schema (a new route is attacked without
editing this file), in four classes:

* ``reads``: every GET route with hostile path and query values (injection strings, out-of-range and
  non-numeric numbers, NUL, invalid UTF-8, surrogates, traversal, 10,000 characters), sent with an
  auditor's key so that protected reads are attacked past their key check. Any 2xx-4xx is an answer;
* ``record_writes``: every JSON write route, with a manager's key, given bodies no route may take:
  nesting past the bound, numbers JSON cannot hold, invalid text, other encodings, wrong content types,
  extra or duplicated fields, oversized bodies declared and chunked;
* ``uploads``: the multipart routes, with a manager's key, given broken or invalid forms;
* ``auth``: every write route with a well-formed body, and every protected read, with no key, forged,
  altered or revoked keys, or a key of the wrong role.

Every request of the last three classes must be refused (a 4xx) and so write nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from api.body_limit import JSON_BODY_LIMIT
from api.json_depth import MAX_JSON_DEPTH
from tests.api.hostile import VALID_CREATES, body_limit, nested, operations, valid_body, write_operations

READS, RECORD_WRITES, UPLOADS, AUTH = "reads", "record_writes", "uploads", "auth"
CLASSES = (READS, RECORD_WRITES, UPLOADS, AUTH)


@dataclass(frozen=True)
class Hostile:
    kind: str
    name: str
    method: str
    url: str  # path and query, percent-encoded as sent
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    content: bytes | None = None
    chunked: bool = False  # sent without a Content-Length, in pieces

    @property
    def must_be_refused(self) -> bool:
        return self.kind != READS

    def body(self) -> bytes | Iterator[bytes] | None:
        if self.content is None or not self.chunked:
            return self.content
        return (self.content[at : at + 65_536] for at in range(0, len(self.content), 65_536))


#: Path segments and query values, percent-encoded as a client would send them.
HOSTILE_URL_VALUES = [
    "0",
    "-1",
    str(2**64),
    "1e400",
    "NaN",
    "%00",
    "a%00b",
    "%ff%fe",
    "%ED%A0%80",  # a surrogate in UTF-8: invalid
    "%C0%AF",  # an overlong '/'
    "..%2F..%2Fetc%2Fpasswd",
    "%27%20OR%20%271%27%3D%271",
    "1%3B%20DROP%20TABLE%20pledges",
    "x" * 10_000,
    "%F0%9F%98%80",
    "0x" + "0" * 39 + "G",
]
QUERY_ONLY_VALUES = ["", "%5B%5D", "1&{name}=2"]  # empty, brackets, the parameter twice


def _fill(template: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


def read_requests(app: FastAPI, key: str) -> list[Hostile]:
    headers = [("X-API-Key", key.encode())]
    found = []
    for op in operations(app):
        if op.method != "get":
            continue
        path_names = [p["name"] for p in op.parameters if p["in"] == "path"]
        query_names = [p["name"] for p in op.parameters if p["in"] == "query"]
        plain = dict.fromkeys(path_names, "1")
        for name in path_names:
            for value in HOSTILE_URL_VALUES:
                url = _fill(op.template, {**plain, name: value})
                found.append(Hostile(READS, f"{op} {name}={value[:20]}", "GET", url, headers))
        for name in query_names:
            for value in HOSTILE_URL_VALUES + QUERY_ONLY_VALUES:
                query = f"{name}={value.format(name=name)}"
                url = f"{_fill(op.template, plain)}?{query}"
                found.append(Hostile(READS, f"{op} ?{query[:30]}", "GET", url, headers))
    return found


#: Bodies no write route may take, whatever it expects.
def refused_bodies(limit: int) -> list[tuple[str, bytes, str | None]]:
    """(name, body, content type)."""
    json_type = "application/json"
    surrogate = b'{"name": "\\ud800", "notes": "\\udfff"}'
    return [
        ("empty", b"", json_type),
        ("whitespace", b" \r\n\t", json_type),
        ("a byte order mark", b"\xef\xbb\xbf", json_type),
        ("null", b"null", json_type),
        ("an array", b"[]", json_type),
        ("a string", b'"record"', json_type),
        ("a number", b"1", json_type),
        ("unclosed", b'{"name": "x"', json_type),
        ("trailing data", b"{}{}", json_type),
        ("two objects", b'{"version": 1}\n{"version": 2}', json_type),
        (f"nested {MAX_JSON_DEPTH + 1}", nested(MAX_JSON_DEPTH + 1), json_type),
        ("nested 100,000", nested(100_000), json_type),
        ("nested to the limit", nested(limit // 2), json_type),
        ("opened to the limit", nested(limit, closed=False), json_type),
        ("objects nested 65", b'{"a":' * 65 + b"1" + b"}" * 65, json_type),
        ("nested in UTF-16", nested(1_000).decode().encode("utf-16"), json_type),
        ("NaN", b'{"version": NaN, "quantity": NaN, "unit_price": NaN}', json_type),
        ("Infinity", b'{"version": Infinity, "unit_price": -Infinity}', json_type),
        ("1e400", b'{"version": 1e400, "unit_price": 1e400, "quantity": -1e400}', json_type),
        ("5,000 digits", b'{"version": ' + b"9" * 5_000 + b"}", json_type),
        ("past int64", b'{"version": 9223372036854775808}', json_type),
        ("invalid UTF-8", b'{"name": "\xff\xfe\xc0\xaf"}', json_type),
        ("a UTF-8 surrogate", b'{"name": "\xed\xa0\x80"}', json_type),
        ("lone surrogates", surrogate, json_type),
        ("NUL", b'{"name": "a\\u0000b", "notes": "\\u0000"}', json_type),
        ("a raw NUL", b'{"name": "a\x00b"}', json_type),
        ("a megabyte string", b'{"notes": "' + b"x" * (JSON_BODY_LIMIT - 20) + b'"}', json_type),
        ("100,000 duplicate keys", b"{" + b'"a":1,' * 100_000 + b'"a":1}', json_type),
        ("a prototype key", b'{"__proto__": {"admin": true}, "constructor": {}}', json_type),
        ("binary", bytes(range(256)), json_type),
        ("JSON as text/plain", b'{"version": 1}', "text/plain"),
        ("JSON as XML", b"<version>1</version>", "application/xml"),
        ("JSON as a form", b"version=1&name=x", "application/x-www-form-urlencoded"),
        ("JSON as multipart", b'{"version": 1}', "multipart/form-data; boundary=x"),
        ("UTF-16 declared UTF-8", '{"version": 0}'.encode("utf-16"), "application/json; charset=utf-8"),
        ("no content type", b"[[[[", None),
    ]


def record_write_requests(
    app: FastAPI, manager_key: str, valid: dict[str, dict[str, Any]] = VALID_CREATES
) -> list[Hostile]:
    key = ("X-API-Key", manager_key.encode())
    found = []
    for op in write_operations(app):
        if not op.takes_json:
            continue
        limit = body_limit(app, op.path)
        for name, body, content_type in refused_bodies(limit):
            headers = [key, *([("content-type", content_type.encode())] if content_type else [])]
            found.append(Hostile(RECORD_WRITES, f"{op} {name}", op.method.upper(), op.path, headers, body))
        good = valid_body(op, valid)
        json_type = ("content-type", b"application/json")
        base = good or {"version": 1}
        first = next(iter(base))
        twice = json.dumps(base)[:-1] + f', "{first}": [[]]}}'  # the first field again, invalid
        for name, text in (
            ("an unknown field", json.dumps({**good, "surprise": True})),
            ("a field twice", twice),
        ):
            found.append(
                Hostile(
                    RECORD_WRITES, f"{op} {name}", op.method.upper(), op.path, [key, json_type], text.encode()
                )
            )
        oversized = b'{"notes": "' + b"x" * limit + b'"}'
        found.append(
            Hostile(
                RECORD_WRITES, f"{op} over the limit", op.method.upper(), op.path, [key, json_type], oversized
            )
        )
        found.append(
            Hostile(
                RECORD_WRITES,
                f"{op} over the limit, chunked",
                op.method.upper(),
                op.path,
                [key, json_type],
                oversized,
                chunked=True,
            )
        )
    return found


BOUNDARY = "hostile-boundary"


def multipart(
    fields: dict[str, bytes], file: tuple[str, bytes, str] | None, boundary: str = BOUNDARY
) -> bytes:
    """A multipart/form-data body, built by hand so that any byte can go in any place."""
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value
        )
    if file is not None:
        filename, content, content_type = file
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        parts.append(head.encode() + f"Content-Type: {content_type}\r\n\r\n".encode() + content)
    return b"\r\n".join(parts) + f"\r\n--{boundary}--\r\n".encode()


FORM_TYPE = ("content-type", f"multipart/form-data; boundary={BOUNDARY}".encode())
PDF = ("invoice.pdf", b"%PDF-1.7 hostile", "application/pdf")


def refused_uploads(limit: int) -> list[tuple[str, bytes, bytes]]:
    """(name, body, content type) of forms no upload route may take."""
    form = FORM_TYPE[1]
    other = {"kind": b"other"}
    bad_fields: list[tuple[str, dict[str, bytes]]] = [
        ("no kind", {}),
        ("an unknown kind", {"kind": b"receipt"}),
        ("a NUL kind", {"kind": b"other\x00"}),
        ("an invoice with no order", {"kind": b"invoice"}),
        ("an order that does not exist", {**other, "order_id": b"999999"}),
        ("order_id 0", {**other, "order_id": b"0"}),
        ("order_id past int64", {**other, "order_id": str(2**63).encode()}),
        ("order_id 1e3", {**other, "order_id": b"1e3"}),
        ("amount NaN", {**other, "amount": b"NaN", "currency": b"USD"}),
        ("amount Infinity", {**other, "amount": b"Infinity", "currency": b"USD"}),
        ("amount 1e400", {**other, "amount": b"1e400", "currency": b"USD"}),
        ("amount -1", {**other, "amount": b"-1", "currency": b"USD"}),
        ("amount of 5,000 digits", {**other, "amount": b"9" * 5_000, "currency": b"USD"}),
        ("amount without currency", {**other, "amount": b"1"}),
        ("currency lower case", {**other, "amount": b"1", "currency": b"usd"}),
        ("currency with NUL", {**other, "amount": b"1", "currency": b"US\x00D"}),
        ("description with NUL", {**other, "description": b"a\x00b"}),
        ("description of 10,001 characters", {**other, "description": b"x" * 10_001}),
    ]
    cases = [(name, multipart(fields, PDF), form) for name, fields in bad_fields]
    cases += [
        ("no file", multipart(other, None), form),
        ("an empty file", multipart(other, ("empty.pdf", b"", "application/pdf")), form),
        ("a file over the limit", multipart(other, ("big.pdf", b"\0" * limit, "application/pdf")), form),
        ("no boundary", multipart(other, PDF), b"multipart/form-data"),
        ("another boundary", multipart(other, PDF, "elsewhere"), form),
        ("no closing boundary", multipart(other, PDF).rsplit(b"--" + BOUNDARY.encode(), 1)[0], form),
        ("garbage", bytes(range(256)) * 10, form),
        (
            "headers never end",
            f"--{BOUNDARY}\r\nContent-Disposition: form-data".encode() + b"x" * 100_000,
            form,
        ),
        ("2,000 fields", multipart({f"f{i}": b"x" for i in range(2_000)} | other, PDF), form),
        ("JSON", b'{"kind": "other"}', b"application/json"),
        ("deeply nested JSON", nested(100_000), b"application/json"),
        ("a form, urlencoded", b"kind=other&description=x", b"application/x-www-form-urlencoded"),
    ]
    return cases


def upload_requests(app: FastAPI, manager_key: str) -> list[Hostile]:
    key = ("X-API-Key", manager_key.encode())
    found = []
    for op in write_operations(app):
        if "multipart/form-data" not in op.body_types:
            continue
        limit = body_limit(app, op.path)
        for name, body, content_type in refused_uploads(limit):
            headers = [key, ("content-type", content_type)]
            found.append(Hostile(UPLOADS, f"{op} {name}", op.method.upper(), op.path, headers, body))
        over = multipart({"kind": b"other"}, ("big.pdf", b"\0" * limit, "application/pdf"))
        found.append(
            Hostile(
                UPLOADS,
                f"{op} over the limit, chunked",
                op.method.upper(),
                op.path,
                [key, FORM_TYPE],
                over,
                chunked=True,
            )
        )
    return found


def forged_keys(manager: str, auditor: str, revoked: str) -> list[tuple[str, list[tuple[str, bytes]]]]:
    """(name, headers) of requests a manager-only route must refuse."""
    flipped = manager[:-1] + ("A" if manager[-1] != "A" else "B")
    return [
        ("no key", []),
        ("an empty key", [("X-API-Key", b"")]),
        ("the prefix alone", [("X-API-Key", b"pl_")]),
        ("a long key", [("X-API-Key", b"pl_" + b"A" * 4_000)]),
        ("an injection", [("X-API-Key", b"' OR '1'='1' --")]),
        ("a prefixed injection", [("X-API-Key", b"pl_' OR '1'='1")]),
        ("a wildcard", [("X-API-Key", b"pl_%")]),
        ("non-ASCII", [("X-API-Key", b"pl_\xff\xfe\xc3\xa9")]),
        ("the manager's key, last character changed", [("X-API-Key", flipped.encode())]),
        ("the manager's key, upper case", [("X-API-Key", manager.upper().encode())]),
        ("the manager's key, truncated", [("X-API-Key", manager[:-4].encode())]),
        ("the manager's key, doubled", [("X-API-Key", (manager + manager).encode())]),
        ("a revoked manager key", [("X-API-Key", revoked.encode())]),
        ("an auditor's key", [("X-API-Key", auditor.encode())]),
        ("an auditor's key as a bearer token", [("Authorization", f"Bearer {auditor}".encode())]),
        ("a forged bearer token", [("Authorization", b"Bearer pl_forged")]),
        ("basic auth", [("Authorization", b"Basic " + manager.encode().hex().encode())]),
        ("two forged keys", [("X-API-Key", b"pl_one"), ("X-API-Key", b"pl_two")]),
    ]


def auth_requests(
    app: FastAPI, keys: dict[str, str], valid: dict[str, dict[str, Any]] = VALID_CREATES
) -> list[Hostile]:
    """Every write route with a body it would take, and every read that needs a key, without a good key.
    ``keys``: the plaintext of a ``manager``, an ``auditor`` and a ``revoked`` manager key."""
    forged = forged_keys(keys["manager"], keys["auditor"], keys["revoked"])
    found = []
    for op in write_operations(app):
        if op.takes_json:
            body = json.dumps(valid_body(op, valid)).encode()
            body_type = ("content-type", b"application/json")
        else:
            body = multipart({"kind": b"other"}, ("auth.pdf", b"%PDF-1.7 auth", "application/pdf"))
            body_type = FORM_TYPE
        for name, headers in forged:
            found.append(
                Hostile(AUTH, f"{op} {name}", op.method.upper(), op.path, [*headers, body_type], body)
            )
        query = f"{op.path}?api_key={keys['manager']}"
        found.append(Hostile(AUTH, f"{op} the key in the query", op.method.upper(), query, [body_type], body))
    for op in operations(app):
        if op.method == "get" and any(p["name"].lower() == "x-api-key" for p in op.parameters):
            for name, headers in forged:
                if "auditor" in name:
                    continue  # an auditor may read these
                found.append(Hostile(AUTH, f"{op} {name}", "GET", op.path, headers))
    return found


def hostile_requests(
    app: FastAPI, keys: dict[str, str], valid: dict[str, dict[str, Any]] = VALID_CREATES
) -> list[Hostile]:
    return [
        *read_requests(app, keys["auditor"]),
        *record_write_requests(app, keys["manager"], valid),
        *upload_requests(app, keys["manager"]),
        *auth_requests(app, keys, valid),
    ]
