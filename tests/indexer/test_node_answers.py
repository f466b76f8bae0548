"""How the indexer copes with what nodes answer: log queries refused as too large, errors for a moment,
and nodes without ``blockTimestamp`` in their logs."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import Engine, select

from ledger.db.models import Pledged
from ledger.errors import RpcError
from ledger.indexer.rpc import RpcClient
from ledger.indexer.runner import Indexer, IndexerConfig
from tests.indexer.support import assert_mirror_matches_chain, busy_life, ledger_source, rpc_url, some_pledges
from tests.support.chain import LedgerEnv


class PickyNode(RpcClient):
    """A real node behind rules that providers apply: a cap on the blocks per ``eth_getLogs``, error
    answers for the first few calls, or logs without ``blockTimestamp``."""

    def __init__(self, url: str, *, max_blocks: int | None = None, failing_calls: int = 0,
                 strip_timestamps: bool = False) -> None:  # fmt: skip
        super().__init__(url, give_up_after=30)
        self.max_blocks = max_blocks
        self.failing_calls = failing_calls
        self.strip_timestamps = strip_timestamps
        self.log_queries: list[tuple[int, int]] = []

    def call(self, method: str, params: Sequence[Any] = (), **options: Any) -> Any:
        if self.failing_calls > 0 and method == "eth_getLogs":
            self.failing_calls -= 1
            raise RpcError("eth_getLogs: internal error", code=-32603)
        if method == "eth_getLogs":
            first, last = int(params[0]["fromBlock"], 16), int(params[0]["toBlock"], 16)
            self.log_queries.append((first, last))
            if self.max_blocks is not None and last - first + 1 > self.max_blocks:
                raise RpcError("query returned more than 10000 results", code=-32005)
        answer = super().call(method, params, **options)
        if method == "eth_getLogs" and self.strip_timestamps:
            for entry in answer:
                entry.pop("blockTimestamp", None)
        return answer


def _index(env: LedgerEnv, engine: Engine, node: PickyNode, **config: Any) -> None:
    with node:
        Indexer(node, engine, ledger_source(env), IndexerConfig(**config)).run(once=True)


def test_log_queries_refused_as_too_large_are_split(env: LedgerEnv, engine: Engine) -> None:
    ids = busy_life(env)
    some_pledges(env, ids["c1"], env.open_round(ids["c1"]), 6)
    node = PickyNode(rpc_url(env), max_blocks=4)
    _index(env, engine, node)
    assert_mirror_matches_chain(env, engine)
    accepted = [(a, b) for a, b in node.log_queries if b - a + 1 <= 4]
    assert len(accepted) < len(node.log_queries)  # some were refused, then asked for again, smaller
    # The accepted ranges tile the chain from the deployment to the head, without gaps or overlaps.
    assert accepted[0][0] == env.deployment.block_number
    assert all(b + 1 == c for (_, b), (c, _) in pairwise(accepted))
    assert accepted[-1][1] == env.w3.eth.block_number


def test_error_answers_for_a_moment_are_retried(env: LedgerEnv, engine: Engine) -> None:
    busy_life(env)
    _index(env, engine, PickyNode(rpc_url(env), failing_calls=3), rpc_error_retries=5)
    assert_mirror_matches_chain(env, engine)


def test_error_answers_that_persist_stop_the_indexer(env: LedgerEnv, engine: Engine) -> None:
    busy_life(env)
    with pytest.raises(RpcError, match="internal error"):
        _index(env, engine, PickyNode(rpc_url(env), failing_calls=100), rpc_error_retries=2)


def test_logs_without_timestamps_get_them_from_the_headers(env: LedgerEnv, engine: Engine) -> None:
    busy_life(env)
    _index(env, engine, PickyNode(rpc_url(env), strip_timestamps=True), finality=0)
    assert_mirror_matches_chain(env, engine)
    with engine.connect() as conn:
        rows = conn.execute(select(Pledged.block_number, Pledged.block_timestamp)).all()
    for number, stamp in rows:
        assert stamp == env.w3.eth.get_block(number)["timestamp"]
