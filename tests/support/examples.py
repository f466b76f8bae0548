"""How many examples a property test tries: its own number, or a fifth of it in the developer's loop
(``scripts/test --fast`` sets the "fast" Hypothesis profile; CI keeps the "ci" profile and every example)."""

from __future__ import annotations

import os

FAST = os.environ.get("HYPOTHESIS_PROFILE") == "fast"


def examples(n: int) -> int:
    """``n`` examples, or a fifth of them (at least 2) with the "fast" profile."""
    return max(2, n // 5) if FAST else n
