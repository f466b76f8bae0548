"""What a revert means, in words: each error the ledger (and the OpenZeppelin code it runs, and the tokens it
calls) can raise, turned into a :class:`~ledger.errors.ContractRevertError` subclass whose message names the
error and says what happened with its values ("LedgerRoundStillOpen: round 3 of campaign 1 is still open
until 2026-12-20 14:00 UTC").

Some messages are better with a fact the error does not carry (when a round ends, its state): a
:class:`RevertContext` reads them from the chain when the caller can give one; without it, or if the read
fails, the message says what the error carries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from eth_abi.abi import decode as abi_decode
from eth_utils.abi import collapse_if_tuple
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from ledger.errors import (
    ContractRevertError,
    InsufficientFundsError,
    InvalidArgumentError,
    NotAllowedNowError,
    NotFoundOnChainError,
    UnauthorizedError,
)
from ledger.rounds import RoundState

#: RoundState by value, in words.
ROUND_STATES = tuple(state.word for state in RoundState)
#: The roles the ledger checks, by their hash.
ROLE_NAMES = {
    b"\x00" * 32: "admin",
    keccak(text="GUARDIAN_ROLE"): "guardian",
    keccak(text="AUDITOR_ROLE"): "auditor",
    keccak(text="PROPOSER_ROLE"): "proposer",
    keccak(text="EXECUTOR_ROLE"): "executor",
    keccak(text="CANCELLER_ROLE"): "canceller",
}
_NATIVE = "0x" + "00" * 20
_ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
_PANIC = bytes.fromhex("4e487b71")  # Panic(uint256)


class RevertContext(Protocol):
    """Reads that make a message clearer; any of them may fail (the message then does without)."""

    def round_end(self, campaign_id: int, round_id: int) -> int: ...
    def round_state(self, campaign_id: int, round_id: int) -> int: ...


def utc(timestamp: int) -> str:
    """``2026-12-20 14:00 UTC``."""
    try:
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, ValueError, OSError):
        return f"Unix time {timestamp}"


def duration(seconds: int) -> str:
    """``2 days``, ``3 h``, ``45 s``."""
    if seconds and seconds % 86_400 == 0:
        days = seconds // 86_400
        return f"{days} day{'s' if days != 1 else ''}"
    if seconds and seconds % 3_600 == 0:
        return f"{seconds // 3_600} h"
    if seconds >= 86_400:  # the exact seconds would not help: days and hours
        days, rest = divmod(seconds, 86_400)
        return f"{days} day{'s' if days != 1 else ''} {rest // 3_600} h"
    if seconds >= 3_600:
        return f"{seconds // 3_600} h {seconds % 3_600 // 60} min"
    return f"{seconds} s"


def token_name(token: str) -> str:
    return "ETH" if token == _NATIVE else f"token {token}"


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _read(read: Callable[[], Any]) -> Any:
    """A fact for a clearer message, or None: the message is a bonus, the read may fail (a node gone)."""
    try:
        return read()
    except Exception:
        return None


def _round_open_until(ctx: RevertContext | None, c: int, r: int) -> str:
    end = None if ctx is None else _read(lambda: ctx.round_end(c, r))
    until = f" until {utc(end)}" if isinstance(end, int) else ""
    return f"round {r} of campaign {c} is still open{until}"


def _round_not_open(ctx: RevertContext | None, c: int, r: int) -> str:
    state = None if ctx is None else _read(lambda: ctx.round_state(c, r))
    if isinstance(state, int) and 0 <= state < len(ROUND_STATES):
        return f"round {r} of campaign {c} is not open: it is {ROUND_STATES[state]}"
    return f"round {r} of campaign {c} is not open"


Message = Callable[[tuple[Any, ...], RevertContext | None], str]

#: For each error: its kind (what the user can do) and its message.
_ERRORS: dict[str, tuple[type[ContractRevertError], Message]] = {
    # ─── who ────────────────────────────────────────────────────────────────────────────────────────
    "LedgerUnauthorizedManager": (
        UnauthorizedError,
        lambda a, _: f"{a[1]} is not the manager of campaign {a[0]}",
    ),
    "LedgerUnauthorizedGuardian": (
        UnauthorizedError,
        lambda a, _: f"{a[0]} is neither the guardian nor the admin, who alone may pause, revoke or cancel",
    ),
    "LedgerUnauthorizedRevoker": (
        UnauthorizedError,
        lambda a, _: (
            f"{a[1]} may not revoke suppliers of campaign {a[0]}: only its manager, the guardian or the admin"
        ),
    ),
    "AccessControlUnauthorizedAccount": (
        UnauthorizedError,
        lambda a, _: f"{a[0]} lacks the {ROLE_NAMES.get(a[1], _hex(a[1]))} role this needs",
    ),
    "AccessControlBadConfirmation": (
        UnauthorizedError,
        lambda a, _: "only an account can renounce its own role",
    ),
    "AccessControlInvalidDefaultAdmin": (
        UnauthorizedError,
        lambda a, _: f"{a[0]} is not the pending admin (or the admin cannot be the zero address)",
    ),
    "AccessControlEnforcedDefaultAdminRules": (
        NotAllowedNowError,
        lambda a, _: "the admin role moves only by beginDefaultAdminTransfer and acceptDefaultAdminTransfer",
    ),
    "AccessControlEnforcedDefaultAdminDelay": (
        NotAllowedNowError,
        lambda a, _: f"the admin role can be accepted only after {utc(a[0])}",
    ),
    # ─── what ───────────────────────────────────────────────────────────────────────────────────────
    "LedgerUnknownCampaign": (NotFoundOnChainError, lambda a, _: f"there is no campaign {a[0]}"),
    "LedgerUnknownRound": (NotFoundOnChainError, lambda a, _: f"campaign {a[0]} has no round {a[1]}"),
    # ─── arguments ──────────────────────────────────────────────────────────────────────────────────
    "LedgerInvalidGuardian": (InvalidArgumentError, lambda a, _: f"the guardian cannot be {a[0]}"),
    "LedgerInvalidManager": (InvalidArgumentError, lambda a, _: f"a campaign's manager cannot be {a[0]}"),
    "LedgerInvalidSupplierDelay": (
        InvalidArgumentError,
        lambda a, _: (
            f"a supplier delay of {duration(a[0])} is outside what this deployment allows: "
            f"{duration(a[1])} to {duration(a[2])}"
        ),
    ),
    "LedgerInvalidFeed": (InvalidArgumentError, lambda a, _: f"the price feed cannot be {a[0]}"),
    "LedgerInvalidMaxStaleness": (
        InvalidArgumentError,
        lambda a, _: f"the oldest price accepted must be at least 1 second old, not {a[0]}",
    ),
    "LedgerUnsupportedDecimals": (
        InvalidArgumentError,
        lambda a, _: (
            f"{token_name(a[0])} has {a[1]} decimals and its feed {a[2]}: each may have at most 36, "
            "and together at least 8"
        ),
    ),
    "LedgerInvalidToken": (
        InvalidArgumentError,
        lambda a, _: f"{a[0]} is not a token: pledge ETH with `pledge`, not `pledgeToken`",
    ),
    "LedgerInvalidRoundWindow": (
        InvalidArgumentError,
        lambda a, _: f"a round from {utc(a[0])} to {utc(a[1])} is empty or already over",
    ),
    "LedgerInvalidGoal": (InvalidArgumentError, lambda a, _: "a round's goal must be more than 0 USD"),
    "LedgerInvalidPledgeAmount": (InvalidArgumentError, lambda a, _: "a pledge must be more than 0"),
    "LedgerBatchTooLarge": (
        InvalidArgumentError,
        lambda a, _: f"a refund batch holds at most {a[1]} donors, not {a[0]}",
    ),
    "LedgerInvalidSupplier": (
        InvalidArgumentError,
        lambda a, _: f"{a[0]} cannot be a supplier (the zero address, or the ledger itself)",
    ),
    "LedgerInvalidRecordHash": (InvalidArgumentError, lambda a, _: "the supplier's record hash must be set"),
    "LedgerInvalidDisbursementAmount": (InvalidArgumentError, lambda a, _: "a payment must be more than 0"),
    "LedgerInvalidPurchaseOrderRef": (
        InvalidArgumentError,
        lambda a, _: "the purchase order reference must be set",
    ),
    "LedgerInvalidInvoiceHash": (InvalidArgumentError, lambda a, _: "the invoice hash must be set"),
    "LedgerInvalidReportHash": (InvalidArgumentError, lambda a, _: "the report hash must be set"),
    # ─── not now ────────────────────────────────────────────────────────────────────────────────────
    "LedgerCampaignCancelled": (
        NotAllowedNowError,
        lambda a, _: f"campaign {a[0]} is cancelled: only refunds are possible",
    ),
    "LedgerCampaignPaused": (
        NotAllowedNowError,
        lambda a, _: f"campaign {a[0]}'s payments are paused by the guardian",
    ),
    "LedgerCampaignNotPaused": (NotAllowedNowError, lambda a, _: f"campaign {a[0]} is not paused"),
    "LedgerTooManyTokens": (
        NotAllowedNowError,
        lambda a, _: f"campaign {a[0]} already accepts {a[1]} tokens, the most a campaign may",
    ),
    "LedgerTokenNotAccepted": (
        NotAllowedNowError,
        lambda a, _: f"campaign {a[0]} does not accept {token_name(a[1])}",
    ),
    "LedgerTokensLocked": (
        NotAllowedNowError,
        lambda a, _: (
            f"campaign {a[0]}'s tokens and price feeds are fixed while its round {a[2]} is open: "
            f"accept or re-price {token_name(a[1])} once it is closed"
        ),
    ),
    "LedgerRoundStillOpen": (NotAllowedNowError, lambda a, ctx: _round_open_until(ctx, a[0], a[1])),
    "LedgerRoundNotOpen": (NotAllowedNowError, lambda a, ctx: _round_not_open(ctx, a[0], a[1])),
    "LedgerRoundNotStarted": (
        NotAllowedNowError,
        lambda a, _: f"round {a[1]} of campaign {a[0]} takes pledges only from {utc(a[2])}",
    ),
    "LedgerRoundEnded": (
        NotAllowedNowError,
        lambda a, _: (
            f"round {a[1]} of campaign {a[0]} ended at {utc(a[2])}: it takes no more pledges and "
            "anyone may close it"
        ),
    ),
    "LedgerRoundNotEnded": (
        NotAllowedNowError,
        lambda a, _: (
            f"round {a[1]} of campaign {a[0]} is open until {utc(a[2])}: before then only its "
            "manager may close it, and only once its goal is met"
        ),
    ),
    "LedgerStalePrice": (
        NotAllowedNowError,
        lambda a, _: (
            f"the price feed {a[0]} was last updated {utc(a[1])}, longer ago than the "
            f"{duration(a[2])} the campaign accepts"
        ),
    ),
    "LedgerInvalidPrice": (
        NotAllowedNowError,
        lambda a, _: f"the price feed {a[0]} answers {a[1]}, not a positive price",
    ),
    "LedgerNotRefundable": (
        NotAllowedNowError,
        lambda a, _: (
            f"round {a[1]} of campaign {a[0]} is not refundable (it did not fail all-or-nothing, and "
            "the campaign is not cancelled)"
        ),
    ),
    "LedgerNothingToRefund": (
        NotAllowedNowError,
        lambda a, _: f"{a[3]} has no {token_name(a[2])} left to refund from round {a[1]} of campaign {a[0]}",
    ),
    "LedgerSupplierNotApproved": (
        NotAllowedNowError,
        lambda a, _: f"{a[1]} is not an approved supplier of campaign {a[0]}",
    ),
    "LedgerSupplierNotEffective": (
        NotAllowedNowError,
        lambda a, _: f"the approval of supplier {a[1]} for campaign {a[0]} takes effect only at {utc(a[2])}",
    ),
    "LedgerAlreadyAttested": (
        NotAllowedNowError,
        lambda a, _: f"{a[2]} has already attested report {_hex(a[1])} of campaign {a[0]}",
    ),
    "ReentrancyGuardReentrantCall": (
        NotAllowedNowError,
        lambda a, _: "the ledger was called again from inside one of its own calls",
    ),
    "TimelockUnexpectedOperationState": (
        NotAllowedNowError,
        lambda a, _: (
            f"timelock operation {_hex(a[0])} is not in the state this needs (not scheduled, not "
            "ready yet, or already done)"
        ),
    ),
    "TimelockInsufficientDelay": (
        InvalidArgumentError,
        lambda a, _: f"a delay of {duration(a[0])} is shorter than the timelock's {duration(a[1])}",
    ),
    # ─── too little ─────────────────────────────────────────────────────────────────────────────────
    "LedgerInsufficientFunds": (
        InsufficientFundsError,
        lambda a, _: f"campaign {a[0]} can spend only {a[3]} base units of {token_name(a[1])}, not {a[2]}",
    ),
    "LedgerNothingReceived": (
        InsufficientFundsError,
        lambda a, _: (
            f"the transfer of {a[1]} base units of {token_name(a[0])} delivered nothing to the ledger"
        ),
    ),
    "LedgerInsufficientGas": (
        InsufficientFundsError,
        lambda a, _: (
            f"too little gas to refund the next donor with its full allowance ({a[0]} left, {a[1]} "
            "needed): give the batch more gas, or fewer donors"
        ),
    ),
    "LedgerEthTransferFailed": (
        InsufficientFundsError,
        lambda a, _: f"{a[0]} refused the {a[1]} wei sent to it",
    ),
    "SafeERC20FailedOperation": (
        InsufficientFundsError,
        lambda a, _: (
            f"the token {a[0]} refused the transfer (balance or allowance too low, or a paused token)"
        ),
    ),
    "ERC20InsufficientBalance": (
        InsufficientFundsError,
        lambda a, _: f"{a[0]} holds {a[1]} base units of the token, not the {a[2]} needed",
    ),
    "ERC20InsufficientAllowance": (
        InsufficientFundsError,
        lambda a, _: (
            f"the ledger ({a[0]}) may take only {a[1]} base units of the token, not {a[2]}: approve it first"
        ),
    ),
}

_PANICS = {0x01: "an assertion failed", 0x11: "an arithmetic overflow", 0x12: "a division by zero"}


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


def explain(decoded: DecodedError, what: str, ctx: RevertContext | None = None) -> ContractRevertError:
    """The error to raise for ``decoded``, a revert of ``what`` (a function name): of the kind that says what
    the user can do, its message naming the error and what it means."""
    known = _ERRORS.get(decoded.name)
    if known is not None:
        kind, message = known
        try:
            text = message(decoded.args, ctx)
        except (IndexError, TypeError):  # an error of that name with other arguments (another contract's)
            text = str(decoded)
        return kind(f"{what} reverted with {decoded.name}: {text}", error=decoded.name, args=decoded.args)
    if decoded.name == "Error":
        return ContractRevertError(f"{what} reverted: {decoded.args[0]}", error="Error", args=decoded.args)
    if decoded.name == "Panic":
        code = int(decoded.args[0])
        text = _PANICS.get(code, f"panic 0x{code:02x}")
        return ContractRevertError(f"{what} reverted with {text}", error="Panic", args=decoded.args)
    return ContractRevertError(f"{what} reverted with {decoded}", error=decoded.name, args=decoded.args)
