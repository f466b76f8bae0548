"""The attacks of the security review, each played against v1 (the previous release, kept verbatim under
``tests/contracts/v1/contracts``) and against v2.

Each test is the attack, step by step, each step allowed to fail (``attempt``), followed by the assertion that
it did NOT succeed. The v1 case is marked ``xfail(strict=True, raises=AssertionError)``: it must fail, and
fail on that assertion, so the suite proves that every attack works on v1 and is stopped by v2. Both releases
are deployed fresh for each test on the session's Anvil, with the same actors, test tokens, feeds and test
doubles (from the main build); only what differs between them goes through :class:`Release`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from web3.contract import Contract

from ledger.chain import Transactor
from ledger.compiler import Build, compile_contracts
from tests.contracts.support import (
    INVOICE,
    PO,
    RECORD,
    RETURN_BOMB,
    SUCCEEDED,
    attempt,
    calldata,
    close,
    deploy_feed,
    deploy_griefing_donor,
    deploy_hook_attacker,
    deploy_hook_token,
    deploy_token,
    end_round,
    succeeded_round,
)
from tests.support.chain import LedgerEnv
from tests.support.units import DAY, ETH, USD

V1_CONTRACTS = Path(__file__).parent / "v1" / "contracts"
BIG = 2**128 - 1  # the most one round may hold of a token


@pytest.fixture(scope="session")
def v1_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The previous release, compiled from its kept sources by the project's compiler and settings."""
    return compile_contracts(contracts_dir=V1_CONTRACTS, build_dir=tmp_path_factory.mktemp("v1-build"))


@dataclass
class Release:
    """One release of the ledger, freshly deployed with ``env``'s admin; ``env.ledger`` is this deployment."""

    name: str
    env: LedgerEnv

    def create_campaign(self, symbols: tuple[str, ...] = (), *, supplier_delay: int = 0) -> int:
        """A campaign managed by ``env.manager`` accepting ``symbols``. v1 has no supplier delay: its
        approvals take effect at once."""
        env = self.env
        args = [env.manager.address, "WAHO", b"\x11" * 32]
        if self.name == "v2":
            args.append(supplier_delay)
        receipt = env.admin.send(env.f.createCampaign(*args))
        c = int(env.ledger.events.CampaignCreated().process_receipt(receipt)[0]["args"]["campaignId"])
        for symbol in symbols:
            env.admin.send(env.f.acceptToken(c, env.token_address(symbol), env.feeds[symbol].address, DAY))
        return c


@pytest.fixture
def release(request: pytest.FixtureRequest, env: LedgerEnv, v1_build: Build) -> Release:
    """The release named by the test's parameter, deployed fresh (the ``env`` snapshot removes it after)."""
    if request.param == "v1":
        artifact = v1_build["PledgeLedger"]
        ledger = env.admin.deploy(artifact.abi, artifact.bytecode, env.admin.address)
    else:
        artifact = env.build["PledgeLedger"]
        ledger = env.admin.deploy(
            artifact.abi, artifact.bytecode, env.admin.address, env.guardian.address, DAY, 0
        )
    return Release(request.param, replace(env, ledger=ledger))


def against_v1_and_v2(why_v1_falls: str) -> pytest.MarkDecorator:
    """Run the attack on both releases; on v1 it must succeed, so the test's final assertion must fail."""
    v1 = pytest.param("v1", marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=why_v1_falls))
    return pytest.mark.parametrize("release", [v1, "v2"], indirect=True)


def token_balance(token: Contract, account: str) -> int:
    return int(token.functions.balanceOf(account).call())


# ─── Stolen keys ──────────────────────────────────────────────────────────────────────────────────────


def funded_campaign(release: Release, delay: int) -> int:
    """A campaign with a 2-day supplier delay (on v2) and 1 ETH and 1,000 USDC spendable."""
    env = release.env
    c = release.create_campaign(("ETH", "USDC"), supplier_delay=delay)
    succeeded_round(env, c, [(env.donors[0], "ETH", 10**18), (env.donors[1], "USDC", 1_000 * 10**6)])
    return c


