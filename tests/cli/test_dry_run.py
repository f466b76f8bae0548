"""``--dry-run`` simulates each kind of on-chain command as it would run (exit 0, "it would succeed", every
nonce and the chain's head unchanged), and a simulation the contract rejects is one line naming the decoded
error; ``--unsigned FILE`` writes a valid Safe Transaction Builder batch (for the admin's board Safe, the
guardian's Safe, or no Safe when the signer is an account) and sends nothing.

The tests share one campaign (tests/cli/conftest.py) and walk it through its life in file order: first
while its first round is open, then once that round met its goal, was closed and a supplier became payable,
then with an all-or-nothing round that ended below its goal and failed. Each state is a module fixture;
the tests that need the first round open say so (:func:`first_round_open`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_utils.crypto import keccak

from ledger.client import LedgerClient, RoundState
from ledger.contract_abi import packaged_abi
from ledger.demo import data
from ledger.governance.local import BOARD_OWNERS, BOARD_THRESHOLD
from ledger.governance.txbuilder import read_batch
from tests.cli.support import (
    ANYONE,
    AUDITOR,
    DAY,
    MANAGER,
    SUPPLIER,
    CliResult,
    Stage,
    nothing_sent,
    order_record,
    refused_unsent,
    supplier_record,
)

DONOR, LATE_DONOR = 4, 5
WOULD_SUCCEED = "Dry run: it would succeed. Nothing was sent."
SCHEDULE_BATCH = keccak(text="scheduleBatch(address[],uint256[],bytes[],bytes32,bytes32,uint256)")[:4]


def dry_run(stage: Stage, *args: str) -> CliResult:
    """Run ``args`` with ``--dry-run``: it must succeed, say so, and send nothing."""
    with nothing_sent(stage.world):
        result = stage.cli.ok(*args, "--dry-run")
    assert WOULD_SUCCEED in result.stdout, str(result)
    assert "Traceback" not in result.stdout + result.stderr, str(result)
    return result


def unsigned(stage: Stage, name: str, *args: str) -> tuple[dict[str, Any], Path]:
    """Run ``args`` with ``--unsigned FILE --json``: it must write the batch and send nothing."""
    batch = stage.tmp / f"{name}.json"
    with nothing_sent(stage.world):
        written = stage.cli.ok(*args, "--unsigned", str(batch), "--json").json()
    assert written["unsigned"] == str(batch)
    return written, batch


def ledger_client(stage: Stage) -> LedgerClient:
    return LedgerClient(stage.world.w3, stage.world.deployment.ledger, packaged_abi("PledgeLedger"))


@pytest.fixture
def first_round_open(stage: Stage) -> int:
    """The campaign's first round, open, with time left and its goal not yet met: these tests come before
    :func:`goal_met` in the file."""
    current = stage.latest_round()
    assert current.round_id == 1 and current.state is RoundState.OPEN, "needs the first round open"
    assert current.end > stage.world.now() + DAY and current.raised_usd < current.goal_usd
    return current.round_id


# ─── --unsigned: batches for the Safes' owners ───────────────────────────────────────────────────────


def test_unsigned_campaign_create_writes_a_valid_batch_for_the_board(stage: Stage) -> None:
    world = stage.world
    governance = world.deployment.governance
    assert governance is not None
    written, path = unsigned(
        stage, "create-unsigned",
        "campaign", "create", "--manager", world.address(MANAGER), "--beneficiary", "Second",
        "--metadata", str(stage.tmp / "campaign.json"),
    )  # fmt: skip
    assert written["safe"] == governance.board_safe
    assert written["timelock_operation"].startswith("0x") and len(written["timelock_operation"]) == 66
    batch = read_batch(path, chain_id=int(world.w3.eth.chain_id))  # the checksum and the chain checked
    assert batch.safe == governance.board_safe
    (call,) = batch.calls
    assert call.to == governance.timelock and call.data[:4] == SCHEDULE_BATCH
    assert "0x" + call.data.hex() == written["transactions"][0]["data"]


def test_unsigned_campaign_pause_writes_a_batch_for_the_guardian_safe(stage: Stage) -> None:
    world = stage.world
    written, path = unsigned(stage, "pause-unsigned", "campaign", "pause", str(stage.campaign))
    assert written["safe"] == world.deployment.guardian
    batch = read_batch(path, chain_id=int(world.w3.eth.chain_id))
    assert batch.safe == world.deployment.guardian
    (call,) = batch.calls
    assert call.to == world.deployment.ledger
    assert call.data == ledger_client(stage).calls.pause_campaign(stage.campaign).data
    assert not ledger_client(stage).campaign(stage.campaign).paused


def test_unsigned_by_a_manager_who_is_an_account_names_no_safe(stage: Stage) -> None:
    supplier = supplier_record(stage, Account.create().address, "approved", "Unsigned Masks Co")
    written, path = unsigned(
        stage, "approve-unsigned", "supplier", "approve", str(stage.campaign), str(supplier["id"])
    )
    assert written["safe"] is None
    batch = read_batch(path, chain_id=int(stage.world.w3.eth.chain_id))
    assert batch.safe is None
    assert [c.to for c in batch.calls] == [stage.world.deployment.ledger]


# ─── --dry-run while the first round is open ─────────────────────────────────────────────────────────


def test_dry_run_of_a_round_open_the_contract_rejects_is_one_line_with_its_error(
    stage: Stage, first_round_open: int
) -> None:
    refused = refused_unsent(
        stage, "round", "open", str(stage.campaign), "--end", "+7d", "--goal-usd", "500",
        "--account", str(MANAGER), "--dry-run",
        says="LedgerRoundStillOpen",
    )  # fmt: skip
    assert f"round {first_round_open} of campaign {stage.campaign}" in refused.stderr


def test_dry_run_pledge_eth_would_succeed(stage: Stage, first_round_open: int) -> None:
    result = dry_run(stage, "pledge", str(stage.campaign), "0.5", "ETH", "--account", str(DONOR))
    assert "Pledge 0.5 ETH" in result.stdout


def test_dry_run_pledge_of_a_token_to_approve_first_would_succeed_once_approved(
    stage: Stage, first_round_open: int
) -> None:
    stage.world.fund(DONOR, "USDC", 100)
    result = dry_run(stage, "pledge", str(stage.campaign), "100", "USDC", "--account", str(DONOR))
    assert "Allow the ledger to take 100 USDC" in result.stdout
    assert "succeeds once the step before is mined" in result.stdout


def test_dry_run_json_is_one_object_that_would_succeed(stage: Stage, first_round_open: int) -> None:
    with nothing_sent(stage.world):
        result = stage.cli.ok(
            "pledge", str(stage.campaign), "0.5", "ETH", "--account", str(DONOR), "--dry-run", "--json"
        )
    (line,) = result.stdout.strip().splitlines()
    parsed = json.loads(line)
    assert parsed["dry_run"] is True and parsed["would_succeed"] is True
    assert parsed["amounts"][0]["symbol"] == "ETH" and parsed["amounts"][0]["amount"] == str(5 * 10**17)


def test_dry_run_supplier_approve_would_succeed(stage: Stage) -> None:
    supplier = supplier_record(stage, Account.create().address, "approved", "Dry Masks Co")
    result = dry_run(
        stage, "supplier", "approve", str(stage.campaign), str(supplier["id"]), "--account", str(MANAGER)
    )
    assert "Dry Masks Co" in result.stdout


def test_dry_run_attest_would_succeed(stage: Stage) -> None:
    stage.mirrored()
    dry_run(stage, "attest", str(stage.campaign), "--accept-findings", "--account", str(AUDITOR))


# ─── the first round meets its goal; the manager may close it before its end ─────────────────────────


@pytest.fixture(scope="module")
def goal_met(stage: Stage) -> int:
    """The first round, its goal met by a pledge of 1,500 USDC (still open)."""
    current = stage.latest_round()
    assert current.round_id == 1 and current.state is RoundState.OPEN
    stage.world.fund(LATE_DONOR, "USDC", 1_500)
    stage.cli.send("pledge", str(stage.campaign), "1,500", "USDC", "--account", str(LATE_DONOR))
    assert stage.latest_round().raised_usd >= current.goal_usd
    return current.round_id


def test_dry_run_round_close_by_the_manager_once_the_goal_is_met_would_succeed(
    stage: Stage, goal_met: int
) -> None:
    result = dry_run(stage, "round", "close", str(stage.campaign), str(goal_met), "--account", str(MANAGER))
    assert "it succeeds" in result.stdout
    assert stage.latest_round().state is RoundState.OPEN


@pytest.fixture(scope="module")
def payable_order(stage: Stage, goal_met: int) -> dict[str, Any]:
    """The first round closed (its USDC spendable); the supplier (account 7) approved and effective; an
    order of 100 USDC to it with its invoice; and an admin operation scheduled, ready to run."""
    world, manager = stage.world, ("--account", str(MANAGER))
    closed = stage.cli.send("round", "close", str(stage.campaign), str(goal_met), *manager)
    assert closed["outcome"] == "succeeded"
    supplier = supplier_record(stage, world.address(SUPPLIER), "approved", "Masks Supplier Co")
    stage.cli.send("supplier", "approve", str(stage.campaign), str(supplier["id"]), *manager)
    order = order_record(stage, supplier["id"], "PO-DRY-1", 100)
    form = {"kind": "invoice", "order_id": str(order["id"]), "amount": "100", "currency": "USD"}
    stage.api.upload("invoice.pdf", data.invoice_pdf(stage.campaign), form)
    world.advance(2 * DAY + 60)  # the campaign's supplier delay
    return order


def test_dry_run_pay_would_succeed(stage: Stage, payable_order: dict[str, Any]) -> None:
    result = dry_run(stage, "pay", payable_order["reference"], "--account", str(MANAGER))
    assert "100 USDC" in result.stdout and "Override" not in result.stdout


def test_dry_run_round_open_would_succeed_once_no_round_is_open(
    stage: Stage, payable_order: dict[str, Any]
) -> None:
    assert stage.latest_round().state is not RoundState.OPEN
    result = dry_run(
        stage,
        "round",
        "open",
        str(stage.campaign),
        "--end",
        "+7d",
        "--goal-usd",
        "500",
        "--account",
        str(MANAGER),
    )
    assert "Open round 2" in result.stdout


@pytest.fixture(scope="module")
def ready_operation(stage: Stage) -> str:
    """An admin operation (grant account 5 the auditor role) the board's Safe scheduled, its delay passed."""
    governance = stage.world.deployment.governance
    assert governance is not None
    written, batch = unsigned(stage, "grant-5", "role", "grant", "auditor", stage.world.address(LATE_DONOR))
    owners = [arg for i in BOARD_OWNERS[:BOARD_THRESHOLD] for arg in ("--account", str(i))]
    stage.cli.ok("safe", "execute", str(batch), *owners, "--yes")
    stage.world.advance(governance.timelock_delay + 60)
    operation: str = written["timelock_operation"]
    return operation


