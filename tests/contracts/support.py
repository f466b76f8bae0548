"""Helpers shared by the contract tests: events, view-call reverts, exact timestamps, test doubles."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from ledger.chain import DecodedError, Transactor
from ledger.client import TxResult
from ledger.errors import TransactionFailedError
from tests.support.chain import LedgerEnv
from tests.support.units import DAY, USD

# RoundState values, as the ABI returns them.
NONE, OPEN, SUCCEEDED, FAILED, CANCELLED = range(5)
ADMIN_ROLE = b"\x00" * 32
GUARDIAN_ROLE = Web3.keccak(text="GUARDIAN_ROLE")
AUDITOR_ROLE = Web3.keccak(text="AUDITOR_ROLE")
MAX_SUPPLIER_DELAY = 90 * DAY
PUSH_REFUND_GAS = 50_000
#: What pushRefunds needs left before each donor: the allowance, the 1/64 a call keeps back, and the dearest
#: booking around the call (PledgeLedger._PUSH_REFUND_RESERVE).
PUSH_REFUND_NEEDED = PUSH_REFUND_GAS + PUSH_REFUND_GAS // 63 + 110_000
# GriefingDonor.Mode
BURN_GAS, RETURN_BOMB = 0, 1
PO = b"\x0a" * 32
INVOICE = b"\x0b" * 32
RECORD = b"\x0c" * 32
# Decimals of each test asset, and the price every feed starts at (8 decimals).
DECIMALS = {"ETH": 18, "USDC": 6, "DAI": 18, "USDT": 6, "FEE": 18}
START_PRICE = {"ETH": 2_000 * USD, "USDC": USD, "DAI": USD, "USDT": USD, "FEE": USD}


def unit(symbol: str) -> int:
    """One whole token of ``symbol`` in base units."""
    return int(10 ** DECIMALS[symbol])


def events(env: LedgerEnv, receipt: Any, name: str) -> list[Any]:
    """The args of every ``name`` event the ledger emitted in ``receipt`` (a receipt, or the client's
    :class:`~ledger.client.TxResult`; other contracts' logs ignored)."""
    if isinstance(receipt, TxResult):
        return receipt.all(name)
    return [e["args"] for e in getattr(env.ledger.events, name)().process_receipt(receipt, errors=DISCARD)]


def only_event(env: LedgerEnv, receipt: Any, name: str) -> Any:
    """The args of the single ``name`` event in ``receipt``."""
    found = events(env, receipt, name)
    assert len(found) == 1, f"expected one {name}, got {found}"
    return found[0]


def assert_round_closed(
    env: LedgerEnv, receipt: Any, c: int, r: int, outcome: int, raised_usd: int, caller: str | None = None
) -> None:
    """``receipt`` closed round ``r`` of campaign ``c`` with ``outcome`` and ``raised_usd``, by ``caller``
    (the manager unless named)."""
    assert dict(only_event(env, receipt, "RoundClosed")) == {
        "campaignId": c,
        "roundId": r,
        "outcome": outcome,
        "raisedUsd": raised_usd,
        "caller": caller or env.manager.address,
    }


def gas_cost(receipt: Any) -> int:
    """Wei paid for a transaction (a receipt, or the client's :class:`~ledger.client.TxResult`)."""
    if isinstance(receipt, TxResult):
        return receipt.fee_wei
    return int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])


@contextlib.contextmanager
def call_reverts(env: LedgerEnv, error: str, *args: Any) -> Iterator[None]:
    """Like ``reverts`` for an ``eth_call`` (views, or a transaction simulated at the latest block)."""
    with pytest.raises(ContractLogicError) as caught:
        yield
    decoded = env.admin.errors.decode(caught.value.data)
    assert decoded is not None, f"expected {error}, got {caught.value!r}"
    assert decoded.name == error, f"expected {error}, got {decoded}"
    if args:
        assert decoded.args == args, f"expected {error}{args}, got {decoded}"


def call_error(env: LedgerEnv, call: Any, params: dict[str, Any]) -> DecodedError:
    """The custom error an ``eth_call`` of ``call`` with ``params`` reverts with (it must revert)."""
    with pytest.raises(ContractLogicError) as caught:
        call.call(params)
    decoded = env.admin.errors.decode(caught.value.data)
    assert decoded is not None, f"no revert data: {caught.value!r}"
    return decoded


def attempt(action: Any, *args: Any, **kwargs: Any) -> TransactionFailedError | None:
    """Run ``action``; return the revert it raised, or None if it went through (for attack scripts, which go
    on whatever each step does)."""
    try:
        action(*args, **kwargs)
    except TransactionFailedError as exc:
        return exc
    return None


def mine_at(env: LedgerEnv, timestamp: int) -> None:
    """Mine a block at exactly ``timestamp``; calls and gas estimates then run at that time."""
    env.w3.provider.make_request("evm_mine", [timestamp])  # type: ignore[arg-type]


def round_end(env: LedgerEnv, campaign_id: int, round_id: int) -> int:
    return int(env.f.round(campaign_id, round_id).call()[1])


def end_round(env: LedgerEnv, campaign_id: int, round_id: int) -> None:
    """Move the clock to the round's end and refresh the feeds (which would otherwise be stale)."""
    mine_at(env, round_end(env, campaign_id, round_id))
    env.refresh_feeds()


