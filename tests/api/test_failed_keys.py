"""Failed API key attempts on SQLite and PostgreSQL: after N failures (wrong, revoked or malformed key)
from one address within the window, that address is answered 429 with Retry-After, valid key or not, until
the window has passed; valid requests and requests without a key do not count; other addresses are not
affected; X-Forwarded-For moves nothing unless a trusted proxy sent it (checked on a real uvicorn)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from api.main import create_app
from ledger.db.records import RecordVersion, Supplier
from ledger.keys import create_key, revoke_key
from ledger.node import free_port
from ledger.serving import running_api
from tests.api.support import API, settings_for

LIMIT = 3
WINDOW = 1  # second: the test waits it out
SUPPLIER = {"name": "Mask Maker", "country": "CN", "wallet": "0x00000000219ab540356cBB839Cbe05303d7705Fa"}


def new_key(engine: Engine, name: str, role: str = "manager") -> str:
    with Session(engine) as s, s.begin():
        _, plaintext = create_key(s, name=name, role=role)
    return plaintext


def bad_keys(engine: Engine) -> list[str]:
    """A wrong key of the right shape, a revoked key and a malformed one."""
    revoked = new_key(engine, "former")
    with Session(engine) as s, s.begin():
        revoke_key(s, name="former")
    return ["pl_0123abcd_" + "x" * 43, revoked, "nonsense"]


def written(engine: Engine) -> int:
    with Session(engine) as s:
        return sum(s.scalar(select(func.count()).select_from(m)) or 0 for m in (Supplier, RecordVersion))


def test_failed_attempts_block_an_address_until_the_window_passes(engine: Engine) -> None:
    valid = new_key(engine, "desk")
    wrong = bad_keys(engine)
    app = create_app(
        settings_for(engine, auth_failure_limit=LIMIT, auth_failure_window=WINDOW), engine=engine
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        for _ in range(2 * LIMIT):  # valid requests do not count, nor requests without a key
            assert client.get(f"{API}/exports/tables", headers={"X-API-Key": valid}).status_code == 200
            assert client.get(f"{API}/exports/tables").status_code == 401
        for key in wrong:
            assert client.get(f"{API}/exports/tables", headers={"X-API-Key": key}).status_code == 401

        blocked = client.get(f"{API}/exports/tables", headers={"X-API-Key": valid})
        assert blocked.status_code == 429
        assert "too many failed API key attempts" in blocked.json()["detail"]
        assert 1 <= int(blocked.headers["Retry-After"]) <= WINDOW
        write = client.post(f"{API}/suppliers", json=SUPPLIER, headers={"X-API-Key": valid})
        assert write.status_code == 429
        assert written(engine) == 0
        forwarded = {"X-API-Key": valid, "X-Forwarded-For": "198.51.100.7"}
        assert client.get(f"{API}/exports/tables", headers=forwarded).status_code == 429
        assert client.get(f"{API}/pledges").status_code == 200  # public reads need no key: not limited

        other = TestClient(app, raise_server_exceptions=False, client=("203.0.113.9", 40000))
        assert other.get(f"{API}/exports/tables", headers={"X-API-Key": valid}).status_code == 200

        time.sleep(int(blocked.headers["Retry-After"]) + 0.1)
        assert client.get(f"{API}/exports/tables", headers={"X-API-Key": valid}).status_code == 200
        created = client.post(f"{API}/suppliers", json=SUPPLIER, headers={"X-API-Key": valid})
        assert created.status_code == 201, created.text


def test_fewer_failures_than_the_limit_block_nothing(engine: Engine) -> None:
    valid = new_key(engine, "desk")
    app = create_app(settings_for(engine, auth_failure_limit=LIMIT, auth_failure_window=60), engine=engine)
    with TestClient(app, raise_server_exceptions=False) as client:
        for key in bad_keys(engine)[: LIMIT - 1]:
            assert client.get(f"{API}/exports/tables", headers={"X-API-Key": key}).status_code == 401
        assert client.get(f"{API}/exports/tables", headers={"X-API-Key": valid}).status_code == 200


def _spray(base: str, keys: list[str], forwarded_for: list[str]) -> None:
    for key, address in zip(keys, forwarded_for, strict=True):
        answer = httpx.get(
            f"{base}{API}/exports/tables", headers={"X-API-Key": key, "X-Forwarded-For": address}
        )
        assert answer.status_code == 401


@pytest.mark.parametrize("trusted_proxies", ["", "127.0.0.1"])
def test_on_uvicorn_x_forwarded_for_counts_only_from_a_trusted_proxy(
    engine: Engine, trusted_proxies: str
) -> None:
    valid = new_key(engine, "desk")
    settings = settings_for(
        engine, auth_failure_limit=LIMIT, auth_failure_window=60, trusted_proxies=trusted_proxies
    )
    addresses = [f"198.51.100.{i}" for i in range(1, LIMIT + 1)]
    with running_api(settings, "127.0.0.1", free_port()) as base:
        # Three failures, each claiming another address; then a valid key claiming yet another.
        _spray(base, bad_keys(engine), addresses)
        headers: dict[str, Any] = {"X-API-Key": valid, "X-Forwarded-For": "198.51.100.200"}
        answer = httpx.get(f"{base}{API}/exports/tables", headers=headers)
        if trusted_proxies:
            assert answer.status_code == 200  # each forwarded address failed once only
        else:
            assert answer.status_code == 429  # the header is not believed: all came from 127.0.0.1
            assert int(answer.headers["Retry-After"]) <= 60
