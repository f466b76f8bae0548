"""Keep Python's recursion limit where C code cannot overflow the C stack under it.

py_ecc (imported through web3's dependencies) raises the limit to 100,000 when it is imported. Under such a
limit C code that recurses and checks only the Python limit, such as the ``json`` decoder on a deeply
nested document, exhausts the C stack first: the process dies of a segfault instead of raising
``RecursionError``. A process that serves requests puts the limit back once its imports are done.
"""

from __future__ import annotations

import sys

#: CPython's own default: deep enough for this code, far from the C stack's end in any thread.
SAFE_RECURSION_LIMIT = 1000


def restore_safe_recursion_limit() -> None:
    """Lower the recursion limit to :data:`SAFE_RECURSION_LIMIT` if an import raised it (never raise it)."""
    if sys.getrecursionlimit() > SAFE_RECURSION_LIMIT:
        sys.setrecursionlimit(SAFE_RECURSION_LIMIT)
