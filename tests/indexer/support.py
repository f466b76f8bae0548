"""Helpers for indexer tests: run the indexer on a test deployment, make activity, and compare the SQL
mirror with the chain through an independent path (web3.py's own log decoding and the contract's views)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from web3 import Web3
from web3.contract import Contract

from ledger.db.models import EVENT_TABLES, ChainEvent, Disbursed, Pledged, Refunded, TokenAccepted
from ledger.db.types import uint_sum
from ledger.indexer.decode import snake_case
from ledger.indexer.rpc import RpcClient
from ledger.indexer.runner import Indexer, IndexerConfig, LedgerSource
from ledger.indexer.store import CursorState
from ledger.reads.mirror import mirror_position
from ledger.reconcile import reconcile_campaign
from ledger.reconcile.changes import PendingChange
from ledger.reconcile.pending import pending_changes
from ledger.reconcile.report import Finding
from tests.support.chain import LedgerEnv
from tests.support.units import DAY, ETH, USD

META = ("block_number", "block_hash", "tx_hash", "log_index")
SYMBOLS = ("ETH", "USDC", "DAI", "USDT", "FEE")


def rpc_url(env: LedgerEnv) -> str:
    return str(env.w3.provider.endpoint_uri)  # type: ignore[attr-defined]


def ledger_source(env: LedgerEnv) -> LedgerSource:
    return LedgerSource.from_deployment(env.deployment, env.build)


def run_indexer(
    env: LedgerEnv, engine: Engine, config: IndexerConfig | None = None, **run: Any
) -> CursorState:
    """Index the test deployment up to the head, in process."""
    with RpcClient(rpc_url(env), give_up_after=30) as rpc:
        return Indexer(rpc, engine, ledger_source(env), config).run(once=True, **run)


# ─── what the chain says ─────────────────────────────────────────────────────────────────────────────


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def chain_events(env: LedgerEnv, from_block: int | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Every ledger event on the canonical chain, decoded by web3.py (not by the indexer's decoder)."""
    start = env.deployment.block_number if from_block is None else from_block
    return contract_events(env.w3, env.ledger, start)


def contract_events(
    w3: Web3, contract: Contract, start: int, tables: Mapping[str, type[ChainEvent]] = EVENT_TABLES
) -> list[tuple[str, dict[str, Any]]]:
    """The events of ``contract`` that have a table in ``tables`` from block ``start`` on, decoded by
    web3.py, with the fields named as the mirror's columns."""
    by_topic = {e.topic: e for e in contract.all_events()}
    logs = w3.eth.get_logs({"address": contract.address, "fromBlock": start, "toBlock": "latest"})
    events = []
    for entry in logs:
        decoded = by_topic[entry["topics"][0].to_0x_hex()].process_log(entry)
        model = tables.get(decoded["event"])
        if model is None:
            continue
        fields = {
            model.renamed.get(snake_case(k), snake_case(k)): _plain(v) for k, v in decoded["args"].items()
        }
        fields.update(
            block_number=entry["blockNumber"],
            block_hash=entry["blockHash"].to_0x_hex(),
            tx_hash=entry["transactionHash"].to_0x_hex(),
            log_index=entry["logIndex"],
        )
        events.append((decoded["event"], fields))
    return events


def mirror_events(
    engine: Engine, chain_id: int, tables: Mapping[str, type[ChainEvent]] = EVENT_TABLES
) -> list[tuple[str, dict[str, Any]]]:
    """Every mirrored event of ``chain_id`` in ``tables`` (default: the ledger's), in chain order, with the
    same fields as :func:`chain_events`."""
    events = []
    with engine.connect() as conn:
        for name, model in tables.items():
            columns = [c.name for c in model.__table__.columns if c.name not in _ROW_ONLY]
            for row in conn.execute(select(model.__table__).where(model.chain_id == chain_id)):
                events.append((name, {c: getattr(row, c) for c in columns}))
    return sorted(events, key=lambda e: (e[1]["block_number"], e[1]["log_index"]))


_ROW_ONLY = {"id", "chain_id", "contract", "block_timestamp", "tx_index"}


