"""``ledger.rounds.RoundState`` is the contract's ``IPledgeLedger.RoundState``: the same members with the
same numbers as the Solidity enum the ABI's ``RoundState`` values come from, and what a real ledger
returns; the names the API and the reports give states are the enum's."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args

from ledger.contract_abi import packaged_abi
from ledger.rounds import RoundState, RoundWord, refundable, spendable
from tests.support.chain import LedgerEnv
from tests.support.units import DAY, USD

INTERFACE = Path(__file__).parents[2] / "contracts" / "interfaces" / "IPledgeLedger.sol"
ENUM_TYPE = "enum IPledgeLedger.RoundState"


def _solidity_members() -> list[str]:
    found = re.search(r"enum\s+RoundState\s*\{([^}]*)\}", INTERFACE.read_text(encoding="utf-8"))
    assert found is not None, f"no enum RoundState in {INTERFACE}"
    return [m.strip() for m in found.group(1).split(",") if m.strip()]


def _enum_uses(abi: tuple[dict[str, Any], ...]) -> dict[str, str]:
    """Every ABI parameter typed ``RoundState`` (``item.parameter`` → ABI type), components included."""
    uses: dict[str, str] = {}

    def walk(owner: str, params: list[dict[str, Any]]) -> None:
        for p in params:
            if p.get("internalType") == ENUM_TYPE:
                uses[f"{owner}.{p['name']}"] = p["type"]
            walk(f"{owner}.{p['name']}", p.get("components", []))

    for item in abi:
        walk(item.get("name", item["type"]), [*item.get("inputs", []), *item.get("outputs", [])])
    return uses


def test_the_enum_is_the_contracts() -> None:
    members = _solidity_members()
    assert [(m.upper(), i) for i, m in enumerate(members)] == [(s.name, s.value) for s in RoundState]
    uses = _enum_uses(packaged_abi("PledgeLedger"))
    assert {"RoundClosed.outcome", "closeRound.outcome", "round..state"} <= set(uses)
    assert set(uses.values()) == {"uint8"} and len(members) <= 256


def test_the_names_are_the_enums() -> None:
    assert get_args(RoundWord) == ("open", "succeeded", "failed", "cancelled")
    assert [RoundState.of(o).word for o in (None, 2, 3, 4)] == list(get_args(RoundWord))


def test_one_rule_for_spendable_and_refundable() -> None:
    table = {
        (None, True): (False, False),
        (None, False): (False, False),
        (RoundState.SUCCEEDED, True): (True, False),
        (RoundState.SUCCEEDED, False): (True, False),
        (RoundState.FAILED, True): (False, True),
        (RoundState.FAILED, False): (True, False),  # keep-what-you-raise: the campaign keeps it
        (RoundState.CANCELLED, True): (False, True),
        (RoundState.CANCELLED, False): (False, True),
    }
    assert {k: (spendable(*k), refundable(*k)) for k in table} == table


def test_a_real_ledger_numbers_states_as_the_enum(env: LedgerEnv) -> None:
    campaign = env.create_campaign(("ETH",))
    round_id = env.open_round(campaign, goal_usd=10**9 * USD, days=1, aon=False)
    assert RoundState(env.f.round(campaign, round_id).call()[2]) is RoundState.OPEN
    env.advance(2 * DAY)
    receipt = env.outsider.send(env.f.closeRound(campaign, round_id))
    [closed] = env.ledger.events.RoundClosed().process_receipt(receipt)
    assert RoundState(closed["args"]["outcome"]) is RoundState.FAILED
    assert RoundState(env.f.round(campaign, round_id).call()[2]) is RoundState.FAILED
