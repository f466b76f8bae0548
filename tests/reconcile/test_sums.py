"""Grouped sums of uint256 columns are exact on both backends, whatever the width of the values."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, func, insert
from sqlalchemy.orm import Session

from ledger.db.models import Pledged
from ledger.reads.sums import grouped_sums

UINT256 = st.one_of(
    st.integers(0, 10**12),
    st.integers(0, 10**36 - 1),
    st.integers(0, 2**256 - 1),  # past 36 digits: the plain uint_sum path
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.integers(1, 3), UINT256, UINT256), min_size=1, max_size=30))
def test_grouped_sums_are_exact(engine: Engine, rows: list[tuple[int, int, int]]) -> None:
    with engine.begin() as conn:
        conn.execute(delete(Pledged))
        conn.execute(
            insert(Pledged),
            [
                {
                    "chain_id": 1,
                    "contract": "0x" + "cd" * 20,
                    "block_number": i,
                    "block_hash": "0x" + "11" * 32,
                    "block_timestamp": 0,
                    "tx_hash": f"0x{i:064x}",
                    "tx_index": 0,
                    "log_index": 0,
                    "campaign_id": 1,
                    "round_id": round_id,
                    "donor": "0x" + "ab" * 20,
                    "token": "0x" + "00" * 20,
                    "amount": amount,
                    "usd_value": usd,
                    "price": 1,
                }
                for i, (round_id, amount, usd) in enumerate(rows)
            ],
        )
    expected: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for round_id, amount, usd in rows:
        expected[round_id][0] += 1
        expected[round_id][1] += amount
        expected[round_id][2] += usd
    with Session(engine) as s:
        got = grouped_sums(
            s,
            [Pledged.round_id],
            [func.count()],
            [Pledged.amount, Pledged.usd_value],
            [Pledged.chain_id == 1],
        )
    assert {int(r): [n, a, u] for r, n, a, u in got} == dict(expected)
