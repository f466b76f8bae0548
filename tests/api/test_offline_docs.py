"""``/docs`` works with no internet: Swagger UI's script, style and icon come from this origin (the npm
package ``swagger-ui-dist``), the page names no other host, and a real headless Chromium that may reach
nothing but the API renders the documentation."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from devtools.served import served_api
from ledger.db.engine import make_engine
from ledger.db.migrate import upgrade
from tests.api.support import TestClient, api_client

CHROMIUM = Path(os.environ.get("PLEDGELEDGER_CHROMIUM", "/usr/bin/chromium"))
#: The media type each kind of asset must be served as (browsers refuse others under nosniff).
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".json": "application/json"}


def referenced(html: str) -> list[str]:
    """Every URL the page loads: src and href attributes, and the OpenAPI document Swagger UI fetches."""
    return re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('docs') / 'api.db'}")
    upgrade(engine)
    try:
        with api_client(engine) as http:
            yield http
    finally:
        engine.dispose()


def test_the_docs_page_names_no_other_host(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    urls = referenced(page.text)
    assert len(urls) == 4, urls  # style, icon, script, OpenAPI document
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and url.startswith("/"), url
    assert not re.search(r"https?:|//", page.text), "a URL with a host"


def test_every_asset_of_the_docs_page_answers_with_its_media_type(client: TestClient) -> None:
    for url in referenced(client.get("/docs").text):
        answer = client.get(url)
        assert answer.status_code == 200, url
        expected = MEDIA_TYPES[Path(urlsplit(url).path).suffix]
        assert answer.headers["content-type"].split(";")[0] == expected, url
        assert answer.headers["x-content-type-options"] == "nosniff"
    script = client.get("/docs/assets/swagger-ui-bundle.js").text
    assert "SwaggerUIBundle" in script


def test_nothing_else_is_served_from_node_modules_and_redoc_is_off(client: TestClient) -> None:
    for path in (
        "/docs/assets/package.json",
        "/docs/assets/..%2F..%2Fpackage.json",
        "/docs/assets/%2e%2e/swagger-ui-dist/index.html",
        "/docs/assets/index.html",
        "/redoc",  # ReDoc loads its script and fonts from CDNs
    ):
        assert client.get(path).status_code == 404, path


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Chromium; skipped when it or Playwright is missing, except under CI (a failure there)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not CHROMIUM.is_file():
        message = f"this test needs Playwright and Chromium at {CHROMIUM} (scripts/setup-browser)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


def test_swagger_ui_renders_in_a_browser_that_can_reach_only_the_api(chromium: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    with served_api(url, rpc_url=None, log=tmp_path / "uvicorn.log") as base:
        elsewhere: list[str] = []
        errors: list[str] = []
        page = chromium.new_page()
        try:

            def offline(route: Any) -> None:
                if route.request.url.startswith(base + "/"):
                    route.continue_()
                else:
                    elsewhere.append(route.request.url)
                    route.abort()

            page.route("**/*", offline)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{base}/docs")
            page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
            assert "pledgeledger" in page.inner_text(".swagger-ui .info .title")
            page.wait_for_selector('[data-path="/api/v1/suppliers"]', timeout=30_000)
        finally:
            page.close()
        assert httpx.get(f"{base}/health", timeout=10).status_code == 200
    assert elsewhere == [], f"the page asked for other hosts: {elsewhere}"
    assert errors == [], errors
