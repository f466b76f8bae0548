"""The end of every benchmark script: each target met or missed, then the figures as JSON."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any


def conclude(
    results: dict[str, Any],
    checks: dict[str, bool],
    started: float,
    *,
    as_json: bool,
    say: Callable[[str], None],
) -> int:
    """Say which ``checks`` are met, add ``missed`` and ``seconds`` (since ``started``, a
    ``time.perf_counter()``) to ``results`` and print them as the last line when ``as_json``."""
    for name, ok in checks.items():
        say(f"  {'met   ' if ok else 'MISSED'} {name}")
    results["missed"] = [name for name, ok in checks.items() if not ok]
    results["seconds"] = round(time.perf_counter() - started, 1)
    say(f"  {results['seconds']:.0f} s in all")
    if as_json:
        print(json.dumps(results), flush=True)
    return 0
