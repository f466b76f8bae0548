#!/usr/bin/env python3
"""Gas used by the ledger's hot paths, measured on a fresh Anvil (the scenario: devtools/gas.py).

    scripts/gas_report.py --json            # last line: the JSON figures
    scripts/gas_report.py --json --write    # also update contracts/gas-snapshot.json

Exits 1 if a figure is over its target. tests/contracts/test_gas_snapshot.py fails while the snapshot
differs from what the contract costs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devtools.gas import SNAPSHOT, TARGETS, measure, write_snapshot


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on the last line")
    parser.add_argument("--write", action="store_true", help=f"update {SNAPSHOT.name}")
    args = parser.parse_args()
    gas = measure()
    if not args.json:
        for name, used in gas.items():
            target = TARGETS.get(name)
            verdict = "" if target is None else (" ok" if used <= target else f" OVER target {target:,}")
            print(f"{name:22} {used:>9,}{verdict}")
    if args.write:
        write_snapshot(gas)
    if args.json:
        print(json.dumps(gas))
    return 0 if all(gas[name] <= limit for name, limit in TARGETS.items()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
