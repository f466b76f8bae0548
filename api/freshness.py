"""Public reads answered from what was rendered as long as the database has not changed, with an ``ETag``
so that a poller gets ``304 Not Modified``.

What a public read of the mirror or the records shows is a function of the database's *state*: the
mirror's position on each chain (the indexer's cursor: block number and hash, reorganisations undone,
head and finalised block, halt) and how many record versions were written (every write of the records
service adds one, in the same transaction, and none is ever deleted). :func:`read_state` reads both in one
query. A rendered answer is kept per (path, query) with the state it was rendered in, and served again
while the state is the same; its ``ETag`` is a hash of the state and the request, so a client that sends
it back in ``If-None-Match`` gets ``304`` without the body being computed or even looked up.

Each worker keeps its own answers, but every request reads the state from the database the workers
share, so a write through one worker is seen by the next request to any other. The state is read before
the body is computed, so a body is never older than the state it is kept and tagged with.

Only the routes of :data:`FRESH_READS` are kept: public ``GET`` reads that depend on nothing but that
state. Left out: ``/health``, ``/metrics`` and ``/api/v1/status`` (the clock: age of the last poll,
reachability), record history and exports (the caller's key and scope), document files (large, binary),
the dashboard's page and assets (files, served with their own validators).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

#: The kept public reads, as route templates (every ``GET`` route under ``/api/v1`` is either here or in
#: :data:`NOT_KEPT`; a test checks it, so that a new route is classified when it is added).
FRESH_READS: tuple[str, ...] = (
    "/api/v1/campaigns",
    "/api/v1/campaigns/{campaign_id}",
    "/api/v1/campaigns/{campaign_id}/rounds",
    "/api/v1/campaigns/{campaign_id}/rounds/{round_id}",
    "/api/v1/campaigns/{campaign_id}/reconciliation",
    "/api/v1/campaigns/{campaign_id}/donors/{donor}",
    "/api/v1/campaigns/{campaign_id}/pending-changes",
    "/api/v1/campaigns/{campaign_id}/flow",
    "/api/v1/pending-changes",
    "/api/v1/pledges",
    "/api/v1/refunds",
    "/api/v1/disbursements",
    "/api/v1/attestations",
    *(
        f"/api/v1/{resource}{suffix}"
        for resource in (
            "suppliers",
            "reference-prices",
            "orders",
            "documents",
            "shipments",
            "deliveries",
            "distributions",
            "tokens",
        )
        for suffix in ("", "/{record_id}")
    ),
)
#: ``GET`` routes under ``/api/v1`` deliberately not kept, and why.
NOT_KEPT: dict[str, str] = {
    "/api/v1/status": "the clock: seconds since the indexer's last poll",
    "/api/v1/history/{record_type}/{record_id}": "the caller's key",
    "/api/v1/exports/tables": "the caller's key",
    "/api/v1/exports/tables/{table}": "the caller's key and scope",
    "/api/v1/exports/campaigns/{campaign_id}/reconciliation": "the caller's key and scope",
    "/api/v1/documents/{record_id}/content": "a file: large and binary",
}

#: Answers kept per worker, and their bytes in all; a larger body is served but not kept.
MAX_ENTRIES = 512
MAX_BYTES = 64 * 1024 * 1024
MAX_BODY = 4 * 1024 * 1024
#: A longer query string is answered afresh every time (and not tagged): nobody polls with one.
MAX_QUERY = 2048
#: ``If-None-Match`` beyond this length, or beyond this many tags, is ignored (the body is sent).
MAX_IF_NONE_MATCH = 4096
MAX_TAGS = 32

#: One statement: the record versions written, and every chain's cursor (none: one row of NULLs).
_STATE_SQL = text(
    "SELECT (SELECT count(*) FROM record_versions), c.chain_id, c.genesis_hash, c.block_number, "
    "c.block_hash, c.reorgs, c.head_block, c.finalized_block, c.halt_reason IS NOT NULL, c.halted_block, "
    "c.updated_at "
    "FROM (SELECT 1 AS one) AS o LEFT JOIN indexer_cursor AS c ON 1 = 1 ORDER BY c.chain_id"
)


def read_state(engine: Engine) -> str:
    """The database's state as public reads see it, as a string: equal strings, equal answers.

    The chain a request reads by default is the one indexed most recently, so which one that is counts
    too (the time itself does not: it moves on every poll of the indexer)."""
    with engine.connect() as conn:
        rows = conn.execute(_STATE_SQL).all()
    versions = rows[0][0]
    cursors = [tuple(r[1:10]) for r in rows if r[1] is not None]
    default = max(((r[10], r[1]) for r in rows if r[1] is not None), default=(None, None))[1]
    return repr((versions, default, cursors))


def _pattern(template: str) -> str:
    return re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template))


_FRESH = re.compile("|".join(f"(?P<t{i}>{_pattern(t)}\\Z)" for i, t in enumerate(FRESH_READS)))


def kept_route(path: str) -> str | None:
    """The template of :data:`FRESH_READS` that ``path`` is a request of, if any."""
    found = _FRESH.match(path)
    return FRESH_READS[int(found.lastgroup[1:])] if found is not None and found.lastgroup else None


@dataclass(frozen=True)
class _RouteLabel:
    """What :func:`api.metrics.route_template` reads of the route that answered, for an answer given
    here without the router."""

    path_format: str


def etag_of(state: str, path: str, query: bytes) -> str:
    """A weak validator: equal for equal state and request (the bodies are equivalent, not byte-equal:
    a kept reconciliation says it was kept)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (state.encode(), path.encode(), query):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return f'W/"{digest.hexdigest()}"'