def test_dry_run_timelock_execute_would_succeed(stage: Stage, ready_operation: str) -> None:
    result = dry_run(stage, "timelock", "execute", ready_operation, "--account", str(ANYONE))
    assert "grantRole" in result.stdout
    client = ledger_client(stage)
    assert not client.has_role(client.role("AUDITOR_ROLE"), stage.world.address(LATE_DONOR))


# ─── an all-or-nothing round ends below its goal: pledges revert, then it fails and refunds are due ─────


@pytest.fixture(scope="module")
def ended_round(stage: Stage, payable_order: dict[str, Any]) -> int:
    """An all-or-nothing round of one hour, far from its goal, with one pledge; its end has passed and it
    is not closed."""
    manager = ("--account", str(MANAGER))
    opened = stage.cli.send(
        "round", "open", str(stage.campaign), "--end", "+1h", "--goal-usd", "1,000,000", "--all-or-nothing",
        *manager,
    )  # fmt: skip
    stage.cli.send("pledge", str(stage.campaign), "0.01", "ETH", "--account", str(LATE_DONOR))
    stage.world.advance(3_600 + 60)
    round_id: int = opened["round"]
    return round_id


def test_dry_run_pledge_after_the_round_ended_is_one_line_with_its_error(
    stage: Stage, ended_round: int
) -> None:
    refused = refused_unsent(
        stage, "pledge", str(stage.campaign), "0.01", "ETH", "--account", str(DONOR), "--dry-run",
        says="LedgerRoundEnded",
    )  # fmt: skip
    assert f"round {ended_round}" in refused.stderr


@pytest.fixture(scope="module")
def failed_round(stage: Stage, ended_round: int) -> int:
    """The ended all-or-nothing round, closed by anyone: it failed, its donor is owed a refund."""
    closed = stage.cli.send("round", "close", str(stage.campaign), str(ended_round), "--account", str(ANYONE))
    assert closed["outcome"] == "failed"
    return ended_round


def test_dry_run_refund_push_would_succeed(stage: Stage, failed_round: int) -> None:
    result = dry_run(
        stage, "refund", "push", str(stage.campaign), str(failed_round), "--account", str(MANAGER)
    )
    assert "Refund 1 donor(s) their ETH" in result.stdout


def test_dry_run_refund_claim_would_succeed(stage: Stage, failed_round: int) -> None:
    result = dry_run(
        stage, "refund", "claim", str(stage.campaign), str(failed_round), "--account", str(LATE_DONOR)
    )
    assert "Take back 0.01 ETH" in result.stdout
