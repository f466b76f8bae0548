"""A bounded load test on loopback: 50 clients read and write through the API for 30 s while a donor keeps
pledging on chain and the indexer follows the head; on SQLite and PostgreSQL.

The API runs as uvicorn in a child process on a free 127.0.0.1 port (always stopped), the indexer in a
thread of the test following the session's Anvil, a pledger thread sends pledges, and 50 asyncio clients,
each with its own keep-alive ``httpx.AsyncClient``, make a mix of reads (pledge pages, the campaign, its
reconciliation, a donor's view, suppliers, orders, history, status) and writes (suppliers with distinct
wallets, orders, shipments, invoices, and edits of a few records every client edits, sending the version
it read: a 409 on a stale version is a right answer, re-read and retried).

Afterwards: no 5xx and no transport error; every acknowledged write is stored exactly once and nothing else
is; every record's history runs 1, 2, 3… with each acknowledged edit at the version it was told; shipments
never exceed the order line they ship (many clients ship from one small line at once); the mirror equals
the chain; the reconciliation counts every pledge sent and agrees with the contract's views.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import statistics
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from web3 import Web3

from devtools.served import served_api
from ledger.db.models import IndexerCursor, Pledged
from ledger.db.records import Document, PurchaseOrder, RecordVersion, Shipment, ShipmentItem, Supplier
from ledger.db.session import write_session
from ledger.indexer.rpc import RpcClient
from ledger.indexer.runner import Indexer, IndexerConfig
from ledger.keys import create_key
from ledger.records import service
from ledger.records.schemas import ItemQuantity, OrderCreate, OrderLineIn, ShipmentCreate, SupplierCreate
from tests.indexer.support import assert_mirror_matches_chain, ledger_source, rpc_url, run_indexer
from tests.support.chain import LedgerEnv
from tests.support.units import ETH, USD

pytestmark = pytest.mark.timeout(300)

LOAD_SECONDS = 30.0
CLIENTS = 50
API = "/api/v1"
#: The one small order line many clients ship from at once: shipped must never pass it.
TIGHT_QUANTITY = 15
HOT_SUPPLIERS = 3
HOT_ORDERS = 3

# ─── the API in a child process ────────────────────────────────────────────────────────────────────────


# ─── the chain side: a pledger and the indexer following the head ──────────────────────────────────────


class Pledger(threading.Thread):
    """Pledges ETH and USDC from the donors in turn until stopped; counts what was mined."""

    def __init__(self, env: LedgerEnv, campaign_id: int, round_id: int) -> None:
        super().__init__(name="pledger", daemon=True)
        self.env, self.campaign_id, self.round_id = env, campaign_id, round_id
        self.stop = threading.Event()
        self.sent: Counter[str] = Counter()
        self.error: BaseException | None = None

    def run(self) -> None:
        i = 0
        try:
            while not self.stop.is_set():
                donor = self.env.donors[i % len(self.env.donors)]
                symbol = "USDC" if i % 4 == 3 else "ETH"
                amount = (i + 1) * 10**6 if symbol == "USDC" else (i + 1) * 10**13
                self.env.pledge(donor, self.campaign_id, self.round_id, symbol, amount)
                self.sent[symbol] += 1
                i += 1
        except BaseException as exc:
            self.error = exc


class FollowingIndexer(threading.Thread):
    """The real indexer following the head, polling every 0.1 s, until stopped."""

    def __init__(self, env: LedgerEnv, engine: Engine) -> None:
        super().__init__(name="indexer", daemon=True)
        self.env, self.engine = env, engine
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with RpcClient(rpc_url(self.env), give_up_after=30) as rpc:
                indexer = Indexer(rpc, self.engine, ledger_source(self.env), IndexerConfig(poll_interval=0.1))
                indexer.run(stop=self.stop)
        except BaseException as exc:
            self.error = exc

    def catch_up(self, head: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with Session(self.engine) as s:
                indexed = s.scalar(select(IndexerCursor.block_number))
            if indexed is not None and indexed >= head:
                return
            assert self.error is None, f"the indexer failed: {self.error!r}"
            assert time.monotonic() < deadline, f"the indexer is at block {indexed}, the head at {head}"
            time.sleep(0.1)


# ─── the clients ────────────────────────────────────────────────────────────────────────────────────────


@dataclass
class Shared:
    """What the clients know and were told, in the one thread their event loop runs in."""

    campaign_id: int
    usdc: str
    donors: list[str]
    manager: dict[str, str]
    auditor: dict[str, str]
    supplier_ids: list[int]
    order_lines: dict[int, list[int]]  # order id → its line ids
    tight_order: int
    hot: list[tuple[str, int]]  # (record type, id) every client edits
    # Acknowledged writes.
    suppliers: dict[int, str] = field(default_factory=dict)  # id → wallet
    orders: dict[int, str] = field(default_factory=dict)  # id → reference
    shipments: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # id → (order, line, quantity)
    documents: dict[int, str] = field(default_factory=dict)  # id → sha256
    edits: dict[tuple[str, int], list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    # What happened.
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[int] = field(default_factory=Counter)
    conflicts: int = 0
    refused_tight: int = 0
    reconciliations_checked: int = 0
    problems: list[str] = field(default_factory=list)


EDITED_FIELD = {"supplier": "notes", "order": "notes", "shipment": "carrier"}
ROUTE = {"supplier": "suppliers", "order": "orders", "shipment": "shipments"}


class Client:
    """One of the clients: a keep-alive connection and its own random choices."""

    def __init__(self, number: int, http: httpx.AsyncClient, shared: Shared) -> None:
        self.number, self.http, self.shared = number, http, shared
        self.rng = random.Random(7_919 * number)
        self.made = 0

    async def request(self, kind: str, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            answer = await self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            self.shared.problems.append(f"{kind} {method} {path}: transport error {exc!r}")
            return None
        self.shared.latencies[kind].append((time.perf_counter() - started) * 1000)
        self.shared.statuses[answer.status_code] += 1
        if answer.status_code >= 500:
            self.shared.problems.append(f"{kind} {method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer

    def expect(self, answer: httpx.Response | None, *statuses: int) -> dict[str, Any] | None:
        if answer is None:
            return None
        if answer.status_code not in statuses:
            if answer.status_code < 500:  # 5xx are noted already
                self.shared.problems.append(
                    f"{answer.request.method} {answer.request.url}: {answer.status_code} {answer.text[:300]}"
                )
            return None
        body: dict[str, Any] = answer.json()
        return body

    def unique(self) -> str:
        self.made += 1
        return f"{self.number:02d}-{self.made:05d}"

    # ─── reads ───

    async def pledge_pages(self) -> None:
        params: dict[str, Any] = {"campaign_id": self.shared.campaign_id, "limit": 20}
        if self.rng.random() < 0.3:
            params["donor"] = self.rng.choice(self.shared.donors)
        for _ in range(self.rng.randint(1, 4)):
            body = self.expect(
                await self.request("pledges page", "GET", f"{API}/pledges", params=params), 200
            )
            if body is None or body["next_cursor"] is None:
                return
            params["cursor"] = body["next_cursor"]

    async def campaign(self) -> None:
        self.expect(await self.request("campaign", "GET", f"{API}/campaigns/{self.shared.campaign_id}"), 200)

    async def reconciliation(self) -> None:
        path = f"{API}/campaigns/{self.shared.campaign_id}/reconciliation"
        report = self.expect(await self.request("reconciliation", "GET", path), 200)
        if report is None:
            return
        # A report is of one mirror block: its parts agree with each other even while the indexer writes.
        by_token = sum(t["pledges"] for t in report["tokens"])
        by_round = sum(r["pledges"] for r in report["rounds"])
        if not report["pledges"] == by_token == by_round or report["chain_check"]["status"] != "verified":
            self.shared.problems.append(
                f"inconsistent reconciliation at block {report['as_of_block']}: {report['pledges']} pledges, "
                f"{by_token} by token, {by_round} by round, chain check {report['chain_check']}, "
                f"{[f['message'] for f in report['findings'] if f['kind'] == 'mirror_mismatch']}"
            )
        self.shared.reconciliations_checked += 1

    async def donor_view(self) -> None:
        donor = self.rng.choice(self.shared.donors)
        path = f"{API}/campaigns/{self.shared.campaign_id}/donors/{donor}"
        self.expect(await self.request("donor view", "GET", path), 200)

    async def suppliers(self) -> None:
        self.expect(await self.request("suppliers", "GET", f"{API}/suppliers", params={"limit": 50}), 200)

    async def orders(self) -> None:
        params = {"campaign_id": self.shared.campaign_id, "limit": 20}
        self.expect(await self.request("orders", "GET", f"{API}/orders", params=params), 200)

    async def history(self) -> None:
        kind, record_id = self.rng.choice(self.shared.hot)
        path = f"{API}/history/{kind}/{record_id}"
        self.expect(await self.request("history", "GET", path, headers=self.shared.auditor), 200)

    async def status(self) -> None:
        self.expect(await self.request("status", "GET", f"{API}/status"), 200)

    # ─── writes ───

    async def create_supplier(self) -> None:
        tag = self.unique()
        wallet = Web3.to_checksum_address(Web3.keccak(text=f"load supplier {tag}")[-20:])
        body = {"name": f"Load supplier {tag}", "country": "GH", "wallet": wallet}
        answer = await self.request(
            "create supplier", "POST", f"{API}/suppliers", json=body, headers=self.shared.manager
        )
        created = self.expect(answer, 201)
        if created is not None:
            assert created["id"] not in self.shared.suppliers
            self.shared.suppliers[created["id"]] = created["wallet"]
            self.shared.supplier_ids.append(created["id"])

    async def create_order(self) -> None:
        tag = self.unique()
        token = self.rng.choice([ETH, "USDC"])
        body = {
            "campaign_id": self.shared.campaign_id,
            "supplier_id": self.rng.choice(self.shared.supplier_ids),
            "reference": f"LOAD-{tag}",
            "payment_token": token if token == ETH else self.shared.usdc,
            "payment_amount": str(self.rng.randint(1, 10**9)),
            "issued_on": "2020-05-04",
            "lines": [
                {
                    "item": "surgical mask",
                    "quantity": 10_000,
                    "unit": "piece",
                    "unit_price": "0.08",
                    "currency": "USD",
                },
                {
                    "item": "face shield",
                    "quantity": 500,
                    "unit": "piece",
                    "unit_price": "1.2",
                    "currency": "USD",
                },
            ],
        }
        answer = await self.request(
            "create order", "POST", f"{API}/orders", json=body, headers=self.shared.manager
        )
        created = self.expect(answer, 201)
        if created is not None:
            self.shared.orders[created["id"]] = created["reference"]
            self.shared.order_lines[created["id"]] = [line["id"] for line in created["lines"]]

    async def create_shipment(self) -> None:
        tight = self.rng.random() < 0.3
        roomy = [o for o in self.shared.order_lines if o != self.shared.tight_order]
        order = self.shared.tight_order if tight else self.rng.choice(roomy)
        line = self.shared.order_lines[order][0]
        quantity = 1 if tight else self.rng.randint(1, 3)
        body = {
            "order_id": order,
            "origin": "Beijing",
            "destination": "Abidjan",
            "shipped_on": "2020-05-10",
            "items": [{"order_line_id": line, "quantity": quantity}],
        }
        answer = await self.request(
            "create shipment", "POST", f"{API}/shipments", json=body, headers=self.shared.manager
        )
        if tight and answer is not None and answer.status_code == 422:
            self.shared.refused_tight += 1  # the line is fully shipped: a right answer
            return
        created = self.expect(answer, 201)
        if created is not None:
            self.shared.shipments[created["id"]] = (order, line, quantity)

    async def upload_invoice(self) -> None:
        order = self.rng.choice(list(self.shared.order_lines))
        content = f"invoice {self.unique()} for order {order}".encode()
        answer = await self.request(
            "upload invoice",
            "POST",
            f"{API}/documents",
            headers=self.shared.manager,
            files={"file": ("invoice.txt", content, "text/plain")},
            data={"kind": "invoice", "order_id": str(order), "amount": "12.50", "currency": "USD"},
        )
        created = self.expect(answer, 201)
        if created is not None:
            assert created["sha256"] == hashlib.sha256(content).hexdigest()
            self.shared.documents[created["id"]] = created["sha256"]

    async def edit(self) -> None:
        """Edit a record every client edits: read its version, send it back; on 409 read again and retry."""
        kind, record_id = self.rng.choice(self.shared.hot)
        path = f"{API}/{ROUTE[kind]}/{record_id}"
        marker = f"edit {self.unique()}"
        for _ in range(50):
            current = self.expect(await self.request(f"read {kind}", "GET", path), 200)
            if current is None:
                return
            body = {"version": current["version"], EDITED_FIELD[kind]: marker}
            answer = await self.request(f"edit {kind}", "PATCH", path, json=body, headers=self.shared.manager)
            if answer is not None and answer.status_code == 409:
                self.shared.conflicts += 1
                continue
            edited = self.expect(answer, 200)
            if edited is not None:
                assert edited["version"] == current["version"] + 1, edited
                self.shared.edits[(kind, record_id)].append((edited["version"], marker))
            return
        self.shared.problems.append(f"{kind} {record_id}: 50 conflicts in a row")

    async def run(self, deadline: float) -> None:
        actions = [
            (self.pledge_pages, 14),
            (self.campaign, 8),
            (self.reconciliation, 3),
            (self.donor_view, 5),
            (self.suppliers, 6),
            (self.orders, 6),
            (self.history, 4),
            (self.status, 3),
            (self.create_supplier, 8),
            (self.create_order, 8),
            (self.create_shipment, 10),
            (self.upload_invoice, 4),
            (self.edit, 12),
        ]
        functions = [a for a, _ in actions]
        weights = [w for _, w in actions]
        while time.monotonic() < deadline:
            await self.rng.choices(functions, weights)[0]()


async def load(base_url: str, shared: Shared, seconds: float) -> float:
    """Run the clients for ``seconds``; returns the time taken (the last requests finish after it)."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    started = time.monotonic()
    deadline = started + seconds
    clients = [httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) for _ in range(CLIENTS)]
    try:
        await asyncio.gather(*(Client(n, http, shared).run(deadline) for n, http in enumerate(clients)))
    finally:
        await asyncio.gather(*(http.aclose() for http in clients))
    return time.monotonic() - started


