"""Any mix of ledger activity, indexed at any points and in batches of any size, gives a mirror equal to
the chain (Hypothesis, fixed seed in CI)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from ledger.indexer.runner import IndexerConfig
from ledger.indexer.store import MirrorStore
from tests.indexer.support import SYMBOLS, assert_mirror_matches_chain, run_indexer
from tests.support.chain import LedgerEnv, reverted
from tests.support.units import DAY, USD

UNITS = {"ETH": 10**15, "USDC": 10**6, "DAI": 10**18, "USDT": 10**6, "FEE": 10**18}

Step = tuple[str, int, int]
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("pledge"), st.integers(0, 3), st.integers(0, len(SYMBOLS) - 1)),
        st.tuples(st.just("index"), st.sampled_from([1, 3, 10_000]), st.just(0)),
        st.tuples(st.just("fail_and_refund"), st.booleans().map(int), st.just(0)),
        st.tuples(st.just("succeed_and_pay"), st.integers(1, 999), st.integers(0, len(SYMBOLS) - 1)),
    ),
    min_size=3,
    max_size=14,
)


class Campaign:
    """One campaign driven by the steps: always a round open, supplier approved on first payment."""

    def __init__(self, env: LedgerEnv) -> None:
        self.env = env
        self.id = env.create_campaign()
        self.round = env.open_round(
            self.id, goal_usd=10**9 * USD, days=3, aon=True
        )  # fails unless closed early
        self.donors: set[tuple[int, str]] = set()
        self.supplier_approved = False

    def pledge(self, donor: int, symbol: str, units: int | None = None) -> None:
        amount = (units or donor + 1) * UNITS[symbol]
        self.env.pledge(self.env.donors[donor], self.id, self.round, symbol, amount)
        self.donors.add((donor, symbol))

    def fail_and_refund(self, push: bool) -> None:
        env = self.env
        env.advance(4 * DAY)
        env.refresh_feeds()
        env.manager.send(env.f.closeRound(self.id, self.round))
        for symbol in SYMBOLS:
            owed = [env.donors[d].address for d, s in sorted(self.donors) if s == symbol]
            if not owed:
                continue
            token = env.token_address(symbol)
            if push:
                env.outsider.send(env.f.pushRefunds(self.id, self.round, token, owed))
            else:
                for donor, s in sorted(self.donors):
                    if s == symbol:
                        env.donors[donor].send(env.f.claimRefund(self.id, self.round, token))
        self._next_round()

    def succeed_and_pay(self, permille: int, symbol: str) -> None:
        env = self.env
        # End the current round (its huge goal fails), then open one with a 1 USD goal that a pledge meets.
        env.advance(4 * DAY)
        env.refresh_feeds()
        env.manager.send(env.f.closeRound(self.id, self.round))
        self.round = env.open_round(self.id, goal_usd=1 * USD, days=3, aon=True)
        self.donors = set()
        self.pledge(0, symbol, units=5)  # at least 5 USD in any token, fee or not
        env.manager.send(env.f.closeRound(self.id, self.round))  # goal met: closes early, Succeeded
        if not self.supplier_approved:
            env.manager.send(env.f.approveSupplier(self.id, env.supplier.address, b"\x01" * 32))
            self.supplier_approved = True
        token = env.token_address(symbol)
        available = env.f.tokenTotals(self.id, token).call()[4]
        if available * permille // 1000:
            env.manager.send(
                env.f.disburse(
                    self.id,
                    token,
                    env.supplier.address,
                    available * permille // 1000,
                    b"\x02" * 32,
                    b"\x03" * 32,
                )
            )
        self._next_round()

    def _next_round(self) -> None:
        self.round = self.env.open_round(self.id, goal_usd=10**9 * USD, days=3, aon=True)
        self.donors = set()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_any_activity_indexed_at_any_points_mirrors_the_chain(
    env: LedgerEnv, engine: Engine, steps: list[Step]
) -> None:
    MirrorStore(engine).reset(env.w3.eth.chain_id)
    with reverted(env):  # every example starts from the same chain
        campaign = Campaign(env)
        for kind, a, b in steps:
            if kind == "pledge":
                campaign.pledge(a, SYMBOLS[b])
            elif kind == "index":
                run_indexer(env, engine, IndexerConfig(target_logs=a))
            elif kind == "fail_and_refund":
                campaign.fail_and_refund(bool(a))
            else:
                campaign.succeed_and_pay(a, SYMBOLS[b])
        run_indexer(env, engine)
        assert_mirror_matches_chain(env, engine)
