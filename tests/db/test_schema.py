"""The schema: migrations match the models, and EVM integers survive every backend exactly."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, Insert, column, delete, insert, select, table, text

from ledger.compiler import Build
from ledger.db.engine import database_url, make_engine
from ledger.db.migrate import current_revision, head_revision, upgrade
from ledger.db.models import (
    EVENT_TABLES,
    MIRROR_TABLES,
    TIMELOCK_EVENT_TABLES,
    Base,
    CampaignCancelled,
    CampaignCreated,
    ChainEvent,
    Pledged,
    RoundClosed,
    SupplierApproved,
    SupplierRevoked,
)
from ledger.db.types import uint_sum
from ledger.errors import DatabaseError
from ledger.governance.timelock import TIMELOCK_CONTRACT
from ledger.indexer.decode import snake_case

UINT256 = st.integers(min_value=0, max_value=2**256 - 1)


def test_migrations_create_exactly_the_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_upgrading_twice_is_harmless(engine: Engine) -> None:
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def _pledge(amount: int, log_index: int) -> dict[str, object]:
    return {
        "chain_id": 1, "contract": "0x" + "11" * 20, "block_number": 1, "block_hash": "0x" + "22" * 32,
        "block_timestamp": 0, "tx_hash": "0x" + "33" * 32, "tx_index": 0, "log_index": log_index,
        "campaign_id": 2**256 - 1, "round_id": 1, "donor": "0x" + "44" * 20, "token": "0x" + "55" * 20,
        "amount": amount, "usd_value": amount, "price": 2**255 - 1,
    }  # fmt: skip


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(UINT256, min_size=1, max_size=8))
def test_uint256_values_and_their_sum_are_exact(engine: Engine, amounts: list[int]) -> None:
    with engine.begin() as conn:
        conn.execute(delete(Pledged))
        conn.execute(insert(Pledged), [_pledge(a, i) for i, a in enumerate(amounts)])
    with engine.connect() as conn:
        stored = conn.execute(select(Pledged.amount).order_by(Pledged.log_index)).scalars().all()
        total = conn.execute(select(uint_sum(Pledged.amount))).scalar()
        campaign = conn.execute(select(Pledged.campaign_id)).scalars().first()
    assert stored == amounts
    assert total == sum(amounts)  # may exceed 2**256: the sum is still exact
    assert campaign == 2**256 - 1


def test_sum_of_no_rows_is_zero(engine: Engine) -> None:
    with engine.connect() as conn:
        assert conn.execute(select(uint_sum(Pledged.amount))).scalar() == 0


@pytest.mark.parametrize(
    ("url", "message"),
    [("mysql://localhost/db", "unsupported database 'mysql'"), ("not a url", "not a database URL")],
)
def test_unusable_database_urls_get_a_clear_message(url: str, message: str) -> None:
    with pytest.raises(DatabaseError, match=message):
        make_engine(url)


def test_plain_postgresql_urls_use_psycopg_3() -> None:
    assert database_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert database_url("postgres://u@h/db").drivername == "postgresql+psycopg"


# ─── every event has its table ──────────────────────────────────────────────────────────────────────


def _columns_of(model: type[ChainEvent], entry: dict[str, Any]) -> set[str]:
    return {model.renamed.get(snake_case(p["name"]), snake_case(p["name"])) for p in entry["inputs"]}


def test_every_ledger_event_has_its_table_with_a_column_per_parameter(build: Build) -> None:
    events = [e for e in build["PledgeLedger"].abi if e["type"] == "event"]
    assert {e["name"] for e in events} == set(EVENT_TABLES)
    for entry in events:
        model = EVENT_TABLES[entry["name"]]
        assert _columns_of(model, entry) <= set(model.__table__.columns.keys()), entry["name"]


def test_the_timelocks_operations_have_their_tables_and_its_roles_do_not(build: Build) -> None:
    events = {e["name"]: e for e in build[TIMELOCK_CONTRACT].abi if e["type"] == "event"}
    assert set(TIMELOCK_EVENT_TABLES) == {
        "CallScheduled",
        "CallExecuted",
        "CallSalt",
        "Cancelled",
        "MinDelayChange",
    }
    for name, model in TIMELOCK_EVENT_TABLES.items():
        assert _columns_of(model, events[name]) <= set(model.__table__.columns.keys()), name
    assert set(MIRROR_TABLES) == {
        m.__tablename__ for m in (*EVENT_TABLES.values(), *TIMELOCK_EVENT_TABLES.values())
    }


# ─── rows of a version 1 ledger ────────────────────────────────────────────────────────────────────────


def _v1_row(name: str, log_index: int, **values: object) -> Insert:
    """A row as a v1 mirror held it (the columns of migration 0004 only)."""
    meta = {
        "chain_id": 1, "contract": "0x" + "11" * 20, "block_number": 7, "block_hash": "0x" + "22" * 32,
        "block_timestamp": 1_700_000_000, "tx_hash": "0x" + "33" * 32, "tx_index": 0, "log_index": log_index,
    }  # fmt: skip
    row = {**meta, **values}
    return table(name, *(column(c) for c in row)).insert().values(row)


def test_rows_of_a_v1_ledger_get_what_v1_meant(database_url: str) -> None:
    """Migration 0005 on a mirror of a v1 ledger: no supplier delay, approvals effective at their block, and
    who cancelled, closed or revoked unknown (NULL)."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:  # back to 0004, as a v1 mirror was
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}"'))
        upgrade(engine, "0004")
        address, digest = "0x" + "44" * 20, "0x" + "55" * 32
        rows = [
            _v1_row(
                "campaign_created",
                0,
                campaign_id=1,
                manager=address,
                beneficiary="WAHO",
                metadata_hash=digest,
            ),
            _v1_row("supplier_approved", 1, campaign_id=1, supplier=address, record_hash=digest),
            _v1_row("supplier_revoked", 2, campaign_id=1, supplier=address),
            _v1_row("round_closed", 3, campaign_id=1, round_id=1, outcome=2, raised_usd=5),
            _v1_row("campaign_cancelled", 4, campaign_id=1, cancelled_round_id=0),
        ]
        with engine.begin() as conn:
            for statement in rows:
                conn.execute(statement)
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as conn:
            assert conn.execute(select(CampaignCreated.supplier_delay)).scalar_one() == 0
            assert conn.execute(select(SupplierApproved.effective_at)).scalar_one() == 1_700_000_000
            assert conn.execute(select(SupplierRevoked.account)).scalar_one() is None
            assert conn.execute(select(RoundClosed.caller)).scalar_one() is None
            assert conn.execute(select(CampaignCancelled.account)).scalar_one() is None
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diff == []
    finally:
        engine.dispose()
