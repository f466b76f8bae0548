"""Refuse request bodies over a limit before they are read, with a JSON 413.

A declared ``Content-Length`` over the limit is refused at once; a body sent without one (chunked) is
counted as it arrives and refused when it passes the limit (:func:`api.body_guard.guard_body`), so a 50 MB
upload never reaches the multipart parser, the disk or the database. Document uploads get the configured
document limit (plus room for the multipart envelope); every other body is small JSON.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from api.body_guard import guard_body, send_refusal
from api.errors import BodyRefusedError

#: Room for the multipart boundary and form fields around an uploaded file.
MULTIPART_OVERHEAD = 64 * 1024
#: Largest JSON body of any other request.
JSON_BODY_LIMIT = 1024 * 1024


def _too_large(limit: int) -> str:
    return f"the request body is larger than the limit of {limit:,} bytes"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, upload_paths: tuple[str, ...], upload_limit: int) -> None:
        self.app = app
        self.upload_paths = upload_paths
        self.upload_limit = upload_limit

    def limit_for(self, path: str) -> int:
        if path.rstrip("/") in self.upload_paths:
            return self.upload_limit + MULTIPART_OVERHEAD
        return JSON_BODY_LIMIT

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await send_refusal(send, 413, _too_large(limit))
            return
        received = 0

        def count(chunk: bytes, more: bool) -> None:
            nonlocal received
            received += len(chunk)
            if received > limit:
                raise BodyRefusedError(413, _too_large(limit))

        await guard_body(self.app, scope, receive, send, count)
