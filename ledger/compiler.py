"""Compile the Solidity sources through py-solc-x and cache the artifacts.

The compiler is solc-js from node_modules behind ``scripts/solc`` (py-solc-x cannot download
native binaries here); a native ``solc`` on PATH goes through the same code path if
``PLEDGELEDGER_SOLC`` names it. Artifacts are stamped with the compiler version, the settings and
a hash of every input, and rebuilt only when one of those changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx
from solcx.exceptions import SolcError

from ledger.errors import CompilationError, ToolchainError
from ledger.paths import CONTRACTS_DIR, NODE_MODULES, SOLC_ADAPTER
from ledger.settings import get_settings

#: The EVM version, pinned here and only here. Shanghai (PUSH0, no transient storage or MCOPY)
#: is the newest that both Anvil and Ganache 7.9 run.
EVM_VERSION = "shanghai"

#: Compiler settings. 200 optimizer runs keep the ledger well under the 24 KiB code limit (EIP-170: about
#: 19 KiB, against 24 KiB at 10,000 runs) for a few hundred gas more per pledge (scripts/gas_report.py).
COMPILER_SETTINGS: dict[str, Any] = {
    "evmVersion": EVM_VERSION,
    "optimizer": {"enabled": True, "runs": 200},
    "outputSelection": {
        "*": {
            "*": [
                "abi",
                "userdoc",
                "devdoc",
                "metadata",
                "evm.bytecode.object",
                "evm.deployedBytecode.object",
            ]
        }
    },
}

_MANIFEST = "artifacts.json"

#: Contracts deployed as they are from an npm package, compiled with ours by the same compiler and settings:
#: the admin of a production ledger is OpenZeppelin's own ``TimelockController``.
IMPORTED_SOURCES: tuple[str, ...] = ("@openzeppelin/contracts/governance/TimelockController.sol",)


@dataclass(frozen=True)
class Artifact:
    """One compiled contract."""

    name: str
    source: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    userdoc: dict[str, Any]
    devdoc: dict[str, Any]
    #: The compiler's metadata, the JSON text exactly as solc wrote it (its hash is in the bytecode's CBOR
    #: tail): compiler version, settings and every source's keccak256, what a block explorer verifies against.
    metadata: str


@dataclass(frozen=True)
class Build:
    """Every contract of one compilation, with what produced it."""

    compiler_version: str
    settings: dict[str, Any]
    input_hash: str
    artifacts: dict[str, Artifact]

    def __getitem__(self, name: str) -> Artifact:
        try:
            return self.artifacts[name]
        except KeyError:
            known = ", ".join(sorted(self.artifacts))
            raise CompilationError(f"no contract named {name!r} was compiled (have: {known})") from None


def solc_binary() -> Path:
    """The solc executable: ``PLEDGELEDGER_SOLC`` if set, else the solc-js adapter."""
    configured = os.environ.get("PLEDGELEDGER_SOLC")
    if configured:
        found = shutil.which(configured)
        if not found:
            raise ToolchainError(f"PLEDGELEDGER_SOLC={configured!r} is not an executable")
        return Path(found)
    if not (NODE_MODULES / "solc").is_dir():
        raise ToolchainError("solc-js is not installed: run `scripts/setup` (it runs `npm ci`)")
    return SOLC_ADAPTER


def compiler_version(binary: Path | None = None) -> str:
    """The full version string of the compiler, e.g. ``0.8.37+commit.f401782d``."""
    try:
        return str(solcx.wrapper.get_solc_version(binary or solc_binary(), with_commit_hash=True))
    except (OSError, SolcError) as exc:
        raise ToolchainError(f"cannot run the Solidity compiler: {exc}") from exc


def standard_json_input(contracts_dir: Path = CONTRACTS_DIR) -> dict[str, Any]:
    """The standard-JSON input for every ``.sol`` file under ``contracts_dir``, named relative to its parent
    (``contracts/PledgeLedger.sol``), and the :data:`IMPORTED_SOURCES` under their import names."""
    sources = {
        path.relative_to(contracts_dir.parent).as_posix(): {"content": path.read_text(encoding="utf-8")}
        for path in sorted(contracts_dir.rglob("*.sol"))
    }
    if not sources:
        raise CompilationError(f"no Solidity sources under {contracts_dir}")
    for name in IMPORTED_SOURCES:
        path = NODE_MODULES / name
        if not path.is_file():
            raise ToolchainError(f"{name} is missing: run `scripts/setup` (it runs `npm ci`)")
        sources[name] = {"content": path.read_text(encoding="utf-8")}
    return {"language": "Solidity", "sources": sources, "settings": COMPILER_SETTINGS}


def _dependency_stamp() -> str:
    """Versions of the imported npm packages, which the input hash must cover too."""
    package = NODE_MODULES / "@openzeppelin" / "contracts" / "package.json"
    return json.loads(package.read_text())["version"] if package.exists() else "missing"


def _input_hash(input_json: dict[str, Any], version: str) -> str:
    payload = json.dumps(
        {"input": input_json, "compiler": version, "deps": _dependency_stamp()}, sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _load_cached(path: Path, input_hash: str) -> Build | None:
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if data.get("inputHash") != input_hash:
        return None
    try:
        artifacts = {name: Artifact(**fields) for name, fields in data["contracts"].items()}
    except (KeyError, TypeError):
        return None  # written by an older version of this module
    return Build(
        compiler_version=data["compilerVersion"],
        settings=data["settings"],
        input_hash=input_hash,
        artifacts=artifacts,
    )


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def compile_contracts(
    *, contracts_dir: Path = CONTRACTS_DIR, build_dir: Path | None = None, force: bool = False
) -> Build:
    """Compile every contract, or return the cached build if nothing that affects it changed."""
    binary = solc_binary()
    version = compiler_version(binary)
    input_json = standard_json_input(contracts_dir)
    source_root = contracts_dir.parent
    input_hash = _input_hash(input_json, version)
    manifest = (build_dir or get_settings().build_dir) / _MANIFEST
    if not force and (cached := _load_cached(manifest, input_hash)):
        return cached

    try:
        output = solcx.compile_standard(
            input_json,
            solc_binary=binary,
            base_path=str(source_root),
            allow_paths=[str(source_root), str(NODE_MODULES)],
        )
    except SolcError as exc:
        raise CompilationError(f"Solidity compilation failed:\n{exc.message}") from exc

    artifacts: dict[str, Artifact] = {}
    for source, contracts in output.get("contracts", {}).items():
        if not source.startswith(f"{contracts_dir.name}/") and source not in IMPORTED_SOURCES:
            continue  # libraries compiled only as imports
        for name, compiled in contracts.items():
            artifacts[name] = Artifact(
                name=name,
                source=source,
                abi=compiled["abi"],
                bytecode="0x" + compiled["evm"]["bytecode"]["object"],
                deployed_bytecode="0x" + compiled["evm"]["deployedBytecode"]["object"],
                userdoc=compiled.get("userdoc", {}),
                devdoc=compiled.get("devdoc", {}),
                metadata=compiled["metadata"],
            )
    build = Build(
        compiler_version=version, settings=COMPILER_SETTINGS, input_hash=input_hash, artifacts=artifacts
    )
    _write_atomically(
        manifest,
        json.dumps(
            {
                "compilerVersion": version,
                "settings": COMPILER_SETTINGS,
                "inputHash": input_hash,
                "contracts": {name: a.__dict__ for name, a in sorted(artifacts.items())},
            },
            indent=1,
        ),
    )
    return build
