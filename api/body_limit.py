"""Refuse request bodies over a limit before they are read, with a JSON 413.

A declared ``Content-Length`` over the limit is refused at once; a body sent without one (chunked) is
counted as it arrives and refused when it passes the limit, so a 50 MB upload never reaches the
multipart parser, the disk or the database. Document uploads get the configured document limit (plus
room for the multipart envelope); every other body is small JSON.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Room for the multipart boundary and form fields around an uploaded file.
MULTIPART_OVERHEAD = 64 * 1024
#: Largest JSON body of any other request.
JSON_BODY_LIMIT = 1024 * 1024


class BodyTooLargeError(Exception):
    pass


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
            await _too_large(send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLargeError:
            if not started:
                await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"the request body is larger than the limit of {limit:,} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
