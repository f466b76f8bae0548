"""What a block explorer needs to verify the deployed ledger (Etherscan, Blockscout, Sourcify).

:func:`write_verification` writes three files to ``deployments/<chain-id>/``, beside the deployment file
``deployments/<chain-id>.json``:

- ``PledgeLedger.standard-input.json``: the solc standard-JSON input, self-contained. It holds every source
  the compiler's metadata lists, OpenZeppelin's included, under the same names and with their ``content``,
  and the settings the metadata records (optimizer, EVM version, remappings, libraries, metadata hash
  kind). Compiled with no import callback, it gives the runtime bytecode on chain.
- ``PledgeLedger.metadata.json``: the compiler's metadata, exactly the text solc wrote. Its hash is in the
  bytecode's CBOR tail, so Sourcify can match it byte for byte.
- ``PledgeLedger.verification.json``: what the explorer's form or API also asks for. That is the contract's
  fully qualified name, its address, the compiler's long version (``v0.8.37+commit.f401782d``), the
  ABI-encoded constructor arguments (hex **without** ``0x``, as Etherscan's ``constructorArguements``
  takes them; ``constructorArgumentsDecoded`` lists them by name), the creation transaction and its block,
  and the chain id.

Before writing anything, the files are checked against the chain. The code at the ledger's address must
carry this build's metadata hash. The creation transaction, when it is known, must hold exactly this
build's creation bytecode followed by the encoded arguments. Each source read from disk must hash to what
the metadata recorded. If any check fails, :class:`VerificationError` is raised.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.abi import collapse_if_tuple
from eth_utils.crypto import keccak
from web3 import Web3

from ledger.compiler import Build
from ledger.deploy import Deployment, ledger_constructor_args
from ledger.errors import VerificationError
from ledger.paths import NODE_MODULES, PROJECT_ROOT

__all__ = [
    "LEDGER_CONTRACT",
    "VerificationError",
    "constructor_arguments",
    "decode_constructor_arguments",
    "metadata_hash_tail",
    "standard_input",
    "verification_dir",
    "write_verification",
]

#: The contract the verification files are written for.
LEDGER_CONTRACT = "PledgeLedger"

_SPDX = re.compile(r"//\s*SPDX-License-Identifier:\s*([^\s*]+)")


def verification_dir(directory: Path, chain_id: int) -> Path:
    """Where the verification files of chain ``chain_id`` go: ``<directory>/<chain-id>/``, beside
    :func:`ledger.deploy.deployment_path`."""
    return directory / str(chain_id)


def _metadata(build: Build, contract_name: str) -> dict[str, Any]:
    metadata: dict[str, Any] = json.loads(build[contract_name].metadata)
    return metadata


def _fully_qualified_name(metadata: dict[str, Any]) -> str:
    ((source, name),) = metadata["settings"]["compilationTarget"].items()
    return f"{source}:{name}"


def _source_content(name: str, expected_keccak: str, roots: Sequence[Path]) -> str:
    """The text of source ``name`` that hashes to ``expected_keccak``, searched in ``roots`` as the solc
    adapter resolves imports: first the project, then node_modules. The text is read raw, as the adapter
    reads it, or with universal newlines, as :func:`ledger.compiler.standard_json_input` reads it."""
    for root in roots:
        path = root / name
        if not path.is_file():
            continue
        raw = path.read_bytes().decode("utf-8")
        for content in dict.fromkeys((raw, path.read_text(encoding="utf-8"))):
            if "0x" + keccak(text=content).hex() == expected_keccak:
                return content
        raise VerificationError(
            f"{path} changed since the build (its keccak256 is not {expected_keccak}): rebuild and redeploy, "
            "or check out the sources that were deployed"
        )
    raise VerificationError(
        f"source {name} is in the build's metadata but not under {', '.join(map(str, roots))}"
    )


def _libraries(metadata_libraries: dict[str, str]) -> dict[str, dict[str, str]]:
    """Metadata names libraries ``"path:Name": address``; standard JSON nests them
    ``{path: {Name: address}}``."""
    nested: dict[str, dict[str, str]] = {}
    for qualified, address in metadata_libraries.items():
        path, _, name = qualified.rpartition(":")
        nested.setdefault(path, {})[name] = address
    return nested


def standard_input(
    build: Build,
    contract_name: str = LEDGER_CONTRACT,
    *,
    source_root: Path = PROJECT_ROOT,
    node_modules: Path = NODE_MODULES,
) -> dict[str, Any]:
    """The self-contained standard-JSON input of ``contract_name``: every source its metadata lists, with
    its content and under the same name, and the settings the metadata records (less
    ``compilationTarget``), with ``build``'s output selection."""
    metadata = _metadata(build, contract_name)
    roots = (source_root, node_modules)
    sources = {
        name: {"content": _source_content(name, info["keccak256"], roots)}
        for name, info in metadata["sources"].items()
    }
    settings = {key: value for key, value in metadata["settings"].items() if key != "compilationTarget"}
    settings["libraries"] = _libraries(settings.get("libraries", {}))
    settings["outputSelection"] = build.settings["outputSelection"]
    return {"language": metadata["language"], "sources": sources, "settings": settings}


def _constructor_inputs(abi: list[dict[str, Any]]) -> list[dict[str, Any]]:
    constructor = next((item for item in abi if item.get("type") == "constructor"), None)
    return list(constructor["inputs"]) if constructor else []


