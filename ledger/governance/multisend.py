"""A Transaction Builder batch executed by a Safe's owners, as Safe{Wallet} does after importing it: a batch
of one call is that call (``Operation.CALL``), a batch of several is one delegatecall to Safe's
``MultiSendCallOnly`` (:func:`multisend_data`) that runs them all or none. The e2e tests and
``pledgeledger safe execute`` do this with the owners' keys in place of the owners."""

from __future__ import annotations

from collections.abc import Sequence

from eth_abi.abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3.types import TxReceipt

from ledger.chain import Transactor
from ledger.client.calls import Call
from ledger.errors import BatchFileError, WrongChainError
from ledger.governance.safe import Operation, SafeAccount, SafeTx
from ledger.governance.txbuilder import Batch

#: ``MultiSendCallOnly.multiSend(bytes)``.
MULTISEND_SELECTOR = keccak(text="multiSend(bytes)")[:4]


def pack_multisend(calls: Sequence[Call]) -> bytes:
    """The ``transactions`` argument of ``MultiSendCallOnly.multiSend``: per call, packed, ``uint8 operation``
    (0: call), ``address to``, ``uint256 value``, ``uint256 data length``, ``bytes data``."""
    return b"".join(
        bytes([int(Operation.CALL)])
        + bytes.fromhex(to_checksum_address(call.target)[2:])
        + int(call.value).to_bytes(32, "big")
        + len(call.data).to_bytes(32, "big")
        + bytes(call.data)
        for call in calls
    )


def multisend_data(calls: Sequence[Call]) -> bytes:
    """Calldata of ``MultiSendCallOnly.multiSend(bytes)`` running ``calls`` in order (all or none)."""
    return MULTISEND_SELECTOR + abi_encode(["bytes"], [pack_multisend(calls)])


def batch_transaction(safe: SafeAccount, multi_send: str, batch: Batch) -> SafeTx:
    """The SafeTx Safe{Wallet} proposes for ``batch`` at the Safe's current nonce: its one call itself, or a
    delegatecall to ``MultiSendCallOnly`` at ``multi_send`` running all of them."""
    if not batch.calls:
        raise BatchFileError("the batch has no calls")
    if len(batch.calls) == 1:
        (call,) = batch.calls
        return safe.transaction(call.to, bytes(call.data), value=int(call.value))
    return safe.transaction(multi_send, multisend_data(batch.calls), operation=Operation.DELEGATE_CALL)


def execute_batch(
    safe: SafeAccount,
    multi_send: str,
    submitter: Transactor,
    owners: Sequence[LocalAccount],
    batch: Batch,
) -> TxReceipt:
    """Have ``owners`` sign ``batch`` as the Safe's transaction (:func:`batch_transaction`) and ``submitter``
    send it: what the Safe's owners do in Safe{Wallet} after importing the file. Refuses a batch for another
    chain or made for another Safe; the Safe reverts (``GS020``, ``GS026``...) if the owners are too few or
    not owners, and ``MultiSendCallOnly`` reverts the whole batch if any call fails."""
    chain_id = safe.w3.eth.chain_id
    if batch.chain_id != chain_id:
        raise WrongChainError(f"the batch is for chain {batch.chain_id}, not for this chain ({chain_id})")
    if batch.safe is not None and to_checksum_address(batch.safe) != safe.address:
        raise BatchFileError(f"the batch was made for the Safe {batch.safe}, not for {safe.address}")
    tx = batch_transaction(safe, multi_send, batch)
    return safe.execute(submitter, tx, safe.sign(tx, owners))
