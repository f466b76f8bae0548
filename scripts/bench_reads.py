#!/usr/bin/env python3
"""How many reads a second ``pledgeledger serve`` answers on the demo database, as ratios to ``/health``.

Builds the demo database (``pledgeledger up --demo --exit`` on a fresh Anvil, the reference campaign of
SCENARIO.md played through the system; or ``--database`` reuses one), then serves it with
``pledgeledger serve`` (one worker, then ``--workers 2``) and measures each read with ApacheBench
(``ab -k -c 16 -t SECONDS``, keep-alive, 16 clients at once):

* ``/health`` (no database: the ceiling of the stack), measured between the others; the ratios are to
  the median of those runs, so that noise on this shared machine falls on both sides alike;
* ``/api/v1/campaigns/1`` (a campaign's detail), ``/api/v1/campaigns/1/rounds``, a pledge page
  (``/api/v1/pledges?campaign_id=1``), ``/api/v1/campaigns`` and the kept reconciliation
  (``/api/v1/campaigns/1/reconciliation``, asked once before so the server keeps it);
* the campaign's detail asked with ``If-None-Match`` set to the ``ETag`` it was served with (a polling
  dashboard's request when nothing changed): every answer must be ``304 Not Modified``.

Targets: the campaign's detail, its rounds and the pledge page ≥ 0.5 × ``/health``; the conditional GET
≥ 0.8 × ``/health``; two workers ≥ 1.6 × one on the campaign's detail. The last line is a JSON object
with the figures and ``missed``, the targets not met.

    scripts/bench_reads.py --json                    # builds the demo database (about 30 s) and measures
    scripts/bench_reads.py --database /tmp/demo.db   # reuse a demo database
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from devtools.bench import conclude
from devtools.served import await_health
from ledger.node import free_port

ROOT = Path(__file__).resolve().parent.parent
PLEDGELEDGER = str(Path(sys.executable).parent / "pledgeledger")
AB = "/usr/bin/ab"
CAMPAIGN = "/api/v1/campaigns/1"
#: The reads measured, by name.
ROUTES = {
    "campaign": CAMPAIGN,
    "rounds": f"{CAMPAIGN}/rounds",
    "pledge_page": "/api/v1/pledges?campaign_id=1",
    "campaigns": "/api/v1/campaigns",
    "reconciliation": f"{CAMPAIGN}/reconciliation",
}
#: Least ratio to ``/health`` (same run) for each read; and of two workers to one.
TARGETS = {"campaign": 0.5, "rounds": 0.5, "pledge_page": 0.5, "conditional": 0.8}
WORKERS_TARGET = 1.6


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_demo(directory: Path) -> Path:
    """A demo database made by ``pledgeledger up --demo --exit`` (run in ``directory``)."""
    database = directory / "demo.db"
    command = [PLEDGELEDGER, "up", "--demo", "--exit", "--database-url", f"sqlite:///{database}"]
    command += ["--port", str(free_port())]
    with (directory / "up.log").open("wb") as log:
        done = subprocess.run(command, cwd=directory, stdout=log, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"`pledgeledger up --demo` failed: {(directory / 'up.log').read_text()[-3000:]}")
    return database


@contextlib.contextmanager
def served(database_url: str, workers: int, log: Path) -> Iterator[str]:
    """``pledgeledger serve`` on a free port (stopped on exit, whatever happened); yields its base URL."""
    port = free_port()
    command = [PLEDGELEDGER, "serve", "--database-url", database_url, "--port", str(port)]
    command += ["--workers", str(workers)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLEDGELEDGER_")}
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=log.parent, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        await_health(process, base, log, timeout=60, name="serve", error=SystemExit)
        yield base
    finally:
        os.killpg(process.pid, 15)  # its own session: uvicorn's worker processes go too
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


@dataclass(frozen=True)
class AbRun:
    rps: float
    complete: int
    failed: int
    non_2xx: int


def ab(url: str, seconds: float, concurrency: int, headers: tuple[str, ...] = ()) -> AbRun:
    """``ab -k -c concurrency -t seconds`` against ``url``."""
    command = [AB, "-q", "-k", "-c", str(concurrency), "-t", str(seconds), "-n", "10000000"]
    for header in headers:
        command += ["-H", header]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout

    def number(label: str, default: str | None = None) -> str:
        found = re.search(rf"^{label}:\s+([\d.]+)", out, re.MULTILINE)
        if found is None:
            if default is None:
                raise SystemExit(f"no {label!r} in ab's output:\n{out}")
            return default
        return found.group(1)

    return AbRun(
        rps=float(number("Requests per second")),
        complete=int(number("Complete requests")),
        failed=int(number("Failed requests")),
        non_2xx=int(number("Non-2xx responses", "0")),
    )


def warm(base: str, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    with httpx.Client(base_url=base, timeout=60) as client:
        response = client.get(path, headers=headers)
        for _ in range(10):
            client.get(path, headers=headers)
    return response


def measure(base: str, seconds: float, concurrency: int) -> dict[str, object]:
    """Requests a second of each read and of ``/health`` between them, and the ratios."""
    figures: dict[str, object] = {}
    health: list[float] = []

    def run_health() -> None:
        health.append(ab(f"{base}/health", seconds, concurrency).rps)

    run_health()
    for i, (name, path) in enumerate(ROUTES.items()):
        first = warm(base, path)
        if first.status_code != 200:
            raise SystemExit(f"{path} answered {first.status_code}: {first.text[:500]}")
        run = ab(f"{base}{path}", seconds, concurrency)
        if run.failed or run.non_2xx:
            say(f"  {name}: {run.failed} failed, {run.non_2xx} not 2xx of {run.complete}")
        figures[f"{name}_rps"] = round(run.rps, 1)
        if i % 2 == 1:
            run_health()
    etag = httpx.get(f"{base}{CAMPAIGN}").headers.get("etag")
    figures["etag"] = etag
    if etag is None:
        figures["conditional_rps"] = None
    else:
        answered = warm(base, CAMPAIGN, {"If-None-Match": etag})
        run = ab(f"{base}{CAMPAIGN}", seconds, concurrency, (f"If-None-Match: {etag}",))
        figures["conditional_status"] = answered.status_code
        # ab counts the answers still in flight when its time is up as not 2xx, but not as complete.
        all_304 = answered.status_code == 304 and run.failed == 0 and run.non_2xx >= run.complete
        figures["conditional_all_304"] = all_304
        figures["conditional_rps"] = round(run.rps, 1) if all_304 else None
    run_health()
    health_rps = statistics.median(health)
    figures["health_rps"] = round(health_rps, 1)
    figures["health_runs"] = [round(h, 1) for h in health]
    for name in (*ROUTES, "conditional"):
        rps = figures.get(f"{name}_rps")
        figures[f"{name}_vs_health"] = round(rps / health_rps, 3) if isinstance(rps, float) else None
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", type=Path, help="a demo SQLite database to reuse (default: build one)")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each ab run")
    parser.add_argument("--concurrency", type=int, default=16, help="ab's concurrent clients")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on the last line")
    args = parser.parse_args()
    if not os.access(AB, os.X_OK):
        parser.error(f"{AB} is missing: apt-get install apache2-utils")

    started = time.perf_counter()
    results: dict[str, object] = {"seconds_per_run": args.seconds, "concurrency": args.concurrency}
    with tempfile.TemporaryDirectory(prefix="pledgeledger-bench-reads-") as tmp:
        directory = Path(tmp)
        if args.database is not None:
            database = args.database.resolve()
        else:
            say("Building the demo database (pledgeledger up --demo --exit) …")
            step = time.perf_counter()
            database = build_demo(directory)
            say(f"  built in {time.perf_counter() - step:.1f} s")
        url = f"sqlite:///{database}"
        for workers in (1, 2):
            say(f"Serving with {workers} worker(s) …")
            with served(url, workers, directory / f"serve-{workers}.log") as base:
                if workers == 1:
                    figures = measure(base, args.seconds, args.concurrency)
                    results["workers_1"] = figures
                    for key, value in figures.items():
                        say(f"  {key:>26}: {value}")
                warm(base, CAMPAIGN)
                run = ab(f"{base}{CAMPAIGN}", args.seconds, args.concurrency)
                results[f"campaign_rps_workers_{workers}"] = round(run.rps, 1)
                say(f"  campaign detail with {workers} worker(s): {run.rps:.1f} req/s")
    one, two = results["campaign_rps_workers_1"], results["campaign_rps_workers_2"]
    assert isinstance(one, float)
    assert isinstance(two, float)
    results["workers_2_vs_1"] = round(two / one, 3)
    results["load_average"] = [round(x, 2) for x in os.getloadavg()]

    workers_1 = results["workers_1"]
    assert isinstance(workers_1, dict)
    checks: dict[str, bool] = {}
    for name, target in TARGETS.items():
        ratio = workers_1.get(f"{name}_vs_health")
        checks[f"{name} ≥ {target} × /health"] = isinstance(ratio, float) and ratio >= target
    checks[f"workers 2 ≥ {WORKERS_TARGET} × workers 1"] = results["workers_2_vs_1"] >= WORKERS_TARGET  # type: ignore[operator]
    return conclude(results, checks, started, as_json=args.json, say=say)


if __name__ == "__main__":
    raise SystemExit(main())