def close(env: LedgerEnv, campaign_id: int, round_id: int) -> Any:
    return env.manager.send(env.f.closeRound(campaign_id, round_id))


def failed_aon_round(env: LedgerEnv, campaign_id: int, pledges: list[tuple[Transactor, str, int]]) -> int:
    """Open an all-or-nothing round with an unreachable goal, take ``pledges``, end and close it (Failed)."""
    round_id = env.open_round(campaign_id, goal_usd=10**12 * USD)
    for donor, symbol, amount in pledges:
        env.pledge(donor, campaign_id, round_id, symbol, amount)
    end_round(env, campaign_id, round_id)
    close(env, campaign_id, round_id)
    assert env.f.round(campaign_id, round_id).call()[2] == FAILED
    return round_id


def succeeded_round(
    env: LedgerEnv, campaign_id: int, pledges: list[tuple[Transactor, str, int]], *, goal_usd: int = USD
) -> int:
    """Open an all-or-nothing round with a small goal, take ``pledges`` and close it early (Succeeded)."""
    round_id = env.open_round(campaign_id, goal_usd=goal_usd)
    for donor, symbol, amount in pledges:
        env.pledge(donor, campaign_id, round_id, symbol, amount)
    close(env, campaign_id, round_id)
    assert env.f.round(campaign_id, round_id).call()[2] == SUCCEEDED
    return round_id


def approve_supplier(env: LedgerEnv, campaign_id: int, supplier: str | None = None) -> str:
    """Approve ``supplier`` (default ``env.supplier``); on a campaign without a supplier delay it can be paid
    at once."""
    supplier = supplier or env.supplier.address
    env.manager.send(env.f.approveSupplier(campaign_id, supplier, RECORD))
    return supplier


def supplier_approval(env: LedgerEnv, campaign_id: int, supplier: str) -> tuple[bytes, int]:
    """(record hash, effective at) of a supplier's approval; (zero hash, 0) when not approved."""
    record, effective_at = env.f.supplierApproval(campaign_id, supplier).call()
    return bytes(record), int(effective_at)


def disburse(env: LedgerEnv, campaign_id: int, symbol: str, amount: int, supplier: str | None = None) -> Any:
    return env.manager.send(
        env.f.disburse(
            campaign_id, env.token_address(symbol), supplier or env.supplier.address, amount, PO, INVOICE
        )
    )


def deploy_rejecting_donor(env: LedgerEnv) -> Contract:
    artifact = env.build["RejectingDonor"]
    return env.admin.deploy(artifact.abi, artifact.bytecode, env.ledger.address)


def deploy_token(env: LedgerEnv, decimals: int, *, fee_bps: int | None = None) -> Contract:
    """A fresh mock ERC-20 (or fee-on-transfer token with ``fee_bps``)."""
    if fee_bps is None:
        artifact = env.build["MockERC20"]
        return env.admin.deploy(artifact.abi, artifact.bytecode, "Extra", "XTR", decimals)
    artifact = env.build["MockFeeToken"]
    return env.admin.deploy(artifact.abi, artifact.bytecode, "Fee", "FEE2", decimals, fee_bps)


def deploy_feed(env: LedgerEnv, decimals: int, price: int) -> Contract:
    artifact = env.build["MockAggregator"]
    return env.admin.deploy(artifact.abi, artifact.bytecode, decimals, "X / USD", price)


def deploy_hook_token(env: LedgerEnv, decimals: int = 18) -> Contract:
    """A mintable ERC-20 whose holders may register an ERC-777-style sender hook (``HookToken``)."""
    artifact = env.build["HookToken"]
    return env.admin.deploy(artifact.abi, artifact.bytecode, "Hook", "HOOK", decimals)


def deploy_hook_attacker(env: LedgerEnv, owner: Transactor | None = None) -> Contract:
    """A ``HookAttacker`` owned by ``owner`` (default ``env.outsider``)."""
    artifact = env.build["HookAttacker"]
    return (owner or env.outsider).deploy(artifact.abi, artifact.bytecode)


def deploy_griefing_donor(env: LedgerEnv, mode: int, ledger: str | None = None) -> Contract:
    """A ``GriefingDonor`` of ``ledger`` (default ``env.ledger``): burns its gas or return-bombs on ETH."""
    artifact = env.build["GriefingDonor"]
    return env.admin.deploy(artifact.abi, artifact.bytecode, ledger or env.ledger.address, mode)


def calldata(contract: Contract, function: str, *args: Any) -> str:
    """The calldata of ``contract.function(*args)``, for a contract double to call."""
    return str(contract.encode_abi(function, args=list(args)))


# Runtime code that answers every call with 32 zero bytes: an ERC-20 whose transfers all return false (and
# whose balances all read 0), like a paused or blacklisting token.
FALSE_TOKEN_CODE = "0x60006000526020" + "6000f3"


def make_transfers_fail(env: LedgerEnv, token: Contract) -> None:
    """Swap ``token``'s code for one whose transfers return false (the test's snapshot restores it)."""
    env.w3.provider.make_request("anvil_setCode", [token.address, FALSE_TOKEN_CODE])  # type: ignore[arg-type]
