"""Run ``pledgeledger up`` in a subprocess, watch the processes it starts, and check what it built
against the chain's own views."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from web3 import Web3

from ledger.chain import connect
from ledger.compiler import Build
from ledger.node import free_port

PLEDGELEDGER = str(Path(sys.executable).parent / "pledgeledger")


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc (pid → child pids)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def descendants(pid: int) -> set[int]:
    tree = _children()
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class UpProcess:
    """``pledgeledger up`` with its output collected and every process it ever started remembered."""

    def __init__(self, args: list[str], cwd: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        env = {**os.environ, "COLUMNS": "250", "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [PLEDGELEDGER, "up", "--port", str(self.port), *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            # Ctrl-C must reach it even when the test runner was started in the background (SIGINT ignored).
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self.lines: list[str] = []
        self.started: set[int] = set()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def _watch(self) -> None:
        while self.process.poll() is None:
            self.started |= descendants(self.process.pid)
            time.sleep(0.1)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert self.process.poll() is None, f"up exited with {self.process.returncode}:\n{self.output}"
            assert time.monotonic() < deadline, f"no {text!r} within {timeout} s:\n{self.output}"
            time.sleep(0.1)

    def wait(self, timeout: float = 120) -> int:
        code = self.process.wait(timeout)
        self._reader.join(10)
        self._watcher.join(10)
        return code

    def found(self, pattern: str) -> str:
        match = re.search(pattern, self.output)
        assert match, f"{pattern!r} not in the output:\n{self.output}"
        return match.group(1)

    @property
    def campaign_id(self) -> int:
        return int(self.found(r"\(campaign (\d+)\)"))

    @property
    def rpc_url(self) -> str:
        return self.found(r"Chain\s+\d+ at (http://127\.0\.0\.1:\d+)")

    @property
    def ledger_address(self) -> str:
        return self.found(r"PledgeLedger\s+(0x[0-9a-fA-F]{40})")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def chain_totals(rpc_url: str, ledger: str, build: Build, campaign_id: int, token: str) -> dict[str, int]:
    """The contract's own totals for one token of a campaign."""
    w3 = connect(rpc_url)
    contract = w3.eth.contract(address=Web3.to_checksum_address(ledger), abi=build["PledgeLedger"].abi)
    totals: Any = contract.functions.tokenTotals(campaign_id, Web3.to_checksum_address(token)).call()
    return {"pledged": totals[0], "refunded": totals[1], "disbursed": totals[2], "held": totals[3]}


def report_totals(report: dict[str, Any]) -> dict[str, dict[str, int]]:
    """The reconciliation's totals per token, as integers."""
    fields = ("pledged", "refunded", "disbursed", "held")
    return {t["token"]: {k: int(t[k]) for k in fields} for t in report["tokens"]}
