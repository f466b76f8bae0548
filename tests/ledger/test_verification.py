"""The verification files: the standard-JSON input recompiles, with no import callback, to the code on chain.

The solc adapter (``scripts/solc``) always resolves imports from the project's node_modules. To show the
standard input needs no import callback, the test runs a verbatim copy of the adapter from a directory that
has no node_modules above it, with an empty working directory as its base path. Only ``NODE_PATH`` lets it
load solc-js. A negative control drops one source and shows the copy cannot find it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import solcx
from solcx.exceptions import SolcError
from web3 import Web3

from ledger.chain import ErrorDecoder, Transactor, connect, dev_accounts
from ledger.compiler import Build
from ledger.deploy import (
    LEDGER_VERSION,
    LOCAL_ADMIN_TRANSFER_DELAY,
    LOCAL_MIN_SUPPLIER_DELAY,
    Deployment,
    deploy_local,
)
from ledger.node import LocalNode
from ledger.paths import NODE_MODULES, SOLC_ADAPTER
from ledger.verification import (
    decode_constructor_arguments,
    metadata_hash_tail,
    verification_dir,
    write_verification,
)

LEDGER_SOURCE = "contracts/PledgeLedger.sol"


@pytest.fixture
def chain(anvil: LocalNode) -> Iterator[Web3]:
    """The session's Anvil, rewound after the test so that other tests' cached nonces stay right."""
    w3 = connect(anvil.rpc_url)
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    try:
        yield w3
    finally:
        w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]


@pytest.fixture
def isolated_solc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the solc adapter that can load solc-js (``NODE_PATH``) but resolve no import. It runs in an
    empty working directory (its default base path) and has no node_modules beside or above it."""
    home = tmp_path / "isolated"
    (home / "scripts").mkdir(parents=True)
    adapter = home / "scripts" / "solc"
    shutil.copy2(SOLC_ADAPTER, adapter)
    assert not any((parent / "node_modules").exists() for parent in adapter.parents)
    cwd = tmp_path / "empty"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("NODE_PATH", str(NODE_MODULES))
    return adapter


def _deploy(w3: Web3, build: Build) -> Deployment:
    keys = dev_accounts(10)
    deployer = Transactor(w3, keys[0], ErrorDecoder(a.abi for a in build.artifacts.values()))
    return deploy_local(w3, deployer, build, keys)


def _compile(adapter: Path, standard_input: dict[str, Any]) -> dict[str, Any]:
    output: dict[str, Any] = solcx.compile_standard(standard_input, solc_binary=adapter, allow_paths=None)
    return output


def _zero_immutables(code: bytes, references: dict[str, list[dict[str, int]]]) -> bytes:
    zeroed = bytearray(code)
    for places in references.values():
        for place in places:
            zeroed[place["start"] : place["start"] + place["length"]] = bytes(place["length"])
    return bytes(zeroed)


