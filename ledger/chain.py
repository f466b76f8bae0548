"""Chain access: a Web3 connection, local signing, and reverts decoded into named custom errors.

Transactions are signed locally (eth-account) and sent raw, so the same code works on Anvil,
Ganache and any remote node; private keys stay in memory and are never logged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, Web3RPCError
from web3.types import Nonce, TxParams, TxReceipt, Wei

from ledger.errors import ChainConnectionError, TransactionFailedError
from ledger.reverts import DecodedError, ErrorDecoder, explain
from ledger.settings import DEV_MNEMONIC

__all__ = ["DecodedError", "ErrorDecoder", "Fees", "Transactor", "connect", "dev_accounts", "revert_data"]

Account.enable_unaudited_hdwallet_features()


def dev_accounts(count: int = 10, mnemonic: str = DEV_MNEMONIC) -> list[LocalAccount]:
    """The local chain's funded development accounts (BIP-44 path m/44'/60'/0'/0/i)."""
    return [Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{i}") for i in range(count)]


def revert_data(exc: Exception) -> str | None:
    """The revert data of a failed call, wherever the node put it (Anvil: ``data``; Ganache: ``result``)."""
    for candidate in (getattr(exc, "data", None), *exc.args):
        if isinstance(candidate, str) and candidate.startswith("0x"):
            return candidate
        if isinstance(candidate, dict):
            for key in ("data", "result"):
                inner = candidate.get(key)
                if isinstance(inner, str) and inner.startswith("0x"):
                    return inner
    return None


def connect(rpc_url: str, *, timeout: float = 30.0) -> Web3:
    """A Web3 instance for ``rpc_url``, checked to answer."""
    w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
    try:
        w3.eth.chain_id  # noqa: B018 - the call is the check
    except Exception as exc:
        raise ChainConnectionError(f"cannot reach the chain at {rpc_url}: {exc}") from exc
    return w3


@dataclass(frozen=True)
class Fees:
    """What a transaction may pay per gas: EIP-1559 fees where the chain has a base fee, else a gas price."""

    max_fee_per_gas: int
    max_priority_fee_per_gas: int | None

    @classmethod
    def current(cls, w3: Web3) -> Fees:
        """Twice the latest base fee plus the node's suggested tip (room for the base fee to double), or the
        node's gas price on a chain without base fee."""
        base = w3.eth.get_block("latest").get("baseFeePerGas")
        if base is None:
            return cls(int(w3.eth.gas_price), None)
        try:
            tip = int(w3.eth.max_priority_fee)
        except (Web3RPCError, ValueError):
            tip = 10**9
        return cls(2 * int(base) + tip, tip)

    def params(self) -> TxParams:
        if self.max_priority_fee_per_gas is None:
            return {"gasPrice": Wei(self.max_fee_per_gas)}
        return {
            "maxFeePerGas": Wei(self.max_fee_per_gas),
            "maxPriorityFeePerGas": Wei(self.max_priority_fee_per_gas),
        }


