"""The schema: migrations match the models, and EVM integers survive every backend exactly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, insert, select

from ledger.db.engine import database_url, make_engine
from ledger.db.migrate import current_revision, head_revision, upgrade
from ledger.db.models import Base, Pledged
from ledger.db.types import uint_sum
from ledger.errors import DatabaseError

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