def test_standard_input_recompiles_without_imports_to_the_code_on_chain(
    chain: Web3, build: Build, tmp_path: Path, isolated_solc: Path
) -> None:
    deployment = _deploy(chain, build)
    assert deployment.creation_tx is not None
    directory = write_verification(chain, deployment, build, tmp_path / "deployments")
    assert directory == verification_dir(tmp_path / "deployments", deployment.chain_id)
    assert directory == tmp_path / "deployments" / str(deployment.chain_id)

    standard_input = json.loads((directory / "PledgeLedger.standard-input.json").read_text())
    metadata_text = (directory / "PledgeLedger.metadata.json").read_text()
    metadata = json.loads(metadata_text)
    record = json.loads((directory / "PledgeLedger.verification.json").read_text())

    # Self-contained: exactly the metadata's sources, each with its content and no urls.
    assert set(standard_input["sources"]) == set(metadata["sources"])
    assert any(name.startswith("@openzeppelin/contracts/") for name in standard_input["sources"])
    for source in standard_input["sources"].values():
        assert set(source) == {"content"} and source["content"]
    settings = standard_input["settings"]
    assert settings["optimizer"] == build.settings["optimizer"]
    assert settings["evmVersion"] == build.settings["evmVersion"]
    assert settings["libraries"] == {} and settings["remappings"] == []
    assert "compilationTarget" not in settings

    # Recompiled with an adapter that can resolve no import (the negative control below shows it cannot).
    standard_input["settings"]["outputSelection"] = {
        LEDGER_SOURCE: {"PledgeLedger": ["metadata", "evm.bytecode.object", "evm.deployedBytecode"]}
    }
    compiled = _compile(isolated_solc, standard_input)["contracts"][LEDGER_SOURCE]["PledgeLedger"]
    assert compiled["metadata"] == metadata_text
    runtime = bytes.fromhex(compiled["evm"]["deployedBytecode"]["object"])
    immutables = compiled["evm"]["deployedBytecode"]["immutableReferences"]
    on_chain = bytes(chain.eth.get_code(Web3.to_checksum_address(deployment.ledger)))
    assert len(immutables) == 1  # MIN_SUPPLIER_DELAY, read back below
    assert _zero_immutables(on_chain, immutables) == runtime
    assert metadata_hash_tail(on_chain) == metadata_hash_tail(runtime)
    ledger = chain.eth.contract(
        address=Web3.to_checksum_address(deployment.ledger), abi=build["PledgeLedger"].abi
    )
    assert ledger.functions.MIN_SUPPLIER_DELAY().call() == deployment.min_supplier_delay

    # The record: names, version, constructor arguments and the creation transaction.
    assert record["fullyQualifiedName"] == f"{LEDGER_SOURCE}:PledgeLedger"
    assert metadata["settings"]["compilationTarget"] == {LEDGER_SOURCE: "PledgeLedger"}
    assert record["compilerVersion"] == "v" + build.compiler_version
    assert record["compilerVersion"].startswith("v0.8.") and "+commit." in record["compilerVersion"]
    assert record["address"] == deployment.ledger and record["chainId"] == deployment.chain_id == 31337
    assert not record["constructorArguments"].startswith("0x")
    args = bytes.fromhex(record["constructorArguments"])
    assert decode_constructor_arguments(build["PledgeLedger"].abi, args) == (
        deployment.admin.lower(),
        deployment.guardian.lower(),
        LOCAL_ADMIN_TRANSFER_DELAY,
        LOCAL_MIN_SUPPLIER_DELAY,
    )
    assert deployment.admin == deployment.timelock
    tx = chain.eth.get_transaction(deployment.creation_tx)  # type: ignore[arg-type]
    receipt = chain.eth.get_transaction_receipt(deployment.creation_tx)  # type: ignore[arg-type]
    assert record["creationTransactionHash"] == deployment.creation_tx == Web3.to_hex(tx["hash"])
    assert record["creationBlockNumber"] == receipt["blockNumber"]
    assert receipt["contractAddress"] == deployment.ledger
    assert bytes(tx["input"]) == bytes.fromhex(compiled["evm"]["bytecode"]["object"]) + args


def test_the_isolated_adapter_cannot_resolve_a_missing_import(
    chain: Web3, build: Build, tmp_path: Path, isolated_solc: Path
) -> None:
    """The negative control: without one OpenZeppelin source, the isolated adapter does not find it."""
    deployment = _deploy(chain, build)
    directory = write_verification(chain, deployment, build, tmp_path / "deployments")
    standard_input = json.loads((directory / "PledgeLedger.standard-input.json").read_text())
    missing = "@openzeppelin/contracts/utils/ReentrancyGuard.sol"
    assert (NODE_MODULES / missing).is_file() and Path(os.getcwd()).resolve() == (
        tmp_path / "empty"
    ).resolve()
    del standard_input["sources"][missing]
    with pytest.raises(SolcError, match=r"ReentrancyGuard\.sol"):
        _compile(isolated_solc, standard_input)


def test_a_deployment_file_without_creation_tx_still_loads() -> None:
    old = {
        "chain_id": 31337,
        "genesis_hash": "0x" + "aa" * 32,
        "ledger": "0x" + "08" * 20,
        "block_number": 12,
        "admin": "0x" + "05" * 20,
        "guardian": "0x" + "07" * 20,
        "admin_transfer_delay": 86_400,
        "min_supplier_delay": 0,
        "compiler_version": "0.8.37+commit.f401782d",
        "deployed_at": "2026-12-06T00:00:00+00:00",
        "timelock": None,
        "governance": None,
        "tokens": {},
        "ledger_version": LEDGER_VERSION,
    }
    loaded = Deployment.from_json(json.dumps(old))
    assert loaded.creation_tx is None
    assert Deployment.from_json(loaded.to_json()) == loaded
