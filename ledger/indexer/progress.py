"""Progress of an indexer on the terminal: a bar while it backfills, then a line per new batch or reorg."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from ledger.indexer.store import CursorState


class RichProgress:
    """An :class:`~ledger.indexer.runner.IndexerObserver` drawing with Rich."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("[bold]Indexing[/bold] blocks"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[events]:,} events · {task.fields[rate]:,.0f} events/s"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._task: TaskID | None = None
        self._first = 0
        self._events = 0
        self._started = time.monotonic()
        self._following = False

    def started(self, cursor: CursorState, head: int) -> None:
        self._first = cursor.block_number
        self._started = time.monotonic()
        if head > cursor.block_number:
            self.progress.start()
            self._task = self.progress.add_task("backfill", total=head - self._first, events=0, rate=0.0)
        else:
            self.console.print(f"Chain {cursor.chain_id}: the mirror is at the head (block {head})")

    def batch_stored(self, cursor: CursorState, events: int, head: int) -> None:
        self._events += events
        if self._task is not None:
            elapsed = max(time.monotonic() - self._started, 1e-9)
            self.progress.update(
                self._task,
                total=head - self._first,
                completed=cursor.block_number - self._first,
                events=self._events,
                rate=self._events / elapsed,
            )
        elif self._following and events:
            self.console.log(
                f"block {cursor.block_number}: {events} new events (head {head}, lag {cursor.lag})"
            )

    def reorged(self, fork_block: int, from_block: int, rows_deleted: int) -> None:
        self.console.log(
            f"[yellow]Reorganisation:[/yellow] blocks {fork_block + 1}-{from_block} replaced; "
            f"{rows_deleted} events removed, re-indexing"
        )

    def caught_up(self, cursor: CursorState, head: int) -> None:
        if self._task is not None:
            self.progress.stop()
            self._task = None
            elapsed = time.monotonic() - self._started
            self.console.print(
                f"Indexed {self._events:,} events up to block {cursor.block_number} in {elapsed:.1f} s"
            )
        self._following = True

    def close(self) -> None:
        if self._task is not None:
            self.progress.stop()
            self._task = None
