#!/usr/bin/env python3
"""The API's speed on a large campaign: the reconciliation, and the pledge list's first and deep pages.

Builds one campaign on a fresh Anvil chain and measures, over real HTTP, on SQLite and on PostgreSQL in
the same run:

* ``GET /api/v1/campaigns/1/reconciliation``: the whole report (every token, round, supplier, order with
  its lines, payments, invoices and custody, and the findings), the mirror checked against the chain's
  views through the node (the server is given ``PLEDGELEDGER_RPC_URL``, as a deployment would be). The
  server keeps a report until the mirror moves or a record is written (``ledger.reconcile.cache``), so it
  is timed three ways: ``reconcile_*`` asked again with nothing changed (the report kept: what a polling
  dashboard sees); ``reconcile_after_write_*`` asked right after a record was written through the API
  (an untimed ``PATCH`` of a supplier), so computed again on the kept pledge aggregates; and
  ``reconcile_unchecked_after_write_*`` the same from a second server on the same database that knows no
  node (no chain check). ``reconcile_cold_ms`` is the server's first report, nothing kept yet;
* ``GET /api/v1/pledges?campaign_id=1&limit=100``: the first page, and the deep page (page 900 of 1,000
  with 100,000 pledges), requested with the ``cursor`` that page 899's ``next_cursor`` gave, the cursor
  found by walking every page once (which also checks that the pages hold every pledge exactly once).

The campaign: ``--pledges`` (default 100,000) ``Pledged`` events made by ``scripts/bench_indexer.py``'s
``build_chain`` (batcher contracts pledging ETH and USDC into one open round), the round closed after
its end (the chain's clock moved on), ``--suppliers`` (50) suppliers approved on chain, ``--orders`` (500)
purchase orders of three lines each, four in five of them paid with real ``disburse`` transactions naming
the order's reference (bytes32) and the SHA-256 of its invoice, and, through the records service, the
suppliers, orders, reference prices, every order's invoice document, shipments for most paid orders,
deliveries for most shipments (a few short) and distributions to member states. A few orders are priced
far above the reference and a fifth are unpaid, so the report has findings of several kinds to compute,
as a real one would. The chain is indexed into each database with the real indexer
(``ledger.indexer.runner.Indexer``).

The API runs as ``uvicorn api.main:create_app --factory`` in a child process on a free loopback port
(always stopped), one worker, no access log; the client is one keep-alive ``httpx.Client`` per server.
After ``--warmup`` turns, the requests are made in turn ``--repeat`` times (default 60), so that noise on
this shared machine falls on all of them alike; p50 and p95 are of those. When a reconciliation p50
misses its target (or with ``--profile``), the after-a-write request is profiled in process (cProfile,
and every SQL statement timed) and the heaviest parts printed.

    scripts/bench_api.py --json                                            # last line: the JSON figures
    scripts/bench_api.py --pledges 2000 --orders 20 --suppliers 5 --no-postgres --json    # a quick run

Targets: ``reconcile_p50_ms`` ≤ 150 (checked for ``reconcile_after_write_p50_ms`` too) and
``deep_page_p50_ms`` ≤ 2 × ``first_page_p50_ms`` (``deep_vs_first`` ≤ 2) on both backends. The whole run
takes about five minutes, most of it building and indexing the chain and walking every page.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import math
import pstats
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session
from web3 import Web3
from web3.types import RPCEndpoint

from devtools.bench import conclude
from devtools.served import served_api
from ledger.chain import ErrorDecoder, Transactor, connect, dev_accounts
from ledger.client import LedgerClient
from ledger.compiler import Build, compile_contracts
from ledger.db.engine import make_engine
from ledger.db.migrate import upgrade
from ledger.db.records import Supplier
from ledger.db.session import write_session
from ledger.deploy import LOCAL_ETH_USD, LOCAL_TOKENS
from ledger.indexer.rpc import RpcClient
from ledger.indexer.runner import Indexer, LedgerSource
from ledger.keys import create_key
from ledger.node import start_node
from ledger.orderref import order_ref
from ledger.records import service
from ledger.records.schemas import (
    DeliveryCreate,
    DistributionCreate,
    DocumentMeta,
    ItemQuantity,
    OrderCreate,
    OrderLineIn,
    ReferencePriceCreate,
    ShipmentCreate,
    SupplierCreate,
    SupplierUpdate,
)
from scripts.bench_indexer import (
    DEFAULT_POSTGRES_URL,
    GAS_PER_PLEDGE,
    BenchChain,
    build_chain,
    postgres_database,
    say,
)

DAY = 86_400
ETH = "0x" + "00" * 20
CAMPAIGN_ID = 1
ROUND_ID = 1
PAGE_SIZE = 100
ACTOR = "bench"

TARGETS = {"reconcile_p50_ms": 150.0, "deep_vs_first": 2.0}

#: Items bought, with their unit and reference price in USD.
ITEMS: list[tuple[str, str, Decimal]] = [
    ("FFP2 respirator", "piece", Decimal("0.60")),
    ("Surgical mask", "piece", Decimal("0.08")),
    ("Nitrile gloves, box of 100", "box", Decimal("6.50")),
    ("Face shield", "piece", Decimal("1.20")),
    ("Hand sanitiser 500 ml", "bottle", Decimal("3.00")),
    ("Isolation gown", "piece", Decimal("2.50")),
    ("PCR test kit", "kit", Decimal("9.00")),
]
COUNTRIES = ["CN", "IN", "TR", "DE", "FR", "NG", "GH", "SN", "MA", "VN"]
#: The member states goods are distributed to.
MEMBER_STATES = [
    "Benin", "Burkina Faso", "Cabo Verde", "Côte d'Ivoire", "The Gambia", "Ghana", "Guinea",
    "Guinea-Bissau", "Liberia", "Mali", "Niger", "Nigeria", "Senegal", "Sierra Leone", "Togo",
]  # fmt: skip
#: Share of an order's value on each of its three lines.
LINE_SHARES = (Decimal("0.5"), Decimal("0.3"), Decimal("0.2"))


# ─── the campaign's procurement, planned before anything is written ─────────────────────────────────


@dataclass(frozen=True)
class PlannedOrder:
    index: int
    reference: str
    supplier: int  # index into the suppliers
    token: str
    amount: int  # agreed, in the token's base units
    lines: list[OrderLineIn]
    invoice: bytes
    issued_on: date
    paid: bool
    shipped: bool
    delivered: bool
    short: bool  # delivered less than shipped on its first line

    @property
    def invoice_total(self) -> Decimal:
        return sum((line.unit_price * line.quantity for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class Plan:
    wallets: list[str]
    orders: list[PlannedOrder]

    @property
    def paid(self) -> list[PlannedOrder]:
        return [o for o in self.orders if o.paid]


def supplier_wallet(i: int) -> str:
    return Web3.to_checksum_address(Web3.keccak(text=f"pledgeledger bench supplier {i}")[-20:])


def plan_campaign(suppliers: int, orders: int, held: dict[str, int]) -> Plan:
    """Orders alternately in ETH and USDC; four in five paid (together about 60% of what is held); each
    paid order's invoice is its own document; ~7 in 8 paid orders shipped, ~11 in 12 of those delivered."""
    tokens = [ETH, next(t for t in held if t != ETH)]
    price_usd = {ETH: Decimal(LOCAL_ETH_USD) / 10**8, tokens[1]: Decimal(LOCAL_TOKENS["USDC"][2]) / 10**8}
    decimals = {ETH: 18, tokens[1]: LOCAL_TOKENS["USDC"][1]}
    paid_count = {t: sum(1 for i in range(orders) if tokens[i % 2] == t and i % 5 != 4) for t in tokens}
    planned = []
    for i in range(orders):
        token = tokens[i % 2]
        weight = Decimal(50 + (i * 37) % 100) / 100  # 0.5 … 1.49, mean ≈ 1
        amount = int(Decimal(held[token]) * Decimal("0.6") / max(paid_count[token], 1) * weight)
        value_usd = Decimal(amount) * price_usd[token] / 10 ** decimals[token]
        lines = []
        for k, share in enumerate(LINE_SHARES):
            item, unit, reference_price = ITEMS[(i + 2 * k) % len(ITEMS)]
            factor = Decimal(90 + (i + k) % 20) / 100  # 0.90 … 1.09 × the reference
            if k == 0 and i % 97 == 13:
                factor = Decimal("1.60")  # far above the reference: a finding
            unit_price = (reference_price * factor).quantize(Decimal("0.0001"))
            quantity = max(1, int(value_usd * share / unit_price))
            lines.append(
                OrderLineIn(item=item, quantity=quantity, unit=unit, unit_price=unit_price, currency="USD")
            )
        reference = f"PO-2020-{i + 1:05d}"
        invoice = "\n".join(
            [
                f"INVOICE INV-2020-{i + 1:05d}",
                f"Purchase order: {reference}",
                f"Supplier: {supplier_name(i % suppliers)}",
                *(f"{ln.quantity} {ln.unit} {ln.item} at {ln.unit_price} USD" for ln in lines),
            ]
        ).encode()
        paid = i % 5 != 4
        shipped = paid and i % 8 != 1
        planned.append(
            PlannedOrder(
                index=i,
                reference=reference,
                supplier=i % suppliers,
                token=token,
                amount=amount,
                lines=lines,
                invoice=invoice,
                issued_on=date(2020, 4, 1) + timedelta(days=i % 60),
                paid=paid,
                shipped=shipped,
                delivered=shipped and i % 12 != 5,
                short=i % 50 == 7,
            )
        )
    return Plan(wallets=[supplier_wallet(i) for i in range(suppliers)], orders=planned)


