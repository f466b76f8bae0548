"""Migration 0006 on a database whose API keys predate scopes: each key keeps working, for every campaign
(the documented choice), ``keys list`` says so, and a key written later must state its scope."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ledger.cli import app
from ledger.db.migrate import current_revision, head_revision, upgrade
from ledger.db.models import Base
from ledger.keys import list_keys, scope_of
from tests.api.support import API, api_client
from tests.records.support import USDT, mirror_campaign

SECRET = "s3cret-of-a-key-made-before-scopes_0123456789"
PLAINTEXT = f"pl_0a1b2c3d_{SECRET}"


def back_to_0005_with_a_key(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}"'))
    upgrade(engine, "0005")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO api_keys (name, role, prefix, secret_sha256, created_at) "
                "VALUES ('legacy-desk', 'manager', '0a1b2c3d', :digest, :created)"
            ),
            {"digest": hashlib.sha256(SECRET.encode()).hexdigest(), "created": datetime.now(UTC)},
        )


def test_keys_made_before_scopes_stay_global_after_the_upgrade(engine: Engine, database_url: str) -> None:
    back_to_0005_with_a_key(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()

    with Session(engine) as session:
        [key] = list_keys(session)
        assert (key.name, key.role, key.all_campaigns, key.campaigns) == ("legacy-desk", "manager", True, [])
        assert scope_of(key).describe() == "all campaigns"

    mirror_campaign(engine, 1)
    mirror_campaign(engine, 2)
    headers = {"X-API-Key": PLAINTEXT}
    with api_client(engine) as client:
        # Writes only a key for every campaign may make, and whole-table exports: all still allowed.
        token = client.post(f"{API}/tokens", headers=headers, json={"address": USDT, "symbol": "USDT"})
        assert token.status_code == 201, token.text
        assert token.json()["updated_by"] == "legacy-desk"
        assert client.get(f"{API}/exports/tables/tokens", headers=headers).status_code == 200

    listed = CliRunner().invoke(app, ["keys", "list", "--database-url", database_url], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    [row] = [line for line in listed.output.splitlines() if "legacy-desk" in line]
    assert "all campaigns" in row

    # The default that filled the old rows is gone: a new row must say whether it is global.
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO api_keys (name, role, prefix, secret_sha256, created_at) "
                "VALUES ('sneaky', 'manager', 'ffffffff', 'x', :created)"
            ),
            {"created": datetime.now(UTC)},
        )
