"""The one typed door to the ledger contract: a method per external function, sending as one signer (or
reading only), returning the mined transaction with its decoded events; reverts raised as
:mod:`ledger.reverts` explains them, with what the chain says about the round or campaign concerned."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError, Web3RPCError
from web3.types import TxParams, Wei

from ledger.chain import ErrorDecoder, Fees, Transactor, revert_data
from ledger.client.calls import ERC20_ABI, ETH, Call, LedgerCalls
from ledger.client.results import (
    CampaignInfo,
    EventReader,
    RoundInfo,
    SupplierApproval,
    TokenConfig,
    TokenTotals,
    TxResult,
)
from ledger.errors import ContractRevertError, LedgerError
from ledger.reverts import DecodedError, explain
from ledger.rounds import RoundState

#: Blocks per eth_getLogs request: what public nodes answer without a "range too large" error.
LOG_WINDOW = 10_000


@dataclass(frozen=True)
class GasEstimate:
    """What a transaction would cost now: its gas (with the margin it would be sent with) and fees."""

    gas: int
    fees: Fees

    @property
    def max_fee_wei(self) -> int:
        return self.gas * self.fees.max_fee_per_gas


class LedgerClient:
    """The ledger at ``address`` on ``w3``, read by anyone and written by ``signer`` (if given)."""

    def __init__(
        self,
        w3: Web3,
        address: str,
        abi: Sequence[dict[str, Any]],
        signer: Transactor | None = None,
        *,
        errors: ErrorDecoder | None = None,
    ) -> None:
        self.w3 = w3
        self.address: ChecksumAddress = to_checksum_address(address)
        self.abi = list(abi)
        self.contract: Contract = w3.eth.contract(address=self.address, abi=self.abi)
        self.calls = LedgerCalls(self.address, self.abi)
        self.errors = errors or ErrorDecoder([self.abi])
        self.events = EventReader(self.contract)
        self.signer = signer

    def as_signer(self, signer: Transactor) -> LedgerClient:
        """The same ledger, written by ``signer``."""
        return LedgerClient(self.w3, self.address, self.abi, signer, errors=self.errors)

    # ─── sending ─────────────────────────────────────────────────────────────────────────────────────

    def _signer(self) -> Transactor:
        if self.signer is None:
            raise LedgerError("this client only reads: give it a signer to send transactions")
        return self.signer

    @staticmethod
    def _tx(call: Call) -> TxParams:
        return {"to": call.to, "data": call.data, "value": Wei(call.value)}

    @contextlib.contextmanager
    def _explained(self, what: str) -> Iterator[None]:
        """Reverts explained with what this ledger says of the round or campaign concerned."""
        try:
            yield
        except ContractRevertError as exc:
            raise explain(DecodedError(exc.error or "", exc.error_args), what, self) from exc

    def send(self, call: Call, *, gas: int | None = None) -> TxResult:
        """Sign and send ``call``, wait for it to be mined, and decode the ledger's events."""
        with self._explained(call.function):
            receipt = self._signer().send_raw(self._tx(call), call.function, gas=gas)
        return self.events.result(receipt)

    def simulate(self, call: Call) -> bytes:
        """Run ``call`` as the signer with ``eth_call`` (nothing sent); its return data, or the explained
        revert."""
        with self._explained(call.function):
            return self._signer().simulate(self._tx(call), call.function)

    def estimate(self, call: Call) -> GasEstimate:
        """The gas ``call`` would take (as it would be sent) and the fees now; raises the explained revert."""
        with self._explained(call.function):
            gas = self._signer().estimate_gas(self._tx(call), call.function)
        return GasEstimate(gas, Fees.current(self.w3))

    # ─── admin ───────────────────────────────────────────────────────────────────────────────────────

    def create_campaign(
        self, manager: str, beneficiary: str, metadata_hash: bytes, supplier_delay: int
    ) -> TxResult:
        return self.send(self.calls.create_campaign(manager, beneficiary, metadata_hash, supplier_delay))

    def accept_token(self, campaign_id: int, token: str, feed: str, max_staleness: int) -> TxResult:
        return self.send(self.calls.accept_token(campaign_id, token, feed, max_staleness))

    def set_manager(self, campaign_id: int, new_manager: str) -> TxResult:
        return self.send(self.calls.set_manager(campaign_id, new_manager))

    def grant_role(self, role: bytes, account: str) -> TxResult:
        return self.send(self.calls.grant_role(role, account))

    def revoke_role(self, role: bytes, account: str) -> TxResult:
        return self.send(self.calls.revoke_role(role, account))

    def renounce_role(self, role: bytes, account: str) -> TxResult:
        return self.send(self.calls.renounce_role(role, account))

    def begin_default_admin_transfer(self, new_admin: str) -> TxResult:
        return self.send(self.calls.begin_default_admin_transfer(new_admin))

    def cancel_default_admin_transfer(self) -> TxResult:
        return self.send(self.calls.cancel_default_admin_transfer())

    def accept_default_admin_transfer(self) -> TxResult:
        return self.send(self.calls.accept_default_admin_transfer())

    def change_default_admin_delay(self, new_delay: int) -> TxResult:
        return self.send(self.calls.change_default_admin_delay(new_delay))

    def rollback_default_admin_delay(self) -> TxResult:
        return self.send(self.calls.rollback_default_admin_delay())

    # ─── guardian (or admin) ─────────────────────────────────────────────────────────────────────────

    def cancel_campaign(self, campaign_id: int) -> TxResult:
        return self.send(self.calls.cancel_campaign(campaign_id))

    def pause_campaign(self, campaign_id: int) -> TxResult:
        return self.send(self.calls.pause_campaign(campaign_id))

    def unpause_campaign(self, campaign_id: int) -> TxResult:
        return self.send(self.calls.unpause_campaign(campaign_id))

    # ─── manager (closing: anyone after the end) ─────────────────────────────────────────────────────

    def open_round(
        self, campaign_id: int, start: int, end: int, goal_usd: int, all_or_nothing: bool
    ) -> TxResult:
        return self.send(self.calls.open_round(campaign_id, start, end, goal_usd, all_or_nothing))

    def close_round(self, campaign_id: int, round_id: int) -> TxResult:
        return self.send(self.calls.close_round(campaign_id, round_id))

    def approve_supplier(self, campaign_id: int, supplier: str, record_hash: bytes) -> TxResult:
        return self.send(self.calls.approve_supplier(campaign_id, supplier, record_hash))

    def revoke_supplier(self, campaign_id: int, supplier: str) -> TxResult:
        return self.send(self.calls.revoke_supplier(campaign_id, supplier))

    def disburse(
        self,
        campaign_id: int,
        token: str,
        supplier: str,
        amount: int,
        purchase_order_ref: bytes,
        invoice_hash: bytes,
    ) -> TxResult:
        return self.send(
            self.calls.disburse(campaign_id, token, supplier, amount, purchase_order_ref, invoice_hash)
        )

    # ─── donors, anyone ──────────────────────────────────────────────────────────────────────────────

    def pledge(self, campaign_id: int, round_id: int, amount_wei: int) -> TxResult:
        return self.send(self.calls.pledge(campaign_id, round_id, amount_wei))

    def pledge_token(self, campaign_id: int, round_id: int, token: str, amount: int) -> TxResult:
        return self.send(self.calls.pledge_token(campaign_id, round_id, token, amount))

    def approve_token(self, token: str, amount: int) -> TxResult:
        """Let the ledger draw ``amount`` of ``token`` from the signer (before :meth:`pledge_token`)."""
        return self.send(self.calls.approve_token(token, amount))

    def pledge_amount(self, campaign_id: int, round_id: int, token: str, amount: int) -> TxResult:
        """Pledge ``amount`` base units of ETH or an ERC-20, approving the ledger first when the signer's
        allowance is short; returns the pledge's transaction."""
        if token == ETH:
            return self.pledge(campaign_id, round_id, amount)
        if self.allowance(token, self._signer().address) < amount:
            self.approve_token(token, amount)
        return self.pledge_token(campaign_id, round_id, token, amount)

    def claim_refund(self, campaign_id: int, round_id: int, token: str) -> TxResult:
        return self.send(self.calls.claim_refund(campaign_id, round_id, token))

    def push_refunds(
        self, campaign_id: int, round_id: int, token: str, donors: Sequence[str], *, gas: int | None = None
    ) -> TxResult:
        return self.send(self.calls.push_refunds(campaign_id, round_id, token, donors), gas=gas)

    # ─── auditor ─────────────────────────────────────────────────────────────────────────────────────

    def attest_report(self, campaign_id: int, report_hash: bytes, as_of_block: int, uri: str) -> TxResult:
        return self.send(self.calls.attest_report(campaign_id, report_hash, as_of_block, uri))

    # ─── views ───────────────────────────────────────────────────────────────────────────────────────

    def _view(self, function: str, *args: Any) -> Any:
        try:
            return getattr(self.contract.functions, function)(*args).call()
        except (ContractLogicError, Web3RPCError) as exc:
            decoded = self.errors.decode(revert_data(exc))
            if decoded is None:
                raise LedgerError(f"{function} failed: {exc}") from exc
            raise explain(decoded, function, self) from exc

    def campaign_count(self) -> int:
        return int(self._view("campaignCount"))

    def campaign(self, campaign_id: int) -> CampaignInfo:
        manager, metadata, rounds, cancelled, paused, delay, tokens = self._view("campaign", campaign_id)
        return CampaignInfo(
            campaign_id, manager, bytes(metadata), int(rounds), cancelled, paused, int(delay), tuple(tokens)
        )

    def round(self, campaign_id: int, round_id: int) -> RoundInfo:
        start, end, state, aon, goal, raised = self._view("round", campaign_id, round_id)
        return RoundInfo(
            campaign_id, round_id, int(start), int(end), RoundState(state), aon, int(goal), int(raised)
        )

    def token_config(self, campaign_id: int, token: str) -> TokenConfig:
        feed, decimals, scale, staleness, accepted = self._view(
            "tokenConfig", campaign_id, to_checksum_address(token)
        )
        return TokenConfig(feed, int(decimals), int(scale), int(staleness), accepted)

    def token_totals(self, campaign_id: int, token: str) -> TokenTotals:
        return TokenTotals(
            *(int(v) for v in self._view("tokenTotals", campaign_id, to_checksum_address(token)))
        )

    def round_token_totals(self, campaign_id: int, round_id: int, token: str) -> tuple[int, int]:
        pledged, refunded = self._view("roundTokenTotals", campaign_id, round_id, to_checksum_address(token))
        return int(pledged), int(refunded)

    def pledge_of(self, campaign_id: int, round_id: int, token: str, donor: str) -> int:
        args = (campaign_id, round_id, to_checksum_address(token), to_checksum_address(donor))
        return int(self._view("pledgeOf", *args))

    def refundable_amount(self, campaign_id: int, round_id: int, token: str, donor: str) -> int:
        args = (campaign_id, round_id, to_checksum_address(token), to_checksum_address(donor))
        return int(self._view("refundableAmount", *args))

    def refund_pool(self, campaign_id: int, token: str) -> tuple[int, int]:
        pool, base = self._view("refundPool", campaign_id, to_checksum_address(token))
        return int(pool), int(base)

    def supplier_approval(self, campaign_id: int, supplier: str) -> SupplierApproval:
        record, effective_at = self._view("supplierApproval", campaign_id, to_checksum_address(supplier))
        return SupplierApproval(bytes(record), int(effective_at))

    def attested_at(self, campaign_id: int, report_hash: bytes, auditor: str) -> int:
        return int(self._view("attestedAt", campaign_id, report_hash, to_checksum_address(auditor)))

    def has_role(self, role: bytes, account: str) -> bool:
        return bool(self._view("hasRole", role, to_checksum_address(account)))

    def role(self, name: str) -> bytes:
        """A role's hash by its constant's name, e.g. ``AUDITOR_ROLE``."""
        return bytes(self._view(name))

    def default_admin(self) -> str:
        return str(self._view("defaultAdmin"))

    # ─── tokens ──────────────────────────────────────────────────────────────────────────────────────

    def erc20(self, token: str) -> Contract:
        return self.w3.eth.contract(address=to_checksum_address(token), abi=ERC20_ABI)

    def allowance(self, token: str, owner: str) -> int:
        return int(self.erc20(token).functions.allowance(to_checksum_address(owner), self.address).call())

    def balance(self, token: str, account: str) -> int:
        """``account``'s balance of ETH or ``token``, in base units."""
        if token == ETH:
            return int(self.w3.eth.get_balance(to_checksum_address(account)))
        return int(self.erc20(token).functions.balanceOf(to_checksum_address(account)).call())

    # ─── what revert messages read (RevertContext) ───────────────────────────────────────────────────

    def round_end(self, campaign_id: int, round_id: int) -> int:
        return int(self.contract.functions.round(campaign_id, round_id).call()[1])

    def round_state(self, campaign_id: int, round_id: int) -> int:
        return int(self.contract.functions.round(campaign_id, round_id).call()[2])

    # ─── events ──────────────────────────────────────────────────────────────────────────────────────

    def event_args(
        self, name: str, *, from_block: int, to_block: int | None = None, **indexed: Any
    ) -> list[dict[str, Any]]:
        """The arguments of every ``name`` event from ``from_block`` to ``to_block`` (default: the head)
        whose indexed arguments equal ``indexed``, oldest first; read in windows of :data:`LOG_WINDOW`
        blocks, the range public nodes answer."""
        event = self.contract.events[name]
        head = int(self.w3.eth.block_number) if to_block is None else to_block
        found: list[dict[str, Any]] = []
        for start in range(from_block, head + 1, LOG_WINDOW):
            end = min(start + LOG_WINDOW - 1, head)
            found += [
                dict(log["args"])
                for log in event.get_logs(from_block=start, to_block=end, argument_filters=indexed)
            ]
        return found
