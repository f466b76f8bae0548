"""The ledger's functions as calls to make: typed arguments in, ``to``/``data``/``value`` out, nothing sent.

A :class:`Call` is what a signer sends (:class:`~ledger.client.ledger.LedgerClient`), what a timelock
schedules, what a Safe's owners sign, or what ``--unsigned`` writes for them: one encoding for all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.contract import Contract

#: Native ETH wherever the ledger expects a token address.
ETH = "0x" + "00" * 20


def _parameters(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": name, "type": kind} for name, kind in pairs]


def abi_function(
    name: str,
    inputs: Sequence[tuple[str, str]] = (),
    outputs: Sequence[tuple[str, str]] = (),
    *,
    view: bool = True,
) -> dict[str, Any]:
    """One function of an ABI, its inputs and outputs as (name, type) pairs."""
    return {
        "type": "function",
        "name": name,
        "stateMutability": "view" if view else "nonpayable",
        "inputs": _parameters(inputs),
        "outputs": _parameters(outputs),
    }


def _error(name: str, *inputs: tuple[str, str]) -> dict[str, Any]:
    return {"type": "error", "name": name, "inputs": _parameters(inputs)}


#: The slice of the ERC-20 ABI a donor needs: approve the ledger, read a balance, an allowance, decimals.
ERC20_ABI: list[dict[str, Any]] = [
    abi_function("approve", [("spender", "address"), ("amount", "uint256")], [("", "bool")], view=False),
    abi_function("allowance", [("owner", "address"), ("spender", "address")], [("", "uint256")]),
    abi_function("balanceOf", [("account", "address")], [("", "uint256")]),
    abi_function("decimals", outputs=[("", "uint8")]),
    abi_function("symbol", outputs=[("", "string")]),
]


#: ERC-6093's token errors (OpenZeppelin 5 tokens raise them), so that a token's refusal is named too.
ERC20_ERRORS_ABI: list[dict[str, Any]] = [
    _error("ERC20InsufficientBalance", ("sender", "address"), ("balance", "uint256"), ("needed", "uint256")),
    _error(
        "ERC20InsufficientAllowance", ("spender", "address"), ("allowance", "uint256"), ("needed", "uint256")
    ),
    _error("ERC20InvalidSender", ("sender", "address")),
    _error("ERC20InvalidReceiver", ("receiver", "address")),
    _error("ERC20InvalidApprover", ("approver", "address")),
    _error("ERC20InvalidSpender", ("spender", "address")),
]


@dataclass(frozen=True)
class Call:
    """One call: its target, calldata and ETH value, and the function's name (for messages)."""

    target: str
    data: bytes
    value: int = 0
    function: str = "call"

    @property
    def to(self) -> ChecksumAddress:
        return to_checksum_address(self.target)


