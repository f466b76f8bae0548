"""Documents downloaded over HTTP, on SQLite and PostgreSQL: an uploaded file is always an inert attachment
(never HTML or script on this origin), non-ASCII names download under their own name (RFC 6266/5987),
and no filename can add a parameter or a header to the answer."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.downloads import attachment
from ledger.keys import create_key
from tests.api.support import API, TestClient, api_client

SANDBOX = "sandbox; default-src 'none'"
SCRIPT = b"<script>fetch('/api/v1/exports/tables/suppliers').then(r => r.text()).then(alert)</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'

# RFC 9110 tokens and quoted strings: what a Content-Disposition header is made of (RFC 6266).
TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
QUOTED = r'"(?:[\t !#-\[\]-~]|\\[\t -~])*"'
PARAM = re.compile(rf"\s*;\s*({TOKEN})\s*=\s*({TOKEN}|{QUOTED})")


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    """A manager's client (downloads need no key; uploads do)."""
    with Session(engine) as s, s.begin():
        _, manager = create_key(s, name=f"manager-{uuid.uuid4().hex[:6]}", role="manager")
    with api_client(engine) as http:
        http.headers["X-API-Key"] = manager
        yield http


def upload(client: TestClient, filename: str, content: bytes, content_type: str) -> dict[str, Any]:
    answer = client.post(
        f"{API}/documents", files={"file": (filename, content, content_type)}, data={"kind": "other"}
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def disposition(header: str) -> tuple[str, list[tuple[str, str]]]:
    """The type and the parameters (name, raw value) of a Content-Disposition header, parsed strictly:
    anything that is not a well-formed parameter fails the test."""
    kind = re.match(TOKEN, header)
    assert kind, header
    params: list[tuple[str, str]] = []
    position = kind.end()
    while position < len(header):
        param = PARAM.match(header, position)
        assert param, f"malformed at {header[position:]!r} in {header!r}"
        params.append((param[1].lower(), param[2]))
        position = param.end()
    return kind[0].lower(), params


def download_name(header: str) -> tuple[str, str]:
    """The ASCII fallback ``filename`` and the UTF-8 ``filename*`` of an attachment; nothing else."""
    kind, params = disposition(header)
    assert kind == "attachment"
    assert [name for name, _ in params] == ["filename", "filename*"], header
    fallback, extended = (value for _, value in params)
    assert fallback.startswith('"') and fallback.isascii()
    assert extended.startswith("UTF-8''"), extended
    return fallback[1:-1], unquote(extended.removeprefix("UTF-8''"), encoding="utf-8", errors="strict")


def assert_inert(answer: Any) -> None:
    assert answer.headers["content-security-policy"] == SANDBOX
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        pytest.param("text/html", SCRIPT, id="html"),
        pytest.param("image/svg+xml", SVG, id="svg"),
        pytest.param("text/javascript", SCRIPT, id="javascript"),
        pytest.param("application/xhtml+xml", SCRIPT, id="xhtml"),
        pytest.param("text/html; charset=utf-8", SCRIPT, id="html-charset"),
        pytest.param("application/x-unknown", SCRIPT, id="unknown"),
    ],
)
def test_a_script_uploaded_as_a_page_downloads_as_octet_stream(
    client: TestClient, content_type: str, content: bytes
) -> None:
    document = upload(client, "page.html", content, content_type)
    answer = client.get(document["content_url"])
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/octet-stream"
    assert_inert(answer)
    assert answer.content == content


@pytest.mark.parametrize(
    ("content_type", "served"),
    [
        ("application/pdf", "application/pdf"),
        ("Application/PDF", "application/pdf"),
        ("image/png", "image/png"),
        ("image/jpeg", "image/jpeg"),
        ("image/tiff", "image/tiff"),
        ("application/xml", "application/xml"),
        ("text/xml", "text/xml"),
        ("application/json", "application/json"),
        ("text/csv", "text/csv"),
        ("text/plain; charset=utf-8", "text/plain"),
    ],
)
def test_a_document_of_an_allowed_type_keeps_its_type_but_is_still_an_attachment(
    client: TestClient, content_type: str, served: str
) -> None:
    content = f"{content_type} {uuid.uuid4()}".encode()
    answer = client.get(upload(client, "scan", content, content_type)["content_url"])
    assert answer.status_code == 200
    assert answer.headers["content-type"].split(";")[0] == served
    assert_inert(answer)
    assert answer.content == content


