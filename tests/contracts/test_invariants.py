"""Stateful property test: random campaigns, rounds, pledges, refunds and payments against a Python model.

A Hypothesis ``RuleBasedStateMachine`` drives the deployed ledger on the session's Anvil through random
sequences of every money-moving action over several campaigns and all five test assets (ETH, USDC with 6
decimals, DAI with 18, USDT that returns no bool, FEE that burns 1% per transfer), including calls that
must revert: pledges after a round's end, against a stale or zero price or in a token the campaign does
not accept, early closes, empty or repeated refunds, over-limit payments, acts on a cancelled campaign. A
plain-Python model predicts each call's outcome, the custom error of each revert and every amount moved.
After every step the books are reconciled, for each token:

* the ledger's balance == Σ over campaigns of ``tokenTotals(...).held`` (pledged − refunded − disbursed)
  == the model's running balance, and every campaign's and round's totals equal the model's;
* ``available`` (what a payment may take) never exceeds ``held``, and ``held`` never underflows (the
  view would revert);
* every donor's ``pledgeOf`` equals the model's, and no donor was ever refunded more than it pledged.

Every example starts from the same chain state: the machine takes an ``evm_snapshot`` when it is built
and reverts to it in ``teardown`` (resetting every Transactor's cached nonce, as the ``env`` fixture does).

Each rule only picks its target (mostly one where the action can succeed, sometimes any, to probe the
reverts) and calls a ``do_*`` action that checks the call against the model. A short Hypothesis run mostly
varies a few base sequences, so :func:`test_guided_tour` also walks the same actions through every path
once, in a fixed order. All money is ``int``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.abi import function_signature_to_4byte_selector
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from web3 import Web3
from web3.logs import DISCARD
from web3.types import RPCEndpoint, TxReceipt

from ledger.chain import Transactor
from ledger.deploy import FEE_TOKEN_BPS
from ledger.errors import TransactionFailedError
from tests.conftest import DAY, USD, LedgerEnv

SYMBOLS: tuple[str, ...] = ("ETH", "USDC", "DAI", "USDT", "FEE")
DECIMALS: dict[str, int] = {"ETH": 18, "USDC": 6, "DAI": 18, "USDT": 6, "FEE": 18}
HOUR = 3_600
MAX_CAMPAIGNS = 4
DONORS = 4
#: The next block's timestamp lies in [latest block's, latest block's + SLACK]: an outcome that hinges on a
#: deadline inside that window is accepted either way, and the model follows what the chain did.
SLACK = 60
# IPledgeLedger.RoundState
OPEN, SUCCEEDED, FAILED, CANCELLED = 1, 2, 3, 4
ROUND_TYPES = ("uint40", "uint40", "uint8", "bool", "uint80", "uint80")  # IPledgeLedger.Round
OK = "ok"  # the outcome of a call that went through; otherwise an outcome is the custom error's name
MINED_REVERT = "<reverted when mined>"

MAX_EXAMPLES = 40
STEPS = 35
MISSES = 1  # per rule and example: see LedgerMachine.misses

PICK = st.integers(0, 15)
# Money values come from lists of plausible sizes: Hypothesis favours small integers, which would make
# nearly every pledge dust and every goal out of reach.
GOAL = st.sampled_from([500, 100, 2_000, 50, 1_000, 300])  # USD
PAYMENTS = ("part", "over", "part", "all", "zero", "part")  # how much of what is available to pay
WORTH = st.sampled_from([300, 1_200, 40, 600, 3_000, 90, 7, 0])  # USD, per pledge

#: How often each action ended in each way over a run (printed with ``pytest -s``).
OUTCOMES: Counter[str] = Counter()


class BatchReader:
    """``eth_call`` reads sent in one JSON-RPC batch, encoded and decoded with eth_abi.

    The books are read after every step, and a web3 contract call costs milliseconds of Python alone.
    """

    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self.requests: list[tuple[RPCEndpoint, Any]] = []
        self.outputs: list[tuple[str, ...] | None] = []

    def call(self, to: str, signature: str, args: tuple[Any, ...], outputs: tuple[str, ...]) -> None:
        inputs = signature[signature.index("(") + 1 : -1].split(",")
        data = function_signature_to_4byte_selector(signature) + abi_encode(inputs, args)
        self.requests.append((RPCEndpoint("eth_call"), [{"to": to, "data": "0x" + data.hex()}, "latest"]))
        self.outputs.append(outputs)

    def balance(self, address: str) -> None:
        self.requests.append((RPCEndpoint("eth_getBalance"), [address, "latest"]))
        self.outputs.append(None)

    def execute(self) -> list[tuple[Any, ...]]:
        """Every answer as a tuple of values (a balance as a 1-tuple); any failed read fails the test."""
        responses = self.w3.provider.make_batch_request(self.requests)
        assert isinstance(responses, list), f"the batch failed: {responses}"
        answers: list[tuple[Any, ...]] = []
        for (method, params), response, outputs in zip(self.requests, responses, self.outputs, strict=True):
            assert "error" not in response, f"{method} {params} failed: {response['error']}"
            result = response["result"]
            if outputs is None:
                answers.append((int(result, 16),))
            else:
                answers.append(tuple(abi_decode(outputs, bytes.fromhex(result[2:]))))
        return answers


def fee_of(symbol: str, amount: int) -> int:
    """What a transfer of ``amount`` burns on the way (the FEE token's 1%)."""
    return amount * FEE_TOKEN_BPS // 10_000 if symbol == "FEE" else 0


def share(amount: int, terms: tuple[int, int]) -> int:
    """The refundable part of a pledge of ``amount`` under refund terms (numerator, denominator)."""
    numerator, denominator = terms
    if denominator == 0:
        return 0
    return amount if numerator == denominator else amount * numerator // denominator


def zeros() -> dict[str, int]:
    return dict.fromkeys(SYMBOLS, 0)


@dataclass
class RoundModel:
    round_id: int
    start: int
    end: int
    goal_usd: int
    aon: bool
    state: int = OPEN
    raised_usd: int = 0
    pledged: dict[str, int] = field(default_factory=zeros)
    refunded: dict[str, int] = field(default_factory=zeros)
    #: (symbol, donor index) → what ``pledgeOf`` should return.
    balances: dict[tuple[str, int], int] = field(default_factory=dict)
    #: (symbol, donor index) → everything ever credited to, and everything ever refunded to, the donor.
    credited: dict[tuple[str, int], int] = field(default_factory=dict)
    paid_back: dict[tuple[str, int], int] = field(default_factory=dict)


@dataclass
class CampaignModel:
    campaign_id: int
    symbols: set[str]
    cancelled: bool = False
    rounds: list[RoundModel] = field(default_factory=list)
    suppliers: set[int] = field(default_factory=set)
    closed_pledged: dict[str, int] = field(default_factory=zeros)
    refunded: dict[str, int] = field(default_factory=zeros)
    spendable: dict[str, int] = field(default_factory=zeros)
    disbursed: dict[str, int] = field(default_factory=zeros)
    refund_pool: dict[str, int] = field(default_factory=zeros)
    refund_base: dict[str, int] = field(default_factory=zeros)

    def round(self, round_id: int) -> RoundModel | None:
        return self.rounds[round_id - 1] if 1 <= round_id <= len(self.rounds) else None

    def open_round(self) -> RoundModel | None:
        last = self.rounds[-1] if self.rounds else None
        return last if last is not None and last.state == OPEN else None

    def pledged(self, symbol: str) -> int:
        current = self.open_round()
        return self.closed_pledged[symbol] + (current.pledged[symbol] if current else 0)

    def held(self, symbol: str) -> int:
        return self.pledged(symbol) - self.refunded[symbol] - self.disbursed[symbol]

    def available(self, symbol: str) -> int:
        return 0 if self.cancelled else self.spendable[symbol] - self.disbursed[symbol]

    def close(self, rnd: RoundModel, outcome: int, *, spendable: bool) -> None:
        rnd.state = outcome
        for symbol in SYMBOLS:
            self.closed_pledged[symbol] += rnd.pledged[symbol]
            if spendable:
                self.spendable[symbol] += rnd.pledged[symbol]

    def refund_terms(self, rnd: RoundModel | None, symbol: str) -> tuple[int, int] | None:
        """Everything from cancelled and failed all-or-nothing rounds; once the campaign is cancelled, the
        unspent share of its spendable rounds; otherwise nothing (``None``: not refundable)."""
        if rnd is None:
            return None
        if rnd.state == CANCELLED or (rnd.state == FAILED and rnd.aon):
            return (1, 1)
        if self.cancelled and rnd.state in (SUCCEEDED, FAILED):
            return (self.refund_pool[symbol], self.refund_base[symbol])
        return None

    def owing(self, rnd: RoundModel) -> list[tuple[str, int]]:
        """The (symbol, donor) pledges of ``rnd`` that a refund would pay something now."""
        return [
            key
            for key, balance in rnd.balances.items()
            if (terms := self.refund_terms(rnd, key[0])) is not None and share(balance, terms) > 0
        ]

    def closable(self) -> bool:
        """A round is open and holds pledges (closing an empty one proves little)."""
        current = self.open_round()
        return current is not None and any(current.pledged.values())

    def holds_pledges(self) -> bool:
        return any(any(r.pledged.values()) for r in self.rounds)


class LedgerMachine(RuleBasedStateMachine):
    """Random campaign life cycles on the real ledger, checked step by step against :class:`CampaignModel`."""

    env: ClassVar[LedgerEnv]

    def __init__(self) -> None:
        super().__init__()
        env = self.env
        self.snapshot: str = env.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
        self.campaigns: list[CampaignModel] = []
        self.suppliers: list[Transactor] = [env.supplier, env.outsider]
        self.expected_balance: dict[str, int] = {s: env.balance_of_ledger(s) for s in SYMBOLS}
        env.refresh_feeds()
        self.prices: dict[str, int] = {
            s: int(env.feeds[s].functions.latestRoundData().call()[1]) for s in SYMBOLS
        }
        self.base_prices = dict(self.prices)
        self.cancel_attempts = 0
        self.steps = 0  # counted by the invariant, which runs after every step
        #: Steps a rule took with no target it could succeed on (so only probing a revert) and, for rules
        #: that would otherwise crowd out the rest, steps taken at all: each rule gets a few per example.
        self.misses: Counter[str] = Counter()

    def teardown(self) -> None:
        env = self.env
        env.w3.provider.make_request("evm_revert", [self.snapshot])  # type: ignore[arg-type]
        env.forget_nonces()  # the revert rewound every account's nonce

    # ─── plumbing ───────────────────────────────────────────────────────────────────────────────────

    def amount(self, symbol: str, dollars: int, dust: int = 0) -> int:
        """About ``dollars`` USD worth of ``symbol`` at its first price, plus ``dust`` base units."""
        return dollars * 10 ** DECIMALS[symbol] * USD // self.base_prices[symbol] + dust

    def _before(self, deadline: int) -> bool | None:
        """Will the next block's timestamp be < ``deadline``? ``None`` when too close to call."""
        latest = self.env.now()
        if latest + SLACK < deadline:
            return True
        if latest >= deadline:
            return False
        return None

    @staticmethod
    def _attempt(
        label: str, send: Callable[[], TxReceipt], allowed: set[str]
    ) -> tuple[str, TxReceipt | None]:
        """Run ``send``: it must go through (``OK`` in ``allowed``) or revert with an allowed custom error.

        Returns the outcome, and the receipt if it went through.
        """
        failure: TransactionFailedError | None = None
        try:
            receipt = send()
        except TransactionFailedError as exc:
            failure = exc
        if failure is None:
            OUTCOMES[f"{label}: {OK}"] += 1
            assert OK in allowed, f"{label}: expected a revert with one of {allowed}, but it went through"
            return OK, receipt
        outcome = failure.error or MINED_REVERT
        OUTCOMES[f"{label}: {outcome}"] += 1
        if outcome == MINED_REVERT and OK in allowed and len(allowed) > 1:
            # Estimated fine, reverted when mined: only possible at a deadline within SLACK of the next block.
            return outcome, None
        assert outcome in allowed, f"{label}: expected one of {allowed}, got {failure}"
        return outcome, None

    def _events(self, receipt: TxReceipt, name: str) -> list[Any]:
        event = getattr(self.env.ledger.events, name)()
        return [e["args"] for e in event.process_receipt(receipt, errors=DISCARD)]

    @staticmethod
    def _gas_cost(receipt: TxReceipt) -> int:
        return int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])

    # ─── actions: each checks one call against the model and returns its outcome ─────────────────────

    def do_create(self, symbols: set[str] | tuple[str, ...]) -> CampaignModel:
        ordered = tuple(s for s in SYMBOLS if s in symbols)
        campaign_id = self.env.create_campaign(ordered)
        assert campaign_id == len(self.campaigns) + 1
        self.campaigns.append(CampaignModel(campaign_id, set(ordered)))
        OUTCOMES["create_campaign: ok"] += 1
        return self.campaigns[-1]

    def do_accept(self, c: CampaignModel, symbol: str) -> str:
        env = self.env
        token, feed = env.token_address(symbol), env.feeds[symbol].address
        outcome, _ = self._attempt(
            "accept_token",
            lambda: env.admin.send(env.f.acceptToken(c.campaign_id, token, feed, DAY)),
            {"LedgerCampaignCancelled"} if c.cancelled else {OK},
        )
        if outcome == OK:
            c.symbols.add(symbol)
        return outcome

    def do_open(self, c: CampaignModel, goal: int, days: int, aon: bool) -> str:
        env = self.env
        if c.cancelled:
            allowed = {"LedgerCampaignCancelled"}
        elif c.open_round() is not None:
            allowed = {"LedgerRoundStillOpen"}
        else:
            allowed = {OK}
        start = env.now()
        end = start + days * DAY
        outcome, receipt = self._attempt(
            "open_round",
            lambda: env.manager.send(env.f.openRound(c.campaign_id, start, end, goal * USD, aon)),
            allowed,
        )
        if receipt is not None:
            (opened,) = self._events(receipt, "RoundOpened")
            assert opened["roundId"] == len(c.rounds) + 1
            c.rounds.append(RoundModel(opened["roundId"], start, end, goal * USD, aon))
        return outcome

    def do_pledge(self, c: CampaignModel, round_id: int, donor: int, symbol: str, amount: int) -> str:
        env = self.env
        rnd = c.round(round_id)
        allowed: set[str]
        if amount == 0:
            allowed = {"LedgerZeroAmount"}
        elif rnd is None:
            allowed = {"LedgerUnknownRound"}
        elif rnd.state != OPEN:
            allowed = {"LedgerRoundNotOpen"}
        else:
            running = self._before(rnd.end)
            if running is False:
                allowed = {"LedgerRoundEnded"}
            else:
                if symbol not in c.symbols:
                    allowed = {"LedgerTokenNotAccepted"}
                elif self.prices[symbol] <= 0:
                    allowed = {"LedgerInvalidPrice"}
                else:
                    updated_at = int(env.feeds[symbol].functions.latestRoundData().call()[3])
                    fresh = self._before(updated_at + DAY + 1)  # stale once updatedAt + DAY < now
                    allowed = {
                        True: {OK},
                        False: {"LedgerStalePrice"},
                        None: {OK, "LedgerStalePrice"},
                    }[fresh]
                if running is None:
                    allowed.add("LedgerRoundEnded")
        account = env.donors[donor].address
        before = env.balance(symbol, account)
        outcome, receipt = self._attempt(
            "pledge", lambda: env.pledge(env.donors[donor], c.campaign_id, round_id, symbol, amount), allowed
        )
        if receipt is None:
            return outcome
        assert rnd is not None
        received = amount - fee_of(symbol, amount)
        usd = received * self.prices[symbol] // 10 ** DECIMALS[symbol]
        (event,) = self._events(receipt, "Pledged")
        assert (event["amount"], event["usdValue"], event["price"]) == (received, usd, self.prices[symbol])
        gas = self._gas_cost(receipt) if symbol == "ETH" else 0
        assert env.balance(symbol, account) == before - amount - gas
        key = (symbol, donor)
        rnd.raised_usd += usd
        rnd.pledged[symbol] += received
        rnd.balances[key] = rnd.balances.get(key, 0) + received
        rnd.credited[key] = rnd.credited.get(key, 0) + received
        self.expected_balance[symbol] += received
        return outcome

    def do_close(self, c: CampaignModel, round_id: int, *, wait: bool = False) -> str:
        """Close a round: early (only if its goal is met), or, with ``wait``, once its end has passed."""
        env = self.env
        rnd = c.round(round_id)
        if wait and rnd is not None and rnd.state == OPEN and env.now() <= rnd.end:
            env.advance(rnd.end - env.now() + 1)
            env.refresh_feeds()
        goal_met = False
        if rnd is None:
            allowed = {"LedgerUnknownRound"}
        elif rnd.state != OPEN:
            allowed = {"LedgerRoundNotOpen"}
        else:
            goal_met = rnd.raised_usd >= rnd.goal_usd
            early = self._before(rnd.end)
            if goal_met or early is False:
                allowed = {OK}
            else:
                allowed = {"LedgerRoundNotEnded"} if early else {OK, "LedgerRoundNotEnded"}
        outcome, receipt = self._attempt(
            "close_round", lambda: env.manager.send(env.f.closeRound(c.campaign_id, round_id)), allowed
        )
        if receipt is None:
            return outcome
        assert rnd is not None
        state = SUCCEEDED if goal_met else FAILED
        (closed,) = self._events(receipt, "RoundClosed")
        assert (closed["outcome"], closed["raisedUsd"]) == (state, rnd.raised_usd)
        c.close(rnd, state, spendable=goal_met or not rnd.aon)
        kind = f"{'succeeded' if goal_met else 'failed'} {'all-or-nothing' if rnd.aon else 'keep-it-all'}"
        OUTCOMES[f"close_round: {kind}"] += 1
        return outcome

    def do_cancel(self, c: CampaignModel) -> str:
        env = self.env
        outcome, receipt = self._attempt(
            "cancel_campaign",
            lambda: env.admin.send(env.f.cancelCampaign(c.campaign_id)),
            {"LedgerCampaignCancelled"} if c.cancelled else {OK},
        )
        if receipt is None:
            return outcome
        current = c.open_round()
        (event,) = self._events(receipt, "CampaignCancelled")
        assert event["cancelledRoundId"] == (current.round_id if current else 0)
        if current is not None:
            c.close(current, CANCELLED, spendable=False)
        c.cancelled = True
        for symbol in SYMBOLS:
            c.refund_pool[symbol] = c.spendable[symbol] - c.disbursed[symbol]
            c.refund_base[symbol] = c.spendable[symbol]
        return outcome

    def do_set_price(self, symbol: str, price: int) -> None:
        self.env.admin.send(self.env.feeds[symbol].functions.setAnswer(price))
        self.prices[symbol] = price

    def do_refund(
        self,
        c: CampaignModel,
        round_id: int,
        symbol: str,
        donors: list[int],
        *,
        push: bool,
        caller: str = "outsider",
    ) -> str:
        """``donors[0]`` claims its refund, or, with ``push``, ``caller`` pushes refunds to every one of
        ``donors`` (repeats allowed: a donor already refunded is skipped)."""
        env = self.env
        rnd = c.round(round_id)
        token = env.token_address(symbol)
        terms = c.refund_terms(rnd, symbol)
        donors = donors if push else donors[:1]
        accounts = [env.donors[d].address for d in donors]
        before = {a: env.balance(symbol, a) for a in accounts}
        amounts: list[tuple[int, int]] = []  # the (donor, amount) refunds expected, in order
        if rnd is not None and terms is not None:
            owed = dict(rnd.balances)
            for d in donors:
                amount = share(owed.get((symbol, d), 0), terms)
                owed[(symbol, d)] = 0
                if amount:
                    amounts.append((d, amount))
        if terms is None:
            allowed = {"LedgerNotRefundable"}
        elif not push and not amounts:
            allowed = {"LedgerNothingToRefund"}
        else:
            allowed = {OK}
        if push:
            sender: Transactor = getattr(env, caller)
            call = env.f.pushRefunds(c.campaign_id, round_id, token, accounts)
        else:
            sender = env.donors[donors[0]]
            call = env.f.claimRefund(c.campaign_id, round_id, token)
        outcome, receipt = self._attempt(
            "push_refunds" if push else "claim_refund", lambda: sender.send(call), allowed
        )
        if receipt is None:
            return outcome
        assert rnd is not None
        events = self._events(receipt, "Refunded")
        assert [(e["donor"], e["amount"]) for e in events] == [(env.donors[d].address, a) for d, a in amounts]
        assert not self._events(receipt, "RefundDeferred")
        expected = dict(before)
        for d, amount in amounts:
            expected[env.donors[d].address] += amount - fee_of(symbol, amount)
            key = (symbol, d)
            rnd.balances[key] = 0
            rnd.refunded[symbol] += amount
            rnd.paid_back[key] = rnd.paid_back.get(key, 0) + amount
            c.refunded[symbol] += amount
            self.expected_balance[symbol] -= amount
        if symbol == "ETH" and not push:
            expected[sender.address] -= self._gas_cost(receipt)
        assert {a: env.balance(symbol, a) for a in accounts} == expected
        if terms != (1, 1) and amounts:
            OUTCOMES["refund: pro rata, from a cancelled campaign"] += 1
        return outcome

    def do_vet(self, c: CampaignModel, supplier: int, *, approve: bool) -> str:
        """Approve a supplier (not on a cancelled campaign), or revoke one (only an approved one)."""
        env = self.env
        address = self.suppliers[supplier].address
        if approve:
            allowed = {"LedgerCampaignCancelled"} if c.cancelled else {OK}
            call = env.f.approveSupplier(c.campaign_id, address, b"Z" * 32)
        else:
            allowed = {OK} if supplier in c.suppliers else {"LedgerSupplierNotApproved"}
            call = env.f.revokeSupplier(c.campaign_id, address)
        label = "approve_supplier" if approve else "revoke_supplier"
        outcome, _ = self._attempt(label, lambda: env.manager.send(call), allowed)
        if outcome == OK and approve:
            c.suppliers.add(supplier)
        elif outcome == OK:
            c.suppliers.discard(supplier)
        return outcome

    def do_disburse(self, c: CampaignModel, symbol: str, supplier: int, amount: int) -> str:
        """Pay a supplier; more than the campaign's available funds must revert with LedgerInsufficientFunds
        naming exactly what was asked and what is available."""
        env = self.env
        available = c.spendable[symbol] - c.disbursed[symbol]  # what the contract's check compares against
        token = env.token_address(symbol)
        payee = self.suppliers[supplier].address
        call = env.f.disburse(c.campaign_id, token, payee, amount, b"\x0b" * 32, b"\x1c" * 32)
        over_limit = False
        if c.cancelled:
            allowed = {"LedgerCampaignCancelled"}
        elif amount == 0:
            allowed = {"LedgerZeroAmount"}
        elif supplier not in c.suppliers:
            allowed = {"LedgerSupplierNotApproved"}
        elif amount > available:
            allowed, over_limit = {"LedgerInsufficientFunds"}, True
        else:
            allowed = {OK}
        before = env.balance(symbol, payee)
        failure: TransactionFailedError | None = None
        if over_limit:
            try:
                env.manager.send(call)
            except TransactionFailedError as exc:
                failure = exc
            assert failure is not None, f"paying {amount} {symbol} with {available} available went through"
            assert (failure.error, tuple(failure.error_args)) == (
                "LedgerInsufficientFunds",
                (c.campaign_id, token, amount, available),
            ), str(failure)
            OUTCOMES["disburse: LedgerInsufficientFunds"] += 1
            return "LedgerInsufficientFunds"
        outcome, receipt = self._attempt("disburse", lambda: env.manager.send(call), allowed)
        if receipt is None:
            return outcome
        (event,) = self._events(receipt, "Disbursed")
        assert (event["supplier"], event["token"], event["amount"]) == (payee, token, amount)
        assert env.balance(symbol, payee) == before + amount - fee_of(symbol, amount)
        c.disbursed[symbol] += amount
        self.expected_balance[symbol] -= amount
        return outcome

    # ─── choosing targets ───────────────────────────────────────────────────────────────────────────

    def _campaign(self, pick: int, prefer: Callable[[CampaignModel], bool] | None = None) -> CampaignModel:
        """Mostly (3 picks in 4) a campaign that ``prefer`` favours (by default: not cancelled), else any."""
        favoured = [c for c in self.campaigns if (prefer(c) if prefer else not c.cancelled)]
        pool = favoured * 3 + self.campaigns
        return pool[self._vary(pick) % len(pool)]

    def _vary(self, choice: int) -> int:
        """Mixes the step number into a drawn choice. At this budget Hypothesis mostly varies a few base
        sequences and repeats runs of identical steps; repeated draws then still reach different targets."""
        return choice + self.steps

    @staticmethod
    def _round_id(c: CampaignModel, back: int) -> int:
        """The latest round (``back`` 0), an earlier one if any, or the next, not yet opened (``back`` −1)."""
        return len(c.rounds) + 1 if back < 0 else max(min(1, len(c.rounds)), len(c.rounds) - back)

    def _any(self, test: Callable[[CampaignModel], bool]) -> bool:
        return any(test(c) for c in self.campaigns)

    def _worth_trying(self, rule_name: str, useful: bool) -> bool:
        """A rule with no target it could succeed on may still probe reverts, a few times per example."""
        return useful or self.misses[rule_name] < MISSES

    def _count_miss(self, rule_name: str, useful: bool) -> None:
        if not useful:
            self.misses[rule_name] += 1

    @staticmethod
    def _reopenable(c: CampaignModel) -> bool:
        return not c.cancelled and c.open_round() is None

    @staticmethod
    def _owes(c: CampaignModel) -> bool:
        return any(c.owing(r) for r in c.rounds)

    @staticmethod
    def _funded(c: CampaignModel) -> bool:
        return any(c.available(s) > 0 for s in SYMBOLS)

    # ─── rules ──────────────────────────────────────────────────────────────────────────────────────

    @initialize(goal=GOAL, days=st.integers(1, 30), aon=st.booleans())
    def campaign_with_every_token(self, goal: int, days: int, aon: bool) -> None:
        """A campaign taking every token, its supplier vetted and a round open, so that money moves early."""
        c = self.do_create(SYMBOLS)
        self.do_vet(c, 0, approve=True)
        self.do_open(c, goal, days, aon)

    @initialize(symbols=st.sets(st.sampled_from(SYMBOLS), min_size=2))
    def campaign_with_some_tokens(self, symbols: set[str]) -> None:
        self.do_create(symbols)

    @precondition(lambda self: len(self.campaigns) < MAX_CAMPAIGNS)
    @rule(symbols=st.sets(st.sampled_from(SYMBOLS), min_size=1), aon=st.none() | st.booleans())
    def create_campaign(self, symbols: set[str], aon: bool | None) -> None:
        """Another campaign; unless ``aon`` is None, with a two-week round of 1,000 USD open at once."""
        c = self.do_create(symbols)
        if aon is not None:
            self.do_open(c, 1_000, 14, aon)

    @precondition(lambda self: self._any(lambda c: not c.cancelled and len(c.symbols) < len(SYMBOLS)))
    @rule(pick=PICK, symbol=st.sampled_from(SYMBOLS))
    def accept_token(self, pick: int, symbol: str) -> None:
        """Accept one more token (or one again: a no-op), mostly in a live campaign that lacks one."""
        c = self._campaign(pick, lambda c: not c.cancelled and len(c.symbols) < len(SYMBOLS))
        missing = [s for s in SYMBOLS if s not in c.symbols]
        self.do_accept(c, missing[0] if missing and symbol in c.symbols and pick % 2 else symbol)

    @precondition(lambda self: self._worth_trying("open_round", self._any(self._reopenable)))
    @rule(pick=PICK, goal=GOAL, days=st.integers(1, 30), aon=st.booleans())
    def open_round(self, pick: int, goal: int, days: int, aon: bool) -> None:
        self._count_miss("open_round", self._any(self._reopenable))
        self.do_open(self._campaign(pick, self._reopenable), goal, days, aon)

    # One argument on purpose: Hypothesis orders rules by their number of arguments and favours the first.
    @rule(
        order=st.tuples(
            PICK,
            st.sampled_from([0, 0, 0, 0, 0, 0, 1, -1]),  # which round: see _round_id
            st.tuples(GOAL, st.integers(1, 30), st.booleans()),  # the round to open if none is
            st.lists(
                st.tuples(
                    st.integers(0, DONORS - 1),  # donor
                    st.integers(0, 15),  # which token: mostly one the campaign accepts
                    WORTH,
                    st.integers(0, 999),  # dust, in base units
                ),
                min_size=1,
                max_size=3,
            ),
        )
    )
    def pledge(self, order: tuple[int, int, tuple[int, int, bool], list[tuple[int, int, int, int]]]) -> None:
        """One to three donors pledge to a round, mostly the open one of a live campaign; if that campaign has
        no round open, the (goal, days, all-or-nothing) round is opened first."""
        pick, back, (goal, days, aon), gifts = order
        c = self._campaign(pick, lambda c: c.open_round() is not None)
        if self._reopenable(c):
            self.do_open(c, goal, days, aon)
        round_id = self._round_id(c, back)
        for donor, symbol_pick, dollars, dust in gifts:
            symbols = [s for s in SYMBOLS if s in c.symbols] * 3 + list(SYMBOLS)
            symbol = symbols[self._vary(symbol_pick) % len(symbols)]
            self.do_pledge(c, round_id, donor, symbol, self.amount(symbol, dollars, dust))

    @precondition(lambda self: self._worth_trying("close_round", self._any(CampaignModel.closable)))
    @rule(pick=PICK, back=st.sampled_from([0, 0, 0, 0, 0, 1, -1]), wait=st.sampled_from([True, True, False]))
    def close_round(self, pick: int, back: int, wait: bool) -> None:
        self._count_miss("close_round", self._any(CampaignModel.closable))
        c = self._campaign(pick, CampaignModel.closable)
        self.do_close(c, self._round_id(c, back), wait=wait)

    @precondition(
        lambda self: (
            self.cancel_attempts < 3
            and sum(not c.cancelled for c in self.campaigns) >= 2
            and self._any(lambda c: not c.cancelled and c.holds_pledges())
        )
    )
    @rule(pick=PICK, any_campaign=st.sampled_from([False, False, False, True]))
    def cancel_campaign(self, pick: int, any_campaign: bool) -> None:
        """Cancel a live campaign, preferably one holding pledges, or, with ``any_campaign``, one that may be
        cancelled already (which must fail). At most three attempts per example, and one campaign always
        stays live: a cancelled campaign only refunds, and the other rules need live ones."""
        self.cancel_attempts += 1
        live = [c for c in self.campaigns if not c.cancelled]
        if any_campaign:
            c = self.campaigns[pick % len(self.campaigns)]
        else:
            pool = [c for c in live if c.holds_pledges()] * 3 + live
            c = pool[pick % len(pool)]
        self.do_cancel(c)

    @precondition(lambda self: self.misses["advance"] < 6)
    @rule(
        seconds=st.sampled_from([HOUR, 6 * HOUR, DAY, 3 * DAY, 8 * DAY, 16 * DAY]),
        refresh=st.sampled_from([True, True, True, False]),
    )
    def advance(self, seconds: int, refresh: bool) -> None:
        """Let time pass (at most six times per example); unless refreshed, the feeds go stale after a day."""
        self.misses["advance"] += 1
        self.env.advance(seconds)
        if refresh:
            self.env.refresh_feeds()

    @precondition(lambda self: self.misses["set_price"] < 4)
    @rule(symbol=st.sampled_from(SYMBOLS), quarters=st.integers(0, 8))
    def set_price(self, symbol: str, quarters: int) -> None:
        """Move a feed to 0–200% of its first price (0: every pledge in that token must revert); at most four
        times per example."""
        self.misses["set_price"] += 1
        self.do_set_price(symbol, self.base_prices[symbol] * quarters // 4)

    @precondition(lambda self: self._worth_trying("refund", self._any(self._owes)))
    @rule(
        pick=PICK,
        which=st.integers(0, 15),
        key_pick=st.integers(0, 99),
        push=st.booleans(),
        others=st.lists(st.integers(0, DONORS - 1), max_size=4),
        caller=st.sampled_from(["outsider", "auditor"]),
    )
    def refund(
        self, pick: int, which: int, key_pick: int, push: bool, others: list[int], caller: str
    ) -> None:
        """Mostly in a round that owes refunds, to a donor it owes; sometimes anywhere, which must revert (or,
        pushed, skip the donors owed nothing)."""
        self._count_miss("refund", self._any(self._owes))
        c = self._campaign(pick, self._owes)
        owing_rounds = [r.round_id for r in c.rounds if c.owing(r)]
        round_ids = owing_rounds * 3 + [r.round_id for r in c.rounds] + [len(c.rounds) + 1]
        round_id = round_ids[which % len(round_ids)]
        rnd = c.round(round_id)
        keys = (c.owing(rnd) if rnd else []) * 3 + [(s, d) for s in SYMBOLS for d in range(DONORS)]
        symbol, donor = keys[key_pick % len(keys)]
        push = bool(self._vary(push) % 2)
        self.do_refund(c, round_id, symbol, [donor, *others], push=push, caller=caller)

    @precondition(lambda self: self.misses["vet_supplier"] < 4)
    @rule(pick=PICK, supplier=st.sampled_from([0, 0, 1]), approve=st.sampled_from([True, True, False]))
    def vet_supplier(self, pick: int, supplier: int, approve: bool) -> None:
        """Approve or revoke a supplier, mostly in a live campaign that has none approved; at most four times
        per example."""
        self.misses["vet_supplier"] += 1
        self.do_vet(
            self._campaign(pick, lambda c: not c.cancelled and not c.suppliers), supplier, approve=approve
        )

    @precondition(lambda self: self._worth_trying("disburse", self._any(self._funded)))
    @rule(
        pick=PICK,
        symbol_pick=st.integers(0, 15),
        supplier=st.integers(0, 7),  # mostly one that is approved
        mode=st.integers(0, len(PAYMENTS) - 1),
        permille=st.integers(1, 1_000),
        extra=st.one_of(st.just(1), st.integers(1, 10**20)),
    )
    def disburse(
        self, pick: int, symbol_pick: int, supplier: int, mode: int, permille: int, extra: int
    ) -> None:
        """Pay some, all, more than all (must revert) or none of a campaign's available funds."""
        self._count_miss("disburse", self._any(self._funded))
        c = self._campaign(pick, self._funded)
        symbols = [s for s in SYMBOLS if c.available(s) > 0] * 3 + list(SYMBOLS)
        symbol = symbols[self._vary(symbol_pick) % len(symbols)]
        available = c.spendable[symbol] - c.disbursed[symbol]
        amount = {
            "part": max(1, available * permille // 1_000),
            "all": available,
            "over": available + extra,
            "zero": 0,
        }[PAYMENTS[self._vary(mode) % len(PAYMENTS)]]
        if not c.suppliers and not c.cancelled and supplier:
            self.do_vet(c, 0, approve=True)  # mostly vet one first; without, the payment must be refused
        approved = sorted(c.suppliers) * 3 + [0, 1]
        self.do_disburse(c, symbol, approved[self._vary(supplier) % len(approved)], amount)

    # Hypothesis draws the next rule from the list of rules, so one registered under several names comes up
    # more often: the money-moving rules are weighted up.
    pledge_2 = pledge_3 = pledge
    close_round_2 = close_round
    refund_2 = refund_3 = refund_4 = refund
    disburse_2 = disburse_3 = disburse_4 = disburse

    # ─── invariants ─────────────────────────────────────────────────────────────────────────────────

    @invariant()
    def books_reconcile(self) -> None:
        """Ledger balance == Σ held == model, per token; every total, round and donor balance as modelled."""
        self.steps += 1
        env = self.env
        ledger = env.ledger.address
        tokens = {s: env.token_address(s) for s in SYMBOLS}
        rounds = [(c, rnd) for c in self.campaigns for rnd in c.rounds]
        reads = BatchReader(env.w3)
        reads.balance(ledger)
        for s in SYMBOLS[1:]:
            reads.call(tokens[s], "balanceOf(address)", (ledger,), ("uint256",))
        for c in self.campaigns:
            for s in SYMBOLS:
                reads.call(
                    ledger, "tokenTotals(uint256,address)", (c.campaign_id, tokens[s]), ("uint256",) * 5
                )
        for c, rnd in rounds:
            ids = (c.campaign_id, rnd.round_id)
            reads.call(ledger, "round(uint256,uint256)", ids, ROUND_TYPES)
            for s in SYMBOLS:
                reads.call(
                    ledger, "roundTokenTotals(uint256,uint256,address)", (*ids, tokens[s]), ("uint256",) * 2
                )
            for s, d in rnd.balances:
                args = (*ids, tokens[s], env.donors[d].address)
                reads.call(ledger, "pledgeOf(uint256,uint256,address,address)", args, ("uint256",))
        answers = iter(reads.execute())

        balances = {s: next(answers)[0] for s in SYMBOLS}
        held_sum = zeros()
        for c in self.campaigns:
            for s in SYMBOLS:
                pledged, refunded, disbursed, held, available = next(answers)
                where = f"campaign {c.campaign_id} {s}"
                assert held == pledged - refunded - disbursed, where
                assert 0 <= available <= held, f"{where}: available {available} > held {held}"
                expected = (c.pledged(s), c.refunded[s], c.disbursed[s], c.held(s), c.available(s))
                assert (pledged, refunded, disbursed, held, available) == expected, where
                held_sum[s] += held
        for c, rnd in rounds:
            where = f"round {c.campaign_id}/{rnd.round_id}"
            expected_round = (rnd.start, rnd.end, rnd.state, rnd.aon, rnd.goal_usd, rnd.raised_usd)
            assert tuple(next(answers)) == expected_round, where
            for s in SYMBOLS:
                pledged, refunded = next(answers)
                assert (pledged, refunded) == (rnd.pledged[s], rnd.refunded[s]), f"{where} {s}"
                assert refunded <= pledged, f"{where} {s}: refunded {refunded} > pledged {pledged}"
            for key, balance in rnd.balances.items():
                assert next(answers) == (balance,), f"pledgeOf {where} {key}"
                # No donor is ever refunded more than it pledged, nor owed more than it has left.
                paid_back = rnd.paid_back.get(key, 0)
                assert balance + paid_back <= rnd.credited[key], f"{where} {key} over-refunded"
        for s in SYMBOLS:
            assert balances[s] == held_sum[s], (
                f"{s}: the ledger holds {balances[s]}, its books say {held_sum[s]}"
            )
            assert balances[s] == self.expected_balance[s], (
                f"{s}: the model expects {self.expected_balance[s]}"
            )


def _report() -> None:
    for outcome, count in sorted(OUTCOMES.items()):
        print(f"{count:6d}  {outcome}")


def test_random_life_cycles_keep_the_books_balanced(env: LedgerEnv) -> None:
    LedgerMachine.env = env
    OUTCOMES.clear()
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            settings.get_profile("ci"),  # the fixed seed, no deadline
            max_examples=MAX_EXAMPLES,
            stateful_step_count=STEPS,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    _report()
    # Not a vacuous run: money went in and out. (The guided tour below takes every path for certain.)
    for path in ("pledge: ok", "close_round: ok", "disburse: ok"):
        assert OUTCOMES[path] > 0, f"no step reached {path!r}: {dict(OUTCOMES)}"
    assert OUTCOMES["claim_refund: ok"] + OUTCOMES["push_refunds: ok"] > 0, f"no refund: {dict(OUTCOMES)}"


def test_guided_tour_reaches_every_path(env: LedgerEnv) -> None:
    """The machine's actions in a fixed order that takes every path once, checking the books at each step."""
    LedgerMachine.env = env
    OUTCOMES.clear()
    m = LedgerMachine()
    try:
        steps: list[tuple[Callable[[], object], object]] = []

        def step(action: Callable[[], object], expect: object = OK) -> None:
            steps.append((action, expect))

        step(lambda: m.campaign_with_every_token(goal=1_000, days=7, aon=True), None)
        step(lambda: m.campaign_with_some_tokens({"USDC", "DAI", "FEE"}), None)
        c1, c2 = (lambda: m.campaigns[0]), (lambda: m.campaigns[1])
        # Round 1 of campaign 1: all-or-nothing, 1,000 USD, pledged ~450 USD in every token; fails.
        for donor, symbol, dollars in ((0, "ETH", 300), (1, "USDT", 40), (2, "FEE", 90), (3, "DAI", 7)):
            step(lambda d=donor, s=symbol, n=dollars: m.do_pledge(c1(), 1, d, s, m.amount(s, n, 7)))
        step(lambda: m.do_pledge(c1(), 1, 0, "USDC", m.amount("USDC", 12)))
        step(lambda: m.do_pledge(c1(), 1, 1, "USDC", 0), "LedgerZeroAmount")
        step(lambda: m.do_pledge(c1(), 2, 1, "USDC", 5), "LedgerUnknownRound")
        step(lambda: m.do_close(c1(), 1), "LedgerRoundNotEnded")
        # Round 1 of campaign 2: keep-it-all, 3 days, short of its goal; its funds become spendable.
        step(lambda: m.do_open(c2(), 100, 3, False))
        step(lambda: m.do_open(c2(), 100, 3, False), "LedgerRoundStillOpen")
        step(lambda: m.do_pledge(c2(), 1, 1, "ETH", m.amount("ETH", 50)), "LedgerTokenNotAccepted")
        step(lambda: m.do_pledge(c2(), 1, 1, "USDC", m.amount("USDC", 60, 3)))
        step(lambda: m.do_pledge(c2(), 1, 2, "FEE", m.amount("FEE", 30, 99)))
        step(lambda: m.do_close(c1(), 1, wait=True))  # past both rounds' ends
        step(lambda: m.do_pledge(c2(), 1, 2, "DAI", m.amount("DAI", 5)), "LedgerRoundEnded")
        step(lambda: m.do_pledge(c1(), 1, 2, "DAI", m.amount("DAI", 5)), "LedgerRoundNotOpen")
        step(lambda: m.do_close(c2(), 1))
        step(lambda: m.do_close(c2(), 1), "LedgerRoundNotOpen")
        # Refunds of the failed all-or-nothing round: claimed, claimed again, pushed (with repeats).
        step(lambda: m.do_refund(c1(), 1, "ETH", [0], push=False))
        step(lambda: m.do_refund(c1(), 1, "ETH", [0], push=False), "LedgerNothingToRefund")
        step(lambda: m.do_refund(c1(), 1, "USDT", [1, 2, 1, 3], push=True, caller="auditor"))
        step(lambda: m.do_refund(c1(), 1, "FEE", [2, 2], push=True))
        step(lambda: m.do_refund(c2(), 1, "USDC", [1], push=False), "LedgerNotRefundable")
        step(lambda: m.do_refund(c2(), 1, "USDC", [1], push=True), "LedgerNotRefundable")
        # Payments from the keep-it-all round.
        step(lambda: m.do_disburse(c2(), "USDC", 0, 1_000), "LedgerSupplierNotApproved")
        step(lambda: m.do_vet(c2(), 0, approve=True))
        step(lambda: m.do_disburse(c2(), "USDC", 0, m.amount("USDC", 20)))
        step(lambda: m.do_disburse(c2(), "FEE", 0, c2().available("FEE")))
        step(lambda: m.do_disburse(c2(), "USDC", 0, c2().available("USDC") + 1), "LedgerInsufficientFunds")
        step(lambda: m.do_disburse(c2(), "FEE", 0, 1), "LedgerInsufficientFunds")
        step(lambda: m.do_disburse(c2(), "USDC", 0, 0), "LedgerZeroAmount")
        step(lambda: m.do_vet(c2(), 1, approve=False), "LedgerSupplierNotApproved")
        # Round 2 of campaign 1: stale and zero prices refused, then its goal is met and it closes early.
        step(lambda: m.do_open(c1(), 500, 10, True))
        step(lambda: m.advance(2 * DAY, refresh=False), None)
        step(lambda: m.do_pledge(c1(), 2, 0, "ETH", m.amount("ETH", 300)), "LedgerStalePrice")
        step(lambda: m.advance(HOUR, refresh=True), None)
        step(lambda: m.set_price("DAI", 0), None)
        step(lambda: m.do_pledge(c1(), 2, 3, "DAI", m.amount("DAI", 300)), "LedgerInvalidPrice")
        step(lambda: m.set_price("DAI", 2), None)  # half price: 600 USD of DAI is worth 300
        step(lambda: m.do_pledge(c1(), 2, 3, "DAI", m.amount("DAI", 600)))
        step(lambda: m.do_pledge(c1(), 2, 0, "ETH", m.amount("ETH", 150, 1)))
        step(lambda: m.do_close(c1(), 2), "LedgerRoundNotEnded")
        step(lambda: m.do_pledge(c1(), 2, 1, "ETH", m.amount("ETH", 100)))
        step(lambda: m.do_close(c1(), 2))
        step(lambda: m.do_disburse(c1(), "ETH", 0, c1().available("ETH") // 3))
        step(lambda: m.do_disburse(c1(), "DAI", 0, c1().available("DAI")))
        step(lambda: m.do_disburse(c1(), "ETH", 0, c1().available("ETH") + 10**18), "LedgerInsufficientFunds")
        # Round 3 of campaign 1 is open when the campaign is cancelled: it is refunded in full, and what is
        # left of round 2 pro rata.
        step(lambda: m.do_open(c1(), 2_000, 10, False))
        step(lambda: m.do_pledge(c1(), 3, 2, "USDC", m.amount("USDC", 40, 1)))
        step(lambda: m.do_cancel(c1()))
        step(lambda: m.do_cancel(c1()), "LedgerCampaignCancelled")
        step(lambda: m.do_refund(c1(), 3, "USDC", [2], push=False))
        step(lambda: m.do_refund(c1(), 2, "ETH", [0], push=False))
        step(lambda: m.do_refund(c1(), 2, "ETH", [1, 0, 3], push=True))
        step(lambda: m.do_refund(c1(), 2, "DAI", [3], push=False), "LedgerNothingToRefund")  # all spent
        step(lambda: m.do_refund(c1(), 1, "DAI", [3], push=True))  # round 1 still owes its pledges in full
        step(lambda: m.do_disburse(c1(), "ETH", 0, 1), "LedgerCampaignCancelled")
        step(lambda: m.do_open(c1(), 100, 1, True), "LedgerCampaignCancelled")
        step(lambda: m.do_accept(c1(), "USDC"), "LedgerCampaignCancelled")
        step(lambda: m.do_vet(c1(), 1, approve=True), "LedgerCampaignCancelled")

        m.books_reconcile()
        for number, (action, expect) in enumerate(steps, 1):
            outcome = action()
            assert expect is None or outcome == expect, f"step {number}: expected {expect}, got {outcome}"
            m.books_reconcile()
    finally:
        m.teardown()
    _report()
    assert OUTCOMES["refund: pro rata, from a cancelled campaign"] >= 2
    for kind in ("failed all-or-nothing", "failed keep-it-all", "succeeded all-or-nothing"):
        assert OUTCOMES[f"close_round: {kind}"] == 1
