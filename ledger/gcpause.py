"""Keep the cyclic garbage collector out of the indexer's bursts of allocation.

Parsing an ``eth_getLogs`` answer, decoding it and binding its rows allocate tens of thousands of dicts,
lists and tuples per batch, none of them part of a reference cycle: reference counting frees them all. Yet
each allocation counts towards the collector's thresholds, and its collections walk every live log and row
again and again (a quarter of the decode time, measured). These bursts run with the collector paused.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Disable the cyclic garbage collector for the ``with`` block (if it was enabled)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