def test_a_chinese_filename_downloads_under_its_own_name(client: TestClient) -> None:
    content = b"%PDF-1.4 invoice FCSSC-2020-0042"
    document = upload(client, "发票.pdf", content, "application/pdf")
    assert document["filename"] == "发票.pdf"
    answer = client.get(document["content_url"])
    assert answer.status_code == 200, answer.text
    assert "filename*=UTF-8''%E5%8F%91%E7%A5%A8.pdf" in answer.headers["content-disposition"]
    fallback, name = download_name(answer.headers["content-disposition"])
    assert name == "发票.pdf"
    assert fallback.endswith(".pdf")
    assert answer.content == content
    assert answer.headers["content-type"] == "application/pdf"
    assert_inert(answer)


def test_an_accented_filename_falls_back_to_its_ascii_letters(client: TestClient) -> None:
    document = upload(client, "Reçu café été.pdf", b"%PDF receipt", "application/pdf")
    fallback, name = download_name(client.get(document["content_url"]).headers["content-disposition"])
    assert (fallback, name) == ("Recu cafe ete.pdf", "Reçu café été.pdf")


def upload_raw(client: TestClient, filename: str, content: bytes) -> Any:
    """An upload whose part header carries ``filename`` as a hostile client writes it: quotes and
    backslashes escaped (so they reach the server), CR and LF as they are."""
    boundary = uuid.uuid4().hex
    quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nother\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        f"{API}/documents",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )


@pytest.mark.parametrize(
    "filename",
    [
        "invoice\"; filename*=UTF-8''evil.html; x=\".pdf",
        'quote".pdf',
        'back\\slash".pdf',
        "semi;colon=evil.html.pdf",
        "line\r\nX-Injected: yes.pdf",
        "%E5%8F%91.pdf",
        "tab\tand\x00nul.pdf",
    ],
)
def test_a_filename_cannot_add_a_parameter_or_a_header(client: TestClient, filename: str) -> None:
    content = f"file {uuid.uuid4()}".encode()
    uploaded = upload_raw(client, filename, content)
    assert uploaded.status_code == 201, uploaded.text
    document = uploaded.json()
    answer = client.get(document["content_url"])
    assert answer.status_code == 200, answer.text
    assert "x-injected" not in answer.headers
    assert answer.headers["content-type"] == "application/pdf"
    _, name = download_name(answer.headers["content-disposition"])
    assert name == document["filename"]  # the stored name, exactly: nothing of it became a parameter
    assert_inert(answer)
    assert answer.content == content


def test_a_quote_in_a_filename_reaches_the_header_only_encoded(client: TestClient) -> None:
    document = upload_raw(client, "invoice\"; filename*=UTF-8''evil.html; x=\".pdf", b"%PDF quoted").json()
    assert document["filename"] == "invoice\"; filename*=UTF-8''evil.html; x=\".pdf"
    header = client.get(document["content_url"]).headers["content-disposition"]
    assert header.count("filename*=") == 1
    assert header.endswith(
        "; filename*=UTF-8''invoice%22%3B%20filename%2A%3DUTF-8%27%27evil.html%3B%20x%3D%22.pdf"
    )


@given(filename=st.text(max_size=80) | st.text(alphabet="\"\\;=*'%\r\n\t é发", max_size=20))
def test_any_filename_makes_one_well_formed_ascii_header(filename: str) -> None:
    header = attachment(filename)
    assert header.isascii() and header.isprintable()  # no CR, LF or other control character
    fallback, name = download_name(header)
    assert name == filename
    assert fallback


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        # invoice + U+202E + fdp.exe shows as "invoiceexe.pdf": the override is what makes the disguise.
        ("invoice\u202efdp.exe", "invoice_fdp.exe"),
        ("in\u200bvoice\u2066.pdf", "in_voice_.pdf"),
        ("Cafe\u0301.pdf", "Caf\u00e9.pdf"),
    ],
)
def test_a_filename_keeps_no_invisible_character_and_is_stored_in_nfc(
    client: TestClient, sent: str, kept: str
) -> None:
    document = upload(client, sent, f"file {uuid.uuid4()}".encode(), "application/pdf")
    assert document["filename"] == kept
    _, name = download_name(client.get(document["content_url"]).headers["content-disposition"])
    assert name == kept