# ─── set-up and checks ─────────────────────────────────────────────────────────────────────────────────


def seed_records(
    engine: Engine, campaign_id: int, usdc: str
) -> tuple[list[int], dict[int, list[int]], int, list[tuple[str, int]]]:
    """Suppliers and orders the clients start from: a few hot ones every client edits, and the tight order."""
    lines = [
        OrderLineIn(
            item="FFP2 respirator", quantity=10**6, unit="piece", unit_price=Decimal("0.6"), currency="USD"
        )
    ]
    with write_session(engine) as s:
        suppliers = [
            service.create_supplier(
                s,
                data=SupplierCreate(
                    name=f"Hot supplier {i}",
                    country="CN",
                    wallet=Web3.to_checksum_address(Web3.keccak(text=f"hot supplier {i}")[-20:]),
                ),
                actor="seed",
            ).id
            for i in range(HOT_SUPPLIERS)
        ]
        orders = []
        for i in range(HOT_ORDERS + 1):
            tight = i == HOT_ORDERS
            order = service.create_order(
                s,
                data=OrderCreate(
                    campaign_id=campaign_id,
                    supplier_id=suppliers[i % HOT_SUPPLIERS],
                    reference=f"SEED-{i}",
                    payment_token=usdc if i % 2 else ETH,
                    payment_amount=10**9,
                    issued_on=date(2020, 5, 1),
                    lines=[lines[0].model_copy(update={"quantity": TIGHT_QUANTITY})] if tight else lines,
                ),
                actor="seed",
            )
            orders.append(order)
        shipment = service.create_shipment(
            s,
            data=ShipmentCreate(
                order_id=orders[0].id,
                origin="Beijing",
                destination="Abidjan",
                shipped_on=date(2020, 5, 10),
                items=[ItemQuantity(order_line_id=orders[0].lines[0].id, quantity=1)],
            ),
            actor="seed",
        )
        hot = [("supplier", i) for i in suppliers] + [("order", o.id) for o in orders[:HOT_ORDERS]]
        hot.append(("shipment", shipment.id))
        order_lines = {o.id: [line.id for line in o.lines] for o in orders}
        return suppliers, order_lines, orders[-1].id, hot


