"""Stateful property test: random campaigns, rounds, pledges, refunds, payments and guardian actions against a
Python model.

A Hypothesis ``RuleBasedStateMachine`` drives the deployed ledger on the session's Anvil through random
sequences of every money-moving action over several campaigns and all five test assets (ETH, USDC with 6
decimals, DAI with 18, USDT that returns no bool, FEE that burns 1% per transfer), and of every protective
one: the guardian (or the admin) pausing and unpausing a campaign's payments, revoking a supplier and
cancelling a campaign, and the manager or an outsider trying the same. Campaigns get supplier delays (0 to
3 days), so that a payment to a supplier approved too recently must revert and time passing makes it go
through; a re-approval starts the delay again. Rounds are closed by the manager (early once the goal is
met) or, after their end, by anyone. Tokens and feeds are accepted or re-priced, which must revert while a
round is open. Refunds are claimed, pushed to a few donors, or pushed to every donor of a campaign in one
token, so that cancelled campaigns are refunded to the end. Calls that must revert are made too: pledges
after a round's end, against a stale or zero price or in a token the campaign does not accept, early
closes by the manager before the goal or by anyone else, empty or repeated refunds, over-limit payments,
payments while paused or before the supplier delay, acts on a cancelled campaign, guardian acts by
others. A plain-Python model predicts each call's outcome, the custom error (and, for the errors that
carry deadlines, amounts or callers, its arguments) of each revert and every amount moved. After every
step the books are reconciled, for each token:

* the ledger's balance == Σ over campaigns of ``tokenTotals(...).held`` (pledged − refunded − disbursed)
  == the model's running balance, and every campaign's and round's totals equal the model's;
* ``available`` (what a payment may take) never exceeds ``held``, and ``held`` never underflows (the
  view would revert);
* every donor's ``pledgeOf`` and ``refundableAmount`` equal the model's, and no donor was ever refunded
  more than it pledged;
* every campaign's manager, pause and cancellation flags, supplier delay and tokens (``campaign``), and
  every supplier approval with the time it takes effect (``supplierApproval``), equal the model's;
* ``refundPool`` equals the model's pool and base; for a cancelled campaign, Σ of its pro-rata refunds
  never exceeds what it had left at cancellation, the pool is what is left of that, the base is the sum
  of the outstanding pro-rata pledges, and once every such pledge is refunded, Σ refunds == what was
  left, exactly.

Every example starts from the same chain state: the machine takes an ``evm_snapshot`` when it is built
and reverts to it in ``teardown`` (resetting every Transactor's cached nonce, as the ``env`` fixture does).

Each rule only picks its target (mostly one where the action can succeed, sometimes any, to probe the
reverts) and calls a ``do_*`` action that checks the call against the model. A short Hypothesis run mostly
varies a few base sequences, so :func:`test_guided_tour_reaches_every_path` also walks the same actions
through every path once, in a fixed order. How often each action ended in each way is counted in
``OUTCOMES`` and printed after each test (``pytest -s``). All money is ``int``.
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
from tests.support.chain import LedgerEnv
from tests.support.units import DAY, USD

SYMBOLS: tuple[str, ...] = ("ETH", "USDC", "DAI", "USDT", "FEE")
DECIMALS: dict[str, int] = {"ETH": 18, "USDC": 6, "DAI": 18, "USDT": 6, "FEE": 18}
#: The feeds a token may be re-priced with: its own, or, for a dollar token, another dollar token's.
DOLLARS: tuple[str, ...] = ("USDC", "DAI", "USDT", "FEE")
HOUR = 3_600
MAX_CAMPAIGNS = 4
DONORS = 4
#: The next block's timestamp lies in [latest block's, latest block's + SLACK]: an outcome that hinges on a
#: deadline inside that window is accepted either way, and the model follows what the chain did.
SLACK = 60
# IPledgeLedger.RoundState
OPEN, SUCCEEDED, FAILED, CANCELLED = 1, 2, 3, 4
ROUND_TYPES = ("uint40", "uint40", "uint8", "bool", "uint80", "uint80")  # IPledgeLedger.Round
CAMPAIGN_TYPES = ("(address,bytes32,uint32,bool,bool,uint32,address[])",)  # IPledgeLedger.CampaignInfo
OK = "ok"  # the outcome of a call that went through; otherwise an outcome is the custom error's name
MINED_REVERT = "<reverted when mined>"
FULL, PRO_RATA = "full", "pro rata"  # how a round's pledges are refunded
#: Who may take the guardian's protective actions, and who may revoke a supplier.
GUARDIANS = frozenset({"guardian", "admin"})
REVOKERS = frozenset({"guardian", "admin", "manager"})
RECORD = b"Z" * 32
FEED_GAS = 100_000  # a mock feed's setAnswer, sent without an estimate
FEED_ANSWER_TYPES = ("uint80", "int256", "uint256", "uint256", "uint80")  # latestRoundData

MAX_EXAMPLES = 45
STEPS = 30
MISSES = 1  # per rule and example: see LedgerMachine.misses

PICK = st.integers(0, 15)
# Money values come from lists of plausible sizes: Hypothesis favours small integers, which would make
# nearly every pledge dust and every goal out of reach.
GOAL = st.sampled_from([100, 500, 2_000, 50, 1_000, 300])  # USD
DAYS = st.sampled_from([7, 1, 14, 3, 30, 2])  # how long a round runs (Hypothesis favours the first)
PAYMENTS = ("part", "over", "part", "all", "zero", "part")  # how much of what is available to pay
WORTH = st.sampled_from([300, 1_200, 40, 600, 3_000, 90, 7, 0])  # USD, per pledge
SUPPLIER_DELAY = st.sampled_from([DAY, 0, HOUR, 0, 3 * DAY])  # seconds (Hypothesis favours the first)

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
        inputs = [t for t in signature[signature.index("(") + 1 : -1].split(",") if t]
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


def pro_rata_share(pledged: int, pool: int, base: int) -> int:
    """A pledge's share of what is left of a cancelled campaign's pool, shared over the outstanding pledges
    (``base``); the last pledge takes the whole rest (the contract's ``_proRataShare``)."""
    return pool if pledged >= base else pledged * pool // base


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
    supplier_delay: int = 0
    #: token symbol → the symbol whose feed prices it (its own, unless re-priced).
    feeds: dict[str, str] = field(default_factory=dict)
    #: The order the campaign accepted its tokens in (``campaign(...).tokens``).
    accepted: list[str] = field(default_factory=list)
    cancelled: bool = False
    paused: bool = False
    rounds: list[RoundModel] = field(default_factory=list)
    #: supplier index → when its approval takes effect (a Unix time).
    suppliers: dict[int, int] = field(default_factory=dict)
    closed_pledged: dict[str, int] = field(default_factory=zeros)
    refunded: dict[str, int] = field(default_factory=zeros)
    spendable: dict[str, int] = field(default_factory=zeros)
    disbursed: dict[str, int] = field(default_factory=zeros)
    refund_pool: dict[str, int] = field(default_factory=zeros)
    refund_base: dict[str, int] = field(default_factory=zeros)
    #: At cancellation: what was left unspent (the pool), and the pledges it is shared between (the base).
    left_at_cancel: dict[str, int] = field(default_factory=zeros)
    base_at_cancel: dict[str, int] = field(default_factory=zeros)
    pro_rata_refunded: dict[str, int] = field(default_factory=zeros)

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

    def refund_kind(self, rnd: RoundModel | None) -> str | None:
        """In full from cancelled and failed all-or-nothing rounds; once the campaign is cancelled, pro rata
        from its spendable rounds; otherwise ``None`` (not refundable)."""
        if rnd is None:
            return None
        if rnd.state == CANCELLED or (rnd.state == FAILED and rnd.aon):
            return FULL
        if self.cancelled and rnd.state in (SUCCEEDED, FAILED):
            return PRO_RATA
        return None

    def plan_refunds(
        self, rnd: RoundModel | None, symbol: str, donors: list[int]
    ) -> list[tuple[int, int, int]]:
        """The (donor, amount, pledge settled) of each refund that refunding ``donors`` in turn pays, as the
        contract's ``_takeRefund`` books them: a donor with nothing outstanding is skipped, a pro-rata one
        takes its share of the pool and base left by those before it (possibly 0)."""
        kind = self.refund_kind(rnd)
        if rnd is None or kind is None:
            return []
        pool, base = self.refund_pool[symbol], self.refund_base[symbol]
        owed = dict(rnd.balances)
        plan = []
        for donor in donors:
            pledged = owed.get((symbol, donor), 0)
            if pledged == 0:
                continue
            owed[(symbol, donor)] = 0
            amount = pledged
            if kind == PRO_RATA:
                amount = pro_rata_share(pledged, pool, base)
                pool, base = pool - amount, base - pledged
            plan.append((donor, amount, pledged))
        return plan

    def outstanding(self, rnd: RoundModel) -> list[tuple[str, int]]:
        """The (symbol, donor) pledges of ``rnd`` that a refund would settle now (perhaps for 0)."""
        if self.refund_kind(rnd) is None:
            return []
        return [key for key, balance in rnd.balances.items() if balance > 0]

    def closable(self) -> bool:
        """A round is open and holds pledges (closing an empty one proves little)."""
        current = self.open_round()
        return current is not None and any(current.pledged.values())

    def holds_pledges(self) -> bool:
        return any(any(r.pledged.values()) for r in self.rounds)

    def pending(self, supplier: int, now: int) -> bool:
        """``supplier`` is approved but its approval does not take effect until after ``now``."""
        return supplier in self.suppliers and self.suppliers[supplier] > now


class LedgerMachine(RuleBasedStateMachine):
    """Random campaign life cycles on the real ledger, checked step by step against :class:`CampaignModel`."""

    env: ClassVar[LedgerEnv]
    #: The ledger's balance of each token, and each feed's price, when every example starts.
    start_balances: ClassVar[dict[str, int]]
    start_prices: ClassVar[dict[str, int]]

    def __init__(self) -> None:
        super().__init__()
        env = self.env
        self.snapshot: str = env.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
        self.campaigns: list[CampaignModel] = []
        self.suppliers: list[Transactor] = [env.supplier, env.outsider]
        self.expected_balance = dict(self.start_balances)
        #: feed symbol → its price now, and at the start (which sizes every amount).
        self.prices = dict(self.start_prices)
        self.base_prices = dict(self.start_prices)
        self.cancel_attempts = 0
        self.steps = 0  # counted by the invariant, which runs after every step
        #: Steps a rule took with no target it could succeed on (so only probing a revert) and, for rules
        #: that would otherwise crowd out the rest, steps taken at all: each rule gets a few per example.
        self.misses: Counter[str] = Counter()
        #: (campaign id, symbol) of cancelled campaigns' pools seen refunded to the last base unit.
        self.settled: set[tuple[int, str]] = set()

    @classmethod
    def prepare(cls, env: LedgerEnv) -> None:
        """Run the machine on ``env``. Done once, before any machine's snapshot: every donor lets the ledger
        take any amount of every test ERC-20, so that each pledge is one transaction, and the feeds are
        refreshed (reverting to the snapshot rewinds the clock, so every example starts with fresh prices)."""
        cls.env = env
        for donor in env.donors:
            for token in env.tokens.values():
                donor.send(token.functions.approve(env.ledger.address, 2**256 - 1))
        env.refresh_feeds()
        cls.start_balances = {s: env.balance_of_ledger(s) for s in SYMBOLS}
        cls.start_prices = {s: int(env.feeds[s].functions.latestRoundData().call()[1]) for s in SYMBOLS}

    def teardown(self) -> None:
        env = self.env
        env.w3.provider.make_request("evm_revert", [self.snapshot])  # type: ignore[arg-type]
        env.forget_nonces()  # the revert rewound every account's nonce

    # ─── plumbing ───────────────────────────────────────────────────────────────────────────────────

    def amount(self, symbol: str, dollars: int, dust: int = 0) -> int:
        """About ``dollars`` USD worth of ``symbol`` at its first price, plus ``dust`` base units."""
        return dollars * 10 ** DECIMALS[symbol] * USD // self.base_prices[symbol] + dust

    def actor(self, name: str) -> Transactor:
        """An actor by role: ``admin``, ``manager``, ``guardian``, ``outsider``, ``auditor``, or ``donor``
        (one of the donors, varying with the step)."""
        if name == "donor":
            return self.env.donors[self.steps % DONORS]
        sender: Transactor = getattr(self.env, name)
        return sender

    def _before(self, deadline: int) -> bool | None:
        """Will the next block's timestamp be < ``deadline``? ``None`` when too close to call."""
        latest = self.env.now()
        if latest + SLACK < deadline:
            return True
        if latest >= deadline:
            return False
        return None

    def _wait_until(self, timestamp: int) -> None:
        """Let the chain's clock pass ``timestamp`` (and refresh the feeds, which would go stale)."""
        now = self.env.now()
        if now <= timestamp:
            self.env.advance(timestamp - now + 1)
            self.refresh_feeds()

    @staticmethod
    def _attempt(
        label: str,
        send: Callable[[], TxReceipt],
        allowed: set[str],
        args: dict[str, tuple[Any, ...]] | None = None,
    ) -> tuple[str, TxReceipt | None]:
        """Run ``send``: it must go through (``OK`` in ``allowed``) or revert with an allowed custom error,
        and with exactly the arguments ``args`` gives for that error, if it gives any.

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
        if args and outcome in args:
            assert tuple(failure.error_args) == args[outcome], f"{label}: expected {outcome}{args[outcome]}"
        return outcome, None

    def _events(self, receipt: TxReceipt, name: str) -> list[Any]:
        event = getattr(self.env.ledger.events, name)()
        return [e["args"] for e in event.process_receipt(receipt, errors=DISCARD)]

    @staticmethod
    def _gas_cost(receipt: TxReceipt) -> int:
        return int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])

    def _block_time(self, receipt: TxReceipt) -> int:
        return int(self.env.w3.eth.get_block(receipt["blockNumber"])["timestamp"])

    # ─── actions: each checks one call against the model and returns its outcome ─────────────────────

    def do_create(self, symbols: set[str] | tuple[str, ...], supplier_delay: int = 0) -> CampaignModel:
        ordered = tuple(s for s in SYMBOLS if s in symbols)
        campaign_id = self.env.create_campaign(ordered, supplier_delay=supplier_delay)
        assert campaign_id == len(self.campaigns) + 1
        c = CampaignModel(campaign_id, set(ordered), supplier_delay, {s: s for s in ordered}, list(ordered))
        self.campaigns.append(c)
        OUTCOMES["create_campaign: ok" + (", with a supplier delay" if supplier_delay else "")] += 1
        return c

    def do_accept(self, c: CampaignModel, symbol: str, feed: str | None = None) -> str:
        """Accept ``symbol`` priced by ``feed``'s feed (by default its own), or re-price an accepted one; only
        while no round of the campaign is open."""
        env = self.env
        feed = feed or symbol
        token, feed_address = env.token_address(symbol), env.feeds[feed].address
        current = c.open_round()
        if c.cancelled:
            allowed = {"LedgerCampaignCancelled"}
        elif current is not None:
            allowed = {"LedgerTokensLocked"}
        else:
            allowed = {OK}
        repricing = symbol in c.feeds and c.feeds[symbol] != feed
        outcome, receipt = self._attempt(
            "reprice_token" if repricing else "accept_token",
            lambda: env.admin.send(env.f.acceptToken(c.campaign_id, token, feed_address, DAY)),
            allowed,
            {
                "LedgerCampaignCancelled": (c.campaign_id,),
                "LedgerTokensLocked": (c.campaign_id, token, current.round_id if current else 0),
            },
        )
        if receipt is not None:
            (event,) = self._events(receipt, "TokenAccepted")
            assert (event["token"], event["feed"]) == (token, feed_address)
            if symbol not in c.symbols:
                c.accepted.append(symbol)
            c.symbols.add(symbol)
            c.feeds[symbol] = feed
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
        feed = c.feeds.get(symbol, symbol)
        allowed: set[str]
        if amount == 0:
            allowed = {"LedgerInvalidPledgeAmount"}
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
                elif self.prices[feed] <= 0:
                    allowed = {"LedgerInvalidPrice"}
                else:
                    updated_at = int(env.feeds[feed].functions.latestRoundData().call()[3])
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

        def send_pledge(sender: Transactor) -> TxReceipt:
            if symbol == "ETH":
                return sender.send(env.f.pledge(c.campaign_id, round_id), value=amount)
            token = env.token_address(symbol)  # the ledger may take any amount: see prepare
            return sender.send(env.f.pledgeToken(c.campaign_id, round_id, token, amount))

        outcome, receipt = self._attempt(
            "pledge",
            lambda: send_pledge(env.donors[donor]),
            allowed,
            {
                "LedgerInvalidPledgeAmount": (0,),
                "LedgerRoundEnded": (c.campaign_id, round_id, rnd.end if rnd else 0),
            },
        )
        if receipt is None:
            return outcome
        assert rnd is not None
        received = amount - fee_of(symbol, amount)
        usd = received * self.prices[feed] // 10 ** DECIMALS[symbol]
        (event,) = self._events(receipt, "Pledged")
        assert (event["amount"], event["usdValue"], event["price"]) == (received, usd, self.prices[feed])
        gas = self._gas_cost(receipt) if symbol == "ETH" else 0
        assert env.balance(symbol, account) == before - amount - gas
        key = (symbol, donor)
        rnd.raised_usd += usd
        rnd.pledged[symbol] += received
        rnd.balances[key] = rnd.balances.get(key, 0) + received
        rnd.credited[key] = rnd.credited.get(key, 0) + received
        self.expected_balance[symbol] += received
        if feed != symbol:
            OUTCOMES["pledge: ok, priced by another token's feed"] += 1
        return outcome

    def do_close(
        self, c: CampaignModel, round_id: int, *, wait: bool = False, caller: str = "manager"
    ) -> str:
        """Close a round: early (only its manager, only if its goal is met), or, with ``wait``, once its end
        has passed (anyone)."""
        env = self.env
        rnd = c.round(round_id)
        if wait and rnd is not None and rnd.state == OPEN:
            self._wait_until(rnd.end)
        goal_met = False
        if rnd is None:
            allowed = {"LedgerUnknownRound"}
        elif rnd.state != OPEN:
            allowed = {"LedgerRoundNotOpen"}
        else:
            goal_met = rnd.raised_usd >= rnd.goal_usd
            early = self._before(rnd.end)
            if early is False or (goal_met and caller == "manager"):
                allowed = {OK}
            else:
                allowed = {"LedgerRoundNotEnded"} if early else {OK, "LedgerRoundNotEnded"}
        sender = self.actor(caller)
        outcome, receipt = self._attempt(
            "close_round" if caller == "manager" else "close_round by another",
            lambda: sender.send(env.f.closeRound(c.campaign_id, round_id)),
            allowed,
            {"LedgerRoundNotEnded": (c.campaign_id, round_id, rnd.end if rnd else 0)},
        )
        if receipt is None:
            return outcome
        assert rnd is not None
        state = SUCCEEDED if goal_met else FAILED
        (closed,) = self._events(receipt, "RoundClosed")
        assert (closed["outcome"], closed["raisedUsd"], closed["caller"]) == (
            state,
            rnd.raised_usd,
            sender.address,
        )
        c.close(rnd, state, spendable=goal_met or not rnd.aon)
        kind = f"{'succeeded' if goal_met else 'failed'} {'all-or-nothing' if rnd.aon else 'keep-it-all'}"
        OUTCOMES[f"close_round: {kind}"] += 1
        return outcome

    def do_cancel(self, c: CampaignModel, caller: str = "guardian") -> str:
        """Cancel a campaign (the guardian or the admin only): its open round is refunded in full, the rest of
        what it holds pro rata."""
        env = self.env
        sender = self.actor(caller)
        if caller not in GUARDIANS:
            allowed = {"LedgerUnauthorizedGuardian"}
        elif c.cancelled:
            allowed = {"LedgerCampaignCancelled"}
        else:
            allowed = {OK}
        outcome, receipt = self._attempt(
            "cancel_campaign",
            lambda: sender.send(env.f.cancelCampaign(c.campaign_id)),
            allowed,
            {"LedgerUnauthorizedGuardian": (sender.address,), "LedgerCampaignCancelled": (c.campaign_id,)},
        )
        if receipt is None:
            return outcome
        current = c.open_round()
        (event,) = self._events(receipt, "CampaignCancelled")
        assert (event["cancelledRoundId"], event["account"]) == (
            current.round_id if current else 0,
            sender.address,
        )
        if current is not None:
            c.close(current, CANCELLED, spendable=False)
        c.cancelled = True
        for symbol in SYMBOLS:
            c.refund_pool[symbol] = c.left_at_cancel[symbol] = c.spendable[symbol] - c.disbursed[symbol]
            c.refund_base[symbol] = c.base_at_cancel[symbol] = c.spendable[symbol]
        return outcome

    def do_pause(self, c: CampaignModel, *, pause: bool, caller: str = "guardian") -> str:
        """Pause or resume a campaign's payments (the guardian or the admin only, at once)."""
        env = self.env
        sender = self.actor(caller)
        if caller not in GUARDIANS:
            allowed = {"LedgerUnauthorizedGuardian"}
        elif pause and c.paused:
            allowed = {"LedgerCampaignPaused"}
        elif not pause and not c.paused:
            allowed = {"LedgerCampaignNotPaused"}
        else:
            allowed = {OK}
        call = env.f.pauseCampaign(c.campaign_id) if pause else env.f.unpauseCampaign(c.campaign_id)
        outcome, receipt = self._attempt(
            "pause_campaign" if pause else "unpause_campaign",
            lambda: sender.send(call),
            allowed,
            {
                "LedgerUnauthorizedGuardian": (sender.address,),
                "LedgerCampaignPaused": (c.campaign_id,),
                "LedgerCampaignNotPaused": (c.campaign_id,),
            },
        )
        if receipt is not None:
            (event,) = self._events(receipt, "CampaignPaused" if pause else "CampaignUnpaused")
            assert (event["campaignId"], event["account"]) == (c.campaign_id, sender.address)
            c.paused = pause
        return outcome

    def do_set_price(self, symbol: str, price: int) -> None:
        self.env.admin.send(self.env.feeds[symbol].functions.setAnswer(price), gas=FEED_GAS)
        self.prices[symbol] = price

    def refresh_feeds(self) -> None:
        """Post again the price of every feed whose answer is older than half a day: a feed goes stale a day
        after its last answer."""
        env = self.env
        reads = BatchReader(env.w3)
        for symbol in SYMBOLS:
            reads.call(env.feeds[symbol].address, "latestRoundData()", (), FEED_ANSWER_TYPES)
        now = env.now()
        for symbol, (_, _, _, updated_at, _) in zip(SYMBOLS, reads.execute(), strict=True):
            if updated_at + DAY // 2 < now:
                self.do_set_price(symbol, self.prices[symbol])

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
        kind = c.refund_kind(rnd)
        donors = donors if push else donors[:1]
        accounts = [env.donors[d].address for d in donors]
        before = {a: env.balance(symbol, a) for a in accounts}
        plan = c.plan_refunds(rnd, symbol, donors)
        if kind is None:
            allowed = {"LedgerNotRefundable"}
        elif not push and not plan:
            allowed = {"LedgerNothingToRefund"}
        else:
            allowed = {OK}
        if push:
            sender = self.actor(caller)
            call = env.f.pushRefunds(c.campaign_id, round_id, token, accounts)
        else:
            sender = env.donors[donors[0]]
            call = env.f.claimRefund(c.campaign_id, round_id, token)
        outcome, receipt = self._attempt(
            "push_refunds" if push else "claim_refund",
            lambda: sender.send(call),
            allowed,
            {
                "LedgerNotRefundable": (c.campaign_id, round_id),
                "LedgerNothingToRefund": (c.campaign_id, round_id, token, accounts[0]),
            },
        )
        if receipt is None:
            return outcome
        assert rnd is not None
        events = self._events(receipt, "Refunded")
        assert [(e["donor"], e["amount"], e["caller"]) for e in events] == [
            (env.donors[d].address, amount, sender.address) for d, amount, _ in plan
        ]
        assert not self._events(receipt, "RefundDeferred")
        expected = dict(before)
        for d, amount, pledged in plan:
            expected[env.donors[d].address] += amount - fee_of(symbol, amount)
            key = (symbol, d)
            rnd.balances[key] = 0
            rnd.refunded[symbol] += amount
            rnd.paid_back[key] = rnd.paid_back.get(key, 0) + amount
            c.refunded[symbol] += amount
            self.expected_balance[symbol] -= amount
            if kind == PRO_RATA:
                c.refund_pool[symbol] -= amount
                c.refund_base[symbol] -= pledged
                c.pro_rata_refunded[symbol] += amount
                OUTCOMES[
                    f"refund: pro rata, {'a share' if amount else 'a zero share'} of a cancelled campaign"
                ] += 1
        if symbol == "ETH" and sender.address in expected:  # a donor claiming, or pushing to itself too
            expected[sender.address] -= self._gas_cost(receipt)
        assert {a: env.balance(symbol, a) for a in accounts} == expected
        return outcome

    def do_vet(self, c: CampaignModel, supplier: int, *, approve: bool, caller: str = "manager") -> str:
        """Approve a supplier (its manager, not on a cancelled campaign; the approval takes effect after the
        campaign's supplier delay, counted again on a re-approval), or revoke one, pending or effective (the
        manager, the guardian or the admin; only an approved one)."""
        env = self.env
        sender = self.actor(caller)
        address = self.suppliers[supplier].address
        if approve:
            if caller != "manager":
                allowed = {"LedgerUnauthorizedManager"}
            else:
                allowed = {"LedgerCampaignCancelled"} if c.cancelled else {OK}
            call = env.f.approveSupplier(c.campaign_id, address, RECORD)
        else:
            if caller not in REVOKERS:
                allowed = {"LedgerUnauthorizedRevoker"}
            else:
                allowed = {OK} if supplier in c.suppliers else {"LedgerSupplierNotApproved"}
            call = env.f.revokeSupplier(c.campaign_id, address)
        pending = c.pending(supplier, env.now())
        outcome, receipt = self._attempt(
            "approve_supplier" if approve else "revoke_supplier",
            lambda: sender.send(call),
            allowed,
            {
                "LedgerUnauthorizedManager": (c.campaign_id, sender.address),
                "LedgerUnauthorizedRevoker": (c.campaign_id, sender.address),
                "LedgerSupplierNotApproved": (c.campaign_id, address),
                "LedgerCampaignCancelled": (c.campaign_id,),
            },
        )
        if receipt is None:
            return outcome
        if approve:
            (event,) = self._events(receipt, "SupplierApproved")
            effective_at = self._block_time(receipt) + c.supplier_delay
            assert (event["supplier"], event["effectiveAt"]) == (address, effective_at)
            if supplier in c.suppliers:
                OUTCOMES["approve_supplier: again, the delay restarts"] += 1
            c.suppliers[supplier] = effective_at
        else:
            (event,) = self._events(receipt, "SupplierRevoked")
            assert (event["supplier"], event["account"]) == (address, sender.address)
            del c.suppliers[supplier]
            OUTCOMES[f"revoke_supplier: ok, by the {caller}{', while pending' if pending else ''}"] += 1
        return outcome

    def do_disburse(self, c: CampaignModel, symbol: str, supplier: int, amount: int) -> str:
        """Pay a supplier; more than the campaign's available funds must revert with LedgerInsufficientFunds
        naming exactly what was asked and what is available, and before the supplier's approval takes effect
        with LedgerSupplierNotEffective naming when it will."""
        env = self.env
        available = c.spendable[symbol] - c.disbursed[symbol]  # what the contract's check compares against
        token = env.token_address(symbol)
        payee = self.suppliers[supplier].address
        call = env.f.disburse(c.campaign_id, token, payee, amount, b"\x0b" * 32, b"\x1c" * 32)
        effective_at = c.suppliers.get(supplier, 0)
        allowed: set[str]
        if c.cancelled:
            allowed = {"LedgerCampaignCancelled"}
        elif c.paused:
            allowed = {"LedgerCampaignPaused"}
        elif amount == 0:
            allowed = {"LedgerInvalidDisbursementAmount"}
        elif supplier not in c.suppliers:
            allowed = {"LedgerSupplierNotApproved"}
        else:
            effective = self._before(effective_at)  # True: not yet effective
            allowed = {"LedgerInsufficientFunds"} if amount > available else {OK}
            if effective is True:
                allowed = {"LedgerSupplierNotEffective"}
            elif effective is None:
                allowed.add("LedgerSupplierNotEffective")
        before = env.balance(symbol, payee)
        outcome, receipt = self._attempt(
            "disburse",
            lambda: env.manager.send(call),
            allowed,
            {
                "LedgerCampaignCancelled": (c.campaign_id,),
                "LedgerCampaignPaused": (c.campaign_id,),
                "LedgerInvalidDisbursementAmount": (0,),
                "LedgerSupplierNotApproved": (c.campaign_id, payee),
                "LedgerSupplierNotEffective": (c.campaign_id, payee, effective_at),
                "LedgerInsufficientFunds": (c.campaign_id, token, amount, available),
            },
        )
        if receipt is None:
            return outcome
        (event,) = self._events(receipt, "Disbursed")
        assert (event["supplier"], event["token"], event["amount"]) == (payee, token, amount)
        assert env.balance(symbol, payee) == before + amount - fee_of(symbol, amount)
        c.disbursed[symbol] += amount
        self.expected_balance[symbol] -= amount
        if c.supplier_delay:
            OUTCOMES["disburse: ok, after the supplier delay"] += 1
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
        return any(c.outstanding(r) for r in c.rounds)

    @staticmethod
    def _funded(c: CampaignModel) -> bool:
        return any(c.available(s) > 0 for s in SYMBOLS)

    @staticmethod
    def _payable(c: CampaignModel) -> bool:
        return not c.paused and any(c.available(s) > 0 for s in SYMBOLS)

    # ─── rules ──────────────────────────────────────────────────────────────────────────────────────

    @initialize(goal=GOAL, days=DAYS, aon=st.booleans(), supplier_delay=SUPPLIER_DELAY)
    def campaign_with_every_token(self, goal: int, days: int, aon: bool, supplier_delay: int = 0) -> None:
        """A campaign taking every token, its supplier vetted and a round open, so that money moves early."""
        c = self.do_create(SYMBOLS, supplier_delay)
        self.do_vet(c, 0, approve=True)
        self.do_open(c, goal, days, aon)

    @initialize(symbols=st.sets(st.sampled_from(SYMBOLS), min_size=2), supplier_delay=SUPPLIER_DELAY)
    def campaign_with_some_tokens(self, symbols: set[str], supplier_delay: int) -> None:
        self.do_create(symbols, supplier_delay)

    @precondition(lambda self: len(self.campaigns) < MAX_CAMPAIGNS)
    @rule(
        symbols=st.sets(st.sampled_from(SYMBOLS), min_size=1),
        aon=st.none() | st.booleans(),
        supplier_delay=SUPPLIER_DELAY,
    )
    def create_campaign(self, symbols: set[str], aon: bool | None, supplier_delay: int) -> None:
        """Another campaign; unless ``aon`` is None, with a two-week round of 1,000 USD open at once."""
        c = self.do_create(symbols, supplier_delay)
        if aon is not None:
            self.do_open(c, 1_000, 14, aon)

    @precondition(lambda self: self.misses["accept_token"] < 3 and self._any(lambda c: not c.cancelled))
    @rule(pick=PICK, symbol=st.sampled_from(SYMBOLS), feed=st.integers(0, 7))
    def accept_token(self, pick: int, symbol: str, feed: int) -> None:
        """Accept one more token, or re-price one with another dollar token's feed (or its own again), mostly
        in a live campaign with no round open (with one open, it must revert); at most three per example."""
        self.misses["accept_token"] += 1
        c = self._campaign(pick, lambda c: self._reopenable(c) and len(c.symbols) < len(SYMBOLS))
        missing = [s for s in SYMBOLS if s not in c.symbols]
        if missing and symbol in c.symbols and pick % 2:
            symbol = missing[0]
        choices = DOLLARS if symbol in DOLLARS else (symbol,)
        self.do_accept(c, symbol, choices[feed % len(choices)] if feed < 4 else symbol)

    @precondition(lambda self: self._worth_trying("open_round", self._any(self._reopenable)))
    @rule(pick=PICK, goal=GOAL, days=DAYS, aon=st.booleans())
    def open_round(self, pick: int, goal: int, days: int, aon: bool) -> None:
        self._count_miss("open_round", self._any(self._reopenable))
        self.do_open(self._campaign(pick, self._reopenable), goal, days, aon)

    @rule(
        where=st.tuples(
            PICK,
            st.sampled_from([0, 0, 0, 0, 0, 0, 1, -1]),  # which round: see _round_id
            st.tuples(GOAL, DAYS, st.booleans()),  # the round to open if none is
        ),
        gifts=st.lists(
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
    def pledge(
        self, where: tuple[int, int, tuple[int, int, bool]], gifts: list[tuple[int, int, int, int]]
    ) -> None:
        """One to three donors pledge to a round, mostly the open one of a live campaign; if that round has
        ended, a donor mostly closes it first (anyone may); if the campaign has no round open, the (goal,
        days, all-or-nothing) round is opened first."""
        pick, back, (goal, days, aon) = where
        c = self._campaign(pick, lambda c: c.open_round() is not None)
        current = c.open_round()
        if current is not None and self._before(current.end) is False and self._vary(pick) % 4:
            self.do_close(c, current.round_id, caller="donor")
        if self._reopenable(c):
            self.do_open(c, goal, days, aon)
        round_id = self._round_id(c, back)
        for donor, symbol_pick, dollars, dust in gifts:
            symbols = [s for s in SYMBOLS if s in c.symbols] * 3 + list(SYMBOLS)
            symbol = symbols[self._vary(symbol_pick) % len(symbols)]
            self.do_pledge(c, round_id, donor, symbol, self.amount(symbol, dollars, dust))

    @precondition(lambda self: self._worth_trying("close_round", self._any(CampaignModel.closable)))
    @rule(
        pick=PICK,
        back=st.sampled_from([0, 0, 0, 0, 0, 1, -1]),
        wait=st.sampled_from([True, True, False]),
        caller=st.sampled_from(["manager", "manager", "donor", "outsider"]),
    )
    def close_round(self, pick: int, back: int, wait: bool, caller: str) -> None:
        """The manager closes a round (early only once its goal is met), or, after its end, anyone does;
        another caller closing early must fail."""
        self._count_miss("close_round", self._any(CampaignModel.closable))
        c = self._campaign(pick, CampaignModel.closable)
        self.do_close(c, self._round_id(c, back), wait=wait, caller=caller)

    @precondition(
        lambda self: (
            self.cancel_attempts < 4
            and (sum(not c.cancelled for c in self.campaigns) >= 2 or len(self.campaigns) < MAX_CAMPAIGNS)
            and self._any(lambda c: not c.cancelled and c.holds_pledges())
        )
    )
    @rule(
        pick=PICK,
        any_campaign=st.sampled_from([False, False, False, True]),
        caller=st.sampled_from(["guardian", "guardian", "admin", "manager", "guardian", "outsider"]),
    )
    def cancel_campaign(self, pick: int, any_campaign: bool, caller: str) -> None:
        """The guardian (or the admin; anyone else must fail) cancels a live campaign, preferably one with
        spendable funds (its donors then share the rest pro rata), else one holding pledges, or, with
        ``any_campaign``, one that may be cancelled already (which must fail). At most four attempts per
        example, and a campaign always stays live (a new one, if the last was cancelled): a cancelled
        campaign only refunds, and the other rules need live ones."""
        self.cancel_attempts += 1
        live = [c for c in self.campaigns if not c.cancelled]
        if any_campaign:
            c = self.campaigns[pick % len(self.campaigns)]
        else:
            funded = [c for c in live if any(c.spendable.values())]
            pool = funded * 2 + [c for c in live if c.holds_pledges()] * 2 + live
            c = pool[pick % len(pool)]
        self.do_cancel(c, caller)
        if all(c.cancelled for c in self.campaigns):
            self.do_create(SYMBOLS)

    @precondition(lambda self: self.misses["guard"] < 5)
    @rule(
        pick=PICK,
        action=st.sampled_from(["pause", "unpause", "revoke", "pause", "unpause", "revoke"]),
        caller=st.sampled_from(["guardian", "guardian", "admin", "guardian", "manager", "outsider"]),
        supplier=st.sampled_from([0, 0, 1]),
    )
    def guard(self, pick: int, action: str, caller: str, supplier: int) -> None:
        """The guardian (or the admin; the manager may only revoke, an outsider nothing) pauses a funded
        campaign's payments or resumes a paused one's (whichever can be done, if the other cannot), or revokes
        a supplier, pending or effective; at most five times per example."""
        self.misses["guard"] += 1
        if action == "pause" and not self._any(self._payable) and self._any(lambda c: c.paused):
            action = "unpause"
        elif action == "unpause" and not self._any(lambda c: c.paused):
            action = "pause"
        if action == "revoke":
            c = self._campaign(pick, lambda c: bool(c.suppliers))
            approved = sorted(c.suppliers) * 3 + [supplier]
            self.do_vet(c, approved[self._vary(pick) % len(approved)], approve=False, caller=caller)
        else:
            pause = action == "pause"
            c = self._campaign(pick, (lambda c: self._payable(c)) if pause else (lambda c: c.paused))
            self.do_pause(c, pause=pause, caller=caller)

    @precondition(lambda self: self.misses["advance"] < 4)
    @rule(
        seconds=st.sampled_from([HOUR, 6 * HOUR, DAY, 3 * DAY, 8 * DAY, 16 * DAY]),
        refresh=st.sampled_from([True, True, True, False]),
    )
    def advance(self, seconds: int, refresh: bool) -> None:
        """Let time pass (at most four times per example); unless refreshed, the feeds go stale after a
        day."""
        self.misses["advance"] += 1
        self.env.advance(seconds)
        if refresh:
            self.refresh_feeds()

    @precondition(lambda self: self.misses["set_price"] < 4)
    @rule(symbol=st.sampled_from(SYMBOLS), quarters=st.sampled_from([2, 6, 0, 8, 3, 5, 1]))
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
        caller=st.sampled_from(["outsider", "auditor", "guardian"]),
    )
    def refund(
        self, pick: int, which: int, key_pick: int, push: bool, others: list[int], caller: str
    ) -> None:
        """Mostly in a round that owes refunds, to a donor with a pledge outstanding; sometimes anywhere,
        which must revert (or, pushed, skip the donors owed nothing)."""
        self._count_miss("refund", self._any(self._owes))
        c = self._campaign(pick, self._owes)
        owing_rounds = [r.round_id for r in c.rounds if c.outstanding(r)]
        round_ids = owing_rounds * 3 + [r.round_id for r in c.rounds] + [len(c.rounds) + 1]
        round_id = round_ids[which % len(round_ids)]
        rnd = c.round(round_id)
        outstanding = c.outstanding(rnd) if rnd else []
        keys = (
            outstanding if outstanding and key_pick % 5 else [(s, d) for s in SYMBOLS for d in range(DONORS)]
        )
        symbol, donor = keys[key_pick % len(keys)]
        push = bool(self._vary(push) % 2)
        self.do_refund(c, round_id, symbol, [donor, *others], push=push, caller=caller)

    # One argument on purpose: Hypothesis orders rules by their number of arguments and favours the first.
    # This one is cheap when there is nothing to do, so the favour does not crowd out the costly rules.
    @rule(
        choice=st.tuples(PICK, st.integers(0, 15), st.sampled_from(["outsider", "guardian", "donor"])),
    )
    def settle(self, choice: tuple[int, int, str]) -> None:
        """Anyone pushes one token's refunds to every donor of every round of a campaign that owes some: once
        a cancelled campaign's are all pushed, its remainder must be refunded to the last base unit. With
        none owed, the push goes to the latest round of any campaign (it must revert, or skip everyone)."""
        pick, symbol_pick, caller = choice
        owing = [c for c in self.campaigns if self._owes(c)]
        if not owing:
            c = self.campaigns[self._vary(pick) % len(self.campaigns)]
            symbol = SYMBOLS[self._vary(symbol_pick) % len(SYMBOLS)]
            self.do_refund(c, max(1, len(c.rounds)), symbol, list(range(DONORS)), push=True, caller=caller)
            return
        c = owing[self._vary(pick) % len(owing)]
        symbols = sorted({s for rnd in c.rounds for s, _ in c.outstanding(rnd)})
        symbol = symbols[self._vary(symbol_pick) % len(symbols)]
        for rnd in c.rounds:
            if any(s == symbol for s, _ in c.outstanding(rnd)):
                self.do_refund(c, rnd.round_id, symbol, list(range(DONORS)), push=True, caller=caller)

    @precondition(lambda self: self.misses["vet_supplier"] < 4)
    @rule(
        pick=PICK,
        supplier=st.sampled_from([0, 0, 1]),
        approve=st.sampled_from([True, True, False]),
        caller=st.sampled_from(["manager", "manager", "manager", "outsider"]),
    )
    def vet_supplier(self, pick: int, supplier: int, approve: bool, caller: str) -> None:
        """Approve (again: the delay restarts) or revoke a supplier, mostly in a live campaign that has it not
        approved yet; at most four times per example."""
        self.misses["vet_supplier"] += 1
        c = self._campaign(pick, lambda c: not c.cancelled and supplier not in c.suppliers)
        self.do_vet(c, supplier, approve=approve, caller=caller)

    @precondition(lambda self: self._worth_trying("disburse", self._any(self._funded)))
    @rule(
        pick=PICK,
        symbol_pick=st.integers(0, 15),
        supplier=st.integers(0, 7),  # mostly one that is approved
        mode=st.sampled_from(PAYMENTS),
        permille=st.integers(1, 1_000),
        extra=st.one_of(st.just(1), st.integers(1, 10**20)),
        wait=st.sampled_from([True, False, True]),
        vet_again=st.sampled_from([False, False, False, True]),
    )
    def disburse(
        self,
        pick: int,
        symbol_pick: int,
        supplier: int,
        mode: str,
        permille: int,
        extra: int,
        wait: bool,
        vet_again: bool,
    ) -> None:
        """Pay some, all, more than all (must revert) or none of what a campaign has available in a token,
        mostly one that has some (if its campaign is paused, the guardian mostly resumes it first);
        with ``vet_again``, to a supplier approved again first (its delay restarts). A payment to a supplier
        whose approval is pending must revert; with ``wait``, it is tried again once the delay has passed."""
        self._count_miss("disburse", self._any(self._funded))
        funds = [(c, s) for c in self.campaigns for s in SYMBOLS if c.available(s) > 0]
        if funds and self._vary(pick) % 4:
            c, symbol = funds[self._vary(symbol_pick) % len(funds)]
        else:
            c = self._campaign(pick, self._funded)
            symbol = SYMBOLS[self._vary(symbol_pick) % len(SYMBOLS)]
        if c.paused and not c.cancelled and self._vary(pick) % 3:
            self.do_pause(c, pause=False)
        available = c.spendable[symbol] - c.disbursed[symbol]
        amount = {
            "part": max(1, available * permille // 1_000),
            "all": available,
            "over": available + extra,
            "zero": 0,
        }[mode]
        if not c.suppliers and not c.cancelled and supplier:
            self.do_vet(c, 0, approve=True)  # mostly vet one first; without, the payment must be refused
        approved = sorted(c.suppliers) * 3 + [0, 1]
        payee = approved[self._vary(supplier) % len(approved)]
        if vet_again and payee in c.suppliers and not c.cancelled:
            self.do_vet(c, payee, approve=True)
        if c.pending(payee, self.env.now()):
            amount = amount or max(1, available // 2)  # a payment, not a zero, to see it refused for its date
            self.do_disburse(c, symbol, payee, amount)  # too early: must revert
            if not wait:
                return
            self._wait_until(c.suppliers[payee])
            OUTCOMES["disburse: waited for the supplier delay"] += 1
        self.do_disburse(c, symbol, payee, amount)

    # Hypothesis's swarm testing switches rules off per example by name: under a name of its own, the plain
    # payment still comes up in examples where the rule above is off.
    @precondition(lambda self: self._any(lambda c: self._payable(c) and not c.cancelled))
    @rule(pick=PICK, permille=st.integers(1, 1_000), supplier=st.sampled_from([0, 1]))
    def pay_supplier(self, pick: int, permille: int, supplier: int) -> None:
        """The manager pays part of what a campaign has available in a token to a supplier, approving it
        first if it is not, and waiting for its approval to take effect if it is pending."""
        funds = [(c, s) for c in self.campaigns if self._payable(c) for s in SYMBOLS if c.available(s) > 0]
        c, symbol = funds[self._vary(pick) % len(funds)]
        if supplier not in c.suppliers:
            self.do_vet(c, supplier, approve=True)
        self._wait_until(c.suppliers[supplier])
        self.do_disburse(c, symbol, supplier, max(1, c.available(symbol) * permille // 1_000))

    # Hypothesis draws the next rule from the list of rules, so one registered under several names comes up
    # more often: the money-moving rules are weighted up.
    pledge_2 = pledge_3 = pledge
    close_round_2 = close_round_3 = close_round
    cancel_campaign_2 = cancel_campaign
    refund_2 = refund_3 = refund_4 = refund
    disburse_2 = disburse_3 = disburse_4 = disburse

    # ─── invariants ─────────────────────────────────────────────────────────────────────────────────

    @invariant()
    def books_reconcile(self) -> None:
        """Ledger balance == Σ held == model, per token; every total, round, donor balance, campaign flag,
        supplier approval and refund pool as modelled; a cancelled campaign's pro-rata refunds add up to
        exactly what it had left once every such pledge is refunded, and never to more."""
        self.steps += 1
        env = self.env
        ledger = env.ledger.address
        tokens = {s: env.token_address(s) for s in SYMBOLS}
        suppliers = [s.address for s in self.suppliers]
        rounds = [(c, rnd) for c in self.campaigns for rnd in c.rounds]
        reads = BatchReader(env.w3)
        reads.balance(ledger)
        for s in SYMBOLS[1:]:
            reads.call(tokens[s], "balanceOf(address)", (ledger,), ("uint256",))
        for c in self.campaigns:
            reads.call(ledger, "campaign(uint256)", (c.campaign_id,), CAMPAIGN_TYPES)
            for s in SYMBOLS:
                reads.call(
                    ledger, "tokenTotals(uint256,address)", (c.campaign_id, tokens[s]), ("uint256",) * 5
                )
                reads.call(
                    ledger, "refundPool(uint256,address)", (c.campaign_id, tokens[s]), ("uint256",) * 2
                )
            for address in suppliers:
                reads.call(
                    ledger,
                    "supplierApproval(uint256,address)",
                    (c.campaign_id, address),
                    ("bytes32", "uint48"),
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
                reads.call(ledger, "refundableAmount(uint256,uint256,address,address)", args, ("uint256",))
        answers = iter(reads.execute())

        balances = {s: next(answers)[0] for s in SYMBOLS}
        held_sum = zeros()
        pools: dict[tuple[int, str], tuple[int, int]] = {}
        for c in self.campaigns:
            ((manager, _, round_count, cancelled, paused, delay, accepted),) = next(answers)
            where = f"campaign {c.campaign_id}"
            assert (Web3.to_checksum_address(manager), round_count, cancelled, paused, delay) == (
                env.manager.address,
                len(c.rounds),
                c.cancelled,
                c.paused,
                c.supplier_delay,
            ), where
            assert [Web3.to_checksum_address(t) for t in accepted] == [tokens[s] for s in c.accepted], where
            for s in SYMBOLS:
                pledged, refunded, disbursed, held, available = next(answers)
                where = f"campaign {c.campaign_id} {s}"
                assert held == pledged - refunded - disbursed, where
                assert 0 <= available <= held, f"{where}: available {available} > held {held}"
                expected = (c.pledged(s), c.refunded[s], c.disbursed[s], c.held(s), c.available(s))
                assert (pledged, refunded, disbursed, held, available) == expected, where
                held_sum[s] += held
                pools[(c.campaign_id, s)] = next(answers)
                assert pools[(c.campaign_id, s)] == (c.refund_pool[s], c.refund_base[s]), (
                    f"refundPool {where}"
                )
            for index, address in enumerate(suppliers):
                record, effective_at = next(answers)
                expected_approval = (
                    (RECORD, c.suppliers[index]) if index in c.suppliers else (b"\x00" * 32, 0)
                )
                assert (record, effective_at) == expected_approval, f"supplierApproval {where} {address}"
        pro_rata_refunded: Counter[tuple[int, str]] = Counter()
        outstanding: Counter[tuple[int, str]] = Counter()
        for c, rnd in rounds:
            where = f"round {c.campaign_id}/{rnd.round_id}"
            expected_round = (rnd.start, rnd.end, rnd.state, rnd.aon, rnd.goal_usd, rnd.raised_usd)
            assert tuple(next(answers)) == expected_round, where
            kind = c.refund_kind(rnd)
            pro_rata = kind == PRO_RATA
            for s in SYMBOLS:
                pledged, refunded = next(answers)
                assert (pledged, refunded) == (rnd.pledged[s], rnd.refunded[s]), f"{where} {s}"
                assert refunded <= pledged, f"{where} {s}: refunded {refunded} > pledged {pledged}"
                if pro_rata:
                    pro_rata_refunded[(c.campaign_id, s)] += refunded
            for key, balance in rnd.balances.items():
                (on_chain,) = next(answers)
                assert on_chain == balance, f"pledgeOf {where} {key}"
                (refundable,) = next(answers)
                if kind == PRO_RATA:
                    owed = pro_rata_share(balance, c.refund_pool[key[0]], c.refund_base[key[0]])
                else:
                    owed = balance if kind == FULL else 0
                assert refundable == owed, f"refundableAmount {where} {key}: {refundable}, not {owed}"
                # No donor is ever refunded more than it pledged, nor owed more than it has left.
                paid_back = rnd.paid_back.get(key, 0)
                assert balance + paid_back <= rnd.credited[key], f"{where} {key} over-refunded"
                if pro_rata:
                    outstanding[(c.campaign_id, key[0])] += on_chain
        for c in self.campaigns:
            if not c.cancelled:
                continue
            for s in SYMBOLS:
                where = f"cancelled campaign {c.campaign_id} {s}"
                refunded, left = pro_rata_refunded[(c.campaign_id, s)], c.left_at_cancel[s]
                pool, base = pools[(c.campaign_id, s)]
                assert refunded == c.pro_rata_refunded[s], where
                assert refunded <= left, f"{where}: refunded {refunded} pro rata of the {left} left"
                assert (pool, base) == (left - refunded, outstanding[(c.campaign_id, s)]), where
                if base == 0:
                    assert refunded == left, f"{where}: every pledge refunded, {refunded} of the {left} left"
                    if c.base_at_cancel[s] and (c.campaign_id, s) not in self.settled:
                        self.settled.add((c.campaign_id, s))
                        OUTCOMES["refund: a cancelled campaign's pool refunded to the last base unit"] += 1
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
    LedgerMachine.prepare(env)
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
    # Not a vacuous run: money went in and out, and the guardian acted. (The guided tour below takes every
    # path for certain.)
    for path in ("pledge: ok", "close_round: ok", "disburse: ok"):
        assert OUTCOMES[path] > 0, f"no step reached {path!r}: {dict(OUTCOMES)}"
    assert OUTCOMES["claim_refund: ok"] + OUTCOMES["push_refunds: ok"] > 0, f"no refund: {dict(OUTCOMES)}"
    for path in ("pause_campaign: ok", "cancel_campaign: ok", "disburse: LedgerSupplierNotEffective"):
        assert OUTCOMES[path] > 0, f"no step reached {path!r}: {dict(OUTCOMES)}"


def test_guided_tour_reaches_every_path(env: LedgerEnv) -> None:
    """The machine's actions in a fixed order that takes every path once, checking the books at each step."""
    LedgerMachine.prepare(env)
    OUTCOMES.clear()
    m = LedgerMachine()
    try:
        steps: list[tuple[Callable[[], object], object]] = []

        def step(action: Callable[[], object], expect: object = OK) -> None:
            steps.append((action, expect))

        step(lambda: m.campaign_with_every_token(goal=1_000, days=7, aon=True), None)
        step(lambda: m.campaign_with_some_tokens({"USDC", "DAI", "FEE"}, supplier_delay=0), None)
        c1, c2, c3 = (lambda: m.campaigns[0]), (lambda: m.campaigns[1]), (lambda: m.campaigns[2])
        # Round 1 of campaign 1: all-or-nothing, 1,000 USD, pledged ~450 USD in every token; fails.
        for donor, symbol, dollars in ((0, "ETH", 300), (1, "USDT", 40), (2, "FEE", 90), (3, "DAI", 7)):
            step(lambda d=donor, s=symbol, n=dollars: m.do_pledge(c1(), 1, d, s, m.amount(s, n, 7)))
        step(lambda: m.do_pledge(c1(), 1, 0, "USDC", m.amount("USDC", 12)))
        step(lambda: m.do_pledge(c1(), 1, 1, "USDC", 0), "LedgerInvalidPledgeAmount")
        step(lambda: m.do_pledge(c1(), 2, 1, "USDC", 5), "LedgerUnknownRound")
        step(lambda: m.do_close(c1(), 1), "LedgerRoundNotEnded")
        # Feeds are fixed while a round is open: re-pricing (or adding) a token must wait for the close.
        step(lambda: m.do_accept(c1(), "USDC", "DAI"), "LedgerTokensLocked")
        # Round 1 of campaign 2: keep-it-all, 3 days, short of its goal; its funds become spendable.
        step(lambda: m.do_open(c2(), 100, 3, False))
        step(lambda: m.do_open(c2(), 100, 3, False), "LedgerRoundStillOpen")
        step(lambda: m.do_pledge(c2(), 1, 1, "ETH", m.amount("ETH", 50)), "LedgerTokenNotAccepted")
        step(lambda: m.do_accept(c2(), "ETH"), "LedgerTokensLocked")
        step(lambda: m.do_pledge(c2(), 1, 1, "USDC", m.amount("USDC", 60, 3)))
        step(lambda: m.do_pledge(c2(), 1, 2, "FEE", m.amount("FEE", 30, 99)))
        # Past both rounds' ends anyone may close them: an outsider, a donor.
        step(lambda: m.do_close(c1(), 1, wait=True, caller="outsider"))
        step(lambda: m.do_pledge(c2(), 1, 2, "DAI", m.amount("DAI", 5)), "LedgerRoundEnded")
        step(lambda: m.do_pledge(c1(), 1, 2, "DAI", m.amount("DAI", 5)), "LedgerRoundNotOpen")
        step(lambda: m.do_close(c2(), 1, caller="donor"))
        step(lambda: m.do_close(c2(), 1), "LedgerRoundNotOpen")
        # With no round open, a token can be added and another re-priced.
        step(lambda: m.do_accept(c2(), "ETH"))
        step(lambda: m.do_accept(c2(), "DAI", "USDT"))
        # Refunds of the failed all-or-nothing round: claimed, claimed again, pushed (with repeats).
        step(lambda: m.do_refund(c1(), 1, "ETH", [0], push=False))
        step(lambda: m.do_refund(c1(), 1, "ETH", [0], push=False), "LedgerNothingToRefund")
        step(lambda: m.do_refund(c1(), 1, "USDT", [1, 2, 1, 3], push=True, caller="auditor"))
        step(lambda: m.do_refund(c1(), 1, "FEE", [2, 2], push=True))
        step(lambda: m.do_refund(c2(), 1, "USDC", [1], push=False), "LedgerNotRefundable")
        step(lambda: m.do_refund(c2(), 1, "USDC", [1], push=True), "LedgerNotRefundable")
        # Payments from the keep-it-all round (no supplier delay: an approval takes effect at once).
        step(lambda: m.do_disburse(c2(), "USDC", 0, 1_000), "LedgerSupplierNotApproved")
        step(lambda: m.do_vet(c2(), 0, approve=True, caller="outsider"), "LedgerUnauthorizedManager")
        step(lambda: m.do_vet(c2(), 0, approve=True))
        step(lambda: m.do_disburse(c2(), "USDC", 0, m.amount("USDC", 20)))
        step(lambda: m.do_disburse(c2(), "FEE", 0, c2().available("FEE")))
        step(lambda: m.do_disburse(c2(), "USDC", 0, c2().available("USDC") + 1), "LedgerInsufficientFunds")
        step(lambda: m.do_disburse(c2(), "FEE", 0, 1), "LedgerInsufficientFunds")
        step(lambda: m.do_disburse(c2(), "USDC", 0, 0), "LedgerInvalidDisbursementAmount")
        step(lambda: m.do_vet(c2(), 1, approve=False), "LedgerSupplierNotApproved")
        # The guardian (or the admin) pauses and resumes payments at once; nobody else may.
        step(lambda: m.do_pause(c2(), pause=True, caller="outsider"), "LedgerUnauthorizedGuardian")
        step(lambda: m.do_pause(c2(), pause=True, caller="manager"), "LedgerUnauthorizedGuardian")
        step(lambda: m.do_pause(c2(), pause=True))
        step(lambda: m.do_pause(c2(), pause=True), "LedgerCampaignPaused")
        step(lambda: m.do_disburse(c2(), "USDC", 0, 1), "LedgerCampaignPaused")
        step(lambda: m.do_pause(c2(), pause=False, caller="outsider"), "LedgerUnauthorizedGuardian")
        step(lambda: m.do_pause(c2(), pause=False, caller="admin"))
        step(lambda: m.do_pause(c2(), pause=False), "LedgerCampaignNotPaused")
        step(lambda: m.do_disburse(c2(), "USDC", 0, 1))
        step(lambda: m.do_vet(c2(), 0, approve=False, caller="outsider"), "LedgerUnauthorizedRevoker")
        step(lambda: m.do_vet(c2(), 0, approve=False))  # the manager revokes its own supplier
        # Campaign 3 waits two days between a supplier's approval and its first payment.
        step(lambda: m.do_create({"DAI", "USDT"}, supplier_delay=2 * DAY), None)
        step(lambda: m.do_accept(c3(), "USDT", "DAI"))  # USDT priced by the DAI feed from now on
        step(lambda: m.do_open(c3(), 100, 10, False))
        step(lambda: m.do_pledge(c3(), 1, 0, "DAI", m.amount("DAI", 150, 5)))
        step(lambda: m.do_pledge(c3(), 1, 1, "USDT", m.amount("USDT", 50, 3)))
        step(lambda: m.do_pledge(c3(), 1, 2, "DAI", m.amount("DAI", 7, 11)))
        step(lambda: m.do_close(c3(), 1, caller="donor"), "LedgerRoundNotEnded")  # goal met, not the manager
        step(lambda: m.do_close(c3(), 1))
        step(lambda: m.do_vet(c3(), 0, approve=True))
        step(lambda: m.do_disburse(c3(), "DAI", 0, m.amount("DAI", 10)), "LedgerSupplierNotEffective")
        step(lambda: m.advance(DAY, refresh=True), None)
        step(lambda: m.do_disburse(c3(), "DAI", 0, m.amount("DAI", 10)), "LedgerSupplierNotEffective")
        step(lambda: m.advance(DAY + HOUR, refresh=True), None)
        step(lambda: m.do_disburse(c3(), "DAI", 0, m.amount("DAI", 30)))
        step(lambda: m.do_vet(c3(), 0, approve=True))  # a new record: the delay starts again
        step(lambda: m.do_disburse(c3(), "DAI", 0, m.amount("DAI", 10)), "LedgerSupplierNotEffective")
        step(lambda: m.do_vet(c3(), 1, approve=True))
        step(lambda: m.do_vet(c3(), 1, approve=False, caller="guardian"))  # revoked while pending
        step(lambda: m.do_disburse(c3(), "USDT", 1, m.amount("USDT", 10)), "LedgerSupplierNotApproved")
        step(lambda: m._wait_until(c3().suppliers[0]), None)
        step(lambda: m.do_disburse(c3(), "USDT", 0, m.amount("USDT", 20)))
        # The guardian pauses campaign 3, then cancels it (the manager may not): it refunds pro rata.
        step(lambda: m.do_pause(c3(), pause=True))
        step(lambda: m.do_cancel(c3(), caller="manager"), "LedgerUnauthorizedGuardian")
        step(lambda: m.do_cancel(c3()))
        step(lambda: m.do_refund(c3(), 1, "DAI", [2, 0], push=True))
        step(lambda: m.do_refund(c3(), 1, "USDT", [1], push=False))
        step(lambda: m.do_pause(c3(), pause=False))
        step(lambda: m.do_disburse(c3(), "DAI", 0, 1), "LedgerCampaignCancelled")
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
        step(
            lambda: m.do_close(c1(), 2, caller="outsider"), "LedgerRoundNotEnded"
        )  # goal met, not the manager
        step(lambda: m.do_close(c1(), 2))
        step(lambda: m.do_disburse(c1(), "ETH", 0, c1().available("ETH") // 3))
        step(lambda: m.do_disburse(c1(), "DAI", 0, c1().available("DAI")))
        step(lambda: m.do_disburse(c1(), "ETH", 0, c1().available("ETH") + 10**18), "LedgerInsufficientFunds")
        # Round 3 of campaign 1 is open when the guardian cancels the campaign: it is refunded in full, and
        # what is left of round 2 pro rata, each claim taking its share of what the claims before it left.
        step(lambda: m.do_open(c1(), 2_000, 10, False))
        step(lambda: m.do_pledge(c1(), 3, 2, "USDC", m.amount("USDC", 40, 1)))
        step(lambda: m.do_cancel(c1(), caller="outsider"), "LedgerUnauthorizedGuardian")
        step(lambda: m.do_cancel(c1()))
        step(lambda: m.do_cancel(c1(), caller="admin"), "LedgerCampaignCancelled")
        step(lambda: m.do_refund(c1(), 3, "USDC", [2], push=False))
        step(lambda: m.do_refund(c1(), 2, "ETH", [0], push=False))
        step(lambda: m.do_refund(c1(), 2, "ETH", [1, 0, 3], push=True))
        step(lambda: m.do_refund(c1(), 2, "DAI", [3], push=False))  # all spent: settled for 0
        step(lambda: m.do_refund(c1(), 2, "DAI", [3], push=False), "LedgerNothingToRefund")
        step(lambda: m.do_refund(c1(), 1, "DAI", [3], push=True))  # round 1 still owes its pledges in full
        step(lambda: m.do_disburse(c1(), "ETH", 0, 1), "LedgerCampaignCancelled")
        step(lambda: m.do_open(c1(), 100, 1, True), "LedgerCampaignCancelled")
        step(lambda: m.do_accept(c1(), "USDC"), "LedgerCampaignCancelled")
        step(lambda: m.do_vet(c1(), 1, approve=True), "LedgerCampaignCancelled")
        step(lambda: m.do_vet(c1(), 0, approve=False, caller="admin"))  # revoking stays possible

        m.books_reconcile()
        for number, (action, expect) in enumerate(steps, 1):
            outcome = action()
            assert expect is None or outcome == expect, f"step {number}: expected {expect}, got {outcome}"
            m.books_reconcile()
    finally:
        m.teardown()
    _report()
    assert OUTCOMES["refund: pro rata, a share of a cancelled campaign"] >= 4
    assert OUTCOMES["refund: pro rata, a zero share of a cancelled campaign"] == 1
    # Campaign 1's ETH and DAI, campaign 3's DAI and USDT: every pledge refunded, every unit of what was left.
    assert OUTCOMES["refund: a cancelled campaign's pool refunded to the last base unit"] == 4
    assert OUTCOMES["disburse: ok, after the supplier delay"] == 2
    assert OUTCOMES["approve_supplier: again, the delay restarts"] == 1
    assert OUTCOMES["revoke_supplier: ok, by the guardian, while pending"] == 1
    for kind in (
        "failed all-or-nothing",
        "failed keep-it-all",
        "succeeded all-or-nothing",
        "succeeded keep-it-all",
    ):
        assert OUTCOMES[f"close_round: {kind}"] == 1
