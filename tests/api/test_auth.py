"""API keys on SQLite and PostgreSQL: no key → 401, unknown or revoked key → 401, wrong role → 403, and
nothing written when a request is refused; keys created through the CLI work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from eth_utils.address import to_checksum_address
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ledger.db.records import ApiKey, RecordVersion, Supplier
from ledger.keys import authenticate, create_key, list_keys, revoke_key
from tests.api.support import API, api_client

SUPPLIER = {"name": "Shenzhen Masks Ltd", "country": "CN", "wallet": to_checksum_address("0x" + "ab" * 20)}


def new_key(engine: Engine, role: str, name: str | None = None) -> str:
    with Session(engine) as session, session.begin():
        _, plaintext = create_key(session, name=name or role, role=role)
    return plaintext


def revoke(engine: Engine, name: str) -> None:
    with Session(engine) as session, session.begin():
        revoke_key(session, name=name)


def written(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(Supplier)) or 0,
            session.scalar(select(func.count()).select_from(RecordVersion)) or 0,
        )


def test_keys_are_stored_hashed_and_found_only_by_the_whole_key(engine: Engine) -> None:
    plaintext = new_key(engine, "manager", "ops")
    with Session(engine) as session:
        [stored] = list_keys(session)
        assert plaintext not in (stored.secret_sha256, stored.prefix)
        assert plaintext.split("_", 2)[2] not in stored.secret_sha256
        assert authenticate(session, plaintext) is not None
        assert authenticate(session, plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")) is None
        assert authenticate(session, plaintext + "x") is None
        assert authenticate(session, "pl_00000000_" + plaintext.split("_", 2)[2]) is None
        assert authenticate(session, "") is None


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({}, 401, "an API key is required"),
        ({"X-API-Key": "nonsense"}, 401, "unknown or revoked"),
        ({"X-API-Key": "pl_0123abcd_" + "x" * 43}, 401, "unknown or revoked"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 401, "an API key is required"),
    ],
)
def test_writes_without_a_valid_key_are_refused_and_write_nothing(
    engine: Engine, headers: dict[str, str], status: int, message: str
) -> None:
    new_key(engine, "manager")
    with api_client(engine) as client:
        answer = client.post(f"{API}/suppliers", json=SUPPLIER, headers=headers)
    assert answer.status_code == status
    assert message in answer.json()["detail"]
    assert written(engine) == (0, 0)


def test_an_auditor_may_not_write(engine: Engine) -> None:
    auditor = new_key(engine, "auditor")
    with api_client(engine) as client:
        answer = client.post(f"{API}/suppliers", json=SUPPLIER, headers={"X-API-Key": auditor})
    assert answer.status_code == 403
    assert "role 'auditor'" in answer.json()["detail"]
    assert written(engine) == (0, 0)


def test_a_revoked_key_is_refused_from_the_next_request_on(engine: Engine) -> None:
    manager = new_key(engine, "manager", "ops")
    with api_client(engine) as client:
        first = client.post(f"{API}/suppliers", json=SUPPLIER, headers={"Authorization": f"Bearer {manager}"})
        assert first.status_code == 201, first.text
        revoke(engine, "ops")
        second = client.post(
            f"{API}/suppliers",
            json={**SUPPLIER, "wallet": to_checksum_address("0x" + "cd" * 20)},
            headers={"X-API-Key": manager},
        )
        assert second.status_code == 401
        assert "unknown or revoked" in second.json()["detail"]
        assert client.get(f"{API}/exports/tables", headers={"X-API-Key": manager}).status_code == 401
    assert written(engine) == (1, 1)


def test_exports_and_history_need_a_manager_or_auditor_key(engine: Engine) -> None:
    manager = new_key(engine, "manager")
    auditor = new_key(engine, "auditor")
    with api_client(engine) as client:
        created = client.post(f"{API}/suppliers", json=SUPPLIER, headers={"X-API-Key": manager}).json()
        for path in (
            f"{API}/exports/tables",
            f"{API}/exports/tables/suppliers",
            f"{API}/history/supplier/{created['id']}",
        ):
            assert client.get(path).status_code == 401, path
            assert client.get(path, headers={"X-API-Key": "pl_bad"}).status_code == 401, path
            for key in (manager, auditor):
                answer = client.get(path, headers={"X-API-Key": key})
                assert answer.status_code == 200, (path, answer.text)
        # Public reads need no key.
        assert client.get(f"{API}/pledges").status_code == 200
        assert client.get(f"{API}/suppliers").status_code == 200


def test_key_names_are_unique_and_roles_known(engine: Engine) -> None:
    new_key(engine, "manager", "ops")
    with Session(engine) as session, pytest.raises(ValueError, match="exists already"):
        create_key(session, name="ops", role="auditor")
    with Session(engine) as session, pytest.raises(ValueError, match="unknown role"):
        create_key(session, name="other", role="admin")
    with Session(engine) as session, pytest.raises(ValueError, match="no API key named"):
        revoke_key(session, name="nobody")


CLI = [sys.executable, "-c", "from ledger.cli import main; main()"]


def _cli(*args: str, database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args, "--database-url", database_url],
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_key_created_with_the_cli_works_until_revoked(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    created = _cli(
        "keys", "create", "--role", "auditor", "--name", "audit-firm", database_url=database_url, cwd=tmp_path
    )
    assert created.returncode == 0, created.stderr
    plaintext = created.stdout.strip()
    assert plaintext.startswith("pl_")
    assert "cannot be shown again" in created.stderr
    listed = _cli("keys", "list", database_url=database_url, cwd=tmp_path)
    assert "audit-firm" in listed.stdout
    assert "auditor" in listed.stdout
    assert plaintext not in listed.stdout
    with api_client(engine) as client:
        assert client.get(f"{API}/exports/tables", headers={"X-API-Key": plaintext}).status_code == 200
        again = _cli(
            "keys",
            "create",
            "--role",
            "manager",
            "--name",
            "audit-firm",
            database_url=database_url,
            cwd=tmp_path,
        )
        assert again.returncode == 1
        assert "exists already" in again.stderr
        assert "Traceback" not in again.stderr
        revoked = _cli("keys", "revoke", "audit-firm", database_url=database_url, cwd=tmp_path)
        assert revoked.returncode == 0, revoked.stderr
        assert client.get(f"{API}/exports/tables", headers={"X-API-Key": plaintext}).status_code == 401
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ApiKey)) == 1