def _pairs(s: Session, key: Any, value: Any, *where: Any) -> dict[Any, Any]:
    rows = s.execute(select(key, value).where(*where)).all()
    pairs = {k: v for k, v in rows}
    assert len(pairs) == len(rows), f"{key}: a key twice"
    return pairs


def assert_writes_stored_exactly_once(engine: Engine, shared: Shared, seeded: dict[str, int]) -> None:
    with Session(engine) as s:
        suppliers = _pairs(s, Supplier.id, Supplier.wallet, Supplier.id > seeded["suppliers"])
        wallets = s.scalars(select(Supplier.wallet)).all()
        orders = _pairs(s, PurchaseOrder.id, PurchaseOrder.reference, PurchaseOrder.reference.like("LOAD-%"))
        shipment_rows = s.execute(
            select(Shipment.id, Shipment.order_id, ShipmentItem.order_line_id, ShipmentItem.quantity)
            .join(ShipmentItem, ShipmentItem.shipment_id == Shipment.id)
            .where(Shipment.id > seeded["shipments"])
        ).all()
        shipments = {i: (order, line, quantity) for i, order, line, quantity in shipment_rows}
        documents = _pairs(s, Document.id, Document.sha256)
        versions: dict[tuple[str, int], list[RecordVersion]] = defaultdict(list)
        for row in s.scalars(select(RecordVersion).order_by(RecordVersion.id)):
            versions[(row.record_type, row.record_id)].append(row)
        current = {
            (kind, record_id): version
            for kind, model in (("supplier", Supplier), ("order", PurchaseOrder), ("shipment", Shipment))
            for record_id, version in _pairs(s, model.id, model.version).items()
        }
        tight_line = shared.order_lines[shared.tight_order][0]
        tight_shipped = s.scalar(
            select(func.coalesce(func.sum(ShipmentItem.quantity), 0)).where(
                ShipmentItem.order_line_id == tight_line
            )
        )

    # Nothing lost, nothing duplicated, nothing stored that no client was told about.
    assert suppliers == shared.suppliers
    assert len(set(wallets)) == len(wallets)
    assert orders == shared.orders
    assert len(shipment_rows) == len(shipments)
    assert shipments == shared.shipments
    assert documents == shared.documents
    # Every record's history runs 1, 2, 3… up to its version, created once; each edit where it was told.
    for key, version in current.items():
        history = versions[key]
        assert [v.version for v in history] == list(range(1, version + 1)), key
        assert [v.action for v in history] == ["create"] + ["update"] * (version - 1), key
    for key, edits in shared.edits.items():
        kind, _ = key
        assert current[key] == 1 + len(edits), (
            f"{key}: version {current[key]}, {len(edits)} edits acknowledged"
        )
        for version, marker in edits:
            assert versions[key][version - 1].after[EDITED_FIELD[kind]] == marker, (key, version)
    # Concurrent shipments never ship more than the line holds; every acknowledged one counts.
    acknowledged_tight = sum(q for _, line, q in shared.shipments.values() if line == tight_line)
    assert tight_shipped == acknowledged_tight <= TIGHT_QUANTITY


