"""Failed API key attempts, counted per client address.

After ``auth_failure_limit`` failures (a wrong, revoked or malformed key) within ``auth_failure_window``
seconds, an address is answered 429 on every route that needs a key, valid key or not, until the oldest
of those failures is older than the window. Requests with a valid key, and requests with no key at all,
are not counted. The window moves (``limits``' moving window), so a client cannot spend two windows'
worth of attempts across a window's edge.

The counts live in the memory of the worker process, which forgets an address once its failures have
aged out. With ``serve --workers N`` each worker counts only the requests it served, so an address may
try up to N × the limit per window before every worker refuses it, and a restart forgets all counts;
counting across workers would need a shared store (``limits`` also speaks Redis and memcached). With
256-bit keys guessing one is hopeless either way: the limit stops a client spraying keys from costing a
database lookup each.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

_NAMESPACE = "failed-api-key"


class FailedKeyLimiter:
    """Counts failed key attempts per address; thread-safe (sync routes run in a thread pool)."""

    def __init__(self, *, limit: int, window_seconds: int) -> None:
        self._item = RateLimitItemPerSecond(limit, window_seconds)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, address: str) -> int | None:
        """Whole seconds until ``address`` may present a key again, or ``None`` if it may now."""
        if self._limiter.test(self._item, _NAMESPACE, address):
            return None
        reset_at = self._limiter.get_window_stats(self._item, _NAMESPACE, address).reset_time
        return max(1, math.ceil(reset_at - time.time()))

    def record_failure(self, address: str) -> None:
        self._limiter.hit(self._item, _NAMESPACE, address)
