"""Refuse JSON bodies nested deeper than :data:`MAX_JSON_DEPTH` before anything parses them, with a 422.

The ``json`` decoder recurses once per level of nesting, in C. Under the recursion limit a dependency sets
(see :mod:`ledger.recursion`) a body of a few hundred kilobytes of ``[`` overflows the C stack and kills
the process, and it is parsed before the API key is checked. So every body the app might decode as JSON
is scanned as it arrives by :class:`NestingScanner`, a tokenizer that knows only strings (with their
escapes) and brackets, and refused at the first byte that opens level ``MAX_JSON_DEPTH + 1``.

The scanner counts every bracket the decoder would open: outside strings its tokens are the decoder's, and
where they part (the body is not JSON) the decoder stops with an error first. Bodies in UTF-16 or UTF-32,
which ``json.loads`` also accepts, are decoded the way it does before they are scanned.
"""

from __future__ import annotations

import codecs
import email.message
import json
import re
from array import array
from itertools import accumulate

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api.body_guard import guard_body
from api.errors import BodyRefusedError, NestingTooDeepError

#: Deepest nesting of arrays and objects a request body may have; no request of this API needs half.
MAX_JSON_DEPTH = 64

#: Content types parsed by the (iterative) form parsers, never by the JSON decoder.
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")

# A complete string; starting at a quote it either matches once or (unterminated) fails once.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# The rest of a string that began in an earlier piece of the body, up to (not including) its end.
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
# Closes whatever string the piece ends in (the first byte may be taken by a pending escape).
_SENTINEL = b' "'
_OPENERS = b"[{"
_CLOSERS = b"]}"
# Brackets as +1 / -1 (signed bytes), everything else deleted.
_DELTAS = bytes(1 if b in _OPENERS else 255 if b in _CLOSERS else 0 for b in range(256))
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _OPENERS + _CLOSERS)
_WINDOW = 4096


class NestingScanner:
    """Tracks the nesting depth of a JSON text fed piece by piece; raises NestingTooDeepError past
    ``max_depth``. Linear in the input: strings are skipped by regular expressions, not byte by byte."""

    def __init__(self, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.max_depth = max_depth
        self.depth = 0
        self.in_string = False
        self.escaped = False  # in a string, right after a backslash

    def feed(self, data: bytes) -> None:
        start = 0
        if self.in_string:
            if self.escaped:
                if not data:
                    return
                self.escaped = False
                start = 1
            end = _STRING_REST.match(data, start)
            assert end is not None  # the pattern matches the empty string
            if end.end() == len(data):
                return
            if data[end.end()] == ord("\\"):  # the piece ends on a backslash: it escapes the next byte
                self.escaped = True
                return
            self.in_string = False
            start = end.end() + 1
        # Remove every string. The sentinel closes a string left open at the end of the piece; if it
        # survives (its quote unmatched), the piece ended outside any string.
        outside = _STRING.sub(b"", data[start:] + _SENTINEL)
        if outside.endswith(_SENTINEL):
            outside = outside[: -len(_SENTINEL)]
        else:
            self.in_string = True
            trailing = len(data) - len(data.rstrip(b"\\"))
            self.escaped = trailing % 2 == 1
        self._count(outside)

    def _count(self, outside: bytes) -> None:
        opened = outside.count(b"[") + outside.count(b"{")
        if self.depth + opened <= self.max_depth:  # cannot pass the limit however they nest
            self.depth += opened - outside.count(b"]") - outside.count(b"}")
            return
        deltas = array("b", outside.translate(_DELTAS, _NOT_BRACKETS))
        for at in range(0, len(deltas), _WINDOW):
            window = deltas[at : at + _WINDOW]
            if max(accumulate(window, initial=self.depth)) > self.max_depth:
                raise NestingTooDeepError(f"the JSON body is nested deeper than {self.max_depth} levels")
            self.depth += sum(window)


class JsonBodyScanner:
    """A :class:`NestingScanner` over a body in any encoding ``json.loads`` accepts (found, as it does,
    from the first four bytes). A body that does not decode is left alone: the decoder refuses it whole."""

    def __init__(self, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.nesting = NestingScanner(max_depth)
        self.head = b""
        self.decoder: codecs.IncrementalDecoder | None = None
        self.utf8 = False
        self.undecodable = False

    def feed(self, chunk: bytes, more: bool) -> None:
        if self.undecodable:
            return
        if not self.utf8 and self.decoder is None:
            self.head += chunk
            if len(self.head) < 4 and more:
                return
            chunk, self.head = self.head, b""
            encoding = json.detect_encoding(chunk)
            if encoding.startswith("utf-8"):  # ASCII bytes never occur inside a multi-byte character
                self.utf8 = True
            else:
                self.decoder = codecs.getincrementaldecoder(encoding)("surrogatepass")
        if self.decoder is not None:
            try:
                text = self.decoder.decode(chunk, final=not more)
            except UnicodeDecodeError:
                self.undecodable = True
                return
            chunk = text.encode("utf-8", "surrogatepass")
        self.nesting.feed(chunk)


def _may_be_decoded_as_json(scope: Scope) -> bool:
    """Every body but a form: FastAPI decodes JSON under a JSON content type and under none at all."""
    content_type = Headers(scope=scope).get("content-type")
    if not content_type:
        return True
    message = email.message.Message()  # how FastAPI reads the header
    message["content-type"] = content_type
    return message.get_content_type() not in _FORM_TYPES


class JsonDepthMiddleware:
    """Refuses with a 422 any request body nested deeper than ``max_depth``, as it arrives."""

    def __init__(self, app: ASGIApp, *, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _may_be_decoded_as_json(scope):
            await self.app(scope, receive, send)
            return
        scanner = JsonBodyScanner(self.max_depth)

        def check(chunk: bytes, more: bool) -> None:
            try:
                scanner.feed(chunk, more)
            except NestingTooDeepError as exc:
                raise BodyRefusedError(422, str(exc)) from None

        await guard_body(self.app, scope, receive, send, check)
