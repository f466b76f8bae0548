"""Every answer, whatever its status and whoever wrote it (a route, the error handlers, the body guards,
Starlette's last-resort 500), carries ``X-Content-Type-Options: nosniff``, so that no browser reads JSON
holding user-written text as HTML or script."""

from __future__ import annotations

from pathlib import Path

from httpx import Response
from sqlalchemy import Engine

from api.body_limit import JSON_BODY_LIMIT
from api.main import create_app
from ledger.db.engine import make_engine
from ledger.node import free_port
from ledger.settings import Settings
from tests.api.hostile import nested
from tests.api.support import API, TestClient, settings_for


def assert_nosniff_json(name: str, answer: Response, status: int) -> None:
    assert answer.status_code == status, f"{name}: {answer.status_code} {answer.text[:200]}"
    assert answer.headers["content-type"].startswith("application/json"), name
    assert answer.headers.get_list("x-content-type-options") == ["nosniff"], name


def test_json_answers_of_every_kind_carry_nosniff(engine: Engine) -> None:
    app = create_app(settings_for(engine), engine=engine)

    @app.get("/failing")
    def failing() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        answers = {
            "a list": (client.get(f"{API}/campaigns"), 200),
            "health": (client.get("/health"), 200),
            "the OpenAPI document": (client.get("/openapi.json"), 200),
            "no key": (client.post(f"{API}/suppliers", json={}), 401),
            "no route": (client.get("/nowhere"), 404),
            "no record": (client.get(f"{API}/suppliers/99"), 404),
            "wrong method": (client.delete(f"{API}/suppliers"), 405),
            "too large": (client.post(f"{API}/suppliers", content=b"x" * (JSON_BODY_LIMIT + 1)), 413),
            "a bad cursor": (client.get(f"{API}/pledges", params={"cursor": "x"}), 422),
            "too deep": (client.post(f"{API}/suppliers", content=nested(100)), 422),
            "an unexpected error": (client.get("/failing"), 500),
        }
    for name, (answer, status) in answers.items():
        assert_nosniff_json(name, answer, status)


def test_the_database_gone_is_a_503_with_nosniff(tmp_path: Path) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/gone"  # nothing listens there
    engine = make_engine(url, connect_args={"connect_timeout": 2})
    try:
        app = create_app(Settings(database_url=url), engine=engine)
        with TestClient(app, raise_server_exceptions=False) as client:
            assert_nosniff_json("health", client.get("/health"), 503)
            assert_nosniff_json("a list", client.get(f"{API}/pledges"), 503)
    finally:
        engine.dispose()


def test_a_route_that_sets_nosniff_itself_sends_it_once(engine: Engine) -> None:
    with TestClient(create_app(settings_for(engine), engine=engine)) as client:
        page = client.get("/")
    assert page.status_code == 200
    assert page.headers.get_list("x-content-type-options") == ["nosniff"]
