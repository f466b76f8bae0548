#!/usr/bin/env python
"""How long ``pledgeledger --help`` (and a group's help) takes to answer, against the interpreter starting
and importing Typer alone in the same run (this machine is shared and noisy). Target: under one second.
Prints what it measured; the last line is a JSON object."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROUNDS = 7
TARGET_SECONDS = 1.0
PLEDGELEDGER = str(Path(sys.executable).parent / "pledgeledger")


def seconds(command: list[str]) -> float:
    """The median wall time of ``command`` over :data:`ROUNDS` runs."""
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    baseline = seconds([sys.executable, "-c", "import typer, rich"])
    results = {
        "baseline_python_typer_s": round(baseline, 3),
        "help_s": round(seconds([PLEDGELEDGER, "--help"]), 3),
        "campaign_help_s": round(seconds([PLEDGELEDGER, "campaign", "--help"]), 3),
        "pay_help_s": round(seconds([PLEDGELEDGER, "pay", "--help"]), 3),
        "target_s": TARGET_SECONDS,
    }
    results["missed"] = [
        k for k in ("help_s", "campaign_help_s", "pay_help_s") if results[k] >= TARGET_SECONDS
    ]
    for key, value in results.items():
        print(f"{key:>24}: {value}", file=sys.stderr)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
