"""Check a request body as it arrives and refuse it mid-stream with a JSON error, whatever the app does.

A check that refuses raises :class:`BodyRefusedError` from the app's ``receive``. FastAPI turns any error
raised while it reads a body into its own 400 ("There was an error parsing the body"), so the guard does
not rely on the error reaching it: once a body is refused, the app's answer is dropped and the guard sends
the refusal itself (unless the app had already started answering before the body was refused).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import BodyRefusedError

#: Called with each piece of the body as it arrives and whether more follows; raises BodyRefusedError.
BodyCheck = Callable[[bytes, bool], None]


async def guard_body(app: ASGIApp, scope: Scope, receive: Receive, send: Send, check: BodyCheck) -> None:
    """Run ``app`` on the request, passing each piece of its body through ``check`` as the app reads it."""
    refused: BodyRefusedError | None = None
    answered = False

    async def checked_receive() -> Message:
        nonlocal refused
        if refused is not None:
            raise refused
        message = await receive()
        if message["type"] == "http.request":
            try:
                check(message.get("body", b""), message.get("more_body", False))
            except BodyRefusedError as exc:
                refused = exc
                raise
        return message

    async def tracking_send(message: Message) -> None:
        nonlocal answered
        if refused is not None and not answered:
            return  # the app's answer to a body it could not read: the refusal replaces it
        answered = answered or message["type"] == "http.response.start"
        await send(message)

    try:
        await app(scope, checked_receive, tracking_send)
    except Exception:
        if refused is None or answered:
            raise
    if refused is not None and not answered:
        await send_refusal(send, refused.status, refused.detail)


async def send_refusal(send: Send, status: int, detail: str) -> None:
    """Answer ``{"detail": ...}`` with ``status``; the connection closes, the rest of the body unread."""
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