def supplier_name(i: int) -> str:
    return f"Supplier {i + 1:03d} Medical Supplies Ltd"


# ─── the chain: close the round, approve suppliers, pay orders ─────────────────────────────────────


def _manager(chain: BenchChain, build: Build | None = None) -> LedgerClient:
    """The campaign's manager (development account 1), through the typed client."""
    w3 = connect(chain.rpc_url)
    abis = [chain.abi] if build is None else [a.abi for a in build.artifacts.values()]
    manager = Transactor(w3, dev_accounts(2)[1], ErrorDecoder(abis))
    return LedgerClient(w3, chain.ledger, chain.abi, manager)


def chain_activity(chain: BenchChain, build: Build, plan: Plan) -> int:
    """Close the round after its end, approve every supplier and pay the paid orders; returns the
    number of ``Disbursed`` events made."""
    manager = _manager(chain, build)
    for i, wallet in enumerate(plan.wallets):
        manager.approve_supplier(CAMPAIGN_ID, wallet, Web3.keccak(text=f"supplier record {i}"))
    for n, order in enumerate(plan.paid, 1):
        manager.disburse(
            CAMPAIGN_ID,
            order.token,
            plan.wallets[order.supplier],
            order.amount,
            bytes.fromhex(order_ref(order.reference)[2:]),
            hashlib.sha256(order.invoice).digest(),
        )
        if n % 100 == 0:
            say(f"  paid {n}/{len(plan.paid)} orders")
    return len(plan.paid)