def constructor_arguments(abi: list[dict[str, Any]], args: Sequence[Any]) -> bytes:
    """``args`` ABI-encoded for the constructor that ``abi`` declares (what follows the creation bytecode in
    the creation transaction)."""
    inputs = _constructor_inputs(abi)
    if len(args) != len(inputs):
        raise VerificationError(f"the constructor takes {len(inputs)} arguments, not {len(args)}")
    return abi_encode([collapse_if_tuple(i) for i in inputs], list(args))


def decode_constructor_arguments(abi: list[dict[str, Any]], data: bytes) -> tuple[Any, ...]:
    """The inverse of :func:`constructor_arguments`."""
    return tuple(abi_decode([collapse_if_tuple(i) for i in _constructor_inputs(abi)], data))


def metadata_hash_tail(code: bytes) -> bytes:
    """The CBOR-encoded metadata solc appends to runtime code (its length in the last two bytes), which
    holds the metadata's hash and the compiler version."""
    if len(code) < 2:
        raise VerificationError("the code is too short to end in a CBOR metadata section")
    length = int.from_bytes(code[-2:], "big")
    if length + 2 > len(code):
        raise VerificationError("the code does not end in a CBOR metadata section")
    return code[-(length + 2) :]


def _license(content: str) -> str | None:
    found = _SPDX.search(content)
    return found.group(1) if found else None


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_verification(w3: Web3, deployment: Deployment, build: Build, directory: Path) -> Path:
    """Write the ledger's verification files to ``verification_dir(directory, deployment.chain_id)`` and
    return that directory. ``directory`` is the deployments folder (where ``write_deployment`` writes);
    ``build`` must be the one the ledger was deployed from.

    Raises :class:`VerificationError` if the chain, the build or the sources on disk disagree.
    """
    artifact = build[LEDGER_CONTRACT]
    metadata = _metadata(build, LEDGER_CONTRACT)
    address = Web3.to_checksum_address(deployment.ledger)

    code = bytes(w3.eth.get_code(address))
    deployed = bytes.fromhex(artifact.deployed_bytecode.removeprefix("0x"))
    if not code:
        raise VerificationError(f"no contract at {address} on chain {deployment.chain_id}")
    if len(code) != len(deployed) or metadata_hash_tail(code) != metadata_hash_tail(deployed):
        raise VerificationError(
            f"the code at {address} was not compiled from this build (its length or metadata hash differs)"
        )

    args = ledger_constructor_args(
        admin=deployment.admin,
        guardian=deployment.guardian,
        admin_transfer_delay=deployment.admin_transfer_delay,
        min_supplier_delay=deployment.min_supplier_delay,
    )
    encoded = constructor_arguments(artifact.abi, args)

    creation_block: int | None = None
    deployer: str | None = None
    if deployment.creation_tx is not None:
        tx = w3.eth.get_transaction(deployment.creation_tx)  # type: ignore[arg-type]
        receipt = w3.eth.get_transaction_receipt(deployment.creation_tx)  # type: ignore[arg-type]
        if receipt["contractAddress"] != address:
            raise VerificationError(f"transaction {deployment.creation_tx} did not create {address}")
        creation = bytes.fromhex(artifact.bytecode.removeprefix("0x"))
        if bytes(tx["input"]) != creation + encoded:
            raise VerificationError(
                f"transaction {deployment.creation_tx} is not this build's creation code followed by the "
                "deployment's constructor arguments"
            )
        creation_block = int(receipt["blockNumber"])
        deployer = Web3.to_checksum_address(tx["from"])

    source_input = standard_input(build, LEDGER_CONTRACT)
    fqn = _fully_qualified_name(metadata)
    source_name = fqn.rpartition(":")[0]
    inputs = _constructor_inputs(artifact.abi)
    settings = metadata["settings"]
    record = {
        "chainId": deployment.chain_id,
        "address": address,
        "contractName": LEDGER_CONTRACT,
        "fullyQualifiedName": fqn,
        "compilerVersion": "v" + metadata["compiler"]["version"],
        "language": metadata["language"],
        "evmVersion": settings.get("evmVersion"),
        "optimizer": settings.get("optimizer"),
        "viaIR": settings.get("viaIR", False),
        "license": _license(source_input["sources"][source_name]["content"]),
        "constructorArguments": encoded.hex(),
        "constructorArgumentsDecoded": [
            {"name": i["name"], "type": collapse_if_tuple(i), "value": value}
            for i, value in zip(inputs, args, strict=True)
        ],
        "creationTransactionHash": deployment.creation_tx,
        "creationBlockNumber": creation_block,
        "deployer": deployer,
        "standardInput": f"{LEDGER_CONTRACT}.standard-input.json",
        "metadata": f"{LEDGER_CONTRACT}.metadata.json",
    }

    target = verification_dir(directory, deployment.chain_id)
    target.mkdir(parents=True, exist_ok=True)
    _write(target / f"{LEDGER_CONTRACT}.standard-input.json", json.dumps(source_input, indent=1))
    _write(target / f"{LEDGER_CONTRACT}.metadata.json", artifact.metadata)
    _write(target / f"{LEDGER_CONTRACT}.verification.json", json.dumps(record, indent=2) + "\n")
    return target
