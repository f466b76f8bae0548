"""Safe multisig accounts, from the official build artifacts of ``@safe-global/safe-smart-account``.

Nothing here is a multisig of our own: the contracts are Safe's, deployed as built by Safe (on a local chain,
where the canonical deployments do not exist). This module only encodes what Safe's owners sign (the EIP-712
``SafeTx`` hash), packs their signatures the way ``Safe.checkSignatures`` reads them (sorted by owner, 65
bytes each) and submits ``execTransaction``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, Hash32
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from ledger.chain import Transactor
from ledger.errors import GovernanceError, ToolchainError
from ledger.paths import NODE_MODULES

SAFE_PACKAGE = NODE_MODULES / "@safe-global" / "safe-smart-account"
_ARTIFACTS = SAFE_PACKAGE / "build" / "artifacts" / "contracts"
#: Artifact file of each Safe contract used here, relative to the package's build artifacts.
_ARTIFACT_PATHS = {
    "Safe": "Safe.sol/Safe.json",
    "SafeProxyFactory": "proxies/SafeProxyFactory.sol/SafeProxyFactory.json",
    "CompatibilityFallbackHandler": (
        "handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json"
    ),
    "MultiSendCallOnly": "libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json",
}

ZERO_ADDRESS = "0x" + "00" * 20
_DOMAIN_TYPEHASH = keccak(text="EIP712Domain(uint256 chainId,address verifyingContract)")
_SAFE_TX_TYPEHASH = keccak(
    text="SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,uint256 baseGas,"
    "uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce)"
)


class Operation(IntEnum):
    """How a Safe runs a transaction: a plain call, or a delegatecall (for MultiSend batches)."""

    CALL = 0
    DELEGATE_CALL = 1


@dataclass(frozen=True)
class SafeArtifact:
    """A Safe contract as its package ships it."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str


@cache
def safe_artifact(name: str) -> SafeArtifact:
    """The ABI and creation code of one of Safe's contracts, from node_modules."""
    path = _ARTIFACTS / _ARTIFACT_PATHS[name]
    if not path.is_file():
        raise ToolchainError(
            f"the Safe contracts are not installed ({path} is missing): "
            "run `scripts/setup` (it runs `npm ci`)"
        )
    data = json.loads(path.read_text())
    return SafeArtifact(name=name, abi=data["abi"], bytecode=data["bytecode"])


@dataclass(frozen=True)
class SafeDeployment:
    """Where Safe's own contracts are on one chain."""

    singleton: str
    proxy_factory: str
    fallback_handler: str
    multi_send: str


def deploy_safe_contracts(deployer: Transactor) -> SafeDeployment:
    """Deploy Safe's singleton, proxy factory, fallback handler and MultiSendCallOnly (local chains, where
    Safe's canonical deployments are absent)."""
    deployed = {
        name: deployer.deploy(safe_artifact(name).abi, safe_artifact(name).bytecode).address
        for name in ("Safe", "SafeProxyFactory", "CompatibilityFallbackHandler", "MultiSendCallOnly")
    }
    return SafeDeployment(
        singleton=deployed["Safe"],
        proxy_factory=deployed["SafeProxyFactory"],
        fallback_handler=deployed["CompatibilityFallbackHandler"],
        multi_send=deployed["MultiSendCallOnly"],
    )


def create_safe(
    deployer: Transactor, safes: SafeDeployment, owners: Sequence[str], threshold: int, salt_nonce: int = 0
) -> ChecksumAddress:
    """Create a Safe proxy owned by ``owners`` that needs ``threshold`` of their signatures."""
    if not 1 <= threshold <= len(owners):
        raise GovernanceError(f"a Safe of {len(owners)} owners cannot need {threshold} signatures")
    w3 = deployer.w3
    singleton = w3.eth.contract(address=to_checksum_address(safes.singleton), abi=safe_artifact("Safe").abi)
    initializer = singleton.encode_abi(
        "setup",
        [
            [to_checksum_address(o) for o in owners],
            threshold,
            ZERO_ADDRESS,
            b"",
            to_checksum_address(safes.fallback_handler),
            ZERO_ADDRESS,
            0,
            ZERO_ADDRESS,
        ],
    )
    factory = w3.eth.contract(
        address=to_checksum_address(safes.proxy_factory), abi=safe_artifact("SafeProxyFactory").abi
    )
    receipt = deployer.send(
        factory.functions.createProxyWithNonce(singleton.address, initializer, salt_nonce)
    )
    created = factory.events.ProxyCreation().process_receipt(receipt, errors=DISCARD)
    if not created:
        raise GovernanceError("the Safe proxy factory created no Safe")
    return to_checksum_address(created[0]["args"]["proxy"])