def assert_mirror_matches_chain(env: LedgerEnv, engine: Engine) -> None:
    """The mirror holds exactly the chain's events, field for field, and the totals computed from SQL
    equal the contract's views and balances."""
    chain_id = env.w3.eth.chain_id
    expected = chain_events(env)
    actual = mirror_events(engine, chain_id)
    assert len(actual) == len(expected), f"{len(actual)} events mirrored, {len(expected)} on chain"
    for got, want in zip(actual, expected, strict=True):
        assert got == want
    _assert_totals(env, engine, chain_id)


def _sum_by(engine: Engine, model: type[ChainEvent], chain_id: int, *keys: str) -> dict[tuple[Any, ...], int]:
    columns = [getattr(model, k) for k in keys]
    with engine.connect() as conn:
        rows = conn.execute(
            select(*columns, uint_sum(model.amount))  # type: ignore[attr-defined]
            .where(model.chain_id == chain_id)
            .group_by(*columns)
        )
        return {tuple(r[:-1]): int(r[-1]) for r in rows}


def _assert_totals(env: LedgerEnv, engine: Engine, chain_id: int) -> None:
    pledged = _sum_by(engine, Pledged, chain_id, "campaign_id", "token")
    refunded = _sum_by(engine, Refunded, chain_id, "campaign_id", "token")
    disbursed = _sum_by(engine, Disbursed, chain_id, "campaign_id", "token")
    with engine.connect() as conn:
        accepted = {(c, t) for c, t in conn.execute(select(TokenAccepted.campaign_id, TokenAccepted.token))}
    held_by_token: dict[str, int] = defaultdict(int)
    for campaign_id, token in accepted:
        key = (campaign_id, token)
        on_chain = env.f.tokenTotals(campaign_id, token).call()
        sql = (pledged.get(key, 0), refunded.get(key, 0), disbursed.get(key, 0))
        assert sql == tuple(on_chain[:3]), (
            f"campaign {campaign_id} token {token}: SQL {sql}, chain {on_chain}"
        )
        held_by_token[token] += sql[0] - sql[1] - sql[2]
        assert sql[0] - sql[1] - sql[2] == on_chain[3]
    # Per donor and round: what the contract still owes each donor.
    per_donor = _sum_by(engine, Pledged, chain_id, "campaign_id", "round_id", "token", "donor")
    refunded_keys = set(_sum_by(engine, Refunded, chain_id, "campaign_id", "round_id", "token", "donor"))
    for (campaign_id, round_id, token, donor), amount in per_donor.items():
        outstanding = 0 if (campaign_id, round_id, token, donor) in refunded_keys else amount
        assert env.f.pledgeOf(campaign_id, round_id, token, donor).call() == outstanding
    # Per round: the USD raised is the sum of the pledges' USD values at receipt.
    with engine.connect() as conn:
        raised = {
            (c, r): int(v)
            for c, r, v in conn.execute(
                select(Pledged.campaign_id, Pledged.round_id, uint_sum(Pledged.usd_value))
                .where(Pledged.chain_id == chain_id)
                .group_by(Pledged.campaign_id, Pledged.round_id)
            )
        }
    for (campaign_id, round_id), usd in raised.items():
        assert env.f.round(campaign_id, round_id).call()[5] == usd
    # Per token: the ledger's balance is what the mirror says all campaigns hold.
    for symbol in SYMBOLS:
        token = env.token_address(symbol)
        if token in held_by_token:
            assert env.balance_of_ledger(symbol) == held_by_token[token], symbol


# ─── activity ────────────────────────────────────────────────────────────────────────────────────────


