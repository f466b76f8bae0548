#!/usr/bin/env python3
"""The indexer's throughput, against the ceiling of the node and against the naive way.

Builds a fresh Anvil chain holding ``--events`` (default 100,000) ``Pledged`` events, then measures, in
events per second:

* **ceiling**: ``eth_getLogs`` over HTTP for every event, in block ranges of about ``--batch-logs`` logs
  (the indexer's batch size), each answer parsed with orjson and dropped: no decoding, no storage;
* **naive**: web3.py's ``contract.events.Pledged().get_logs`` over block ranges, each block's time read once
  with ``eth_getBlockByNumber``, and one SQLAlchemy ORM insert and commit per event (``session.add(Pledged(
  ...)); session.commit()``) into a fresh SQLite file. It is timed on the first ``--naive-events`` events
  only (default 10,000, in ranges no larger than that): its rate is steady long before, and all of them
  would take minutes;
* **sqlite** and **postgres**: the indexer's full backfill (``Indexer.run(once=True)``, as ``pledgeledger
  index --once`` runs it) of every event into a fresh, migrated SQLite file and a fresh PostgreSQL database
  created on ``--postgres-url``'s server and dropped afterwards.

Each backfill runs in a child process of its own (``multiprocessing`` spawn), so that ``peak_rss_mb`` is the
indexer's own high-water mark (``ru_maxrss``), not the generator's; the time runs from the start of the
backfill to the engine's disposal (on SQLite, closing checkpoints the WAL), and excludes starting the child
and migrating the schema. Every run checks that the mirror holds exactly the events generated, with their
amounts. The ceiling parses with the garbage collector paused, as the indexer does, so that it is the
fastest fetch there is.

The machine is shared, so (a), (c) and (d) are run ``--rounds`` times (default 3) in turn, and the best of
each counts (noise only ever slows a run down); every round's figures are in the JSON too. The naive way
runs once: it is tens of times slower, and its noise does not change a verdict.

The events come from ``contracts/test/PledgeBatcher.sol``: ``--donors`` donor contracts that call the
ledger's real ``pledge`` (ETH) or ``pledgeToken`` (USDC) ``--per-tx`` times per transaction, every pledge of
a different amount (so every amount and USD value differs), each transaction followed by a few empty
blocks, on an Anvil started with a block gas limit large enough for them. 100,000 events take 10-20 s to
make; the whole run takes one to two minutes.

    scripts/bench_indexer.py --json                 # last line: the JSON figures
    scripts/bench_indexer.py --events 20000 --json  # a quick run
    scripts/bench_indexer.py --no-postgres          # without a PostgreSQL server

Targets (2 cores): ``sqlite_eps`` ≥ 20,000 and ≥ 0.5 × ``ceiling_eps``; ``postgres_eps`` ≥ 15,000; both
≥ 10 × ``naive_eps``; ``peak_rss_mb`` ≤ 300.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
import requests
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from web3 import Web3
from web3.types import Nonce, TxParams, Wei

from devtools.bench import conclude
from ledger.chain import ErrorDecoder, Transactor, connect, dev_accounts
from ledger.client import LedgerClient
from ledger.compiler import Build, compile_contracts
from ledger.db.engine import make_engine
from ledger.db.migrate import upgrade
from ledger.db.models import Pledged
from ledger.db.types import uint_sum
from ledger.deploy import deploy
from ledger.gcpause import gc_paused
from ledger.indexer.rpc import RpcClient
from ledger.indexer.runner import Indexer, IndexerConfig, LedgerSource
from ledger.node import start_node

DAY = 86_400
ETH = "0x" + "00" * 20
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
#: Gas of one batched pledge is about 16,000 (ETH) to 40,000 (ERC-20); this leaves room for both.
GAS_PER_PLEDGE = 60_000
#: Empty blocks mined after each transaction, so that the events spread over many blocks.
EMPTY_BLOCKS = 9

TARGETS = {
    "sqlite_eps": 20_000,
    "sqlite_vs_ceiling": 0.5,
    "postgres_eps": 15_000,
    "sqlite_vs_naive": 10.0,
    "postgres_vs_naive": 10.0,
    "peak_rss_mb": 300,
}


def say(message: str) -> None:
    print(message, flush=True)


# ─── the chain ─────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class BenchChain:
    """The chain built for the benchmark."""

    rpc_url: str
    ledger: str
    start_block: int
    head: int
    events: int
    abi: list[dict[str, Any]]
    expected_amount: int  # Σ amount of every Pledged event (ETH and USDC base units alike)


def _post(session: requests.Session, url: str, method: str, params: list[Any]) -> Any:
    answer = orjson.loads(
        session.post(
            url,
            data=orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}),
            headers={"Content-Type": "application/json"},
            timeout=300,
        ).content
    )
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


def build_chain(rpc_url: str, build: Build, *, events: int, per_tx: int, donors: int) -> BenchChain:
    """Deploy the ledger with a campaign and an open round, and fill it with ``events`` pledges made by
    ``donors`` batcher contracts (alternately ETH and USDC), ``per_tx`` pledges per transaction."""
    w3 = connect(rpc_url)
    decoder = ErrorDecoder(a.abi for a in build.artifacts.values())
    admin, manager, *senders = (Transactor(w3, acc, decoder) for acc in dev_accounts(2 + donors))
    deployment = deploy(w3, admin, build, admin=admin.address, guardian=admin.address, min_supplier_delay=0)
    ledger = LedgerClient(w3, deployment.ledger, build["PledgeLedger"].abi, errors=decoder)
    usdc_info = deployment.tokens["USDC"]
    usdc = w3.eth.contract(address=Web3.to_checksum_address(usdc_info.address), abi=build["MockERC20"].abi)
    as_admin = ledger.as_signer(admin)
    campaign_id = int(
        as_admin.create_campaign(manager.address, "Benchmark", b"\x42" * 32, 0).event("CampaignCreated")[
            "campaignId"
        ]
    )
    for symbol in ("ETH", "USDC"):
        as_admin.accept_token(
            campaign_id, deployment.tokens[symbol].address, deployment.tokens[symbol].feed, 365 * DAY
        )
    now = int(w3.eth.get_block("latest")["timestamp"])
    opened = ledger.as_signer(manager).open_round(campaign_id, now, now + 365 * DAY, 10**24, False)
    round_id = int(opened.event("RoundOpened")["roundId"])

    artifact = build["PledgeBatcher"]
    batchers = [sender.deploy(artifact.abi, artifact.bytecode, ledger.address) for sender in senders]
    for i, batcher in enumerate(batchers):
        if i % 2:  # the USDC donors hold their tokens themselves
            admin.send(usdc.functions.mint(batcher.address, 10**30))

    # Sign every transaction here and send them back to back: Anvil mines each as it arrives. web3.py's
    # receipt handling of 1,000 logs costs more than Anvil's execution, so receipts are not read one by one.
    nonces = {s.address: int(w3.eth.get_transaction_count(s.address)) for s in senders}
    chain_id = w3.eth.chain_id
    transactions = math.ceil(events / per_tx)
    expected_amount = 0
    session = requests.Session()
    last_hash = ""
    made = 0
    for t in range(transactions):
        count = min(per_tx, events - made)
        i = t % len(batchers)
        sender, batcher = senders[i], batchers[i]
        # Pledges of `first`, `first + step`, ... base units, steps of about 1 US cent: every amount and every
        # USD value differs, as they would from donor to donor.
        if i % 2 == 0:  # ETH, in wei
            first, step = 10**15 * (1 + t % 7) + t, 5 * 10**12
            call = batcher.functions.pledgeMany(campaign_id, round_id, first, step, count)
        else:  # USDC, in base units
            first, step = 10**6 * (1 + t % 5) + t, 10**4
            call = batcher.functions.pledgeTokenMany(campaign_id, round_id, usdc.address, first, step, count)
        total = count * first + step * count * (count - 1) // 2
        params: TxParams = {
            "from": sender.address,
            "value": Wei(total if i % 2 == 0 else 0),
            "gas": GAS_PER_PLEDGE * count + 200_000,
            "nonce": Nonce(nonces[sender.address]),
            "chainId": chain_id,
            "maxFeePerGas": Wei(2 * 10**9),
            "maxPriorityFeePerGas": Wei(10**9),
        }
        signed = sender.account.sign_transaction(cast(dict[str, Any], call.build_transaction(params)))
        nonces[sender.address] += 1
        last_hash = _post(session, rpc_url, "eth_sendRawTransaction", ["0x" + signed.raw_transaction.hex()])
        _post(session, rpc_url, "anvil_mine", [hex(EMPTY_BLOCKS)])
        expected_amount += total
        made += count
        if (t + 1) % 20 == 0 or t + 1 == transactions:
            say(f"  sent {t + 1}/{transactions} transactions ({made:,} pledges)")
    deadline = time.monotonic() + 300
    while _post(session, rpc_url, "eth_getTransactionReceipt", [last_hash]) is None:
        if time.monotonic() > deadline:
            raise RuntimeError("the last transaction was not mined within 5 minutes")
        time.sleep(0.05)
    head = int(_post(session, rpc_url, "eth_blockNumber", []), 16)
    session.close()
    return BenchChain(
        rpc_url=rpc_url,
        ledger=ledger.address,
        start_block=deployment.block_number,
        head=head,
        events=made,
        abi=build["PledgeLedger"].abi,
        expected_amount=expected_amount,
    )


def block_ranges(chain: BenchChain, batch_logs: int) -> list[tuple[int, int]]:
    """Block ranges of about ``batch_logs`` events each, as the indexer's adaptive ranges settle to."""
    blocks = chain.head - chain.start_block + 1
    span = max(1, blocks * batch_logs // max(chain.events, 1))
    return [
        (first, min(first + span - 1, chain.head)) for first in range(chain.start_block, chain.head + 1, span)
    ]


# ─── (a) the ceiling ───────────────────────────────────────────────────────────────────────────────


def measure_ceiling(chain: BenchChain, batch_logs: int) -> tuple[int, float]:
    """Every log fetched with eth_getLogs and parsed, nothing else; returns (Pledged logs, seconds)."""
    pledged_topic = Web3.to_hex(
        Web3.keccak(text="Pledged(uint256,uint256,address,address,uint256,uint256,int256)")
    )
    session = requests.Session()
    found = 0
    started = time.perf_counter()
    for first, last in block_ranges(chain, batch_logs):
        with gc_paused():  # as the indexer parses: the collector has nothing to find in fresh JSON
            logs = _post(
                session,
                chain.rpc_url,
                "eth_getLogs",
                [{"address": chain.ledger, "fromBlock": hex(first), "toBlock": hex(last)}],
            )
        found += sum(1 for entry in logs if entry["topics"][0] == pledged_topic)
        del logs
    elapsed = time.perf_counter() - started
    session.close()
    return found, elapsed


# ─── (b) the naive way ─────────────────────────────────────────────────────────────────────────────


def measure_naive(chain: BenchChain, batch_logs: int, limit: int, workdir: Path) -> tuple[int, float]:
    """web3.py's event get_logs plus one ORM insert and commit per event, for the first ``limit`` events."""
    engine = make_engine(f"sqlite:///{workdir / 'naive.db'}")
    upgrade(engine)
    w3 = connect(chain.rpc_url, timeout=300)
    contract = w3.eth.contract(address=Web3.to_checksum_address(chain.ledger), abi=chain.abi)
    chain_id = w3.eth.chain_id
    stored = 0
    block_times: dict[int, int] = {}
    started = time.perf_counter()
    with Session(engine) as session:
        # Ranges no larger than the subset, so that no event is fetched and then not stored.
        for first, last in block_ranges(chain, min(batch_logs, limit)):
            for event in contract.events.Pledged().get_logs(from_block=first, to_block=last):
                number = event["blockNumber"]
                if number not in block_times:  # web3.py's events do not carry the block's time
                    block_times[number] = int(w3.eth.get_block(number)["timestamp"])
                args = event["args"]
                session.add(
                    Pledged(
                        chain_id=chain_id,
                        contract=event["address"],
                        block_number=event["blockNumber"],
                        block_hash=event["blockHash"].to_0x_hex(),
                        block_timestamp=block_times[number],
                        tx_hash=event["transactionHash"].to_0x_hex(),
                        tx_index=event["transactionIndex"],
                        log_index=event["logIndex"],
                        campaign_id=args["campaignId"],
                        round_id=args["roundId"],
                        donor=args["donor"],
                        token=args["token"],
                        amount=args["amount"],
                        usd_value=args["usdValue"],
                        price=args["price"],
                    )
                )
                session.commit()
                stored += 1
                if stored >= limit:
                    break
            if stored >= limit:
                break
    elapsed = time.perf_counter() - started
    engine.dispose()
    return stored, elapsed


# ─── (c, d) the indexer, in a child process ───────────────────────────────────────────────────────


@dataclass(frozen=True)
class IndexerRun:
    """One backfill: events stored, seconds taken, the child's peak RSS, and Σ amount as a check."""

    events: int
    seconds: float
    peak_rss_mb: float
    amount: int

    @property
    def eps(self) -> float:
        return _rate(self.events, self.seconds)

    def describe(self) -> str:
        return (
            f"{self.events:,} events in {self.seconds:.2f} s = {self.eps:,.0f}/s, "
            f"peak RSS {self.peak_rss_mb:.0f} MB"
        )


def _index_in_child(url: str, rpc_url: str, source: LedgerSource, batch_logs: int) -> IndexerRun:
    """Runs in a fresh interpreter: migrate, then time one full backfill; report the process's peak RSS."""
    engine = make_engine(url)
    upgrade(engine)
    with RpcClient(rpc_url, timeout=300) as rpc:
        indexer = Indexer(rpc, engine, source, IndexerConfig(target_logs=batch_logs))
        started = time.perf_counter()
        indexer.run(once=True)
        engine.dispose()  # closing the last connection checkpoints SQLite's WAL: part of the work
        elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    with engine.connect() as conn:
        events = conn.execute(select(func.count()).select_from(Pledged)).scalar_one()
        amount = conn.execute(select(uint_sum(Pledged.amount))).scalar_one()
    engine.dispose()
    return IndexerRun(events=int(events), seconds=elapsed, peak_rss_mb=peak_kb / 1024, amount=int(amount))


def _child_main(url: str, rpc_url: str, source: LedgerSource, batch_logs: int, conn: Any) -> None:
    try:
        conn.send(("ok", asdict(_index_in_child(url, rpc_url, source, batch_logs))))
    except BaseException as exc:  # report anything to the parent, then fail
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        raise
    finally:
        conn.close()


def measure_indexer(chain: BenchChain, url: str, batch_logs: int) -> IndexerRun:
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    source = LedgerSource(chain.ledger, chain.start_block, chain.abi)
    child = context.Process(target=_child_main, args=(url, chain.rpc_url, source, batch_logs, sender))
    child.start()
    sender.close()
    try:
        status, payload = receiver.recv()
    except EOFError:
        status, payload = "error", "the child process died without an answer"
    child.join()
    if status != "ok":
        raise RuntimeError(f"indexer run on {make_url(url).get_backend_name()} failed: {payload}")
    run = IndexerRun(**payload)
    if run.events != chain.events or run.amount != chain.expected_amount:
        raise RuntimeError(
            f"the mirror holds {run.events} events worth {run.amount}, "
            f"expected {chain.events} worth {chain.expected_amount}"
        )
    return run


def postgres_database(admin_url: str) -> tuple[str, Any]:
    """Create a fresh database on the server of ``admin_url``; returns its URL and a function dropping it."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"pledgeledger_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin.url.set(database=name).render_as_string(hide_password=False), drop


# ─── main ──────────────────────────────────────────────────────────────────────────────────────────


def _rate(events: int, seconds: float) -> float:
    return events / seconds if seconds > 0 else float("inf")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000, help="Pledged events to generate")
    parser.add_argument("--per-tx", type=int, default=1_000, help="pledges per transaction")
    parser.add_argument("--donors", type=int, default=6, help="batcher contracts, ETH and USDC alternately")
    parser.add_argument(
        "--batch-logs", type=int, default=IndexerConfig.target_logs, help="logs per eth_getLogs and batch"
    )
    parser.add_argument("--naive-events", type=int, default=10_000, help="events the naive way is timed on")
    parser.add_argument("--rounds", type=int, default=3, help="times (a), (c) and (d) are run; best counts")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="a database on the server")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL run")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on the last line")
    args = parser.parse_args()

    started = time.perf_counter()
    build = compile_contracts()
    gas_limit = max(GAS_PER_PLEDGE * args.per_tx + 1_000_000, 30_000_000)
    node = start_node("anvil", extra_args=["--gas-limit", str(gas_limit)])
    ceilings: list[float] = []
    sqlite_runs: list[IndexerRun] = []
    postgres_runs: list[IndexerRun] = []
    try:
        say(f"Generating {args.events:,} Pledged events on Anvil at {node.rpc_url} …")
        step = time.perf_counter()
        chain = build_chain(node.rpc_url, build, events=args.events, per_tx=args.per_tx, donors=args.donors)
        say(
            f"  {chain.events:,} events in blocks {chain.start_block}-{chain.head}, "
            f"{time.perf_counter() - step:.1f} s"
        )
        with tempfile.TemporaryDirectory(prefix="pledgeledger-bench-") as tmp:
            workdir = Path(tmp)
            naive_events, seconds = measure_naive(chain, args.batch_logs, args.naive_events, workdir)
            naive = _rate(naive_events, seconds)
            say(
                f"(b) naive, web3.py get_logs + one ORM insert and commit per event: "
                f"{naive_events:,} events in {seconds:.2f} s = {naive:,.0f}/s"
            )
            for round_ in range(1, args.rounds + 1):
                say(f"round {round_} of {args.rounds}")
                found, seconds = measure_ceiling(chain, args.batch_logs)
                if found != chain.events:
                    raise RuntimeError(f"eth_getLogs found {found} Pledged logs, expected {chain.events}")
                ceilings.append(_rate(found, seconds))
                say(
                    f"(a) ceiling, eth_getLogs + orjson: {found:,} events in {seconds:.2f} s = "
                    f"{ceilings[-1]:,.0f}/s"
                )
                url = f"sqlite:///{workdir / f'indexer-{round_}.db'}"
                sqlite_runs.append(measure_indexer(chain, url, args.batch_logs))
                say(f"(c) indexer → SQLite: {sqlite_runs[-1].describe()}")
                if not args.no_postgres:
                    url, drop = postgres_database(args.postgres_url)
                    try:
                        postgres_runs.append(measure_indexer(chain, url, args.batch_logs))
                    finally:
                        drop()
                    say(f"(d) indexer → PostgreSQL: {postgres_runs[-1].describe()}")
    finally:
        node.stop()

    ceiling = max(ceilings)
    sqlite_eps = max(r.eps for r in sqlite_runs)
    postgres_eps = max(r.eps for r in postgres_runs) if postgres_runs else None
    runs = sqlite_runs + postgres_runs
    results: dict[str, Any] = {
        "events": chain.events,
        "ceiling_eps": round(ceiling),
        "naive_eps": round(naive),
        "sqlite_eps": round(sqlite_eps),
        "postgres_eps": None if postgres_eps is None else round(postgres_eps),
        "peak_rss_mb": round(max(r.peak_rss_mb for r in runs), 1),
        "sqlite_vs_ceiling": round(sqlite_eps / ceiling, 3),
        "postgres_vs_ceiling": None if postgres_eps is None else round(postgres_eps / ceiling, 3),
        "sqlite_vs_naive": round(sqlite_eps / naive, 1),
        "postgres_vs_naive": None if postgres_eps is None else round(postgres_eps / naive, 1),
        "rounds": {
            "ceiling_eps": [round(c) for c in ceilings],
            "sqlite_eps": [round(r.eps) for r in sqlite_runs],
            "postgres_eps": [round(r.eps) for r in postgres_runs],
            "peak_rss_mb": [round(r.peak_rss_mb, 1) for r in runs],
        },
        "naive_events": naive_events,
        "batch_logs": args.batch_logs,
        "blocks": chain.head - chain.start_block + 1,
        "seconds": 0.0,
    }
    checks = {
        "sqlite_eps ≥ 20,000": sqlite_eps >= TARGETS["sqlite_eps"],
        "sqlite_eps ≥ 0.5 × ceiling_eps": sqlite_eps >= TARGETS["sqlite_vs_ceiling"] * ceiling,
        "sqlite_eps ≥ 10 × naive_eps": sqlite_eps >= TARGETS["sqlite_vs_naive"] * naive,
        "peak_rss_mb ≤ 300": results["peak_rss_mb"] <= TARGETS["peak_rss_mb"],
    }
    if postgres_eps is not None:
        checks["postgres_eps ≥ 15,000"] = postgres_eps >= TARGETS["postgres_eps"]
        checks["postgres_eps ≥ 10 × naive_eps"] = postgres_eps >= TARGETS["postgres_vs_naive"] * naive
    say(
        f"best of {args.rounds}: ceiling {ceiling:,.0f}/s, SQLite {sqlite_eps:,.0f}/s "
        f"({sqlite_eps / ceiling:.2f} × ceiling)"
        + (
            ""
            if postgres_eps is None
            else f", PostgreSQL {postgres_eps:,.0f}/s ({postgres_eps / ceiling:.2f} ×)"
        )
    )
    return conclude(results, checks, started, as_json=args.json, say=say)


if __name__ == "__main__":
    raise SystemExit(main())
