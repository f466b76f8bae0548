"""The ABI reference is generated, current, and every part of the interface is documented."""

from devtools.abidoc import render
from ledger.compiler import Build
from ledger.paths import CONTRACTS_DIR


def test_committed_abi_doc_is_current(build: Build) -> None:
    committed = (CONTRACTS_DIR / "ABI.md").read_text()
    assert committed == render(build["PledgeLedger"]), "run scripts/abi_doc.py --write"


def test_every_function_event_and_error_of_the_interface_has_natspec(build: Build) -> None:
    interface = build["IPledgeLedger"]
    missing = []
    for item in interface.abi:
        kind = {"function": "methods", "event": "events", "error": "errors"}.get(item["type"])
        if kind is None:
            continue
        signature = f"{item['name']}({','.join(p['type'] for p in item['inputs'])})"
        entry = interface.userdoc.get(kind, {}).get(signature)
        entry = entry[0] if isinstance(entry, list) else entry
        if not entry or not entry.get("notice"):
            missing.append(f"{item['type']} {signature}")
    assert not missing, f"no @notice for: {missing}"