def drain(release: Release, c: int, thief: str, sender: Transactor) -> None:
    """The thief pays itself everything the campaign can spend, in every token."""
    env = release.env
    for symbol in ("ETH", "USDC"):
        token = env.token_address(symbol)
        available = env.f.tokenTotals(c, token).call()[4]
        if available:
            attempt(sender.send, env.f.disburse(c, token, thief, available, PO, INVOICE))


def assert_nothing_was_paid(release: Release, c: int, thief: str) -> None:
    env = release.env
    assert env.balance_of_ledger("ETH") == 10**18
    assert env.balance_of_ledger("USDC") == 1_000 * 10**6
    assert env.balance("USDC", thief) == 0
    assert (
        env.f.tokenTotals(c, ETH).call()[2] == env.f.tokenTotals(c, env.token_address("USDC")).call()[2] == 0
    )


def approve_itself_until_revoked(release: Release, c: int, thief: Transactor) -> None:
    """``thief`` approves itself as supplier and tries to drain campaign ``c`` at once; the guardian sees the
    SupplierApproved event and revokes the approval well within the delay; the thief tries again after it."""
    env = release.env
    attempt(thief.send, env.f.approveSupplier(c, thief.address, RECORD))
    drain(release, c, thief.address, thief)
    env.advance(DAY)
    attempt(env.guardian.send, env.f.revokeSupplier(c, thief.address))
    env.advance(DAY + 1)
    drain(release, c, thief.address, thief)


@against_v1_and_v2(
    "v1 approvals take effect at once: a stolen admin key makes itself manager and pays itself"
)
def test_stolen_admin_key_cannot_pay_itself_before_the_guardian_revokes(release: Release) -> None:
    env = release.env
    c = funded_campaign(release, 2 * DAY)
    thief = env.admin  # the admin is a plain account here, and its key is stolen
    attempt(thief.send, env.f.setManager(c, thief.address))
    approve_itself_until_revoked(release, c, thief)
    # Approving itself again only starts the delay again.
    attempt(thief.send, env.f.approveSupplier(c, thief.address, RECORD))
    drain(release, c, thief.address, thief)
    assert_nothing_was_paid(release, c, thief.address)


@against_v1_and_v2("v1 approvals take effect at once: a stolen manager key approves itself and pays itself")
def test_stolen_manager_key_cannot_pay_itself_before_the_guardian_revokes(release: Release) -> None:
    env = release.env
    c = funded_campaign(release, 2 * DAY)
    thief = env.manager
    approve_itself_until_revoked(release, c, thief)
    assert_nothing_was_paid(release, c, thief.address)


# ─── A feed swapped under an open round ───────────────────────────────────────────────────────────────


@against_v1_and_v2("v1 lets the admin re-price a token mid-round: a worthless pledge meets the goal")
def test_feed_swap_mid_round_cannot_make_a_tiny_pledge_meet_the_goal(release: Release) -> None:
    env = release.env
    c = release.create_campaign(("ETH",))
    r = env.open_round(c, goal_usd=1_000_000 * USD, aon=True)
    env.pledge(env.donors[0], c, r, "ETH", 10**18)  # an honest 2,000 USD
    # The admin re-accepts ETH with a rigged feed, 10**22 USD per ETH, and 1,000 wei "meets" the goal.
    rigged = deploy_feed(env, 8, 10**30)
    attempt(env.admin.send, env.f.acceptToken(c, ETH, rigged.address, DAY))
    attempt(env.pledge, env.outsider, c, r, "ETH", 1_000)
    attempt(close, env, c, r)
    end_round(env, c, r)
    attempt(close, env, c, r)
    assert env.f.round(c, r).call()[2] != SUCCEEDED
    assert env.f.tokenTotals(c, ETH).call()[4] == 0  # nothing became spendable


