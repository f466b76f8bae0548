"""Every mistake a user can make with an on-chain command is refused before anything is sent: exit 1, one
line starting ``Error:`` that says what is wrong (and often how to do it instead), no traceback, and every
development account's nonce and the chain's head unchanged. And the one way past what the records refuse,
``pay --override REASON``, goes ahead where the contract allows it, the reason kept in the order's notes and
history.

The tests share one campaign (tests/cli/conftest.py); none of them depends on another having run: the one
that changes the campaign (the override payment) opens a new round after closing the first, so that the
campaign always has an open round that has not met its goal."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from ledger.client import RoundState
from ledger.governance.local import BOARD_OWNERS
from tests.cli.support import (
    ANYONE,
    DAY,
    MANAGER,
    SUPPLIER,
    Cli,
    CliResult,
    Stage,
    order_record,
    refused_unsent,
    supplier_record,
)

DONOR = 3


def _values(stage: Stage) -> dict[str, str]:
    """What the placeholders of the tables below stand for."""
    return {
        "campaign": str(stage.campaign),
        "manager": stage.world.address(MANAGER),
        "metadata": str(stage.tmp / "campaign.json"),
        "eoa": stage.world.address(ANYONE),
        "round": str(stage.latest_round().round_id),
    }


def _filled(stage: Stage, command: str) -> list[str]:
    """A command line of the tables below, its placeholders filled from the stage. Who signs: account 0 is
    one of the board Safe's owners (not the timelock's proposer), 1 the manager, 3 a donor, 6 anyone."""
    values = _values(stage)
    return [arg.format(**values) for arg in shlex.split(command)]


# ─── a signer without the role ───────────────────────────────────────────────────────────────────────

_CREATE = "campaign create --beneficiary WAHO --metadata {metadata}"


@pytest.mark.parametrize(
    ("command", "says"),
    [
        pytest.param(
            f"{_CREATE} --manager {{manager}} --account 1 --yes",
            "cannot propose to the admin's timelock",
            id="campaign-create-by-the-manager",
        ),
        pytest.param(
            "campaign pause {campaign} --account 3 --yes",
            "is not the guardian",
            id="campaign-pause-by-a-donor",
        ),
        pytest.param(
            "round open {campaign} --end +1d --goal-usd 1 --account 3 --yes",
            "is not the manager of campaign",
            id="round-open-by-a-donor",
        ),
    ],
)
def test_a_signer_without_the_role_is_refused(stage: Stage, command: str, says: str) -> None:
    refused = refused_unsent(stage, *_filled(stage, command), says=says)
    assert "--unsigned FILE" in refused.stderr  # how it is done instead: a batch for the role's Safe


def test_attest_without_the_auditor_role_is_refused(stage: Stage) -> None:
    stage.mirrored()  # the report is reconciled (and any findings accepted) before the role is checked
    refused_unsent(
        stage, "attest", str(stage.campaign), "--accept-findings", "--account", str(ANYONE), "--yes",
        says="has no auditor role",
    )  # fmt: skip


# ─── what the user typed ─────────────────────────────────────────────────────────────────────────────

_UNKNOWN_OPERATION = "0x" + "ab" * 32


@pytest.mark.parametrize(
    ("command", "says"),
    [
        pytest.param(
            f"{_CREATE} --manager 0x1234 --account 0 --yes",
            "--manager '0x1234' is not an address",
            id="manager-not-an-address",
        ),
        pytest.param(
            "campaign create --manager {manager} --beneficiary W --metadata nowhere.json --account 0 --yes",
            "cannot read --metadata nowhere.json",
            id="metadata-file-missing",
        ),
        pytest.param(
            f"{_CREATE} --manager {{manager}} --supplier-delay abc --account 0 --yes",
            "--supplier-delay 'abc' is not a duration",
            id="supplier-delay-not-a-duration",
        ),
        pytest.param(
            "round open {campaign} --end 2020-01-01T00:00 --goal-usd 1 --account 1 --yes",
            "must come after the start and after now",
            id="round-end-in-the-past",
        ),
        pytest.param(
            "round open {campaign} --end +1d --goal-usd 0 --account 1 --yes",
            "--goal-usd must be more than 0",
            id="goal-zero",
        ),
        pytest.param(
            "pledge {campaign} 1.1234567 USDC --account 3 --yes",
            "'1.1234567' has more than 6 decimals",
            id="pledge-finer-than-the-token",
        ),
        pytest.param(
            "pledge {campaign} 1 USDT --account 3 --yes",
            "does not accept USDT",
            id="pledge-a-token-not-accepted",
        ),
        pytest.param(
            "pledge {campaign} 1 USDC --round {round} --account 6 --yes",
            "holds 0 USDC, less than the 1 pledged",
            id="pledge-more-than-the-donor-holds",
        ),
        pytest.param(
            "pledge {campaign} 1 ETH --rpc-url localhost:8545 --account 3 --yes",
            "is not an RPC URL: it starts with http:// or https://",
            id="rpc-url-without-scheme",
        ),
        pytest.param(
            "pledge {campaign} 1 ETH --rpc-url http://127.0.0.1:1 --account 3 --yes",
            "cannot reach the chain at http://127.0.0.1:1",
            id="rpc-url-unreachable",
        ),
        pytest.param(
            "timelock execute 0x1234 --account 6 --yes",
            "'0x1234' is not an operation id",
            id="timelock-operation-malformed",
        ),
        pytest.param(
            f"timelock execute {_UNKNOWN_OPERATION} --account 6 --yes",
            f"has scheduled no operation {_UNKNOWN_OPERATION}",
            id="timelock-operation-unknown",
        ),
        pytest.param(
            "token accept {campaign} USDC --feed {eoa} --account 0 --yes",
            "the feed {eoa} has no code on this chain",
            id="token-feed-without-code",
        ),
        pytest.param(
            "supplier approve {campaign} 99999 --account 1 --yes",
            "no supplier record 99999",
            id="supplier-unknown-record",
        ),
        pytest.param(
            "pay PO-NOWHERE --account 1 --yes",
            "no purchase order 'PO-NOWHERE'",
            id="pay-unknown-order",
        ),
        pytest.param(
            "pay PO-NOWHERE --override ' ' --account 1 --yes",
            "--override needs a reason",
            id="pay-override-without-reason",
        ),
        pytest.param(
            "refund claim {campaign} {round} --account 6 --yes",
            "nothing to claim",
            id="refund-claim-with-nothing-to-claim",
        ),
    ],
)
def test_a_bad_input_is_refused(stage: Stage, command: str, says: str) -> None:
    refused_unsent(stage, *_filled(stage, command), says=says.format(**_values(stage)))


def test_dry_run_and_unsigned_together_are_refused_and_write_nothing(stage: Stage) -> None:
    batch = stage.tmp / "both.json"
    refused_unsent(
        stage, "round", "open", str(stage.campaign), "--end", "+1d", "--goal-usd", "1",
        "--dry-run", "--unsigned", str(batch),
        says="--dry-run and --unsigned: choose one",
    )  # fmt: skip
    assert not batch.exists()


def test_token_accept_with_a_stale_feed_is_refused(stage: Stage) -> None:
    # The clock moves on without the feeds posting a price: USDC's last answer is then 30 s old at least.
    stage.world.w3.provider.make_request("evm_increaseTime", [30])  # type: ignore[arg-type]
    stage.world.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    refused = refused_unsent(
        stage, "token", "accept", str(stage.campaign), "USDC", "--max-staleness", "1",
        "--account", "0", "--yes",
        says="more than the maximum staleness of 1 s",
    )  # fmt: skip
    assert stage.world.deployment.tokens["USDC"].feed in refused.stderr


def test_round_close_before_its_end_with_the_goal_unmet_is_refused(stage: Stage) -> None:
    current = stage.latest_round()
    assert current.state is RoundState.OPEN and current.raised_usd < current.goal_usd
    refused_unsent(
        stage, "round", "close", str(stage.campaign), str(current.round_id),
        "--account", str(MANAGER), "--yes",
        says="has not met its goal",
    )  # fmt: skip


# ─── what the records do not support ─────────────────────────────────────────────────────────────────


def test_supplier_approve_of_a_pending_record_is_refused(stage: Stage) -> None:
    pending = supplier_record(stage, Account.create().address, "pending", "Pending Masks Co")
    refused_unsent(
        stage, "supplier", "approve", str(stage.campaign), str(pending["id"]),
        "--account", str(MANAGER), "--yes",
        says="is pending, not approved by vetting",
    )  # fmt: skip


@pytest.fixture(scope="module")
def unpayable_order(stage: Stage) -> dict[str, Any]:
    """An order of 100 USDC to a supplier vetted in the records but never approved on chain; no invoice."""
    supplier = supplier_record(stage, Account.create().address, "approved", "Unapproved Masks Co")
    return order_record(stage, supplier["id"], "PO-UNAPPROVED-1", 100)


def test_pay_an_unapproved_supplier_without_invoice_is_refused_naming_both(
    stage: Stage, unpayable_order: dict[str, Any]
) -> None:
    refused = refused_unsent(
        stage, "pay", unpayable_order["reference"], "--account", str(MANAGER), "--yes",
        says="pay anyway with --override REASON",
    )  # fmt: skip
    assert f"is not approved for campaign {stage.campaign}" in refused.stderr
    assert "has no invoice in the records" in refused.stderr


def test_pay_more_than_the_unpaid_balance_is_refused(stage: Stage, unpayable_order: dict[str, Any]) -> None:
    refused_unsent(
        stage, "pay", unpayable_order["reference"], "--amount", "100.01", "--account", str(MANAGER), "--yes",
        says="100.01 USDC is more than the order's unpaid balance of 100 USDC",
    )  # fmt: skip


# ─── Safe batches, keys and confirmation ─────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def board_batch(stage: Stage) -> Path:
    """A batch for the board's Safe (threshold 2): granting account 5 the auditor role, through the
    timelock."""
    batch = stage.tmp / "grant-auditor-5.json"
    stage.cli.ok("role", "grant", "auditor", stage.world.address(5), "--unsigned", str(batch))
    return batch


def _owners(*indices: int) -> list[str]:
    return [arg for i in indices for arg in ("--account", str(i))]


def test_safe_execute_with_too_few_owners_is_refused(stage: Stage, board_batch: Path) -> None:
    refused_unsent(
        stage, "safe", "execute", str(board_batch), *_owners(BOARD_OWNERS[0]), "--yes",
        says="needs 2 owners' signatures, 1 given",
    )  # fmt: skip


def test_safe_execute_with_one_owner_given_twice_is_refused(stage: Stage, board_batch: Path) -> None:
    refused_unsent(
        stage, "safe", "execute", str(board_batch), *_owners(BOARD_OWNERS[0], BOARD_OWNERS[0]), "--yes",
        says="needs 2 owners' signatures, 1 given",
    )  # fmt: skip


def test_safe_execute_by_a_non_owner_is_refused(stage: Stage, board_batch: Path) -> None:
    refused_unsent(
        stage, "safe", "execute", str(board_batch), *_owners(BOARD_OWNERS[0], ANYONE), "--yes",
        says=f"{stage.world.address(ANYONE)} not among the owners of the Safe",
    )  # fmt: skip


def test_safe_execute_of_a_tampered_batch_is_refused(stage: Stage, board_batch: Path) -> None:
    document = json.loads(board_batch.read_text())
    document["meta"]["description"] += " (and a little more)"
    tampered = stage.tmp / "tampered.json"
    tampered.write_text(json.dumps(document, indent=2))
    refused_unsent(
        stage, "safe", "execute", str(tampered), *_owners(*BOARD_OWNERS[:2]), "--yes",
        says="was modified after it was exported: its checksum",
    )  # fmt: skip


def test_a_wrong_keystore_password_is_refused(stage: Stage) -> None:
    keystore = stage.tmp / "donor-keystore.json"
    # PBKDF2 with few rounds: as good a keystore for this, and quick to (fail to) decrypt.
    encrypted = Account.encrypt(Account.create().key, "right", kdf="pbkdf2", iterations=1_000)
    keystore.write_text(json.dumps(encrypted))
    password = stage.tmp / "password.txt"
    password.write_text("wrong\n")
    cli = Cli(stage.tmp, env={"PLEDGELEDGER_KEYSTORE_PASSWORD_FILE": str(password)})
    refused_unsent(
        stage, "pledge", str(stage.campaign), "0.01", "ETH", "--keystore", str(keystore), "--yes",
        says=f"cannot decrypt keystore {keystore}", cli=cli,
    )  # fmt: skip


class _NoTerminal(Cli):
    """The command line with its input from a pipe, not a terminal (as in a script or CI)."""

    def run(self, *args: str, timeout: float = 180, input: str | None = None) -> CliResult:
        return super().run(*args, timeout=timeout, input="" if input is None else input)


def test_without_a_terminal_nor_yes_nothing_is_sent(stage: Stage) -> None:
    current = stage.latest_round()
    assert current.state is RoundState.OPEN
    refused = refused_unsent(
        stage, "pledge", str(stage.campaign), "0.01", "ETH", "--account", str(DONOR),
        says="nothing sent: confirm with --yes", cli=_NoTerminal(stage.tmp),
    )  # fmt: skip
    assert "Pledge 0.01 ETH" in refused.stdout  # it showed what it would have done


# ─── --override: the records refuse, the manager goes ahead, the reason is kept ──────────────────────


@pytest.fixture(scope="module")
def approved_supplier(stage: Stage) -> dict[str, Any]:
    """The supplier (account 7) vetted, approved on chain and effective; the campaign's open round met its
    goal in USDC and was closed by the manager (its funds are spendable), and a new round is open."""
    world, manager = stage.world, ("--account", str(MANAGER))
    supplier = supplier_record(stage, world.address(SUPPLIER), "approved", "Masks Supplier Co")
    stage.cli.send("supplier", "approve", str(stage.campaign), str(supplier["id"]), *manager)
    current = stage.latest_round()
    assert current.state is RoundState.OPEN and current.goal_usd <= 1_500 * 10**8  # 8 decimals: USD
    world.fund(DONOR, "USDC", 1_500)
    stage.cli.send("pledge", str(stage.campaign), "1,500", "USDC", "--account", str(DONOR))
    closed = stage.cli.send("round", "close", str(stage.campaign), str(current.round_id), *manager)
    assert closed["outcome"] == "succeeded"
    stage.cli.send("round", "open", str(stage.campaign), "--end", "+14d", "--goal-usd", "1,000", *manager)
    world.advance(2 * DAY + 60)  # the campaign's supplier delay
    return supplier


def test_pay_with_override_goes_ahead_and_keeps_the_reason(
    stage: Stage, approved_supplier: dict[str, Any]
) -> None:
    order = order_record(stage, approved_supplier["id"], "PO-OVERRIDE-1", 100)
    reason = "invoice lost in transit; supplier confirmed the amount by phone"
    paid = stage.cli.send("pay", order["reference"], "--override", reason, "--account", str(MANAGER))
    (disbursed,) = [e for tx in paid["transactions"] for e in tx["events"] if e["event"] == "Disbursed"]
    assert int(disbursed["args"]["amount"]) == 100 * 10**6
    assert reason in stage.api.get(f"/orders/{order['id']}")["notes"]
    versions = stage.api.get(f"/history/order/{order['id']}")["data"]
    (override,) = [v for v in versions if v["actor"] == "cli:pay --override"]
    assert reason in override["after"]["notes"]