def close_round(chain: BenchChain) -> dict[str, int]:
    """Move the clock past the round's end and close it; returns what the campaign holds per token."""
    manager = _manager(chain)
    w3 = manager.w3
    end = manager.round(CAMPAIGN_ID, ROUND_ID).end
    now = int(w3.eth.get_block("latest")["timestamp"])
    w3.provider.make_request(RPCEndpoint("evm_increaseTime"), [end - now + 60])
    w3.provider.make_request(RPCEndpoint("evm_mine"), [])
    manager.close_round(CAMPAIGN_ID, ROUND_ID)
    tokens = manager.campaign(CAMPAIGN_ID).tokens
    return {t: manager.token_totals(CAMPAIGN_ID, t).held for t in tokens}


# ─── a database: indexed, then the off-chain records written ───────────────────────────────────────


def index(chain: BenchChain, engine: Engine) -> None:
    with RpcClient(chain.rpc_url, timeout=300) as rpc:
        Indexer(rpc, engine, LedgerSource(chain.ledger, chain.start_block, chain.abi)).run(once=True)


def write_records(engine: Engine, plan: Plan) -> dict[str, int]:
    """Suppliers, reference prices, orders, invoices, shipments, deliveries and distributions, through
    the records service (one transaction per kind); returns how many of each."""
    counts: dict[str, int] = defaultdict(int)
    with write_session(engine) as s:
        for item, unit, price in ITEMS:
            service.create_reference_price(
                s,
                data=ReferencePriceCreate(item=item, unit=unit, currency="USD", unit_price=price),
                actor=ACTOR,
            )
            counts["reference_prices"] += 1
        supplier_ids = []
        for i, wallet in enumerate(plan.wallets):
            supplier = service.create_supplier(
                s,
                data=SupplierCreate(
                    name=supplier_name(i),
                    country=COUNTRIES[i % len(COUNTRIES)],
                    wallet=wallet,
                    vetting_status="approved",
                ),
                actor=ACTOR,
            )
            supplier_ids.append(supplier.id)
        counts["suppliers"] = len(supplier_ids)
    order_lines: dict[int, list[tuple[int, int]]] = {}  # order index → (line id, quantity)
    order_ids: dict[int, int] = {}
    with write_session(engine) as s:
        for o in plan.orders:
            order = service.create_order(
                s,
                data=OrderCreate(
                    campaign_id=CAMPAIGN_ID,
                    supplier_id=supplier_ids[o.supplier],
                    reference=o.reference,
                    payment_token=o.token,
                    payment_amount=o.amount,
                    issued_on=o.issued_on,
                    lines=o.lines,
                ),
                actor=ACTOR,
            )
            order_ids[o.index] = order.id
            order_lines[o.index] = [(line.id, line.quantity) for line in order.lines]
            service.add_document(
                s,
                meta=DocumentMeta(kind="invoice", order_id=order.id, amount=o.invoice_total, currency="USD"),
                filename=f"invoice-{o.reference}.txt",
                content_type="text/plain",
                content=o.invoice,
                actor=ACTOR,
            )
        counts["orders"] = len(order_ids)
        counts["invoices"] = len(order_ids)
    with write_session(engine) as s:
        for o in plan.orders:
            if not o.shipped:
                continue
            shipment = service.create_shipment(
                s,
                data=ShipmentCreate(
                    order_id=order_ids[o.index],
                    reference=f"AWB-{o.index + 1:05d}",
                    carrier="Ethiopian Cargo",
                    origin="Beijing",
                    destination="Abidjan",
                    shipped_on=o.issued_on + timedelta(days=10),
                    items=[ItemQuantity(order_line_id=i, quantity=q) for i, q in order_lines[o.index]],
                ),
                actor=ACTOR,
            )
            counts["shipments"] += 1
            if not o.delivered:
                continue
            items = [
                ItemQuantity(order_line_id=i, quantity=max(1, q * 9 // 10) if o.short and k == 0 else q)
                for k, (i, q) in enumerate(order_lines[o.index])
            ]
            delivery = service.create_delivery(
                s,
                data=DeliveryCreate(
                    shipment_id=shipment.id,
                    consignee="WAHO regional stock",
                    place="Abidjan",
                    delivered_on=o.issued_on + timedelta(days=17),
                    items=items,
                ),
                actor=ACTOR,
            )
            counts["deliveries"] += 1
            first = items[0]
            share = first.quantity // 3
            for k in range(3 if share else 0):
                service.create_distribution(
                    s,
                    data=DistributionCreate(
                        delivery_id=delivery.id,
                        order_line_id=first.order_line_id,
                        recipient=MEMBER_STATES[(o.index + k) % len(MEMBER_STATES)],
                        quantity=share,
                        distributed_on=o.issued_on + timedelta(days=20 + k),
                    ),
                    actor=ACTOR,
                )
                counts["distributions"] += 1
    return dict(counts)


# ─── the API in a child process ────────────────────────────────────────────────────────────────────


# ─── measuring ─────────────────────────────────────────────────────────────────────────────────────


def _get(client: httpx.Client, path: str, params: dict[str, Any] | None = None) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = client.get(path, params=params)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != 200:
        raise RuntimeError(f"GET {path} {params}: {answer.status_code} {answer.text[:500]}")
    return elapsed, answer.json()


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def deep_cursor(client: httpx.Client, expected: int) -> tuple[str | None, int, int]:
    """Walk every page of the campaign's pledges; returns the cursor of the page at 90% of them (page
    900 of 1,000), its number and the number of pages. Checks that every pledge is listed once."""
    pages = math.ceil(expected / PAGE_SIZE)
    deep = max(2, round(pages * 0.9))
    cursor: str | None = None
    deep_cursor: str | None = None
    seen: set[str] = set()
    listed = 0
    for page in range(1, pages + 2):
        if page == deep:
            deep_cursor = cursor
        params: dict[str, Any] = {"campaign_id": CAMPAIGN_ID, "limit": PAGE_SIZE}
        if cursor is not None:
            params["cursor"] = cursor
        _, body = _get(client, "/api/v1/pledges", params)
        listed += len(body["data"])
        seen.update(f"{r['tx_hash']}:{r['log_index']}" for r in body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    if listed != expected or len(seen) != expected or page != pages:
        raise RuntimeError(
            f"the pages list {listed} pledges ({len(seen)} distinct) in {page}, expected {expected}"
        )
    return deep_cursor, deep, pages


@dataclass
class Figures:
    reconcile_ms: list[float] = field(default_factory=list)
    after_write_ms: list[float] = field(default_factory=list)
    unchecked_ms: list[float] = field(default_factory=list)
    first_ms: list[float] = field(default_factory=list)
    deep_ms: list[float] = field(default_factory=list)
    cold_ms: float = 0.0

    def summary(self) -> dict[str, float]:
        first = statistics.median(self.first_ms)
        deep = statistics.median(self.deep_ms)
        return {
            "reconcile_p50_ms": round(statistics.median(self.reconcile_ms), 1),
            "reconcile_p95_ms": round(_p(self.reconcile_ms, 95), 1),
            "reconcile_after_write_p50_ms": round(statistics.median(self.after_write_ms), 1),
            "reconcile_after_write_p95_ms": round(_p(self.after_write_ms, 95), 1),
            "reconcile_unchecked_after_write_p50_ms": round(statistics.median(self.unchecked_ms), 1),
            "reconcile_cold_ms": round(self.cold_ms, 1),
            "deep_page_p50_ms": round(deep, 2),
            "deep_page_p95_ms": round(_p(self.deep_ms, 95), 2),
            "first_page_p50_ms": round(first, 2),
            "first_page_p95_ms": round(_p(self.first_ms, 95), 2),
            "deep_vs_first": round(deep / first, 2),
        }


def check_report(report: dict[str, Any], chain: BenchChain, plan: Plan, payments: int) -> dict[str, int]:
    """The report covers what was made: every pledge, order and payment; returns findings by kind."""
    pledged = sum(int(t["pledged"]) for t in report["tokens"])
    paid = sum(len(o["payments"]) for o in report["orders"])
    problems = []
    if report["pledges"] != chain.events or pledged != chain.expected_amount:
        problems.append(f"{report['pledges']} pledges worth {pledged}, expected {chain.events}")
    if len(report["orders"]) != len(plan.orders) or paid != payments:
        problems.append(f"{len(report['orders'])} orders with {paid} payments")
    if report["chain_check"]["status"] != "verified":
        problems.append(f"chain check {report['chain_check']}")
    if problems:
        raise RuntimeError("the reconciliation does not match the campaign: " + "; ".join(problems))
    kinds: dict[str, int] = defaultdict(int)
    for finding in report["findings"]:
        kinds[finding["kind"]] += 1
    return dict(sorted(kinds.items()))


def _reconcile(client: httpx.Client, cached: bool, kept_etag: str | None = None) -> tuple[float, str | None]:
    """Time one reconciliation; check that it came from the server's cache, or not, as expected. A kept
    answer comes either from the report cache (``from_cache``) or, when nothing changed since ``kept_etag``
    was served, from the API's kept public reads (``api.freshness``: the same ETag, nothing recomputed).
    Returns the time and the answer's ETag."""
    started = time.perf_counter()
    answer = client.get(f"/api/v1/campaigns/{CAMPAIGN_ID}/reconciliation")
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != 200:
        raise RuntimeError(f"GET reconciliation: {answer.status_code} {answer.text[:500]}")
    etag = answer.headers.get("etag")
    from_cache = answer.json()["generated_from"].get("from_cache", False)
    kept = from_cache or (kept_etag is not None and etag == kept_etag)
    if kept != cached:
        raise RuntimeError(f"expected a report {'from' if cached else 'not from'} the server's cache")
    return elapsed, etag


def _write_a_record(client: httpx.Client, manager_key: str, n: int) -> None:
    """Edit a supplier's notes: a record written, so the servers must compute the report again."""
    _, supplier = _get(client, "/api/v1/suppliers/1")
    answer = client.patch(
        "/api/v1/suppliers/1",
        json={"version": supplier["version"], "notes": f"benchmark edit {n}"},
        headers={"X-API-Key": manager_key},
    )
    if answer.status_code != 200:
        raise RuntimeError(f"PATCH /api/v1/suppliers/1: {answer.status_code} {answer.text[:300]}")


def measure(
    base_url: str, unchecked_url: str, manager_key: str, expected: int, *, repeat: int, warmup: int
) -> tuple[Figures, dict[str, Any], int]:
    """Time the requests in turn; returns the figures, one report, and the deep page's number.

    Each turn: the first page, the deep page; a record written (not timed); the reconciliation, computed
    again (after a write); the same, now from the server's cache; and the reconciliation from the server
    that knows no node (computed again, without the chain check)."""
    pledges = "/api/v1/pledges"
    first = {"campaign_id": CAMPAIGN_ID, "limit": PAGE_SIZE}
    figures = Figures()
    with (
        httpx.Client(base_url=base_url, timeout=120) as client,
        httpx.Client(base_url=unchecked_url, timeout=120) as unchecked,
    ):
        figures.cold_ms, _ = _reconcile(client, cached=False)  # the server's first: nothing kept yet
        cursor, deep_page, _ = deep_cursor(client, expected)
        deep = {**first, "cursor": cursor}
        _, report = _get(client, f"/api/v1/campaigns/{CAMPAIGN_ID}/reconciliation")
        for n in range(warmup + repeat):
            timed = n >= warmup
            first_ms, _ = _get(client, pledges, first)
            deep_ms, body = _get(client, pledges, deep)
            if len(body["data"]) != PAGE_SIZE:
                raise RuntimeError(f"page {deep_page} has {len(body['data'])} rows")
            _write_a_record(client, manager_key, n)
            after_write_ms, etag = _reconcile(client, cached=False)
            reconcile_ms, _ = _reconcile(client, cached=True, kept_etag=etag)
            unchecked_ms, _ = _reconcile(unchecked, cached=False)
            if timed:
                figures.first_ms.append(first_ms)
                figures.deep_ms.append(deep_ms)
                figures.after_write_ms.append(after_write_ms)
                figures.reconcile_ms.append(reconcile_ms)
                figures.unchecked_ms.append(unchecked_ms)
    return figures, report, deep_page


def profile_reconciliation(database_url: str, rpc_url: str, top: int = 25) -> dict[str, Any]:
    """The route's work done in process, as after a record is written: ``reconcile_campaign`` with the
    chain check and a warm cache of aggregates, as the API calls it, and the report's JSON; timed without
    a profiler, then with every SQL statement timed and under cProfile (cumulative times of the
    reconciliation's own functions); and once with no cache at all. Prints where the time goes and returns
    the main shares."""
    from ledger.reconcile import MirrorVerifier, ReconcileOptions, reconcile_campaign
    from ledger.reconcile.cache import ReconcileCache
    from ledger.settings import Settings

    engine = make_engine(database_url)
    options = ReconcileOptions.from_settings(Settings(database_url=database_url))
    verifier = MirrorVerifier.from_rpc(rpc_url)
    cache = ReconcileCache()

    def write_a_record(n: int) -> None:  # the kept report is stale after it
        with write_session(engine) as s:
            version = s.get_one(Supplier, 1).version
            changes = SupplierUpdate(version=version, notes=f"profile edit {n}")
            service.update_supplier(s, record_id=1, changes=changes, actor=ACTOR)

    def reconcile(*, cached: bool = True) -> Any:
        with Session(engine) as session:
            return reconcile_campaign(
                session,
                campaign_id=CAMPAIGN_ID,
                options=options,
                verifier=verifier,
                cache=cache if cached else None,
            )

    statements: dict[str, list[float]] = defaultdict(list)

    def before(_conn: Any, _cursor: Any, _sql: str, _params: Any, context: Any, _many: bool) -> None:
        context._bench_started = time.perf_counter()

    def after(_conn: Any, _cursor: Any, sql: str, _params: Any, context: Any, _many: bool) -> None:
        statements[" ".join(sql.split())[:150]].append(time.perf_counter() - context._bench_started)

    try:
        reconcile()  # the aggregates computed and kept, as a server has them
        walls, dumps = [], []
        for n in range(5):
            write_a_record(n)
            started = time.perf_counter()
            report = reconcile()
            walls.append(time.perf_counter() - started)
            started = time.perf_counter()
            body = report.model_dump_json()
            dumps.append(time.perf_counter() - started)
        write_a_record(5)
        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        reconcile()
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        write_a_record(6)
        profiler = cProfile.Profile()
        profiler.enable()
        reconcile()
        profiler.disable()
        started = time.perf_counter()
        reconcile(cached=False)
        uncached = (time.perf_counter() - started) * 1000
    finally:
        engine.dispose()
    wall, dump = statistics.median(walls) * 1000, statistics.median(dumps) * 1000
    sql = sum(sum(v) for v in statements.values()) * 1000
    count = sum(len(v) for v in statements.values())
    say(
        f"  profile, in process: reconcile_campaign {wall:.0f} ms (SQL {sql:.0f} ms in {count} statements, "
        f"the rest Python and the chain check); the report's JSON {dump:.0f} ms more "
        f"({len(body) / 1024:.0f} KiB); with no cache at all {uncached:.0f} ms"
    )
    for text, times in sorted(statements.items(), key=lambda kv: -sum(kv[1]))[:6]:
        say(f"    {sum(times) * 1000:7.1f} ms  {text}")
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer).sort_stats("cumulative")
    stats.print_stats(r"ledger/reconcile|pydantic/main", top)  # the reconciliation's own functions
    say("    under cProfile (inflates Python-heavy parts), cumulative:")
    for line in buffer.getvalue().splitlines():
        if re.match(r"\s+\d", line):
            say(f"    {line.strip()}")
    return {
        "reconcile_ms": round(wall, 1),
        "sql_ms": round(sql, 1),
        "sql_statements": count,
        "json_ms": round(dump, 1),
        "response_kib": round(len(body) / 1024),
        "uncached_ms": round(uncached, 1),
    }


# ─── one backend ───────────────────────────────────────────────────────────────────────────────────


def run_backend(
    name: str, url: str, chain: BenchChain, plan: Plan, payments: int, args: argparse.Namespace, log: Path
) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        upgrade(engine)
        step = time.perf_counter()
        index(chain, engine)
        say(f"  [{name}] indexed in {time.perf_counter() - step:.1f} s")
        step = time.perf_counter()
        counts = write_records(engine, plan)
        say(f"  [{name}] records written in {time.perf_counter() - step:.1f} s: {counts}")
        with Session(engine) as s, s.begin():
            _, manager_key = create_key(s, name="bench", role="manager")
    finally:
        engine.dispose()
    with (
        served_api(url, rpc_url=chain.rpc_url, log=log) as base_url,
        served_api(url, rpc_url=None, log=log.with_suffix(".unchecked.log")) as unchecked_url,
    ):
        figures, report, deep_page = measure(
            base_url, unchecked_url, manager_key, chain.events, repeat=args.repeat, warmup=args.warmup
        )
    kinds = check_report(report, chain, plan, payments)
    result: dict[str, Any] = figures.summary()
    result["deep_page"] = deep_page
    result["findings"] = kinds
    say(
        f"({name}) reconciliation p50 {result['reconcile_p50_ms']} ms, p95 {result['reconcile_p95_ms']} ms "
        f"(kept by the server); after a record is written p50 {result['reconcile_after_write_p50_ms']} ms, "
        f"p95 {result['reconcile_after_write_p95_ms']} ms, without the chain check p50 "
        f"{result['reconcile_unchecked_after_write_p50_ms']} ms; the server's first "
        f"{result['reconcile_cold_ms']} ms; {len(report['findings'])} findings"
    )
    say(
        f"({name}) pledges page 1 p50 {result['first_page_p50_ms']} ms, page {deep_page} p50 "
        f"{result['deep_page_p50_ms']} ms ({result['deep_vs_first']} ×)"
    )
    slowest = max(result["reconcile_p50_ms"], result["reconcile_after_write_p50_ms"])
    if args.profile or slowest > TARGETS["reconcile_p50_ms"]:
        result["reconcile_profile"] = profile_reconciliation(url, chain.rpc_url)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pledges", type=int, default=100_000, help="Pledged events in the campaign")
    parser.add_argument("--suppliers", type=int, default=50, help="suppliers, approved on chain")
    parser.add_argument("--orders", type=int, default=500, help="purchase orders (four in five paid)")
    parser.add_argument("--per-tx", type=int, default=1_000, help="pledges per batcher transaction")
    parser.add_argument("--donors", type=int, default=6, help="batcher contracts, ETH and USDC alternately")
    parser.add_argument("--repeat", type=int, default=60, help="timed requests of each kind")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests of each kind first")
    parser.add_argument("--profile", action="store_true", help="profile the reconciliation even on target")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="a database on the server")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL run")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on the last line")
    args = parser.parse_args()
    if args.repeat < 2 or args.suppliers < 1 or args.orders < 2:
        parser.error("--repeat and --orders must be at least 2, --suppliers at least 1")

    started = time.perf_counter()
    build = compile_contracts()
    gas_limit = max(GAS_PER_PLEDGE * args.per_tx + 1_000_000, 30_000_000)
    node = start_node("anvil", extra_args=["--gas-limit", str(gas_limit)])
    results: dict[str, Any] = {
        "pledges": args.pledges,
        "suppliers": args.suppliers,
        "orders": args.orders,
    }
    try:
        say(f"Generating {args.pledges:,} pledges on Anvil at {node.rpc_url} …")
        step = time.perf_counter()
        chain = build_chain(node.rpc_url, build, events=args.pledges, per_tx=args.per_tx, donors=args.donors)
        held = close_round(chain)
        plan = plan_campaign(args.suppliers, args.orders, held)
        payments = chain_activity(chain, build, plan)
        say(
            f"  {chain.events:,} pledges, round closed, {args.suppliers} suppliers approved, {payments} "
            f"orders paid: {time.perf_counter() - step:.1f} s"
        )
        backends = [("sqlite", None)] + ([] if args.no_postgres else [("postgres", args.postgres_url)])
        with tempfile.TemporaryDirectory(prefix="pledgeledger-bench-api-") as tmp:
            for name, admin_url in backends:
                log = Path(tmp) / f"uvicorn-{name}.log"
                if admin_url is None:
                    results[name] = run_backend(
                        name, f"sqlite:///{Path(tmp) / 'api.db'}", chain, plan, payments, args, log
                    )
                    continue
                url, drop = postgres_database(admin_url)
                try:
                    results[name] = run_backend(name, url, chain, plan, payments, args, log)
                finally:
                    drop()
    finally:
        node.stop()

    checks: dict[str, bool] = {}
    for name, _ in backends:
        figures = results[name]
        target = TARGETS["reconcile_p50_ms"]
        checks[f"{name} reconcile_p50_ms ≤ 150"] = figures["reconcile_p50_ms"] <= target
        checks[f"{name} reconcile_after_write_p50_ms ≤ 150"] = (
            figures["reconcile_after_write_p50_ms"] <= target
        )
        checks[f"{name} deep page ≤ 2 × first page"] = figures["deep_vs_first"] <= TARGETS["deep_vs_first"]
    if args.no_postgres:
        results["postgres"] = None
    results["repeat"] = args.repeat
    return conclude(results, checks, started, as_json=args.json, say=say)


if __name__ == "__main__":
    raise SystemExit(main())
