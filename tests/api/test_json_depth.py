"""Deeply nested JSON bodies: the scanner that bounds their depth (exact on real JSON, in any piece sizes
and encodings, fooled by no string), the 422 every write route gives them before any parsing, and the
recursion limit of a process that serves the API (py_ecc raises it to 100,000 on import, under which the
C JSON decoder overflows the C stack: a segfault)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from api.body_limit import JSON_BODY_LIMIT
from api.errors import NestingTooDeepError
from api.json_depth import MAX_JSON_DEPTH, JsonBodyScanner, NestingScanner
from ledger.recursion import SAFE_RECURSION_LIMIT
from tests.api.hostile import assert_nesting_answer, nested, stored, write_operations
from tests.api.support import API, TestClient, api_client
from tests.records.support import mirror_campaign

# ─── the scanner ──────────────────────────────────────────────────────────────────────────────────────


def depth_of(value: Any) -> int:
    """How many arrays and objects deep a decoded JSON value is."""
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    return 0


def scanned(body: bytes, max_depth: int, pieces: list[int] | None = None) -> bool:
    """Whether ``body``, fed in pieces of the given sizes (the rest in one), passes a scanner."""
    scanner = JsonBodyScanner(max_depth)
    at = 0
    try:
        for size in pieces or []:
            scanner.feed(body[at : at + size], True)
            at += size
        scanner.feed(body[at:], False)
    except NestingTooDeepError:
        return False
    return True


# Strings full of what could fool a tokenizer: brackets, quotes, backslashes, and characters beyond ASCII.
tricky_text = st.text(alphabet=st.sampled_from('[]{}"\\/ aé€😀\u5c41\u225b\n'), max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | tricky_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(tricky_text, inner, max_size=4),
    max_leaves=40,
)


@given(
    value=json_values,
    ensure_ascii=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]),
    pieces=st.lists(st.integers(min_value=0, max_value=7), max_size=60),
)
def test_the_scanner_measures_the_depth_of_any_json_exactly_in_any_pieces_and_encoding(
    value: Any, ensure_ascii: bool, encoding: str, pieces: list[int]
) -> None:
    body = json.dumps(value, ensure_ascii=ensure_ascii).encode(encoding)
    assert json.loads(body) == value  # the text the API's decoder would read
    depth = depth_of(value)
    assert scanned(body, depth, pieces), "refused at its own depth"
    if depth > 0:
        assert not scanned(body, depth - 1, pieces), "passed one level too deep"


@pytest.mark.parametrize(
    ("body", "passes"),
    [
        pytest.param(json.dumps(["[" * 10_000]).encode(), True, id="brackets in a string"),
        pytest.param(json.dumps({"{" * 10_000: "]" * 10_000}).encode(), True, id="brackets in a key"),
        pytest.param(b'["\\"' + b"[" * 1000 + b'"]', True, id="escaped quote, brackets after it"),
        pytest.param(
            b'["\\\\"' + b", [" * 100 + b"]" * 100 + b"]", False, id="escaped backslash ends the string"
        ),
        pytest.param(b'"' + b"\\" * 999 + b'"' + b"[" * 100, True, id="odd backslashes: still in the string"),
        pytest.param(b'"' + b"\\" * 1000 + b'"' + b"[" * 100, False, id="even backslashes: string closed"),
        # U+5C41 is the bytes 41 5C in UTF-16-LE: read as bytes, a backslash escaping the closing quote.
        pytest.param(
            '["\u5c41", '.encode("utf-16-le") + nested(100).decode().encode("utf-16-le"),
            False,
            id="UTF-16 whose bytes fake an escape",
        ),
        pytest.param(b'["' + b'\\"' * 300_000, True, id="an unterminated string of escaped quotes"),
    ],
)
def test_strings_and_escapes_do_not_fool_the_scanner(body: bytes, passes: bool) -> None:
    assert scanned(body, MAX_JSON_DEPTH) is passes
    assert all(scanned(body, MAX_JSON_DEPTH, [size] * (len(body) // size)) is passes for size in (1, 3, 4096))


def test_the_scanner_stops_at_the_first_byte_past_the_bound() -> None:
    scanner = NestingScanner(MAX_JSON_DEPTH)
    scanner.feed(b"[" * MAX_JSON_DEPTH)
    with pytest.raises(NestingTooDeepError, match=f"deeper than {MAX_JSON_DEPTH}"):
        scanner.feed(b"[")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[" + b"[]," * (JSON_BODY_LIMIT // 3 - 1) + b"[]]", id="a million brackets"),
        pytest.param(b'["' + b'\\"' * (JSON_BODY_LIMIT // 2 - 2), id="an unterminated string of escapes"),
        pytest.param(json.dumps([{"k": "v"}] * (JSON_BODY_LIMIT // 12)).encode(), id="many short strings"),
        pytest.param(b'"' * JSON_BODY_LIMIT, id="a megabyte of quotes"),
    ],
)
def test_scanning_the_worst_megabyte_takes_a_moment_not_a_hang(body: bytes) -> None:
    """Linear work: each case below once took the scanner's first draft from seconds to hours."""
    for pieces in ([], [65_536] * (len(body) // 65_536)):
        started = time.perf_counter()
        scanned(body, MAX_JSON_DEPTH, pieces)
        assert time.perf_counter() - started < 2.0


# ─── through the app ──────────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    mirror_campaign(engine)
    with api_client(engine) as http:
        yield http


def test_every_write_route_refuses_nesting_past_the_bound_and_writes_nothing(
    client: TestClient, engine: Engine
) -> None:
    before = stored(engine)
    for op in write_operations(client.app):  # type: ignore[arg-type]
        for depth in (MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 100_000):
            for content_type in ("application/json", None, "application/merge-patch+json"):
                headers = {"content-type": content_type} if content_type else {}
                answer = client.request(op.method, op.path, content=nested(depth), headers=headers)
                where = f"{op} depth {depth} as {content_type}"
                assert_nesting_answer(op, answer.status_code, answer.text, depth, where)
    assert client.get("/health").status_code == 200
    assert stored(engine) == before


def test_a_too_deep_body_is_refused_even_with_a_valid_key(client: TestClient, engine: Engine) -> None:
    from sqlalchemy.orm import Session

    from ledger.keys import create_key

    with Session(engine) as s, s.begin():
        _, key = create_key(s, name="manager", role="manager")
    deep = b'{"name": ' + nested(MAX_JSON_DEPTH + 1) + b"}"
    answer = client.post(f"{API}/suppliers", content=deep, headers={"X-API-Key": key})
    assert answer.status_code == 422
    assert answer.json() == {"detail": f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels"}


# ─── the recursion limit of a serving process ────────────────────────────────────────────────────────


def _run(code: str, tmp_path: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**os.environ, "PLEDGELEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'api.db'}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_the_app_factory_leaves_a_safe_recursion_limit(tmp_path: Path) -> None:
    """As ``uvicorn api.main:create_app --factory`` and every ``serve`` worker build it."""
    code = (
        "import sys, api.main\n"
        "raised = sys.getrecursionlimit()\n"
        "api.main.create_app()\n"
        "print(raised, sys.getrecursionlimit())\n"
    )
    raised, served = map(int, _run(code, tmp_path).split())
    assert raised > SAFE_RECURSION_LIMIT, "the imports no longer raise it: this test can go"
    assert served == SAFE_RECURSION_LIMIT


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_hands_uvicorn_a_process_with_a_safe_recursion_limit(tmp_path: Path, workers: int) -> None:
    """``pledgeledger serve``, stopped where it would start uvicorn: the limit the server would run under."""
    code = (
        "import sys, uvicorn\n"
        "uvicorn.run = lambda *args, **kwargs: print(sys.getrecursionlimit())\n"
        "from ledger.cli import main\n"
        f"sys.argv = ['pledgeledger', 'serve', '--port', '0', '--workers', '{workers}']\n"
        "main()\n"
    )
    assert int(_run(code, tmp_path)) == SAFE_RECURSION_LIMIT
