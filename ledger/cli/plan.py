"""What an on-chain command will do, before anything is sent: a :class:`Plan` of :class:`Step` calls, each
with what it does in words, the amounts it moves (:class:`Amount`) and who may make it (:class:`Role`).

Every on-chain command is a pipeline: it builds a plan on a view of the chain (:mod:`ledger.cli.onchain`),
the plan is routed to who sends it and checked (:mod:`ledger.cli.routing`), then previewed and sent,
simulated or written for a Safe (:mod:`ledger.cli.sending`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledger.client import Call, TxResult

ETH = "0x" + "00" * 20
#: What a plan says it did, from the mined transactions (what was created, its id, when it takes effect).
Outcome = Callable[[list["TxResult"]], dict[str, Any]]


class Role(StrEnum):
    """Who may make a plan's calls on the ledger."""

    ADMIN = "admin"
    GUARDIAN = "guardian"
    MANAGER = "manager"
    AUDITOR = "auditor"
    #: The campaign's manager, the guardian or the admin (revoking a supplier).
    REVOKER = "revoker"
    ANYONE = "anyone"


@dataclass(frozen=True)
class Amount:
    """An amount a plan moves or values: base units, the token's symbol and decimals, and its USD value."""

    token: str
    base_units: int
    symbol: str
    decimals: int
    usd: Decimal | None = None

    def words(self) -> str:
        from ledger.reads.units import human_amount, human_decimal

        text = f"{human_amount(self.base_units, self.decimals)} {self.symbol}"
        return text + (f" (≈ {human_decimal(self.usd)} USD)" if self.usd is not None else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "symbol": self.symbol,
            "amount": str(self.base_units),
            "decimals": self.decimals,
            "usd": None if self.usd is None else str(self.usd),
        }


@dataclass(frozen=True)
class Step:
    """One call of a plan and what it does, in words. ``after_previous``: it can only be estimated once the
    step before it is mined (a token pledge after its approval)."""

    call: Call
    says: str
    after_previous: bool = False


@dataclass
class Plan:
    """What a command will do on chain."""

    title: str
    role: Role
    steps: list[Step]
    campaign_id: int | None = None
    amounts: list[Amount] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    #: Turns the mined results into lines for people (what was created, its id, when it takes effect).
    outcome: Outcome | None = None

    @classmethod
    def of_one(
        cls,
        call: Call,
        says: str,
        *,
        title: str,
        role: Role,
        campaign_id: int | None = None,
        amounts: list[Amount] | None = None,
        facts: list[tuple[str, str]] | None = None,
        outcome: Outcome | None = None,
    ) -> Plan:
        """A plan of one call."""
        steps = [Step(call, says)]
        return cls(title, role, steps, campaign_id, amounts=amounts or [], facts=facts or [], outcome=outcome)


def first_event(name: str, read: Callable[[Any], dict[str, Any]]) -> Outcome:
    """A plan's ``outcome``: ``read`` of the first ``name`` event the mined transactions emitted."""

    def outcome(results: list[TxResult]) -> dict[str, Any]:
        for result in results:
            for event in result.all(name):
                return read(event)
        return {}

    return outcome