class LedgerCalls:
    """Encodes every state-changing function of the ledger (and the ERC-20 approval a pledge needs)."""

    def __init__(self, address: str, abi: Sequence[dict[str, Any]]) -> None:
        self.address = to_checksum_address(address)
        self.contract: Contract = Web3().eth.contract(address=self.address, abi=list(abi))

    def _call(self, function: str, *args: Any, value: int = 0) -> Call:
        data = bytes.fromhex(self.contract.encode_abi(function, list(args))[2:])
        return Call(self.address, data, value, function)

    # ─── admin ───────────────────────────────────────────────────────────────────────────────────────

    def create_campaign(
        self, manager: str, beneficiary: str, metadata_hash: bytes, supplier_delay: int
    ) -> Call:
        return self._call(
            "createCampaign", to_checksum_address(manager), beneficiary, metadata_hash, supplier_delay
        )

    def accept_token(self, campaign_id: int, token: str, feed: str, max_staleness: int) -> Call:
        return self._call(
            "acceptToken", campaign_id, to_checksum_address(token), to_checksum_address(feed), max_staleness
        )

    def set_manager(self, campaign_id: int, new_manager: str) -> Call:
        return self._call("setManager", campaign_id, to_checksum_address(new_manager))

    def grant_role(self, role: bytes, account: str) -> Call:
        return self._call("grantRole", role, to_checksum_address(account))

    def revoke_role(self, role: bytes, account: str) -> Call:
        return self._call("revokeRole", role, to_checksum_address(account))

    def renounce_role(self, role: bytes, account: str) -> Call:
        return self._call("renounceRole", role, to_checksum_address(account))

    def begin_default_admin_transfer(self, new_admin: str) -> Call:
        return self._call("beginDefaultAdminTransfer", to_checksum_address(new_admin))

    def cancel_default_admin_transfer(self) -> Call:
        return self._call("cancelDefaultAdminTransfer")

    def accept_default_admin_transfer(self) -> Call:
        return self._call("acceptDefaultAdminTransfer")

    def change_default_admin_delay(self, new_delay: int) -> Call:
        return self._call("changeDefaultAdminDelay", new_delay)

    def rollback_default_admin_delay(self) -> Call:
        return self._call("rollbackDefaultAdminDelay")

    # ─── guardian (or admin) ─────────────────────────────────────────────────────────────────────────

    def cancel_campaign(self, campaign_id: int) -> Call:
        return self._call("cancelCampaign", campaign_id)

    def pause_campaign(self, campaign_id: int) -> Call:
        return self._call("pauseCampaign", campaign_id)

    def unpause_campaign(self, campaign_id: int) -> Call:
        return self._call("unpauseCampaign", campaign_id)

    # ─── manager (closing: anyone after the end) ─────────────────────────────────────────────────────

    def open_round(self, campaign_id: int, start: int, end: int, goal_usd: int, all_or_nothing: bool) -> Call:
        return self._call("openRound", campaign_id, start, end, goal_usd, all_or_nothing)

    def close_round(self, campaign_id: int, round_id: int) -> Call:
        return self._call("closeRound", campaign_id, round_id)

    def approve_supplier(self, campaign_id: int, supplier: str, record_hash: bytes) -> Call:
        return self._call("approveSupplier", campaign_id, to_checksum_address(supplier), record_hash)

    def revoke_supplier(self, campaign_id: int, supplier: str) -> Call:
        return self._call("revokeSupplier", campaign_id, to_checksum_address(supplier))

    def disburse(
        self,
        campaign_id: int,
        token: str,
        supplier: str,
        amount: int,
        purchase_order_ref: bytes,
        invoice_hash: bytes,
    ) -> Call:
        return self._call(
            "disburse",
            campaign_id,
            to_checksum_address(token),
            to_checksum_address(supplier),
            amount,
            purchase_order_ref,
            invoice_hash,
        )

    # ─── donors, anyone ──────────────────────────────────────────────────────────────────────────────

    def pledge(self, campaign_id: int, round_id: int, amount_wei: int) -> Call:
        return self._call("pledge", campaign_id, round_id, value=amount_wei)

    def pledge_token(self, campaign_id: int, round_id: int, token: str, amount: int) -> Call:
        return self._call("pledgeToken", campaign_id, round_id, to_checksum_address(token), amount)

    def claim_refund(self, campaign_id: int, round_id: int, token: str) -> Call:
        return self._call("claimRefund", campaign_id, round_id, to_checksum_address(token))

    def push_refunds(self, campaign_id: int, round_id: int, token: str, donors: Sequence[str]) -> Call:
        return self._call(
            "pushRefunds",
            campaign_id,
            round_id,
            to_checksum_address(token),
            [to_checksum_address(d) for d in donors],
        )

    # ─── auditor ─────────────────────────────────────────────────────────────────────────────────────

    def attest_report(self, campaign_id: int, report_hash: bytes, as_of_block: int, uri: str) -> Call:
        return self._call("attestReport", campaign_id, report_hash, as_of_block, uri)

    # ─── the ERC-20 side of a token pledge ───────────────────────────────────────────────────────────

    def approve_token(self, token: str, amount: int) -> Call:
        """The donor's ``approve(ledger, amount)`` on ``token``, which ``pledgeToken`` then draws on."""
        erc20 = Web3().eth.contract(address=to_checksum_address(token), abi=ERC20_ABI)
        data = bytes.fromhex(erc20.encode_abi("approve", [self.address, amount])[2:])
        return Call(to_checksum_address(token), data, 0, "approve")
