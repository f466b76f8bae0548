"""Running a benchmark script as it is run, with ``--json``."""

import json
import subprocess
import sys
from typing import Any

from ledger.paths import PROJECT_ROOT


def run_bench(script: str, *args: str) -> tuple[list[str], dict[str, Any]]:
    """Run ``scripts/<script>`` with ``args`` and ``--json``; its output lines and the JSON on the last."""
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / script), *args, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    lines = result.stdout.strip().splitlines()
    return lines, json.loads(lines[-1])
