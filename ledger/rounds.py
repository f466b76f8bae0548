"""A funding round's state and what it means for its pledges: one rule, the contract's
(``PledgeLedger._closeRound``), read by the API, the reconciliation, the dashboard's data and the CLI.

A closed round's pledges are either **spendable** by the campaign (it met its goal, or it missed it without
all-or-nothing: the campaign keeps what was raised) or **refundable** to its donors (it missed an
all-or-nothing goal, or its campaign was cancelled). An open round is neither yet.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Literal, get_args


class RoundState(IntEnum):
    """``IPledgeLedger.RoundState``, as ``RoundClosed.outcome`` and ``round()`` number it."""

    NONE = 0
    OPEN = 1
    SUCCEEDED = 2
    FAILED = 3
    CANCELLED = 4

    @property
    def word(self) -> str:
        """``succeeded``; ``unknown`` for NONE (a round that does not exist)."""
        return "unknown" if self is RoundState.NONE else self.name.lower()

    @classmethod
    def of(cls, outcome: int | None) -> RoundState:
        """The state of a round that closed with ``outcome`` (``RoundClosed.outcome``), OPEN if it has not."""
        return cls.OPEN if outcome is None else cls(outcome)


#: The state of an opened round as the API and the reports name it: :attr:`RoundState.word` of every state
#: but NONE (checked below, so the names cannot drift from the enum).
RoundWord = Literal["open", "succeeded", "failed", "cancelled"]
if get_args(RoundWord) != tuple(s.word for s in RoundState if s is not RoundState.NONE):
    raise AssertionError("RoundWord must name the RoundState members after NONE, in order")


def spendable(state: int | None, all_or_nothing: bool) -> bool:
    """Whether a round's pledges went to its campaign (``None``: still open)."""
    return state == RoundState.SUCCEEDED or (state == RoundState.FAILED and not all_or_nothing)


def refundable(state: int | None, all_or_nothing: bool) -> bool:
    """Whether a round's pledges go back to its donors (``None``: still open)."""
    return state == RoundState.CANCELLED or (state == RoundState.FAILED and all_or_nothing)