@dataclass(frozen=True)
class SafeTx:
    """A transaction a Safe's owners sign, with Safe's refund fields left at zero (the submitter pays gas)."""

    to: str
    value: int
    data: bytes
    operation: Operation
    nonce: int

    def struct_hash(self) -> bytes:
        return keccak(
            abi_encode(
                [
                    "bytes32",
                    "address",
                    "uint256",
                    "bytes32",
                    "uint8",
                    "uint256",
                    "uint256",
                    "uint256",
                    "address",
                    "address",
                    "uint256",
                ],
                [
                    _SAFE_TX_TYPEHASH,
                    to_checksum_address(self.to),
                    self.value,
                    keccak(self.data),
                    int(self.operation),
                    0,
                    0,
                    0,
                    ZERO_ADDRESS,
                    ZERO_ADDRESS,
                    self.nonce,
                ],
            )
        )

    def hash(self, chain_id: int, safe: str) -> bytes:
        """The EIP-712 hash the owners sign, equal to ``Safe.getTransactionHash``."""
        domain = keccak(abi_encode(["bytes32", "uint256", "address"], [_DOMAIN_TYPEHASH, chain_id, safe]))
        return keccak(b"\x19\x01" + domain + self.struct_hash())


def sign_safe_tx(account: LocalAccount, safe_tx_hash: bytes) -> bytes:
    """An owner's ECDSA signature of the SafeTx hash, as ``Safe.checkSignatures`` reads it (r, s, v=27|28)."""
    signed = account.unsafe_sign_hash(Hash32(safe_tx_hash))
    return signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])


def pack_signatures(signatures: dict[str, bytes]) -> bytes:
    """Owners' signatures concatenated in ascending order of owner address, as Safe requires."""
    return b"".join(sig for _, sig in sorted(signatures.items(), key=lambda item: int(item[0], 16)))


class SafeAccount:
    """One Safe on one chain: reads its owners, threshold and nonce; executes what enough owners signed."""

    def __init__(self, w3: Web3, address: str) -> None:
        self.w3 = w3
        self.contract: Contract = w3.eth.contract(
            address=to_checksum_address(address), abi=safe_artifact("Safe").abi
        )

    @property
    def address(self) -> ChecksumAddress:
        return to_checksum_address(self.contract.address)

    def owners(self) -> list[ChecksumAddress]:
        return [to_checksum_address(o) for o in self.contract.functions.getOwners().call()]

    def threshold(self) -> int:
        return int(self.contract.functions.getThreshold().call())

    def nonce(self) -> int:
        return int(self.contract.functions.nonce().call())

    def transaction(
        self, to: str, data: bytes, *, value: int = 0, operation: Operation = Operation.CALL
    ) -> SafeTx:
        """A SafeTx at the Safe's current nonce."""
        return SafeTx(
            to=to_checksum_address(to), value=value, data=data, operation=operation, nonce=self.nonce()
        )

    def sign(self, tx: SafeTx, owners: Iterable[LocalAccount]) -> dict[str, bytes]:
        """Each owner's signature of ``tx``, keyed by owner address."""
        tx_hash = tx.hash(self.w3.eth.chain_id, self.address)
        return {to_checksum_address(o.address): sign_safe_tx(o, tx_hash) for o in owners}

    def execute(self, submitter: Transactor, tx: SafeTx, signatures: dict[str, bytes]) -> TxReceipt:
        """Submit ``tx`` with the owners' ``signatures``; Safe reverts (``GS0xx``) if they are too few or
        wrong, and if the inner call fails."""
        call = self.contract.functions.execTransaction(
            to_checksum_address(tx.to),
            tx.value,
            tx.data,
            int(tx.operation),
            0,
            0,
            0,
            ZERO_ADDRESS,
            ZERO_ADDRESS,
            pack_signatures(signatures),
        )
        return submitter.send(call)

    def execute_call(
        self, submitter: Transactor, signers: Iterable[LocalAccount], to: str, data: bytes, *, value: int = 0
    ) -> TxReceipt:
        """Have ``signers`` sign a call to ``to`` and submit it in one go (local chains, tests, the demo)."""
        tx = self.transaction(to, data, value=value)
        return self.execute(submitter, tx, self.sign(tx, signers))
