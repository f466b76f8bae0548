"""A lean JSON-RPC client for the indexer's hot path.

web3.py's request stack formats every field of every log into Python objects; the indexer reads
``eth_getLogs`` answers of tens of megabytes and needs only a few fields, so it posts JSON itself and
parses with orjson. Transport failures (node down, connection dropped, HTTP 5xx or 429) are retried
with capped exponential backoff until ``give_up_after`` seconds have passed without an answer; errors the
node answers with are raised as :class:`~ledger.errors.RpcError` for the caller to judge.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import orjson
import requests
from requests.exceptions import ChunkedEncodingError

from ledger.errors import ChainConnectionError, ResponseTooLargeError, RpcError, RpcTimeoutError
from ledger.gcpause import gc_paused

log = logging.getLogger(__name__)

#: HTTP statuses that mean "try again later", not "your request is wrong".
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class RpcClient:
    """JSON-RPC over HTTP with keep-alive, batching and retries."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 30.0,
        give_up_after: float = 600.0,
        backoff: tuple[float, float] = (0.1, 5.0),
        on_retry: Callable[[str, float], None] | None = None,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.give_up_after = give_up_after
        self.backoff = backoff
        self.on_retry = on_retry
        self._ids = itertools.count(1)
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> RpcClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def call(
        self,
        method: str,
        params: Sequence[Any] = (),
        *,
        retry_timeouts: bool = True,
        max_bytes: int | None = None,
    ) -> Any:
        """One call's ``result``; with ``retry_timeouts=False`` a timeout raises :class:`RpcTimeoutError`
        at once, so that the caller can ask for less. An answer of more than ``max_bytes`` bytes is not
        read: :class:`ResponseTooLargeError` says to ask for less (memory stays bounded whatever the node
        sends)."""
        answer = self._post(self._request(method, params), retry_timeouts=retry_timeouts, max_bytes=max_bytes)
        return _result(method, answer)

    def call_once(self, method: str, params: Sequence[Any] = (), *, max_bytes: int | None = None) -> Any:
        """One attempt at one call: no retry, no backoff, no ``on_retry``. A transport failure raises
        :class:`~ledger.errors.ChainConnectionError`, an answer larger than ``max_bytes``
        :class:`ResponseTooLargeError`. For work done ahead on the side (see
        :class:`~ledger.indexer.fetch.ChainReader`), done again the ordinary way if it fails."""
        return parse_answer(method, self.post_once(method, params, max_bytes=max_bytes))

    def post_once(self, method: str, params: Sequence[Any] = (), *, max_bytes: int | None = None) -> bytes:
        """As :meth:`call_once`, but the answer's body unparsed (see :func:`parse_answer`): a thread that
        only waits for the node and reads bytes leaves the interpreter to the others."""
        try:
            response = self._send(orjson.dumps(self._request(method, params)), max_bytes)
            if response.status_code >= 400:
                response.close()
                raise ChainConnectionError(f"{method}: the node answered HTTP {response.status_code}")
            return _read(response, max_bytes)
        except (requests.RequestException, OSError) as exc:
            raise ChainConnectionError(f"{method}: {type(exc).__name__} from {self.url}") from exc

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """The results of several calls sent in one HTTP request, in the order given."""
        if not calls:
            return []
        payload = [self._request(method, params) for method, params in calls]
        answers = self._post(payload, retry_timeouts=True)
        if not isinstance(answers, list) or len(answers) != len(calls):
            raise RpcError("the node does not answer JSON-RPC batches; use a node that does")
        by_id = {a.get("id"): a for a in answers if isinstance(a, dict)}
        return [_result(request["method"], by_id.get(request["id"], {})) for request in payload]

    def _request(self, method: str, params: Sequence[Any]) -> dict[str, Any]:
        return {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}

    def _send(self, body: bytes, max_bytes: int | None) -> requests.Response:
        """One HTTP POST; streamed when the answer's size is capped, so that it can be refused unread."""
        return self._session.post(
            self.url,
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=self.timeout,
            stream=max_bytes is not None,
        )

    def _post(self, payload: object, *, retry_timeouts: bool, max_bytes: int | None = None) -> Any:
        body = orjson.dumps(payload)
        started = time.monotonic()
        delay = self.backoff[0]
        while True:
            try:
                response = self._send(body, max_bytes)
                if response.status_code not in RETRY_STATUSES:
                    content = _read(response, max_bytes)
                    if response.status_code >= 400 and not content.lstrip().startswith((b"{", b"[")):
                        raise RpcError(
                            f"the node answered HTTP {response.status_code}: "
                            f"{content[:200].decode(errors='replace')}"
                        )
                    with gc_paused():
                        return orjson.loads(content)
                response.close()
                problem = f"HTTP {response.status_code}"
            except requests.ConnectTimeout:
                # No connection at all (a host that drops packets): the node is unreachable, which says
                # nothing about the request, so it is never the caller's cue to ask for less.
                problem = "connect timed out"
            except requests.Timeout as exc:
                if not retry_timeouts:
                    raise RpcTimeoutError(f"no answer from {self.url} within {self.timeout:g} s") from exc
                problem = "timed out"
            except (requests.ConnectionError, ChunkedEncodingError, orjson.JSONDecodeError) as exc:
                problem = f"{type(exc).__name__}"
            waited = time.monotonic() - started
            if waited + delay > self.give_up_after:
                raise ChainConnectionError(
                    f"the node at {self.url} has not answered for {waited:.0f} s ({problem}); is it running?"
                )
            log.warning("RPC %s (%s); retrying in %.1f s", self.url, problem, delay)
            if self.on_retry is not None:
                self.on_retry(problem, delay)
            time.sleep(delay)
            delay = min(delay * 2, self.backoff[1])


def _read(response: requests.Response, max_bytes: int | None) -> bytes:
    return response.content if max_bytes is None else _read_at_most(response, max_bytes)


def _read_at_most(response: requests.Response, max_bytes: int) -> bytes:
    """The body of a streamed response, or :class:`ResponseTooLargeError` as soon as it is known to exceed
    ``max_bytes`` (from its Content-Length, or while reading); the connection is then dropped."""
    declared = response.headers.get("Content-Length", "")
    too_large = declared.isdigit() and int(declared) > max_bytes
    chunks: list[bytes] = []
    size = 0
    if not too_large:
        for chunk in response.iter_content(chunk_size=1 << 20):
            size += len(chunk)
            if size > max_bytes:
                too_large = True
                break
            chunks.append(chunk)
    if too_large:
        response.close()
        raise ResponseTooLargeError(
            f"response size exceeds the limit of {max_bytes:,} bytes ({declared or 'more'} bytes sent)"
        )
    return b"".join(chunks)


def parse_answer(method: str, body: bytes) -> Any:
    """The ``result`` of a JSON-RPC answer's body; its ``error`` as :class:`~ledger.errors.RpcError`."""
    try:
        with gc_paused():
            answer = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RpcError(f"{method}: the node's answer is not JSON") from exc
    return _result(method, answer)


def _result(method: str, answer: Any) -> Any:
    if not isinstance(answer, dict):
        raise RpcError(f"{method}: the node sent an answer that is not a JSON-RPC object")
    error = answer.get("error")
    if error is not None:
        if isinstance(error, dict):
            raise RpcError(
                f"{method}: {error.get('message', error)}", code=error.get("code"), data=error.get("data")
            )
        raise RpcError(f"{method}: {error}")
    if "result" not in answer:
        raise RpcError(f"{method}: the node's answer has neither a result nor an error")
    return answer["result"]
