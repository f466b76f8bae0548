"""The dashboard test's data: the reference campaign (tests/reconcile/support.py), plus a second round that
fails its goal with a refund claimed, indexed into a database the served API reads."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from ledger.db.engine import make_engine
from ledger.db.session import write_session
from ledger.errors import ReorgTooDeepError
from ledger.indexer.runner import IndexerConfig
from ledger.records import service
from ledger.records.schemas import TokenCreate
from tests.contracts.support import failed_aon_round, unit
from tests.indexer.support import run_indexer
from tests.reconcile.support import Reference, index, reference_campaign
from tests.support.chain import LedgerEnv
from tests.support.units import USD

#: Tokens given a record (a symbol); ETH has none: the page calls the zero address "ETH" by itself.
NAMED_TOKENS = {"USDC": "USD Coin", "DAI": "Dai Stablecoin"}
#: The report hash the test's auditor attests.
AUDITED_HASH = bytes.fromhex("ab" * 32)


def campaign_with_refunds(env: LedgerEnv, engine: Engine) -> Reference:
    """WAHO's campaign, then a failed all-or-nothing round in it whose first donor claims a refund, an
    auditor's attestation, and the records of :data:`NAMED_TOKENS`."""
    reference = reference_campaign(env, engine, token_names=())
    donor = env.donors[0]
    round_id = failed_aon_round(env, reference.campaign_id, [(donor, "USDC", 5_000 * unit("USDC"))])
    donor.send(env.f.claimRefund(reference.campaign_id, round_id, env.token_address("USDC")))
    as_of = env.w3.eth.block_number
    env.auditor.send(env.f.attestReport(reference.campaign_id, AUDITED_HASH, as_of, "ipfs://bafy-report"))
    index(env, engine)
    with write_session(engine) as s:
        for symbol, name in NAMED_TOKENS.items():
            token = TokenCreate(address=env.token_address(symbol), symbol=symbol, name=name)
            service.create_token(s, data=token, actor="test")
    return reference


def pledge_in_new_round(env: LedgerEnv, url: str, reference: Reference, dollars: int) -> None:
    """The first donor pledges ``dollars`` USDC in a new open round of the campaign; indexed into ``url``."""
    round_id = env.open_round(reference.campaign_id, goal_usd=10**6 * USD)
    env.pledge(env.donors[0], reference.campaign_id, round_id, "USDC", dollars * unit("USDC"))
    engine = make_engine(url)
    try:
        index(env, engine)
    finally:
        engine.dispose()


def pause_and_schedule_an_admin_transfer(env: LedgerEnv, url: str, reference: Reference) -> None:
    """The guardian pauses the campaign and the admin schedules the admin role's transfer (pending for every
    campaign until accepted); indexed into ``url``."""
    env.guardian.send(env.f.pauseCampaign(reference.campaign_id))
    env.admin.send(env.f.beginDefaultAdminTransfer(env.outsider.address))
    engine = make_engine(url)
    try:
        index(env, engine)
    finally:
        engine.dispose()


#: The finality depth of :func:`halted_mirror`: few blocks, so that a short branch replaces more.
SHALLOW_FINALITY = IndexerConfig(finality=2)


def _rpc(env: LedgerEnv, method: str, params: list[Any]) -> Any:
    answer = env.w3.provider.make_request(method, params)  # type: ignore[arg-type]
    assert "error" not in answer, f"{method}: {answer['error']}"
    return answer.get("result")


def halted_mirror(env: LedgerEnv, engine: Engine) -> str:
    """A campaign with a final pledge mirrored into ``engine``, then a longer branch from before the pledge
    (a reorganisation deeper than :data:`SHALLOW_FINALITY`): the indexer halts. Returns why it did."""
    campaign_id = env.create_campaign(("ETH",))
    round_id = env.open_round(campaign_id)
    snapshot = _rpc(env, "evm_snapshot", [])
    fork = env.w3.eth.block_number
    env.pledge(env.donors[0], campaign_id, round_id, "ETH", 10**15)
    _rpc(env, "anvil_mine", [hex(4)])
    mirrored = run_indexer(env, engine, SHALLOW_FINALITY)
    _rpc(env, "evm_revert", [snapshot])
    env.forget_nonces()
    _rpc(env, "anvil_mine", [hex(mirrored.block_number - fork + 5)])
    with pytest.raises(ReorgTooDeepError) as stopped:
        run_indexer(env, engine, SHALLOW_FINALITY)
    return str(stopped.value)
