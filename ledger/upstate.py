"""Where a running ``pledgeledger up`` is: its chain, database and API, written when it starts and removed
when it stops, so that the other commands (``reconcile``, ``keys``, ``index``, the on-chain commands) use
the same ones by default instead of the embedded defaults.

The file lives in the working directory's ``.pledgeledger/`` (like ``deployments/``); a file whose process
is gone (``up`` killed) is stale and ignored.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

#: The state file, relative to the working directory.
STATE_FILE = Path(".pledgeledger") / "up.json"


@dataclass(frozen=True)
class UpState:
    """What a running ``up`` serves."""

    pid: int
    rpc_url: str
    database_url: str
    api_url: str
    chain_id: int

    def write(self, path: Path = STATE_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2))
        tmp.replace(path)

    def alive(self) -> bool:
        """True while the process that wrote it runs."""
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # another user's: it exists
            return True
        return True


def running_up(path: Path = STATE_FILE) -> UpState | None:
    """The ``up`` running from this directory, or None (no file, an unreadable one, or a stale one)."""
    try:
        data = json.loads(path.read_text())
        state = UpState(**data)
    except (OSError, ValueError, TypeError):
        return None
    return state if state.alive() else None


def clear(state: UpState, path: Path = STATE_FILE) -> None:
    """Remove the file if it is still ``state``'s (a later ``up`` may have replaced it)."""
    current = None
    try:
        current = UpState(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return
    if current == state:
        path.unlink(missing_ok=True)