# ─── A manager who never closes ───────────────────────────────────────────────────────────────────────


@against_v1_and_v2("v1 rounds are closed only by their manager: a failed round's donors wait for it forever")
def test_manager_who_never_closes_a_failed_round_cannot_hold_its_donors_refunds(release: Release) -> None:
    env = release.env
    c = release.create_campaign(("ETH",))
    r = env.open_round(c, goal_usd=1_000_000 * USD, aon=True)
    donor = env.donors[0]
    env.pledge(donor, c, r, "ETH", 10**18)
    end_round(env, c, r)
    # The manager does nothing; the donor closes the round and claims.
    attempt(donor.send, env.f.closeRound(c, r))
    attempt(donor.send, env.f.claimRefund(c, r, ETH))
    assert env.f.pledgeOf(c, r, ETH, donor.address).call() == 0
    assert env.balance_of_ledger("ETH") == 0


# ─── Campaign totals that overflow ────────────────────────────────────────────────────────────────────


@against_v1_and_v2(
    "v1 campaign totals are uint128: a second round near 2**128 can be neither closed nor cancelled"
)
def test_two_rounds_near_2_128_cannot_lock_the_funds(release: Release) -> None:
    env = release.env
    token = deploy_token(env, 36)
    c = release.create_campaign()
    env.admin.send(env.f.acceptToken(c, token.address, env.feeds["DAI"].address, DAY))
    d0, d1 = env.donors[0], env.donors[1]
    for donor in (d0, d1):
        env.admin.send(token.functions.mint(donor.address, BIG))
        donor.send(token.functions.approve(env.ledger.address, BIG))
    r1 = env.open_round(c, goal_usd=USD)
    d0.send(env.f.pledgeToken(c, r1, token.address, BIG))
    close(env, c, r1)  # succeeded: BIG is spendable
    r2 = env.open_round(c, goal_usd=10**9 * USD, aon=True)
    d1.send(env.f.pledgeToken(c, r2, token.address, BIG))
    end_round(env, c, r2)
    attempt(close, env, c, r2)  # failed: BIG is refundable
    attempt(env.admin.send, env.f.cancelCampaign(c))  # and round 1's BIG too, pro rata
    attempt(d1.send, env.f.claimRefund(c, r2, token.address))
    attempt(d0.send, env.f.claimRefund(c, r1, token.address))
    assert token_balance(token, d0.address) == token_balance(token, d1.address) == BIG
    assert token_balance(token, env.ledger.address) == 0


# ─── A token that calls the donor back ────────────────────────────────────────────────────────────────


@against_v1_and_v2("v1 closeRound is not nonReentrant: a manager closes its round inside its own pledge")
def test_hook_token_cannot_close_the_round_inside_a_pledge(release: Release) -> None:
    env = release.env
    hook, attacker = deploy_hook_token(env), deploy_hook_attacker(env)
    owner = env.outsider
    c = release.create_campaign(("USDC",))
    env.admin.send(env.f.acceptToken(c, hook.address, env.feeds["DAI"].address, DAY))
    r = env.open_round(c, goal_usd=100 * USD)
    env.pledge(env.donors[0], c, r, "USDC", 100 * 10**6)  # the goal is met
    # The attacker contract is the campaign's manager (stolen or malicious) and a donor of the hook token.
    env.admin.send(env.f.setManager(c, attacker.address))
    env.admin.send(hook.functions.mint(attacker.address, 10**18))
    owner.send(
        attacker.functions.execute(hook.address, calldata(hook, "approve", env.ledger.address, 10**18))
    )
    owner.send(attacker.functions.execute(hook.address, calldata(hook, "setHook", True)))
    owner.send(attacker.functions.armHook(env.ledger.address, calldata(env.ledger, "closeRound", c, r)))
    pledge = calldata(env.ledger, "pledgeToken", c, r, hook.address, 10**18)
    attempt(owner.send, attacker.functions.execute(env.ledger.address, pledge))
    # Every hook token the ledger holds is booked: spendable, refundable or still in the open round.
    held = env.f.tokenTotals(c, hook.address).call()[3]
    assert token_balance(hook, env.ledger.address) == held


