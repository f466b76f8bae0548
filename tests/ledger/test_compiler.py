"""The compile step: solc-js through py-solc-x, imports from node_modules, and the artifact cache."""

import json
import subprocess
from pathlib import Path

import pytest

from ledger.compiler import EVM_VERSION, compile_contracts, compiler_version, solc_binary
from ledger.errors import CompilationError

COUNTER = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
contract Counter is Ownable {
    uint256 public count;
    constructor() Ownable(msg.sender) {}
    function bump() external onlyOwner { count += STEP; }
    uint256 private constant STEP = 1;
}
"""


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    contracts = tmp_path / "contracts"
    contracts.mkdir()
    (contracts / "Counter.sol").write_text(COUNTER)
    return contracts


def test_adapter_reports_a_native_style_version() -> None:
    out = subprocess.run([str(solc_binary()), "--version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("solc, the solidity compiler commandline interface")
    assert compiler_version().startswith("0.8.")


def test_compiles_with_openzeppelin_imports_and_pinned_evm_version(sources: Path, tmp_path: Path) -> None:
    build = compile_contracts(contracts_dir=sources, build_dir=tmp_path / "build")
    counter = build["Counter"]
    assert any(item.get("name") == "bump" for item in counter.abi)
    assert counter.bytecode.startswith("0x") and len(counter.bytecode) > 100
    assert build.settings["evmVersion"] == EVM_VERSION
    manifest = json.loads((tmp_path / "build" / "artifacts.json").read_text())
    assert manifest["compilerVersion"] == build.compiler_version
    assert manifest["inputHash"] == build.input_hash
    assert "Ownable" not in build.artifacts, "imported library contracts are not artifacts of ours"


def test_cache_is_reused_until_a_source_changes(sources: Path, tmp_path: Path) -> None:
    build_dir = tmp_path / "build"
    first = compile_contracts(contracts_dir=sources, build_dir=build_dir)
    manifest = build_dir / "artifacts.json"
    written = manifest.stat().st_mtime_ns
    again = compile_contracts(contracts_dir=sources, build_dir=build_dir)
    assert again.input_hash == first.input_hash
    assert manifest.stat().st_mtime_ns == written, "an unchanged build must not be rewritten"

    (sources / "Counter.sol").write_text(COUNTER.replace("STEP = 1", "STEP = 2"))
    changed = compile_contracts(contracts_dir=sources, build_dir=build_dir)
    assert changed.input_hash != first.input_hash
    assert changed["Counter"].bytecode != first["Counter"].bytecode
    assert manifest.stat().st_mtime_ns != written


def test_compile_error_is_reported_with_the_compilers_message(sources: Path, tmp_path: Path) -> None:
    (sources / "Counter.sol").write_text(COUNTER.replace("count += STEP;", "count += missing;"))
    with pytest.raises(CompilationError, match="Undeclared identifier"):
        compile_contracts(contracts_dir=sources, build_dir=tmp_path / "build")


def test_unknown_artifact_names_what_exists(sources: Path, tmp_path: Path) -> None:
    build = compile_contracts(contracts_dir=sources, build_dir=tmp_path / "build")
    with pytest.raises(CompilationError, match="have: Counter"):
        build["Nope"]
