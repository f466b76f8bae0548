"""Pending changes through the API (SQLite and PostgreSQL): a supplier approval in its delay on the busy
chain, and a timelock operation, decoded, on the supported set-up; the campaign responses' pause, delay and
who cancelled or closed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from ledger.compiler import Build
from tests.api.support import API, C3_SUPPLIER_DELAY, Indexed, TestClient, api_client
from tests.contracts.support import RECORD
from tests.indexer.governed import GovernedChain, governed_chain
from tests.support.chain import reverted


@pytest.fixture(scope="module")
def client(indexed: Indexed) -> Iterator[TestClient]:
    with api_client(indexed.engine) as test_client:
        yield test_client


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0, text  # type: ignore[union-attr]
    return moment


def test_a_supplier_approval_in_its_delay_is_listed_for_its_campaign_only(
    indexed: Indexed, client: TestClient
) -> None:
    env, ids = indexed.env, indexed.ids
    answer = client.get(f"{API}/pending-changes")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["chain_id"] == env.w3.eth.chain_id
    [change] = body["data"]
    assert (change["kind"], change["campaign_ids"], change["all_campaigns"]) == (
        "supplier_approval",
        [str(ids["c3"])],
        False,
    )
    approved = next(
        e
        for e in env.ledger.events.SupplierApproved().get_logs(from_block=0)
        if e["args"]["campaignId"] == ids["c3"]
    )
    block_time = env.w3.eth.get_block(approved["blockNumber"])["timestamp"]
    assert (
        change["effective_at_unix"]
        == str(approved["args"]["effectiveAt"])
        == str(block_time + C3_SUPPLIER_DELAY)
    )
    assert _utc(change["effective_at"]) == datetime.fromtimestamp(block_time + C3_SUPPLIER_DELAY, UTC)
    assert _utc(change["scheduled_at"]) == datetime.fromtimestamp(block_time, UTC)
    assert (change["supplier"], change["record_hash"]) == (env.supplier.address, "0x" + RECORD.hex())
    assert (change["tx_hash"], change["ready"], change["operation"]) == (
        approved["transactionHash"].to_0x_hex(),
        False,
        None,
    )
    assert change["description"].startswith(f"Supplier {env.supplier.address[:6]}…")
    assert _utc(body["as_of_time"]) and body["as_of_block"] == env.w3.eth.block_number

    assert client.get(f"{API}/campaigns/{ids['c3']}/pending-changes").json()["data"] == [change]
    for other in (ids["c1"], ids["c2"]):
        assert client.get(f"{API}/campaigns/{other}/pending-changes").json()["data"] == []
    report = client.get(f"{API}/campaigns/{ids['c3']}/reconciliation").json()
    assert [f["message"] for f in report["findings"] if f["kind"] == "pending_change"] == [
        change["description"]
    ]


def test_pending_changes_of_an_unknown_campaign_or_chain(client: TestClient) -> None:
    answer = client.get(f"{API}/campaigns/999/pending-changes")
    assert answer.status_code == 404 and "no campaign 999" in answer.json()["detail"]
    assert client.get(f"{API}/campaigns/-1/pending-changes").status_code == 422
    empty = client.get(f"{API}/pending-changes", params={"chain_id": 5}).json()
    assert empty == {"chain_id": 5, "as_of_block": None, "as_of_time": None, "data": []}


def test_campaigns_say_whether_paused_their_delay_and_who_cancelled_or_closed(
    indexed: Indexed, client: TestClient
) -> None:
    env, ids = indexed.env, indexed.ids
    c1, c2, c3 = (client.get(f"{API}/campaigns/{ids[c]}").json() for c in ("c1", "c2", "c3"))
    assert (c3["paused"], c3["paused_by"], c3["supplier_delay"]) == (
        True,
        env.guardian.address,
        C3_SUPPLIER_DELAY,
    )
    assert (c1["paused"], c1["paused_by"], c1["supplier_delay"]) == (False, None, 0)  # paused, then resumed
    assert (c2["cancelled"], c2["cancelled_by"], c1["cancelled_by"]) == (True, env.admin.address, None)
    assert [r["closed_by"] for r in c1["rounds"]] == [env.manager.address, env.manager.address]
    assert c3["rounds"][0]["closed_by"] is None
    listed = {c["campaign_id"]: c for c in client.get(f"{API}/campaigns").json()["data"]}
    assert listed[str(ids["c3"])]["paused"] is True


def test_an_empty_database_has_nothing_pending(engine: Engine) -> None:
    with api_client(engine) as client:
        answer = client.get(f"{API}/pending-changes")
        assert answer.status_code == 200
        assert answer.json() == {"chain_id": None, "as_of_block": None, "as_of_time": None, "data": []}
        assert client.get(f"{API}/campaigns/1/pending-changes").status_code == 404


# ─── a timelock operation, on the supported set-up ───────────────────────────────────────────────────


@pytest.fixture(scope="module")
def governed(build: Build) -> Iterator[GovernedChain]:
    yield from governed_chain(build)


def test_a_scheduled_timelock_operation_is_listed_decoded_until_executed(
    governed: GovernedChain, engine: Engine
) -> None:
    with reverted(governed) as chain, api_client(engine) as client:
        new_manager = chain.outsider.address
        operation, _ = chain.schedule(chain.calls.set_manager(2, new_manager))
        chain.index(engine)
        body = client.get(f"{API}/campaigns/2/pending-changes").json()
        [change] = body["data"]
        assert (change["kind"], change["campaign_ids"], change["ready"]) == (
            "timelock_operation",
            ["2"],
            False,
        )
        op = change["operation"]
        assert op["operation_id"] == "0x" + operation.id.hex()
        assert op["delay"] == str(chain.governance.timelock.min_delay())
        assert op["salt"] == "0x" + operation.salt.hex()
        [call] = op["calls"]
        assert (call["index"], call["target"], call["target_name"]) == (0, chain.ledger.address, "ledger")
        assert (call["function"], call["signature"], call["campaign_id"]) == (
            "setManager",
            "setManager(uint256,address)",
            "2",
        )
        assert call["arguments"] == [
            {"name": "campaignId", "type": "uint256", "value": "2"},
            {"name": "newManager", "type": "address", "value": new_manager},
        ]
        assert call["text"] == f"setManager(campaign 2, {new_manager[:6]}…{new_manager[-4:]})"
        assert client.get(f"{API}/campaigns/1/pending-changes").json()["data"] == []
        assert client.get(f"{API}/status").json()["data"][0]["timelock"] == chain.deployment.timelock

        chain.execute(operation)
        chain.index(engine)
        assert client.get(f"{API}/pending-changes").json()["data"] == []
        assert client.get(f"{API}/campaigns/2").json()["manager"] == new_manager