def report_latencies(backend: str, shared: Shared, seconds: float, pledges: Counter[str]) -> None:
    total = sum(len(v) for v in shared.latencies.values())
    every = [ms for values in shared.latencies.values() for ms in values]
    print(
        f"\n[{backend}] {total:,} requests in {seconds:.1f} s by {CLIENTS} clients "
        f"({total / seconds:,.0f}/s); "
        f"statuses {dict(sorted(shared.statuses.items()))}; {shared.conflicts} stale-version conflicts "
        f"(re-read and retried); {shared.refused_tight} shipments refused on the full line; "
        f"{sum(pledges.values())} pledges sent meanwhile {dict(pledges)}; "
        f"p50 {statistics.median(every):.1f} ms, p95 {_p95(every):.1f} ms overall"
    )
    for kind, values in sorted(shared.latencies.items()):
        p50, p95 = statistics.median(values), _p95(values)
        print(f"  {kind:<18} {len(values):>6,}  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


# ─── the test ───────────────────────────────────────────────────────────────────────────────────────────


def test_fifty_clients_read_and_write_for_thirty_seconds_while_new_pledges_are_indexed(
    env: LedgerEnv, engine: Engine, database_url: str, tmp_path: Path
) -> None:
    backend = engine.dialect.name
    env.refresh_feeds()
    usdc = env.tokens["USDC"].address
    campaign_id = env.create_campaign(("ETH", "USDC"))
    round_id = env.open_round(campaign_id, goal_usd=10**9 * USD, days=30, aon=False)
    for i, donor in enumerate(env.donors):
        env.pledge(donor, campaign_id, round_id, "ETH", (i + 1) * 10**15)
    run_indexer(env, engine)
    supplier_ids, order_lines, tight_order, hot = seed_records(engine, campaign_id, usdc)
    with Session(engine) as s, s.begin():
        _, manager = create_key(s, name="load manager", role="manager")
        _, auditor = create_key(s, name="load auditor", role="auditor")
    with Session(engine) as s:
        seeded = {
            "suppliers": max(supplier_ids),
            "shipments": int(s.scalar(select(func.max(Shipment.id))) or 0),
        }
    shared = Shared(
        campaign_id=campaign_id,
        usdc=usdc,
        donors=[d.address for d in env.donors],
        manager={"X-API-Key": manager},
        auditor={"X-API-Key": auditor},
        supplier_ids=list(supplier_ids),
        order_lines=order_lines,
        tight_order=tight_order,
        hot=hot,
    )
    indexer = FollowingIndexer(env, engine)
    pledger = Pledger(env, campaign_id, round_id)
    with served_api(database_url, rpc_url=rpc_url(env), log=tmp_path / "uvicorn.log") as base_url:
        indexer.start()
        pledger.start()
        try:
            seconds = asyncio.run(load(base_url, shared, LOAD_SECONDS))
        finally:
            pledger.stop.set()
            pledger.join(60)
        try:
            assert pledger.error is None, f"the pledger failed: {pledger.error!r}"
            indexer.catch_up(env.w3.eth.block_number)
            with httpx.Client(base_url=base_url, timeout=60) as http:
                answer = http.get(f"{API}/campaigns/{campaign_id}/reconciliation")
        finally:
            indexer.stop.set()
            indexer.join(60)
    report_latencies(backend, shared, seconds, pledger.sent)

    assert indexer.error is None, f"the indexer failed: {indexer.error!r}"
    assert shared.problems == [], f"{len(shared.problems)} failed requests, e.g. {shared.problems[:5]}"
    assert shared.reconciliations_checked > 0 and shared.conflicts > 0 and shared.refused_tight > 0
    assert_writes_stored_exactly_once(engine, shared, seeded)

    # The mirror is the chain, and the reconciliation counts every pledge made, as the contract does.
    assert_mirror_matches_chain(env, engine)
    sent = len(env.donors) + sum(pledger.sent.values())
    with Session(engine) as s:
        assert s.scalar(select(func.count()).where(Pledged.campaign_id == campaign_id)) == sent
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["pledges"] == sent
    assert report["chain_check"]["status"] == "verified", report["chain_check"]
    for totals in report["tokens"]:
        pledged, refunded, disbursed, held = env.f.tokenTotals(campaign_id, totals["token"]).call()[:4]
        assert [int(totals[k]) for k in ("pledged", "refunded", "disbursed", "held")] == [
            pledged,
            refunded,
            disbursed,
            held,
        ]
    assert {t["token"]: t["pledges"] for t in report["tokens"]} == {
        ETH: len(env.donors) + pledger.sent["ETH"],
        usdc: pledger.sent["USDC"],
    }
    assert len(report["orders"]) == len(shared.orders) + HOT_ORDERS + 1