def _opaque(tag: bytes) -> bytes:
    tag = tag.strip()
    return tag[2:] if tag[:2] in (b"W/", b"w/") else tag


def matches(if_none_match: bytes, etag: str) -> bool | None:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison); None for ``*`` (any current
    representation: it depends on whether there is one). A header too long or with too many tags is
    ignored (False), so that it costs nothing."""
    if len(if_none_match) > MAX_IF_NONE_MATCH:
        return False
    tags = if_none_match.split(b",", MAX_TAGS)[:MAX_TAGS]
    if any(t.strip() == b"*" for t in tags):
        return None
    wanted = _opaque(etag.encode())
    return any(_opaque(t) == wanted for t in tags)


@dataclass(frozen=True)
class _Answer:
    state: str
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


class _Kept:
    """Answers by (path, query), least recently used forgotten first, bounded in count and bytes."""

    def __init__(self, entries: int, size: int) -> None:
        self.entries = entries
        self.size = size
        self.bytes = 0
        self._items: OrderedDict[tuple[str, bytes], _Answer] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: tuple[str, bytes], state: str) -> _Answer | None:
        answer = self._items.get(key)
        if answer is None or answer.state != state:
            return None
        self._items.move_to_end(key)
        return answer

    def put(self, key: tuple[str, bytes], answer: _Answer) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self.bytes -= len(old.body)
        self._items[key] = answer
        self.bytes += len(answer.body)
        while len(self._items) > self.entries or self.bytes > self.size:
            _, dropped = self._items.popitem(last=False)
            self.bytes -= len(dropped.body)


#: Response headers not kept with an answer (the server sets them on every response).
_NOT_KEPT_HEADERS = {b"date", b"server", b"etag", b"cache-control"}
#: A reconciliation whose chain check could not reach the node: the next one may reach it.
_UNREACHABLE = b'"chain_check":{"status":"unreachable"'


class FreshReadsMiddleware:
    """Pure ASGI middleware keeping the answers of :data:`FRESH_READS` (innermost: the metrics, security
    headers and error handling around it see every answer, kept or not)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        engine: Engine,
        entries: int = MAX_ENTRIES,
        size: int = MAX_BYTES,
        max_body: int = MAX_BODY,
    ) -> None:
        self.app = app
        self.engine = engine
        self.max_body = max_body
        self.kept = _Kept(entries, size)
        #: How the last kept route was answered, for tests: "304", "kept", "rendered" or "passed".
        self.last = ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        template = kept_route(scope["path"]) if scope["type"] == "http" and scope["method"] == "GET" else None
        if template is None:
            await self.app(scope, receive, send)
            return
        query: bytes = scope.get("query_string", b"")
        if len(query) > MAX_QUERY:
            self.last = "passed"
            await self.app(scope, receive, send)
            return
        try:
            state = await anyio.to_thread.run_sync(read_state, self.engine)
        except SQLAlchemyError as exc:  # the route says what is wrong with the database
            log.warning("fresh reads: the state is unreadable: %s", exc)
            self.last = "passed"
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        etag = etag_of(state, path, query)
        validators = ((b"etag", etag.encode()), (b"cache-control", b"no-cache"))
        condition = next((v for k, v in scope["headers"] if k == b"if-none-match"), None)
        matched = matches(condition, etag) if condition is not None else False
        if matched:
            scope["route"] = _RouteLabel(template)  # for the metrics: the router did not run
            self.last = "304"
            await _send(send, 304, validators, b"")
            return
        key = (path, query)
        answer = self.kept.get(key, state)
        if answer is None:
            answer = await self._render(scope, receive, send, state, validators)
            if answer is None:
                return
            self.last = "rendered"
        else:
            scope["route"] = _RouteLabel(template)
            self.last = "kept"
        if matched is None:  # If-None-Match: * and there is a representation
            await _send(send, 304, validators, b"")
            return
        await _send(send, 200, answer.headers + validators, answer.body)

    async def _render(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        state: str,
        validators: tuple[tuple[bytes, bytes], ...],
    ) -> _Answer | None:
        """The route's answer if it is one to keep (a 200 of bounded size), kept; else None, the route's
        answer having been sent as it came."""
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        passing = False

        async def capture(message: Message) -> None:
            nonlocal start, size, passing
            if passing:
                await send(message)
                return
            if message["type"] == "http.response.start":
                start = message
                if message["status"] != 200:
                    passing = True
                    await send(message)
                return
            if message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body:  # too large to keep: send what came and the rest as it comes
                passing = True
                assert start is not None
                await send(start)
                await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": True})
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b""})

        await self.app(scope, receive, capture)
        if passing or start is None:
            self.last = "passed"
            return None
        body = b"".join(chunks)
        headers = tuple((k, v) for k, v in start.get("headers", ()) if k.lower() not in _NOT_KEPT_HEADERS)
        if _UNREACHABLE in body:  # not kept, and not tagged: a later request may get the chain check
            self.last = "passed"
            await send({**start, "headers": list(headers)})
            await send({"type": "http.response.body", "body": body})
            return None
        answer = _Answer(state, headers, body)
        self.kept.put((scope["path"], scope.get("query_string", b"")), answer)
        return answer


async def _send(send: Send, status: int, headers: tuple[tuple[bytes, bytes], ...], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": list(headers)})
    await send({"type": "http.response.body", "body": body})
