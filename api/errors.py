"""Every error class of the API, and the error answers: always JSON ``{"detail": "..."}`` with a status
the caller can act on.

Bad input is a 4xx saying what is wrong; an unexpected failure is logged with its traceback and answered
with a 500 that reveals nothing of the internals.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas.common import ErrorBody
from api.security_headers import SECURITY_HEADERS
from ledger.errors import (
    ApiKeyError,
    DocumentTooLargeError,
    InvalidRecordError,
    LedgerError,
    RecordConflictError,
    RecordNotFoundError,
    ScopeError,
)

log = logging.getLogger("api")


class InvalidInputError(LedgerError, ValueError):
    """A request parameter that passed its type check but means nothing (e.g. a forged page cursor)."""


class BodyRefusedError(Exception):
    """A request body refused before the app parsed it: the status and message the client gets."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class NestingTooDeepError(ValueError):
    """The body opens more than the allowed levels of arrays and objects."""


#: Statuses of the errors the data layer raises on purpose, checked in this order.
ERROR_STATUSES: list[tuple[type[Exception], int]] = [
    (ScopeError, 403),
    (RecordNotFoundError, 404),
    (RecordConflictError, 409),
    (DocumentTooLargeError, 413),
    (InvalidRecordError, 422),
    (InvalidInputError, 422),
    (ApiKeyError, 422),
]

#: Error answers documented on every route (the OpenAPI schema then matches what the API sends).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorBody, "description": "Invalid input: `detail` says what, `errors` where"},
}
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No API key, or an unknown or revoked one"},
    403: {"model": ErrorBody, "description": "The API key's role or campaigns do not allow this"},
    429: {
        "model": ErrorBody,
        "description": "Too many failed API key attempts from this address: retry after `Retry-After` s",
    },
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "No such record"}}


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _validation_detail(errors: list[dict[str, Any]]) -> str:
    return "; ".join(f"{_location(tuple(e.get('loc', ())))}: {e.get('msg', 'invalid')}" for e in errors)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content=jsonable_encoder({"detail": _validation_detail(errors), "errors": errors}),
    )


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == status.HTTP_400_BAD_REQUEST and exc.detail == "There was an error parsing the body":
        # FastAPI's answer to a body that is not UTF-8: bad input like any other, so the documented 422.
        return JSONResponse(
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            content={
                "detail": "the request body could not be parsed: send UTF-8 JSON (or the form declared)"
            },
        )
    return await http_exception_handler(request, exc)


async def _on_ledger_error(request: Request, exc: Exception) -> JSONResponse:
    for error_type, code in ERROR_STATUSES:
        if isinstance(exc, error_type):
            return JSONResponse(status_code=code, content={"detail": str(exc)})
    return await _on_unexpected(request, exc)


async def _on_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.error("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        content={"detail": "the database is unavailable; try again shortly"},
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        content={"detail": "internal error; it has been logged"},
        # Answered by Starlette's outermost middleware, outside SecurityHeadersMiddleware.
        headers=SECURITY_HEADERS,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(LedgerError, _on_ledger_error)
    app.add_exception_handler(OperationalError, _on_database_unavailable)
    app.add_exception_handler(Exception, _on_unexpected)
