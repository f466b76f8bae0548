"""What an API key may act on: every campaign, or a few named ones.

A key's scope is checked where the record it touches is known (the service layer for writes, the API for
exports), so one rule holds for every route. Who may touch a record that belongs to no single campaign
(suppliers, token names, reference prices) is decided in :mod:`ledger.records.ownership`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ledger.errors import ScopeError


@dataclass(frozen=True)
class KeyScope:
    """The campaigns a key acts on: ``campaigns`` is ``None`` for every campaign."""

    key_name: str = ""
    campaigns: frozenset[int] | None = None

    @property
    def is_global(self) -> bool:
        return self.campaigns is None

    def describe(self) -> str:
        """``all campaigns`` or ``campaigns 1, 2``, as ``keys list`` and refusals say it."""
        if self.campaigns is None:
            return "all campaigns"
        ids = sorted(self.campaigns)
        return ("campaign " if len(ids) == 1 else "campaigns ") + ", ".join(str(i) for i in ids)

    def covers(self, campaign_ids: Iterable[int]) -> bool:
        return self.campaigns is None or all(c in self.campaigns for c in campaign_ids)

    def require(self, campaign_id: int, what: str) -> None:
        """Refuse unless the key may act on ``campaign_id``; ``what`` names the thing touched."""
        if not self.covers((campaign_id,)):
            raise ScopeError(f"{self._limited()}; {what} is of campaign {campaign_id}")

    def require_every(self, campaign_ids: Iterable[int], what: str) -> None:
        """Refuse unless the key may act on each of ``campaign_ids``."""
        outside = sorted({c for c in campaign_ids if not self.covers((c,))})
        if outside:
            listed = ", ".join(str(c) for c in outside)
            raise ScopeError(f"{self._limited()}; {what} concerns campaign(s) {listed}")

    def require_global(self, why: str) -> None:
        """Refuse unless the key is for every campaign; ``why`` says why this needs one."""
        if not self.is_global:
            raise ScopeError(f"{self._limited()}; {why}: this needs a key for all campaigns")

    def _limited(self) -> str:
        who = f"the API key {self.key_name!r}" if self.key_name else "this key"
        return f"{who} is limited to {self.describe()}"


#: The scope of callers with direct access to the database (the CLI, scripts, tests): every campaign.
EVERY_CAMPAIGN = KeyScope()