class Transactor:
    """Signs and sends transactions for one account: EIP-1559 fees, its nonce tracked locally so that
    several transactions in a row work, and reverts raised as :mod:`ledger.reverts` explains them."""

    def __init__(self, w3: Web3, account: LocalAccount, errors: ErrorDecoder) -> None:
        self.w3 = w3
        self.account = account
        self.errors = errors
        self._nonce: int | None = None

    @property
    def address(self) -> ChecksumAddress:
        return to_checksum_address(self.account.address)

    def reset_nonce(self) -> None:
        """Forget the cached nonce (after a chain revert, or when another signer used this account)."""
        self._nonce = None

    @contextlib.contextmanager
    def _nonce_for(self) -> Iterator[Nonce]:
        """The next nonce; given back (resynced from the node) if the transaction did not get mined."""
        if self._nonce is None:
            self._nonce = self.w3.eth.get_transaction_count(self.address, "pending")
        nonce = self._nonce
        self._nonce += 1
        try:
            yield Nonce(nonce)
        except BaseException as exc:
            if not isinstance(exc, TransactionFailedError) or exc.error is not None:
                self._nonce = None  # not mined (a revert found by the estimate, or a transport error)
            raise

    def explain(self, exc: Exception, what: str) -> TransactionFailedError:
        """The error to raise for a failed call or estimate: the revert named and explained if it is known."""
        decoded = self.errors.decode(revert_data(exc))
        if decoded is None and isinstance(exc, Web3RPCError) and "insufficient funds" in str(exc).lower():
            return self._refused(exc, what)
        if decoded is None:
            return TransactionFailedError(f"{what} reverted: {exc}")
        return explain(decoded, what)

    def _raise_reverted(self, exc: Exception, what: str) -> None:
        raise self.explain(exc, what) from exc

    def send(self, call: ContractFunction, *, value: int = 0, gas: int | None = None) -> TxReceipt:
        """Send a contract call; raise the explained revert (:func:`ledger.reverts.explain`) on failure."""
        data = call._encode_transaction_data()
        return self.send_raw({"to": call.address, "data": data, "value": Wei(value)}, call.fn_name, gas=gas)

    def send_raw(self, tx: TxParams, what: str = "transaction", *, gas: int | None = None) -> TxReceipt:
        """Send a transaction (a call's ``to``/``data``/``value``, or a plain transfer) from this account,
        estimating its gas (with a margin) unless given, at the current :class:`Fees`."""
        tx = {**tx, "from": self.address, "chainId": self.w3.eth.chain_id}
        if gas is not None:
            tx["gas"] = gas
        elif "gas" not in tx:
            tx["gas"] = self.estimate_gas(tx, what)
        if "gasPrice" not in tx and "maxFeePerGas" not in tx:
            tx = {**tx, **Fees.current(self.w3).params()}
        with self._nonce_for() as nonce:
            return self._submit({**tx, "nonce": nonce}, what)

    def estimate_gas(self, tx: TxParams, what: str = "transaction") -> int:
        """The gas ``tx`` needs from this account, with a 20% margin; raises the explained revert."""
        try:
            return int(self.w3.eth.estimate_gas({**tx, "from": self.address}) * 1.2) + 10_000
        except (ContractLogicError, Web3RPCError) as exc:
            self._raise_reverted(exc, what)
        raise AssertionError("unreachable")  # pragma: no cover

    def simulate(self, tx: TxParams, what: str = "transaction") -> bytes:
        """Run ``tx`` as this account with ``eth_call`` at the latest block (nothing is sent); returns what it
        returns, or raises the explained revert."""
        try:
            return bytes(self.w3.eth.call({**tx, "from": self.address}))
        except (ContractLogicError, Web3RPCError) as exc:
            self._raise_reverted(exc, what)
        raise AssertionError("unreachable")  # pragma: no cover

    def _submit(self, tx: TxParams, what: str) -> TxReceipt:
        signed = self.account.sign_transaction(cast(dict[str, Any], tx))
        try:
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        except Web3RPCError as exc:
            raise self._refused(exc, what) from exc
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=0.05)
        if receipt["status"] != 1:
            raise TransactionFailedError(f"{what} reverted in block {receipt['blockNumber']}")
        return receipt

    def _refused(self, exc: Web3RPCError, what: str) -> TransactionFailedError:
        """The node's refusal of a signed transaction, in words (funds, nonce, fees)."""
        message = str(exc.rpc_response.get("error", {}).get("message", exc)) if exc.rpc_response else str(exc)
        if "insufficient funds" in message.lower():
            balance = self.w3.eth.get_balance(self.address)
            return TransactionFailedError(
                f"{what}: {self.address} holds {Decimal(balance).scaleb(-18)} ETH, not enough for the value "
                f"and "
                "gas; fund it first"
            )
        return TransactionFailedError(f"{what}: the node refused the transaction: {message}")

    def deploy(self, abi: list[dict[str, Any]], bytecode: str, *args: Any) -> Contract:
        """Deploy a contract and return it bound to its address."""
        return self.deploy_with_receipt(abi, bytecode, *args)[0]

    def deploy_with_receipt(
        self, abi: list[dict[str, Any]], bytecode: str, *args: Any
    ) -> tuple[Contract, TxReceipt]:
        """Deploy a contract; return it bound to its address, and the receipt of its creation transaction
        (its hash and block are what a block explorer asks for to verify the contract)."""
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        data = factory.constructor(*args).data_in_transaction
        tx: TxParams = {"data": data}
        gas = int(self.estimate_gas(tx, "deployment") * 1.0) + 40_000
        receipt = self.send_raw(tx, "deployment", gas=gas)
        address = receipt["contractAddress"]
        assert address is not None
        return self.w3.eth.contract(address=address, abi=abi), receipt
