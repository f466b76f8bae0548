#!/usr/bin/env python3
"""Run Slither on the production contracts (contracts/, less the test doubles) and print its findings.

Exits 1 if a High or Medium finding is not suppressed in the source (with --strict, also if a lower
finding is not explained in devtools.analysis.ACCEPTED_FINDINGS), 2 if the analysis itself failed.

    scripts/slither.py                    # the table
    scripts/slither.py --show-suppressed  # with the findings `slither-disable` comments silence
    scripts/slither.py --json             # a JSON list instead
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

_SCRIPTS = Path(__file__).resolve().parent


def _use_project_path() -> None:
    """Put the project root on sys.path and take this folder off it: this file is named slither.py, so
    while its folder is on the path, `import slither` would find it instead of the Slither package."""
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _SCRIPTS]
    sys.path.insert(0, str(_SCRIPTS.parent))


def main() -> int:
    _use_project_path()
    from devtools.analysis import count_by_impact, format_table, run_slither
    from ledger.errors import LedgerError

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument(
        "--show-suppressed", action="store_true", help="include findings suppressed in the source"
    )
    parser.add_argument(
        "--strict", action="store_true", help="also fail on an unexplained Low/Informational finding"
    )
    args = parser.parse_args()

    started = time.monotonic()
    try:
        findings = run_slither(include_suppressed=True)
    except LedgerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    elapsed = time.monotonic() - started
    shown = [f for f in findings if args.show_suppressed or not f.suppressed]
    blocking = [f for f in findings if f.blocking]
    unexplained = [f for f in findings if f.unexplained]

    if args.json:
        print(json.dumps([f.to_dict() for f in shown], indent=1))
    else:
        if shown:
            print(format_table(shown))
            print()
        kept = count_by_impact(findings, where=lambda f: not f.suppressed)
        print(
            "findings: "
            + ", ".join(f"{impact} {n}" for impact, n in kept.items())
            + f"; suppressed in source: {sum(f.suppressed for f in findings)}; {elapsed:.1f} s"
        )
        for finding in blocking:
            print(f"\nBLOCKING {finding.impact} {finding.check}:\n{finding.description}")
        for finding in unexplained:
            print(f"\nUNEXPLAINED {finding.impact} {finding.check} (add it to ACCEPTED_FINDINGS or fix it)")
    if blocking or (args.strict and unexplained):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
