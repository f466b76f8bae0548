"""The contracts' ABIs as the runtime reads them without a compiler: the ledger's and its timelock's, to
decode the calls the timelock schedules (:mod:`ledger.reconcile.pending`) on an API server that has no solc.

``ledger/abi/<Contract>.json`` is generated from the build, never edited by hand; a test checks that it is the
compiled ABI, and ``python -m ledger.contract_abi`` writes it again after the contracts change.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledger.compiler import Build

ABI_DIR = Path(__file__).parent / "abi"
#: The contracts whose ABIs are packaged.
PACKAGED = ("PledgeLedger", "TimelockController")


def abi_path(name: str) -> Path:
    return ABI_DIR / f"{name}.json"


@cache
def packaged_abi(name: str) -> tuple[dict[str, Any], ...]:
    """The packaged ABI of ``name`` (one of :data:`PACKAGED`)."""
    if name not in PACKAGED:
        raise KeyError(f"no packaged ABI for {name!r} (have: {', '.join(PACKAGED)})")
    return tuple(json.loads(abi_path(name).read_text(encoding="utf-8")))


def abi_json(abi: list[dict[str, Any]]) -> str:
    """The text of a packaged ABI file: stable, so that a regeneration changes only what changed."""
    return json.dumps(abi, indent=1, sort_keys=True) + "\n"


def write_packaged_abis(build: Build) -> list[Path]:
    """Write the ABI of every :data:`PACKAGED` contract from ``build``; returns the files written."""
    ABI_DIR.mkdir(exist_ok=True)
    written = []
    for name in PACKAGED:
        path = abi_path(name)
        path.write_text(abi_json(build[name].abi), encoding="utf-8")
        written.append(path)
    packaged_abi.cache_clear()
    return written


if __name__ == "__main__":
    from ledger.compiler import compile_contracts

    for written_path in write_packaged_abis(compile_contracts()):
        print(written_path)
