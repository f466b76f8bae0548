"""The chain as the API shows it equals the chain itself, on SQLite and PostgreSQL: campaigns, rounds,
pledges, refunds, payments and attestations after a busy life indexed from a real Anvil."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from ledger.db.models import IndexerCursor
from ledger.indexer.runner import IndexerConfig
from tests.api.support import API, Indexed, TestClient, api_client, walk
from tests.indexer.support import chain_events, run_indexer
from tests.support.chain import LedgerEnv
from tests.support.units import ETH

OUTCOME = {2: "succeeded", 3: "failed", 4: "cancelled"}


@pytest.fixture(scope="module")
def client(indexed: Indexed) -> Iterator[TestClient]:
    with api_client(indexed.engine) as test_client:
        yield test_client


def on_chain(env: LedgerEnv, event: str) -> list[dict[str, Any]]:
    return [fields for name, fields in chain_events(env) if name == event]


def as_api(fields: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The chain's view of an event with the API's representation: uint256 values as decimal strings."""
    out: dict[str, Any] = {k: fields[k] for k in ("block_number", "tx_hash", "log_index")}
    for key in keys:
        value = fields[key]
        out[key] = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    return out


PLEDGE_KEYS = ("campaign_id", "round_id", "donor", "token", "amount", "usd_value", "price")


