"""Chain access: a Web3 connection, local signing, and reverts decoded into named custom errors.

Transactions are signed locally (eth-account) and sent raw, so the same code works on Anvil,
Ganache and any remote node; private keys stay in memory and are never logged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from eth_abi.abi import decode as abi_decode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.abi import collapse_if_tuple
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, Web3RPCError
from web3.types import Nonce, TxParams, TxReceipt, Wei

from ledger.errors import ChainConnectionError, TransactionFailedError
from ledger.settings import DEV_MNEMONIC

Account.enable_unaudited_hdwallet_features()

_ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
_PANIC = bytes.fromhex("4e487b71")  # Panic(uint256)


def dev_accounts(count: int = 10, mnemonic: str = DEV_MNEMONIC) -> list[LocalAccount]:
    """The local chain's funded development accounts (BIP-44 path m/44'/60'/0'/0/i)."""
    return [Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{i}") for i in range(count)]


@dataclass(frozen=True)
class DecodedError:
    """A revert reason: a custom error with its arguments, a require string, or a panic code."""

    name: str
    args: tuple[Any, ...]

    def __str__(self) -> str:
        return f"{self.name}({', '.join(map(repr, self.args))})"


class ErrorDecoder:
    """Maps revert data to the custom errors declared in a set of ABIs."""

    def __init__(self, abis: Iterable[list[dict[str, Any]]]) -> None:
        self._errors: dict[bytes, tuple[str, list[str]]] = {}
        for abi in abis:
            for item in abi:
                if item.get("type") != "error":
                    continue
                types = [collapse_if_tuple(p) for p in item.get("inputs", [])]
                selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
                self._errors[selector] = (item["name"], types)

    def decode(self, data: bytes | str | None) -> DecodedError | None:
        if data is None:
            return None
        raw = bytes.fromhex(data[2:] if data.startswith("0x") else data) if isinstance(data, str) else data
        if len(raw) < 4:
            return None
        selector, body = raw[:4], raw[4:]
        if selector == _ERROR_STRING:
            return DecodedError("Error", tuple(abi_decode(["string"], body)))
        if selector == _PANIC:
            return DecodedError("Panic", tuple(abi_decode(["uint256"], body)))
        if selector in self._errors:
            name, types = self._errors[selector]
            values = abi_decode(types, body)
            return DecodedError(
                name,
                tuple(
                    to_checksum_address(v) if t == "address" else v
                    for t, v in zip(types, values, strict=True)
                ),
            )
        return DecodedError(f"unknown error 0x{selector.hex()}", (body,))


def _revert_data(exc: Exception) -> str | None:
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


class Transactor:
    """Signs and sends transactions for one account, tracking its nonce locally."""

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
            if not isinstance(exc, TransactionFailedError):  # a mined revert still used its nonce
                self._nonce = None
            raise

    def _raise_reverted(self, exc: Exception, what: str) -> None:
        decoded = self.errors.decode(_revert_data(exc))
        if decoded is None:
            raise TransactionFailedError(f"{what} reverted: {exc}") from exc
        raise TransactionFailedError(
            f"{what} reverted with {decoded}", error=decoded.name, args=decoded.args
        ) from exc

    def send(self, call: ContractFunction, *, value: int = 0, gas: int | None = None) -> TxReceipt:
        """Send a contract call; raise :class:`TransactionFailedError` naming the custom error on revert."""
        what = call.fn_name
        params: TxParams = {"from": self.address, "value": Wei(value), "chainId": self.w3.eth.chain_id}
        try:
            params["gas"] = gas if gas is not None else int(call.estimate_gas(params) * 1.2) + 10_000
        except (ContractLogicError, Web3RPCError) as exc:
            self._raise_reverted(exc, what)
        with self._nonce_for() as nonce:
            tx = call.build_transaction({**params, "nonce": nonce})
            return self._submit(tx, what)

    def send_raw(self, tx: TxParams, what: str = "transaction") -> TxReceipt:
        """Send a plain transaction (e.g. an ETH transfer) from this account."""
        tx = {**tx, "from": self.address, "chainId": self.w3.eth.chain_id}
        try:
            if "gas" not in tx:
                tx["gas"] = self.w3.eth.estimate_gas(tx)
        except (ContractLogicError, Web3RPCError) as exc:
            self._raise_reverted(exc, what)
        if "gasPrice" not in tx and "maxFeePerGas" not in tx:
            tx["gasPrice"] = self.w3.eth.gas_price
        with self._nonce_for() as nonce:
            return self._submit({**tx, "nonce": nonce}, what)

    def _submit(self, tx: TxParams, what: str) -> TxReceipt:
        signed = self.account.sign_transaction(cast(dict[str, Any], tx))
        tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120, poll_latency=0.05)
        if receipt["status"] != 1:
            raise TransactionFailedError(f"{what} reverted in block {receipt['blockNumber']}")
        return receipt

    def deploy(self, abi: list[dict[str, Any]], bytecode: str, *args: Any) -> Contract:
        """Deploy a contract and return it bound to its address."""
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        params: TxParams = {"from": self.address, "chainId": self.w3.eth.chain_id}
        constructor = factory.constructor(*args)
        try:
            params["gas"] = int(constructor.estimate_gas(params) * 1.2) + 50_000
        except (ContractLogicError, Web3RPCError) as exc:
            self._raise_reverted(exc, "deployment")
        with self._nonce_for() as nonce:
            receipt = self._submit(constructor.build_transaction({**params, "nonce": nonce}), "deployment")
        address = receipt["contractAddress"]
        assert address is not None
        return self.w3.eth.contract(address=address, abi=abi)