# ─── A donor that bombs pushed refunds ────────────────────────────────────────────────────────────────


@against_v1_and_v2(
    "v1 forwards all gas and copies the return data: a return bomb makes every batch run out of gas"
)
def test_return_bomb_cannot_block_a_pushed_refund_batch(release: Release) -> None:
    env = release.env
    c = release.create_campaign(("ETH",))
    bomber = deploy_griefing_donor(env, RETURN_BOMB, env.ledger.address)
    d0, d1 = env.donors[0], env.donors[1]
    r = env.open_round(c, goal_usd=10**9 * USD)
    env.donors[2].send(bomber.functions.pledge(c, r), value=10**17)
    env.pledge(d0, c, r, "ETH", 2 * 10**17)
    env.pledge(d1, c, r, "ETH", 2 * 10**17)
    end_round(env, c, r)
    close(env, c, r)
    batch = env.f.pushRefunds(c, r, ETH, [d0.address, bomber.address, d1.address])
    for gas in (1_000_000, 10_000_000, 29_000_000):  # whatever gas the caller gives
        attempt(env.outsider.send, batch, gas=gas)
    assert env.f.pledgeOf(c, r, ETH, d0.address).call() == env.f.pledgeOf(c, r, ETH, d1.address).call() == 0
    assert env.balance_of_ledger("ETH") == 10**17  # only the bomber's refund is left, for it to claim


# ─── Pro-rata dust ────────────────────────────────────────────────────────────────────────────────────


@against_v1_and_v2("v1 rounds every pro-rata share down: dust nobody can claim stays in the contract")
def test_pro_rata_refunds_of_a_cancelled_campaign_leave_no_dust(release: Release) -> None:
    env = release.env
    c = release.create_campaign(("USDC",))
    d0, d1, d2 = env.donors[:3]
    r = succeeded_round(env, c, [(d0, "USDC", 1), (d1, "USDC", 1_000_000), (d2, "USDC", 2_000_000)])
    env.manager.send(env.f.approveSupplier(c, env.supplier.address, RECORD))
    env.manager.send(
        env.f.disburse(c, env.token_address("USDC"), env.supplier.address, 2_999_994, PO, INVOICE)
    )
    attempt(env.admin.send, env.f.cancelCampaign(c))  # 7 base units left to share over 3,000,001
    before = [env.balance("USDC", d.address) for d in (d0, d1, d2)]
    for donor in (d0, d1, d2):
        attempt(donor.send, env.f.claimRefund(c, r, env.token_address("USDC")))
    attempt(env.outsider.send, env.f.pushRefunds(c, r, env.token_address("USDC"), [d0.address, d1.address]))
    refunds = [env.balance("USDC", d.address) - b for d, b in zip((d0, d1, d2), before, strict=True)]
    assert sum(refunds) == 7
    assert env.balance_of_ledger("USDC") == 0
    assert env.f.tokenTotals(c, env.token_address("USDC")).call()[3] == 0


def test_the_attacks_run_against_the_kept_v1(v1_build: Build) -> None:
    """v1 is what it was: its constructor takes the admin alone; no guardian, no supplier delay."""
    abi = v1_build["PledgeLedger"].abi
    (constructor,) = [item for item in abi if item["type"] == "constructor"]
    assert [p["type"] for p in constructor["inputs"]] == ["address"]
    names = {item.get("name") for item in abi}
    (create,) = [item for item in abi if item.get("name") == "createCampaign"]
    assert len(create["inputs"]) == 3
    assert not names & {"GUARDIAN_ROLE", "pauseCampaign", "supplierApproval", "refundPool", "PUSH_REFUND_GAS"}