def test_pledges_walked_page_by_page_equal_the_chain(indexed: Indexed, client: TestClient) -> None:
    rows, pages = walk(client, f"{API}/pledges", limit=7)
    expected = [as_api(f, *PLEDGE_KEYS) for f in on_chain(indexed.env, "Pledged")]
    assert [{k: r[k] for k in expected[0]} for r in rows] == expected
    assert pages == -(-len(expected) // 7)
    assert all(r["chain_id"] == indexed.env.w3.eth.chain_id for r in rows)


def test_refunds_payments_and_attestations_equal_the_chain(indexed: Indexed, client: TestClient) -> None:
    env = indexed.env
    cases = [
        ("refunds", "Refunded", ("campaign_id", "round_id", "donor", "token", "amount", "caller")),
        (
            "disbursements",
            "Disbursed",
            ("campaign_id", "supplier", "token", "amount", "purchase_order_ref", "invoice_hash"),
        ),
        ("attestations", "ReportAttested", ("campaign_id", "auditor", "report_hash", "as_of_block", "uri")),
    ]
    for path, event, keys in cases:
        rows, _ = walk(client, f"{API}/{path}", limit=2)
        expected = [as_api(f, *keys) for f in on_chain(env, event)]
        assert expected, event
        assert [{k: r[k] for k in expected[0]} for r in rows] == expected, path


def test_campaigns_show_what_the_contract_holds(indexed: Indexed, client: TestClient) -> None:
    env, ids = indexed.env, indexed.ids
    listed, _ = walk(client, f"{API}/campaigns", limit=2)
    assert [int(c["campaign_id"]) for c in listed] == [ids["c1"], ids["c2"], ids["c3"]]
    for campaign_id in (ids["c1"], ids["c2"], ids["c3"]):
        answer = client.get(f"{API}/campaigns/{campaign_id}")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        info = env.f.campaign(campaign_id).call()
        assert body["manager"] == info[0]
        assert body["cancelled"] is info[3]
        assert (body["paused"], body["supplier_delay"]) == (info[4], info[5])
        assert [t["token"] for t in body["tokens"]] == list(info[6])
        totals = {t["token"]: t for t in body["totals"]}
        for token in info[6]:
            pledged, refunded, disbursed, held, _available = env.f.tokenTotals(campaign_id, token).call()
            got = totals.get(token, {"pledged": "0", "refunded": "0", "disbursed": "0", "held": "0"})
            assert (got["pledged"], got["refunded"], got["disbursed"], got["held"]) == (
                str(pledged),
                str(refunded),
                str(disbursed),
                str(held),
            ), token
        assert len(body["rounds"]) == info[2]
        raised = goal = 0
        for r in body["rounds"]:
            start, end, state, aon, goal_usd, raised_usd = env.f.round(campaign_id, int(r["round_id"])).call()
            assert (r["start"], r["end"], r["all_or_nothing"]) == (start, end, aon)
            assert (r["goal_usd"], r["raised_usd"]) == (str(goal_usd), str(raised_usd))
            assert r["state"] == OUTCOME.get(state, "open")
            assert client.get(f"{API}/campaigns/{campaign_id}/rounds/{r['round_id']}").json() == r
            raised, goal = raised + raised_usd, goal + goal_usd
        assert (body["raised_usd"], body["goal_usd"]) == (str(raised), str(goal))
        assert client.get(f"{API}/campaigns/{campaign_id}/rounds").json()["data"] == body["rounds"]
    c1 = client.get(f"{API}/campaigns/{ids['c1']}").json()
    assert [r["state"] for r in c1["rounds"]] == ["failed", "succeeded"]
    assert c1["rounds"][1]["progress_pct"] != "0.00"


def test_a_campaigns_progress_leaves_out_its_failed_rounds(indexed: Indexed, client: TestClient) -> None:
    """Campaign 1's first round failed (its pledges refundable): the progress is the second round's."""
    c1 = client.get(f"{API}/campaigns/{indexed.ids['c1']}").json()
    failed, succeeded = c1["rounds"]
    assert (failed["state"], succeeded["state"]) == ("failed", "succeeded")
    assert c1["refundable_rounds"] == 1
    assert (c1["progress_goal_usd"], c1["progress_raised_usd"]) == (
        succeeded["goal_usd"],
        succeeded["raised_usd"],
    )
    assert c1["progress_pct"] == succeeded["progress_pct"]
    assert int(c1["goal_usd"]) == int(failed["goal_usd"]) + int(succeeded["goal_usd"])
    listed = {c["campaign_id"]: c for c in walk(client, f"{API}/campaigns")[0]}
    assert {k: v for k, v in c1.items() if k in listed[c1["campaign_id"]]} == listed[c1["campaign_id"]]
    c3 = client.get(f"{API}/campaigns/{indexed.ids['c3']}").json()
    assert c3["refundable_rounds"] == 0 and c3["progress_goal_usd"] == c3["goal_usd"]


def test_pledge_filters_select_exactly_the_matching_pledges(indexed: Indexed, client: TestClient) -> None:
    env, ids = indexed.env, indexed.ids
    pledges = on_chain(env, "Pledged")
    donor = env.donors[1].address
    usdc = env.token_address("USDC")
    cases: list[tuple[dict[str, Any], Any]] = [
        ({"donor": donor.lower()}, lambda p: p["donor"] == donor),
        ({"donor": donor.upper().replace("0X", "0x")}, lambda p: p["donor"] == donor),
        ({"token": usdc}, lambda p: p["token"] == usdc),
        ({"token": ETH}, lambda p: p["token"] == ETH),
        ({"campaign_id": ids["c3"]}, lambda p: p["campaign_id"] == ids["c3"]),
        ({"campaign_id": ids["c1"], "round_id": ids["r2"]}, lambda p: p["round_id"] == ids["r2"]),
        (
            {"campaign_id": ids["c3"], "donor": donor, "token": usdc},
            lambda p: p["campaign_id"] == ids["c3"] and p["donor"] == donor and p["token"] == usdc,
        ),
    ]
    for params, keep in cases:
        rows, _ = walk(client, f"{API}/pledges", limit=4, **params)
        expected = [(p["tx_hash"], p["log_index"]) for p in pledges if keep(p)]
        assert expected, params
        assert [(r["tx_hash"], r["log_index"]) for r in rows] == expected, params
        assert all(r["donor"] == env.w3.to_checksum_address(r["donor"]) for r in rows)
    assert client.get(f"{API}/pledges", params={"campaign_id": 10**30}).json() == {
        "data": [],
        "next_cursor": None,
    }


@given(
    limit=st.integers(min_value=1, max_value=45),
    campaign=st.sampled_from([None, "c1", "c3"]),
    donor=st.sampled_from([None, 0, 3]),
)
def test_keyset_pages_return_every_pledge_exactly_once_in_chain_order(
    indexed: Indexed, client: TestClient, limit: int, campaign: str | None, donor: int | None
) -> None:
    params = {
        "limit": limit,
        "campaign_id": indexed.ids[campaign] if campaign else None,
        "donor": indexed.env.donors[donor].address if donor is not None else None,
    }
    rows, pages = walk(client, f"{API}/pledges", **params)
    everything, _ = walk(client, f"{API}/pledges", limit=1000)
    expected = [
        r
        for r in everything
        if (params["campaign_id"] is None or int(r["campaign_id"]) == params["campaign_id"])
        and (params["donor"] is None or r["donor"] == params["donor"])
    ]
    assert rows == expected
    assert [r["id"] for r in rows] == sorted({r["id"] for r in rows})
    assert pages == max(1, -(-len(expected) // limit))


def test_limit_above_the_maximum_is_capped(indexed: Indexed) -> None:
    with api_client(indexed.engine, api_max_page_size=5) as client:
        body = client.get(f"{API}/pledges", params={"limit": 500}).json()
    assert len(body["data"]) == 5
    assert body["next_cursor"] is not None


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("pledges", {"cursor": "not-a-cursor"}, "invalid cursor"),
        ("pledges", {"cursor": "aWQ6LTE"}, "invalid cursor"),  # "id:-1"
        ("refunds", {"cursor": "aWQ6OTk5OTk5OTk5OTk5OTk5OTk5OTk5"}, "invalid cursor"),  # beyond BIGINT
        ("pledges", {"donor": "0x1234"}, "is not an address"),
        ("pledges", {"token": "0xZZ" + "0" * 38}, "is not an address"),
        ("pledges", {"limit": 0}, "limit"),
        ("pledges", {"campaign_id": -1}, "campaign_id"),
        ("disbursements", {"purchase_order_ref": "0x12"}, "is not 32 bytes"),
        ("disbursements", {"supplier": "supplier"}, "is not an address"),
        ("campaigns/abc", {}, "campaign_id"),
        ("campaigns", {"chain_id": 2**64}, "chain_id"),
    ],
)
def test_invalid_input_is_a_422_saying_what_is_wrong(
    indexed: Indexed, client: TestClient, path: str, params: dict[str, Any], message: str
) -> None:
    answer = client.get(f"{API}/{path}", params=params)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert message in answer.json()["detail"]


def test_unknown_campaign_and_round_are_404(indexed: Indexed, client: TestClient) -> None:
    for path in ("campaigns/999", "campaigns/999/rounds", f"campaigns/{indexed.ids['c1']}/rounds/99"):
        answer = client.get(f"{API}/{path}")
        assert answer.status_code == 404, path
        assert "no " in answer.json()["detail"]


def test_another_chain_has_nothing(indexed: Indexed, client: TestClient) -> None:
    assert client.get(f"{API}/pledges", params={"chain_id": 1}).json()["data"] == []
    assert client.get(f"{API}/campaigns/{indexed.ids['c1']}", params={"chain_id": 1}).status_code == 404


# ─── confirmation states (a chain of the test's own) ─────────────────────────────────────────────────


def _states(client: TestClient) -> dict[int, str]:
    rows, _ = walk(client, f"{API}/pledges")
    return {r["block_number"]: r["confirmation"] for r in rows}


def _expected(engine: Engine, blocks: list[int], depth: int) -> dict[int, str]:
    with engine.connect() as conn:
        head, finalized = conn.execute(select(IndexerCursor.head_block, IndexerCursor.finalized_block)).one()
    return {
        b: "final" if b <= finalized else "confirmed" if head - b + 1 >= depth else "pending" for b in blocks
    }


def test_pledges_move_from_pending_to_confirmed_to_final(env: LedgerEnv, engine: Engine) -> None:
    campaign = env.create_campaign(("ETH",))
    round_id = env.open_round(campaign)
    for i in range(8):
        env.pledge(env.donors[i % 4], campaign, round_id, "ETH", 10**15 * (i + 1))
    config = IndexerConfig(finality=6)
    run_indexer(env, engine, config)
    with api_client(engine, confirmation_depth=3) as client:
        states = _states(client)
        assert states == _expected(engine, sorted(states), 3)
        assert set(states.values()) == {"pending", "confirmed", "final"}
        env.w3.provider.make_request("anvil_mine", [2])  # type: ignore[arg-type]
        run_indexer(env, engine, config)
        later = _states(client)
        assert later == _expected(engine, sorted(states), 3)
        order = ["pending", "confirmed", "final"]
        assert all(order.index(later[b]) >= order.index(states[b]) for b in states)
        assert later != states


def test_a_failed_keep_what_you_raise_round_counts_as_the_contract_spends_it(
    env: LedgerEnv, engine: Engine
) -> None:
    """Round 1 misses its goal without all-or-nothing (the campaign keeps it: spendable on chain), round 2
    misses an all-or-nothing goal (refundable): the API's progress, its refundable count and each round's
    flags follow the contract's one rule (ledger/rounds.py), and the reconciliation says the same."""
    from sqlalchemy.orm import Session

    from ledger.reconcile import reconcile_campaign

    campaign = env.create_campaign(("ETH",))
    kept = env.open_round(campaign, goal_usd=10**9 * 10**8, days=1, aon=False)
    env.pledge(env.donors[0], campaign, kept, "ETH", 10**16)
    env.advance(2 * 86_400)
    env.refresh_feeds()
    env.outsider.send(env.f.closeRound(campaign, kept))
    refunded = env.open_round(campaign, goal_usd=10**9 * 10**8, days=1, aon=True)
    env.pledge(env.donors[1], campaign, refunded, "ETH", 10**16)
    env.advance(2 * 86_400)
    env.outsider.send(env.f.closeRound(campaign, refunded))
    totals = env.client().token_totals(campaign, ETH)
    assert totals.available == 10**16  # the contract spends the kept round, not the refundable one
    run_indexer(env, engine)
    with api_client(engine) as client:
        body = client.get(f"{API}/campaigns/{campaign}").json()
    first, second = body["rounds"]
    assert (first["state"], first["spendable"], first["refundable"]) == ("failed", True, False)
    assert (second["state"], second["spendable"], second["refundable"]) == ("failed", False, True)
    assert body["refundable_rounds"] == 1
    assert (
        body["progress_raised_usd"] == first["raised_usd"] and body["progress_goal_usd"] == first["goal_usd"]
    )
    with Session(engine) as session:
        report = reconcile_campaign(session, campaign_id=campaign)
    assert [r.spendable for r in report.rounds] == [True, False]
