"""The dashboard's files: the page with a same-origin-only security policy, its allow-listed assets (the npm
libraries included), and nothing else from the project's directories."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.routes.dashboard import ASSETS
from ledger.db.engine import make_engine
from tests.api.support import TestClient, api_client


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with api_client(engine) as test_client:
            yield test_client
    finally:
        engine.dispose()


def test_page_loads_only_its_own_origin(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    for name in ASSETS:
        assert f'src="/dashboard/{name}"' in response.text or f'href="/dashboard/{name}"' in response.text


@pytest.mark.parametrize("name", sorted(ASSETS))
def test_every_asset_is_served(client: TestClient, name: str) -> None:
    response = client.get(f"/dashboard/{name}")
    assert response.status_code == 200, "npm libraries come from scripts/setup (npm ci)"
    assert response.content == ASSETS[name][0].read_bytes()


@pytest.mark.parametrize("name", ["index.py", "package.json", "..%2F..%2Fpyproject.toml", "d3.js"])
def test_files_outside_the_allow_list_are_not_served(client: TestClient, name: str) -> None:
    assert client.get(f"/dashboard/{name}").status_code == 404
