"""A reorganisation deeper than the finality depth halts the indexer, and everyone is told: the cursor records
why, since when and at which block; ``/status`` shows it, ``/health`` answers degraded, ``/metrics`` has a
gauge, and no mirrored pledge is served as final while it lasts. The halt clears when the indexer is reset,
or when it finds its mirror on the chain again (the node back on the mirrored branch). Real Anvil, real
SQLite and PostgreSQL, the API through its ASGI app.
"""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from ledger.errors import ReorgTooDeepError
from ledger.indexer.rpc import RpcClient
from ledger.indexer.runner import Indexer, IndexerConfig
from ledger.indexer.store import CursorState, MirrorStore
from ledger.node import LocalNode, start_node
from tests.api.support import API, TestClient, api_client
from tests.e2e.support import UpProcess
from tests.indexer.faults import FlakyProxy
from tests.indexer.support import assert_mirror_matches_chain, ledger_source, rpc_url, run_indexer
from tests.support.chain import LedgerEnv

#: Blocks this deep are final: few, so that a short test chain has final pledges and a deeper reorg.
FINALITY = 2
CONFIG = IndexerConfig(finality=FINALITY)
PLEDGES = 3


def _rpc(url: str, method: str, params: list[Any]) -> Any:
    answer = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).json()
    assert "error" not in answer, f"{method}: {answer['error']}"
    return answer.get("result")


def _pledge_round(env: LedgerEnv) -> tuple[int, int]:
    campaign_id = env.create_campaign(("ETH",))
    return campaign_id, env.open_round(campaign_id, goal_usd=10**9 * 10**8)


def _pledges(env: LedgerEnv, campaign_id: int, round_id: int) -> set[str]:
    """:data:`PLEDGES` ETH pledges, one block each, then blocks on top that make them final."""
    donors = env.donors[:PLEDGES]
    hashes = {env.pledge(d, campaign_id, round_id, "ETH", 10**15).tx_hash for d in donors}
    _rpc(rpc_url(env), "anvil_mine", [hex(FINALITY + 2)])
    return hashes


def _confirmations(client: TestClient, campaign_id: int) -> dict[str, str]:
    answer = client.get(f"{API}/pledges", params={"campaign_id": campaign_id})
    assert answer.status_code == 200, answer.text
    return {p["tx_hash"]: p["confirmation"] for p in answer.json()["data"]}


