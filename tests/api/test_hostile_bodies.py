"""Hostile bodies, fuzzed (Hypothesis, bounded) against every write route through the ASGI app, on SQLite
and PostgreSQL, with a manager key so that a body gets as far as it can: deep nesting, huge numbers,
NaN and Infinity, duplicate keys, invalid UTF-8, lone surrogates, NUL characters, other encodings, wrong
content types, empty and truncated bodies, and hostile multipart uploads.

Whatever is sent: never a 5xx, the app still answers, and a refused request writes nothing (every table's
row count and the record history are compared around each request)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.body_limit import JSON_BODY_LIMIT
from api.json_depth import MAX_JSON_DEPTH
from api.main import create_app
from ledger.db.session import write_session
from ledger.keys import create_key
from ledger.records import service
from ledger.records.schemas import SupplierCreate
from ledger.settings import Settings
from tests.api.hostile import VALID_CREATES, Operation, nested, stored, valid_body, write_operations
from tests.api.support import API, TestClient, api_client
from tests.records.support import mirror_campaign
from tests.support.examples import examples

# The routes are the schema's (a new write route is fuzzed without editing this file).
OPERATIONS = write_operations(create_app(Settings(database_url="sqlite://")))
JSON_OPERATIONS = [op for op in OPERATIONS if op.takes_json]
UPLOAD_OPERATIONS = [op for op in OPERATIONS if "multipart/form-data" in op.body_types]

KEPT_WALLET = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
#: JSON values (as raw text) that parsers and validators have got wrong.
HOSTILE_VALUES: list[bytes] = [
    b"1e400",
    b"-1e400",
    b"2e-400",
    b"1" * 5_000,  # more digits than int() takes
    b'"' + b"9" * 5_000 + b'"',
    b'"' + b"9" * 80 + b'"',  # past uint256
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b'"NaN"',
    b'"-Infinity"',
    b'"sNaN"',
    b'"1e999999999"',
    b"-0",
    b"1.5",
    b"9223372036854775808",  # past int64
    b"-9223372036854775809",
    b'"\\ud800"',  # a lone surrogate, escaped
    b'"\\udfff\\ud800"',
    b'"\xed\xa0\x80"',  # a surrogate encoded in UTF-8: invalid UTF-8
    b'"\xff\xfe"',
    b'"\xc0\xaf"',  # an overlong '/'
    b'"\xe2\x82"',  # a truncated character
    b'"a\\u0000b"',  # NUL: PostgreSQL text cannot hold it
    b'"\x00"',
    b'"\\u202e\\u0000"',
    b'"2020-02-30"',
    b'"99999-01-01"',
    b"null",
    b"true",
    b"[]",
    b"{}",
    b'"' + b"x" * 100_000 + b'"',
    b"[" + b"1," * 100_000 + b"1]",
    nested(MAX_JSON_DEPTH - 1),
    nested(MAX_JSON_DEPTH + 1),
    b'{"a":' * 200 + b"1" + b"}" * 200,
]
#: Whole bodies that are not a JSON object.
HOSTILE_WHOLE_BODIES: list[bytes] = [
    b"",
    b" \n\t",
    b"\xef\xbb\xbf",
    b"null",
    b"[]",
    b'"a string"',
    b"0",
    b"{",
    b"{}x",
    b'{"version": 1}{"version": 2}',
    b"\xff" * 10,
    b"\x00" * 10,
    nested(100_000),
    nested(JSON_BODY_LIMIT // 2),
    b"[" * JSON_BODY_LIMIT,
    b"{" + b'"a":1,' * 100_000 + b'"a":1}',  # a hundred thousand duplicate keys
]
CONTENT_TYPES: list[str | None] = [
    "application/json",
    "application/json",
    "application/json",
    None,
    "application/merge-patch+json",
    "application/json; charset=utf-16",
    "text/plain",
    "application/xml",
    "multipart/form-data",
    "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded",
]


def encode(fields: list[tuple[str, bytes]]) -> bytes:
    """A JSON object from raw key/value pairs, keys repeated as given."""
    return b"{" + b",".join(json.dumps(k).encode() + b":" + v for k, v in fields) + b"}"


@st.composite
def hostile_json(draw: st.DrawFn, op: Operation) -> bytes:
    fields = [(k, json.dumps(v).encode()) for k, v in valid_body(op).items()]
    kind = draw(st.sampled_from(["field", "duplicate", "extra", "whole", "truncated", "utf-16", "binary"]))
    if kind == "whole":
        return draw(st.sampled_from(HOSTILE_WHOLE_BODIES))
    if kind == "binary":
        return draw(st.binary(max_size=64))
    body = encode(fields)
    if kind == "truncated":
        return body[: draw(st.integers(0, max(len(body) - 1, 0)))]
    if kind == "utf-16":
        return body.decode().encode(draw(st.sampled_from(["utf-16", "utf-16-be", "utf-32"])))
    value = draw(st.sampled_from(HOSTILE_VALUES))
    if kind == "extra" or not fields:
        return encode([*fields, (draw(st.sampled_from(["surprise", "__proto__", "version"])), value)])
    at = draw(st.integers(0, len(fields) - 1))
    name, valid = fields[at]
    if kind == "duplicate":  # the hostile value before or after the valid one
        pair = [(name, valid), (name, value)] if draw(st.booleans()) else [(name, value), (name, valid)]
        return encode([*fields[:at], *pair, *fields[at + 1 :]])
    return encode([*fields[:at], (name, value), *fields[at + 1 :]])


@pytest.fixture
def target(engine: Engine) -> Iterator[tuple[TestClient, Engine, dict[str, str]]]:
    """The app on a database holding a campaign and a supplier (so orders can name it), and a manager key."""
    mirror_campaign(engine)
    with write_session(engine) as s:
        service.create_supplier(
            s, data=SupplierCreate(name="Kept", country="CN", wallet=KEPT_WALLET), actor="setup"
        )
    with Session(engine) as s, s.begin():
        _, key = create_key(s, name="fuzzer", role="manager")
    with api_client(engine) as client:
        yield client, engine, {"X-API-Key": key}
        assert client.get("/health").status_code == 200


FUZZ = settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def assert_answer_wrote_nothing_if_refused(
    client: TestClient, engine: Engine, method: str, path: str, **request: Any
) -> None:
    before = stored(engine)
    answer = client.request(method, path, **request)
    assert answer.status_code < 500, f"{method} {path}: {answer.status_code} {answer.text[:300]}"
    if answer.status_code >= 400:
        assert stored(engine) == before, f"{method} {path} was refused ({answer.status_code}) but wrote"


@FUZZ
@given(data=st.data())
def test_hostile_json_bodies_never_get_a_5xx_and_refused_ones_write_nothing(
    target: tuple[TestClient, Engine, dict[str, str]], data: st.DataObject
) -> None:
    client, engine, manager = target
    op = data.draw(st.sampled_from(JSON_OPERATIONS), label="route")
    body = data.draw(hostile_json(op), label="body")
    content_type = data.draw(st.sampled_from(CONTENT_TYPES), label="content type")
    headers = {**manager, **({"content-type": content_type} if content_type else {})}
    assert_answer_wrote_nothing_if_refused(client, engine, op.method, op.path, content=body, headers=headers)


#: Form values that have got past validators before.
HOSTILE_FORM_VALUES = [
    "",
    "NaN",
    "Infinity",
    "1e400",
    "-1",
    "9" * 5_000,
    "9223372036854775808",
    "a\x00b",
    "\ud800",
    "x" * 20_000,
    "invoice\r\nX-Injected: 1",
    "../../etc/passwd",
]


@st.composite
def hostile_upload(draw: st.DrawFn) -> dict[str, Any]:
    form = {"kind": "other", "description": "certificate"}
    field = draw(st.sampled_from(["kind", "order_id", "amount", "currency", "description"]))
    form[field] = draw(st.sampled_from(HOSTILE_FORM_VALUES))
    filename = draw(st.sampled_from(["c.pdf", "a\x00b.pdf", "../../x", "\u202eexe.pdf", "x" * 5_000, ""]))
    content_type = draw(st.sampled_from(["application/pdf", "text/html", "a\x00b", "x" * 5_000, ""]))
    content = draw(st.sampled_from([b"", b"%PDF-1.7", b"\x00" * 100, b"<script>alert(1)</script>"]))
    data = {k: v.encode("utf-8", "surrogatepass") for k, v in form.items()}
    return {"files": {"file": (filename, content, content_type)}, "data": data}


@FUZZ
@given(data=st.data())
def test_hostile_uploads_never_get_a_5xx_and_refused_ones_write_nothing(
    target: tuple[TestClient, Engine, dict[str, str]], data: st.DataObject
) -> None:
    client, engine, manager = target
    op = data.draw(st.sampled_from(UPLOAD_OPERATIONS), label="route")
    upload = data.draw(hostile_upload(), label="upload")
    assert_answer_wrote_nothing_if_refused(client, engine, op.method, op.path, headers=manager, **upload)


@pytest.mark.parametrize("resource", ["/suppliers", "/reference-prices", "/tokens", "/orders"])
def test_a_nul_character_in_a_text_field_is_a_422_that_writes_nothing(
    target: tuple[TestClient, Engine, dict[str, str]], resource: str
) -> None:
    """PostgreSQL text cannot hold NUL: once a 500 there (and stored on SQLite)."""
    client, engine, manager = target
    valid = VALID_CREATES[resource]
    texts = [k for k, v in valid.items() if isinstance(v, str)]
    before = stored(engine)
    for field in texts:
        answer = client.post(f"{API}{resource}", json={**valid, field: "a\x00b"}, headers=manager)
        assert answer.status_code == 422, f"{field}: {answer.status_code} {answer.text}"
    assert stored(engine) == before
    assert client.post(f"{API}{resource}", json=valid, headers=manager).status_code == 201


@pytest.mark.parametrize(
    ("declared", "kept"),
    [
        ("application/pdf", "application/pdf"),
        ("Application/PDF; x=y", "application/pdf"),
        ("a\x00b", "application/octet-stream"),
        ("application/pdf\x7f", "application/octet-stream"),
        ("no media type", "application/octet-stream"),
    ],
)
def test_an_uploads_content_type_is_kept_only_if_it_is_a_media_type(
    target: tuple[TestClient, Engine, dict[str, str]], declared: str, kept: str
) -> None:
    """The declared type is a header the client wrote: NUL in it once made PostgreSQL fail the upload."""
    client, _, manager = target
    answer = client.post(
        f"{API}/documents",
        files={"file": ("c.pdf", b"%PDF-1.7 " + declared.encode("utf-8", "replace"), declared)},
        data={"kind": "other"},
        headers=manager,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["content_type"] == kept
    assert client.get(f"{API}/documents/{answer.json()['id']}/content").status_code == 200
