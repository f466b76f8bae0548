"""The committed gas snapshot is what the contract costs: a change of gas shows in the diff that makes it."""

from __future__ import annotations

from devtools.gas import SNAPSHOT, TARGETS, measure, snapshot

REFRESH = "scripts/gas_report.py --json --write"


def test_the_gas_snapshot_matches_the_contract() -> None:
    measured, committed = measure(), snapshot()
    drift = {
        name: (committed.get(name), measured.get(name))
        for name in sorted(measured.keys() | committed.keys())
        if committed.get(name) != measured.get(name)
    }
    assert not drift, (
        f"{SNAPSHOT.name} differs from the contract's gas (snapshot, measured): {drift}; "
        f"if the change is intended, refresh it with `{REFRESH}` and commit it"
    )
    over = {name: measured[name] for name, limit in TARGETS.items() if measured[name] > limit}
    assert not over, f"over the gas targets {TARGETS}: {over}"