def _sample(text: str, name: str, **labels: str) -> float | None:
    """One sample of a Prometheus text exposition, or None."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if match and match[1] == name and (match[2] or "") == wanted:
            return float(match[3])
    return None


def _halted_gauge(client: TestClient, chain_id: int) -> float | None:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    return _sample(answer.text, "pledgeledger_indexer_halted", chain_id=str(chain_id))


def _status(client: TestClient) -> dict[str, Any]:
    answer = client.get(f"{API}/status")
    assert answer.status_code == 200, answer.text
    [chain] = answer.json()["data"]
    return dict(chain)


def _cursor(engine: Engine, chain_id: int) -> CursorState:
    cursor = MirrorStore(engine).cursor(chain_id)
    assert cursor is not None
    return cursor


def _assert_running(client: TestClient, chain_id: int) -> None:
    """Not halted, as every operations route says."""
    status = _status(client)
    assert (status["halted"], status["halt"]) == (False, None)
    health = client.get("/health")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "ok", "indexer": "ok", "halted_chains": []}
    assert _halted_gauge(client, chain_id) == 0


def test_a_reorg_deeper_than_the_finality_depth_halts_the_indexer_and_the_api_says_so(
    env: LedgerEnv, engine: Engine
) -> None:
    chain_id = env.w3.eth.chain_id
    campaign_id, round_id = _pledge_round(env)
    snapshot = _rpc(rpc_url(env), "evm_snapshot", [])
    fork = env.w3.eth.block_number
    orphaned = _pledges(env, campaign_id, round_id)
    mirrored = run_indexer(env, engine, CONFIG)
    with api_client(engine) as client:
        assert _confirmations(client, campaign_id) == dict.fromkeys(orphaned, "final")
        _assert_running(client, chain_id)

    # Another branch from before the pledges, longer than the mirror: it replaces every block kept.
    _rpc(rpc_url(env), "evm_revert", [snapshot])
    env.forget_nonces()
    _rpc(rpc_url(env), "anvil_mine", [hex(mirrored.block_number - fork + 5)])
    head = env.w3.eth.block_number
    with pytest.raises(ReorgTooDeepError, match="deeper than the blocks kept") as stopped:
        run_indexer(env, engine, CONFIG)

    halted = _cursor(engine, chain_id)
    assert halted.halt_reason == str(stopped.value)
    assert halted.halted_block == mirrored.block_number
    assert halted.halted_at is not None
    assert (halted.block_number, halted.block_hash) == (mirrored.block_number, mirrored.block_hash), (
        "nothing is rolled back on a guess"
    )
    with api_client(engine) as client:
        status = _status(client)
        assert status["halted"] is True
        assert status["halt"]["reason"] == str(stopped.value)
        assert "pledgeledger index --reset" in status["halt"]["reason"]
        assert status["halt"]["block"] == mirrored.block_number
        since = datetime.fromisoformat(status["halt"]["since"])
        assert datetime.now(UTC) - timedelta(minutes=5) < since <= datetime.now(UTC)
        assert (status["head_block"], status["lag"]) == (head, head - mirrored.block_number)

        health = client.get("/health")
        assert health.status_code == 200, "the API still answers: degraded, not down"
        assert health.json() == {
            "status": "degraded",
            "database": "ok",
            "indexer": "halted",
            "halted_chains": [chain_id],
        }
        assert _halted_gauge(client, chain_id) == 1
        assert _confirmations(client, campaign_id) == dict.fromkeys(orphaned, "pending"), (
            "pledges the chain no longer has are not final"
        )

    with pytest.raises(ReorgTooDeepError):  # run again: still halted, since the first time
        run_indexer(env, engine, CONFIG)
    again = _cursor(engine, chain_id)
    assert (again.halt_reason, again.halted_at) == (halted.halt_reason, halted.halted_at)

    cursor = run_indexer(env, engine, CONFIG, reset=True)  # what the message says to do
    assert not cursor.halted
    assert_mirror_matches_chain(env, engine)
    with api_client(engine) as client:
        _assert_running(client, chain_id)
        assert _confirmations(client, campaign_id) == {}, "the orphaned pledges are gone"


@pytest.fixture
def fork(env: LedgerEnv) -> Iterator[Callable[[int], LocalNode]]:
    """Starts an Anvil that forks the session's chain at a block (``--fork-url``): the same chain up to it
    (genesis, ledger and all), then blocks of its own. Stopped after the test."""
    nodes: list[LocalNode] = []

    def start(block: int) -> LocalNode:
        nodes.append(
            start_node("anvil", extra_args=["--fork-url", rpc_url(env), "--fork-block-number", str(block)])
        )
        return nodes[-1]

    try:
        yield start
    finally:
        for node in nodes:
            node.stop()


def test_a_halted_indexer_resumes_when_its_node_is_back_on_the_mirrored_branch(
    env: LedgerEnv, engine: Engine, fork: Callable[[int], LocalNode]
) -> None:
    """The node behind the indexer's URL follows another branch for a while (a provider on the wrong fork),
    then comes back: the indexer halts, then, run again, finds its mirror on the chain and carries on."""
    chain_id = env.w3.eth.chain_id
    campaign_id, round_id = _pledge_round(env)
    before_pledges = env.w3.eth.block_number
    pledges = _pledges(env, campaign_id, round_id)
    upstream = int(rpc_url(env).rsplit(":", 1)[1])
    with FlakyProxy(upstream) as proxy:

        def index() -> CursorState:
            """A run of the indexer, on connections of its own: through the proxy to its node of now."""
            with RpcClient(proxy.url, give_up_after=30) as rpc:
                return Indexer(rpc, engine, ledger_source(env), CONFIG).run(once=True)

        mirrored = index()
        other = fork(before_pledges)
        _rpc(other.rpc_url, "anvil_mine", [hex(mirrored.block_number - before_pledges + 5)])  # longer
        proxy.retarget(other.port)
        with pytest.raises(ReorgTooDeepError):
            index()
        assert _cursor(engine, chain_id).halted
        with api_client(engine) as client:
            assert set(_confirmations(client, campaign_id).values()) == {"pending"}

        proxy.retarget(upstream)  # the node is back on the branch the mirror holds
        resumed = index()
    assert not resumed.halted
    assert (resumed.block_number, resumed.reorgs) == (mirrored.block_number, mirrored.reorgs)
    stored = _cursor(engine, chain_id)
    assert (stored.halt_reason, stored.halted_at, stored.halted_block) == (None, None, None)
    with api_client(engine) as client:
        _assert_running(client, chain_id)
        assert _confirmations(client, campaign_id) == dict.fromkeys(pledges, "final")


def test_up_keeps_serving_through_a_halt_and_its_panel_shows_it(
    env: LedgerEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``up`` on the session's chain (its own deployment and database); then a branch from before it all
    replaces its chain. The indexer halts; ``up`` stays up, its API degraded, and says why on its panel."""
    url = rpc_url(env)
    snapshot = _rpc(url, "evm_snapshot", [])
    fork = env.w3.eth.block_number
    monkeypatch.setenv("PLEDGELEDGER_FINALITY", str(FINALITY))
    database = f"sqlite:///{tmp_path / 'up.db'}"
    up = UpProcess(["--rpc-url", url, "--database-url", database], cwd=tmp_path)
    try:
        up.wait_for("Serving", timeout=240)
        api = f"http://127.0.0.1:{up.port}"
        _rpc(url, "anvil_mine", [hex(FINALITY + 3)])  # the deployment's blocks final, below those kept
        head = env.w3.eth.block_number
        _wait_for(lambda: _up_status(api)["indexed_block"] == head, "the indexer to reach the head")

        _rpc(url, "evm_revert", [snapshot])
        env.forget_nonces()
        _rpc(url, "anvil_mine", [hex(head - fork + 5)])
        _wait_for(lambda: _up_status(api)["halted"], "the indexer to halt")
        reason = _up_status(api)["halt"]["reason"]
        time.sleep(2)  # a few rounds of up's loop: it must not stop on a halt
        assert up.process.poll() is None, f"up stopped on a halt:\n{up.output}"
        health = httpx.get(f"{api}/health", timeout=10)
        assert (health.status_code, health.json()["status"]) == (200, "degraded")
    finally:
        up.process.send_signal(signal.SIGINT)
        code = up.wait(60)
        up.stop()
    assert code == 130, up.output
    assert f"Indexer lag   halted at block {head}: {reason}" in up.output, "the panel, as up stopped"


def _up_status(api: str) -> dict[str, Any]:
    [chain] = httpx.get(f"{api}/api/v1/status", timeout=10).json()["data"]
    return dict(chain)


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
        time.sleep(0.2)
