"""Fetch: the raw logs of the ledger (and its timelock) over block ranges that adapt to the node, and block
headers. Several contracts are asked for in one ``eth_getLogs`` (an address list), so their logs come in
chain order, in the same ranges and batches.

The range starts small, grows while answers are small and shrinks when the node says a range holds too many
results, times out, or an answer is far larger than wanted, so that one request carries about
``target_logs`` logs whatever the density of events. An answer larger than ``max_response_bytes`` is dropped
unread and asked for again in halves, so that memory stays bounded even when a dense stretch of the chain
follows a sparse one (the range then is much too wide for it).

While the caller decodes and stores one range, the next is fetched ahead on a thread (the node prepares
its answer on another core meanwhile): one attempt, without retries. It is used only if the caller asks for
that very range next and the chain has not changed under it (the hash of its last block is the same as
when its logs were fetched); otherwise, or if it failed, the range is fetched again the ordinary way.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from ledger.errors import RangeTooLargeError, ResponseTooLargeError, RpcError, RpcTimeoutError
from ledger.indexer.rpc import RpcClient, parse_answer

log = logging.getLogger(__name__)

#: How nodes and providers say that a log query is too large (geth, Erigon, Infura, Alchemy, QuickNode,
#: Anvil). A match halves the range instead of failing.
TOO_LARGE = re.compile(
    r"more than \d+ results|too many|response size|limit exceeded|exceeds? (the )?limit|range (is )?too"
    r"|query timeout|block range|returned more than",
    re.IGNORECASE,
)
TOO_LARGE_CODES = frozenset({-32005})

#: Bytes of JSON allowed per wanted log before an answer is dropped unread (a ledger log is about 1 kB),
#: and the least allowed whatever ``target_logs``.
BYTES_PER_LOG = 2_048
MIN_RESPONSE_BYTES = 4 << 20


class RawLog(TypedDict, total=False):
    """A log as ``eth_getLogs`` returns it (hex strings)."""

    address: str
    topics: list[str]
    data: str
    blockNumber: str
    blockHash: str
    blockTimestamp: str
    transactionHash: str
    transactionIndex: str
    logIndex: str
    removed: bool


@dataclass(frozen=True, slots=True)
class Header:
    """The parts of a block header the indexer keeps."""

    number: int
    hash: str
    parent_hash: str
    timestamp: int

    @classmethod
    def from_rpc(cls, block: dict[str, Any]) -> Header:
        return cls(
            number=int(block["number"], 16),
            hash=block["hash"],
            parent_hash=block["parentHash"],
            timestamp=int(block["timestamp"], 16),
        )


def _plain_client(rpc: RpcClient) -> bool:
    """Whether ``rpc`` answers :meth:`~RpcClient.call` as :class:`RpcClient` itself does. Fetching ahead
    goes around ``call`` (one attempt, unparsed), so a client that changes ``call`` (a proxy with rules of
    its own, a test double) is not gone around: with it, every range is fetched the ordinary way."""
    return type(rpc).call is RpcClient.call and "call" not in getattr(rpc, "__dict__", {})


@dataclass
class _Ahead:
    """A range of logs being fetched ahead, and what came of it."""

    first: int
    end: int
    done: threading.Event = field(default_factory=threading.Event)
    body: bytes | None = None  # the eth_getLogs answer, unparsed; None: not fetched (failed, or running)
    end_hash: str | None = None  # the hash of block ``end`` just after the logs were fetched


class ChainReader:
    """Headers and logs of one contract, or of a few, read through an :class:`RpcClient`."""

    def __init__(
        self,
        rpc: RpcClient,
        address: str | Sequence[str],
        *,
        target_logs: int = 10_000,
        initial_span: int = 100,
        max_span: int = 1_000_000,
        max_response_bytes: int | None = None,
        fetch_ahead: bool = True,
    ) -> None:
        self.rpc = rpc
        #: The ``address`` filter of every log query: one address, or a list of them.
        self.address: str | list[str] = (
            address if isinstance(address, str) else address[0] if len(address) == 1 else list(address)
        )
        self.target_logs = target_logs
        self.span = initial_span
        self.max_span = max_span
        self.max_response_bytes = max_response_bytes or max(MIN_RESPONSE_BYTES, BYTES_PER_LOG * target_logs)
        self.fetch_ahead = fetch_ahead
        self._ahead: _Ahead | None = None
        self._checked: Header | None = None  # the header read by _take_ahead, for the next header() call

    # ─── headers ───────────────────────────────────────────────────────────────────────────────────

    def header(self, block: int | str) -> Header | None:
        """The header of a block number or tag (``latest``, ``finalized``); None if the node has none."""
        checked, self._checked = self._checked, None
        if checked is not None and block == checked.number:
            # Read just now, to check a range fetched ahead: the caller's next question is often about the
            # same block, and asking again would wait behind the node's work on the next range.
            return checked
        tag = hex(block) if isinstance(block, int) else block
        answer = self.rpc.call("eth_getBlockByNumber", [tag, False])
        return None if answer is None else Header.from_rpc(answer)

    def headers(self, numbers: Sequence[int]) -> dict[int, Header | None]:
        """Several headers in JSON-RPC batches of at most 100."""
        self._checked = None
        found: dict[int, Header | None] = {}
        for start in range(0, len(numbers), 100):
            chunk = numbers[start : start + 100]
            answers = self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in chunk])
            for n, answer in zip(chunk, answers, strict=True):
                found[n] = None if answer is None else Header.from_rpc(answer)
        return found

    def chain_id(self) -> int:
        return int(self.rpc.call("eth_chainId"), 16)

    def block_logs(self, block_hashes: Sequence[str]) -> list[RawLog]:
        """The contracts' logs in the blocks with these hashes (EIP-234 ``blockHash`` filters), in JSON-RPC
        batches of at most 100: exactly the logs of those blocks, whatever branch is current now."""
        found: list[RawLog] = []
        for start in range(0, len(block_hashes), 100):
            chunk = block_hashes[start : start + 100]
            answers = self.rpc.batch(
                [("eth_getLogs", [{"address": self.address, "blockHash": h}]) for h in chunk]
            )
            for answer in answers:
                if not isinstance(answer, list):
                    raise RpcError("eth_getLogs: the node's answer is not a list")
                found.extend(answer)
        return found

    # ─── logs ──────────────────────────────────────────────────────────────────────────────────────

    def next_range(self, first: int, last: int) -> tuple[int, list[RawLog]]:
        """Logs from ``first`` up to at most ``last``, in the largest range the node answers well.

        Returns the last block covered and its logs. The span learnt is kept for the next call. Unless
        ``last`` is reached, the next range is then fetched ahead, for the next call.
        """
        self._checked = None
        fetched = self._take_ahead(first, last)
        if fetched is None:
            fetched = self._fetch_range(first, last)
        end = fetched[0]
        if self.fetch_ahead and end < last and _plain_client(self.rpc):
            self._start_ahead(end + 1, last)
        return fetched

    def _fetch_range(self, first: int, last: int) -> tuple[int, list[RawLog]]:
        while True:
            end = min(last, first + self.span - 1)
            try:
                logs = self.logs(first, end, max_bytes=None if end == first else self.max_response_bytes)
            except ResponseTooLargeError as exc:
                self._shrink(first, end, str(exc))
                continue
            except RpcTimeoutError:
                if end > first:
                    self._shrink(first, end, "timed out")
                    continue
                # One block cannot be asked for in parts: no answer for it means a node that is down or
                # frozen, not overloaded. Wait for it as for any other call (until give_up_after).
                logs = self.logs(first, end, retry_timeouts=True)
            except RpcError as exc:
                if exc.code in TOO_LARGE_CODES or TOO_LARGE.search(str(exc)):
                    self._shrink(first, end, str(exc))
                    continue
                raise
            self._learn(first, end, len(logs))
            return end, logs

    def _learn(self, first: int, end: int, found: int) -> None:
        """Adapt the span to the logs found in ``first``-``end``."""
        if found > 2 * self.target_logs and end > first:
            self.span = max(1, (end - first + 1) * self.target_logs // found)
        elif found < self.target_logs // 2 and end - first + 1 == self.span:
            self.span = min(self.max_span, self.span * 2)

    def _start_ahead(self, first: int, last: int) -> None:
        ahead = _Ahead(first, min(last, first + self.span - 1))
        max_bytes = None if ahead.end == first else self.max_response_bytes
        params = [{"address": self.address, "fromBlock": hex(first), "toBlock": hex(ahead.end)}]

        def fetch() -> None:
            try:
                body = self.rpc.post_once("eth_getLogs", params, max_bytes=max_bytes)
                block = self.rpc.call_once("eth_getBlockByNumber", [hex(ahead.end), False])
                if isinstance(block, dict):
                    ahead.body, ahead.end_hash = body, block.get("hash")
            except Exception as exc:  # any failure: the caller fetches the range again, its own way
                log.debug("eth_getLogs %d-%d ahead: %s", first, ahead.end, exc)
            finally:
                ahead.done.set()

        self._ahead = ahead
        threading.Thread(target=fetch, name=f"eth_getLogs {first}-{ahead.end}", daemon=True).start()

    def _take_ahead(self, first: int, last: int) -> tuple[int, list[RawLog]] | None:
        """The range fetched ahead, if it is the one wanted now and still on the chain."""
        ahead, self._ahead = self._ahead, None
        if ahead is None or ahead.first != first or ahead.end > last:
            return None
        ahead.done.wait()
        if ahead.body is None:
            return None
        current = self.header(ahead.end)
        if current is None or current.hash != ahead.end_hash:  # a reorganisation since: fetch again
            return None
        try:  # parsed here: on the fetching thread it would hold the interpreter while this one works
            logs = parse_answer("eth_getLogs", ahead.body)
        except RpcError:
            return None
        if not isinstance(logs, list):
            return None
        self._checked = current
        self._learn(first, ahead.end, len(logs))
        return ahead.end, logs

    def logs(
        self, first: int, last: int, *, max_bytes: int | None = None, retry_timeouts: bool = False
    ) -> list[RawLog]:
        """The contracts' logs in blocks ``first`` to ``last``; with ``max_bytes``, a larger answer raises
        :class:`~ledger.errors.ResponseTooLargeError` instead of being read. A timeout raises
        :class:`~ledger.errors.RpcTimeoutError` at once, unless ``retry_timeouts``."""
        params = [{"address": self.address, "fromBlock": hex(first), "toBlock": hex(last)}]
        if max_bytes is None:
            answer = self.rpc.call("eth_getLogs", params, retry_timeouts=retry_timeouts)
        else:
            answer = self.rpc.call("eth_getLogs", params, retry_timeouts=retry_timeouts, max_bytes=max_bytes)
        if not isinstance(answer, list):
            raise RpcError("eth_getLogs: the node's answer is not a list")
        return answer

    def _shrink(self, first: int, end: int, why: str) -> None:
        if end == first:
            raise RangeTooLargeError(f"block {first} alone is too large to fetch its logs: {why}")
        self.span = max(1, (end - first + 1) // 2)
        log.info("eth_getLogs %d-%d: %s; asking for %d blocks at a time", first, end, why, self.span)