def busy_life(env: LedgerEnv) -> dict[str, int]:
    """A campaign life touching every event kind: pledges in every token, a failed all-or-nothing round
    refunded by claim and by push, a succeeded round paying a supplier, a revoked supplier, a new manager,
    an attestation, the auditor's role revoked and granted again, the campaign paused and resumed by the
    guardian, an admin transfer and an admin delay change scheduled and cancelled (nothing is left pending),
    and a second campaign cancelled with a round open. Returns ids by name."""
    d = env.donors
    c1 = env.create_campaign()
    r1 = env.open_round(c1, goal_usd=1_000_000 * USD, days=2, aon=True)
    env.pledge(d[0], c1, r1, "ETH", 10**17)
    env.pledge(d[1], c1, r1, "USDC", 250 * 10**6)
    env.pledge(d[2], c1, r1, "USDT", 75 * 10**6)
    env.advance(3 * DAY)
    env.refresh_feeds()
    env.manager.send(env.f.closeRound(c1, r1))
    d[0].send(env.f.claimRefund(c1, r1, ETH))
    env.outsider.send(env.f.pushRefunds(c1, r1, env.token_address("USDC"), [d[1].address, d[2].address]))
    r2 = env.open_round(c1, goal_usd=500 * USD, days=7, aon=True)
    env.pledge(d[0], c1, r2, "DAI", 300 * 10**18)
    env.pledge(d[1], c1, r2, "FEE", 400 * 10**18)
    env.pledge(d[3], c1, r2, "ETH", 5 * 10**16)
    env.manager.send(env.f.closeRound(c1, r2))
    env.manager.send(env.f.approveSupplier(c1, env.supplier.address, b"\x01" * 32))
    env.manager.send(
        env.f.disburse(
            c1, env.token_address("DAI"), env.supplier.address, 200 * 10**18, b"\x02" * 32, b"\x03" * 32
        )
    )
    env.manager.send(env.f.disburse(c1, ETH, env.supplier.address, 10**16, b"\x04" * 32, b"\x05" * 32))
    env.manager.send(env.f.revokeSupplier(c1, env.supplier.address))
    env.auditor.send(env.f.attestReport(c1, b"\x06" * 32, env.w3.eth.block_number, "ipfs://report"))
    env.admin.send(env.f.setManager(c1, env.outsider.address))
    env.admin.send(env.f.setManager(c1, env.manager.address))
    auditor_role = env.f.AUDITOR_ROLE().call()
    env.admin.send(env.f.revokeRole(auditor_role, env.auditor.address))
    env.admin.send(env.f.grantRole(auditor_role, env.auditor.address))
    env.guardian.send(env.f.pauseCampaign(c1))
    env.guardian.send(env.f.unpauseCampaign(c1))
    env.admin.send(env.f.beginDefaultAdminTransfer(env.outsider.address))
    env.admin.send(env.f.cancelDefaultAdminTransfer())
    env.admin.send(env.f.changeDefaultAdminDelay(2 * DAY))
    env.admin.send(env.f.rollbackDefaultAdminDelay())
    c2 = env.create_campaign(("ETH", "USDC"))
    r3 = env.open_round(c2, goal_usd=10_000 * USD, days=5, aon=False)
    env.pledge(d[2], c2, r3, "USDC", 40 * 10**6)
    env.pledge(d[3], c2, r3, "ETH", 2 * 10**16)
    env.admin.send(env.f.cancelCampaign(c2))
    d[2].send(env.f.claimRefund(c2, r3, env.token_address("USDC")))
    return {"c1": c1, "r1": r1, "r2": r2, "c2": c2, "r3": r3}


def some_pledges(env: LedgerEnv, campaign_id: int, round_id: int, count: int, *, offset: int = 0) -> None:
    """``count`` small pledges from the donors in turn, alternating ETH and USDC."""
    for i in range(count):
        donor = env.donors[(i + offset) % len(env.donors)]
        if i % 2:
            env.pledge(donor, campaign_id, round_id, "USDC", (i + offset + 1) * 10**6)
        else:
            env.pledge(donor, campaign_id, round_id, "ETH", (i + offset + 1) * 10**15)


def pending(engine: Engine, campaign_id: int | None = None) -> list[PendingChange]:
    """The changes waiting in the mirror (all, or ``campaign_id``'s), as of the mirror's position."""
    with Session(engine) as s:
        return pending_changes(s, mirror_position(s, None), campaign_id=campaign_id)


def pending_findings(engine: Engine, campaign_id: int) -> list[Finding]:
    """The reconciliation's findings about ``campaign_id``'s pending changes."""
    with Session(engine) as s:
        report = reconcile_campaign(s, campaign_id=campaign_id)
    return [f for f in report.findings if f.kind == "pending_change"]


def mirrored_kinds(engine: Engine, tables: Mapping[str, type[ChainEvent]]) -> set[str]:
    """The names of the event tables among ``tables`` that hold at least one row."""
    with engine.connect() as conn:
        return {
            name
            for name, model in tables.items()
            if conn.execute(select(func.count()).select_from(model)).scalar()
        }
