"""The one place that maps errors to HTTP responses.

Every error leaves the API as `{"error": {"type", "message", "row", "column", "parameter"}}`
(the last three null when they do not apply); stack traces never do.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from forecast.errors import (
    ForecastError,
    InfeasibleStaffing,
    InsufficientHistory,
    InvalidInput,
    InvalidParameter,
    NotFound,
    UnknownModel,
)

logger = logging.getLogger(__name__)

_STATUS_BY_ERROR: tuple[tuple[type[ForecastError], int], ...] = (
    (InvalidInput, 422),
    (InvalidParameter, 422),
    (UnknownModel, 422),
    (InsufficientHistory, 422),
    (InfeasibleStaffing, 422),
    (NotFound, 404),
)

# Kinds that read the same whichever layer raised them (e.g. the body-size middleware).
_HTTP_KINDS = {413: "PayloadTooLarge", 415: "UnsupportedMediaType"}


class RequestBodyError(Exception):
    """A request body the API cannot read at all: too large, of an unsupported type, or
    not parseable. `kind` is the error type clients see."""

    def __init__(self, status_code: int, kind: str, message: str) -> None:
        self.status_code = status_code
        self.kind = kind
        self.message = message
        super().__init__(message)


def payload_too_large(message: str) -> RequestBodyError:
    return RequestBodyError(413, "PayloadTooLarge", message)


def unsupported_media_type(message: str) -> RequestBodyError:
    return RequestBodyError(415, "UnsupportedMediaType", message)


def malformed_body(message: str) -> RequestBodyError:
    return RequestBodyError(400, "MalformedBody", message)


def status_for(error: ForecastError) -> int:
    """The HTTP status of a domain error: 422/404 for the known kinds, 400 otherwise."""
    for kind, status in _STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 400


def error_body(
    kind: str, message: str, *, row: int | None = None, column: str | None = None,
    parameter: str | None = None,
) -> dict[str, Any]:
    """The JSON error envelope shared by every handler."""
    return {"error": {"type": kind, "message": message, "row": row, "column": column,
                      "parameter": parameter}}


def install_error_handlers(app: FastAPI) -> None:
    """Route every error kind through `handle_error`; call once from create_app."""
    for kind in (ForecastError, RequestBodyError, RequestValidationError, HTTPException,
                 OverflowError, Exception):
        app.add_exception_handler(kind, handle_error)


async def handle_error(request: Request, exc: Exception) -> JSONResponse:
    """The HTTP response for any error raised while serving `request`."""
    if isinstance(exc, ForecastError):
        return _forecast_error(exc)
    if isinstance(exc, RequestBodyError):
        return JSONResponse(error_body(exc.kind, exc.message), status_code=exc.status_code)
    if isinstance(exc, RequestValidationError):
        return _validation_error(exc)
    if isinstance(exc, HTTPException):
        kind = _HTTP_KINDS.get(exc.status_code) or HTTPStatus(exc.status_code).phrase.replace(
            " ", "")
        return JSONResponse(error_body(kind, str(exc.detail)), status_code=exc.status_code,
                            headers=exc.headers)
    if isinstance(exc, OverflowError):  # e.g. an id beyond any integer column
        body = error_body("InvalidParameter", "a number in the request is out of range")
        return JSONResponse(body, status_code=422)
    logger.error("unhandled error on %s %s: %s", request.method, request.url.path,
                 type(exc).__name__, exc_info=exc)
    body = error_body("InternalServerError", "internal server error; see the server log")
    return JSONResponse(body, status_code=500)


def _forecast_error(exc: ForecastError) -> JSONResponse:
    bad_input = exc if isinstance(exc, InvalidInput) else None
    body = error_body(
        type(exc).__name__, str(exc),
        row=bad_input.row if bad_input else None,
        column=bad_input.column if bad_input else None,
        parameter=exc.name if isinstance(exc, InvalidParameter) else None,
    )
    return JSONResponse(body, status_code=status_for(exc))


def _validation_error(exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    location = [str(part) for part in first.get("loc", ())]
    source = location[0] if location else "request"
    name = ".".join(location[1:]) or source
    message = f"{source} parameter '{name}': {first.get('msg', 'invalid value')}"
    if "input" in first and source in ("query", "path", "header"):
        message += f"; got {first['input']!r}"
    body = error_body("InvalidParameter", message, parameter=name)
    return JSONResponse(body, status_code=422)
