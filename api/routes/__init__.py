"""HTTP routes, one module per resource; bodies stay thin: parse, call, serialise."""

from __future__ import annotations

from typing import Any

from api.schemas import ErrorOut

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The request cannot be processed."},
    404: {"model": ErrorOut, "description": "Not found."},
    422: {"model": ErrorOut, "description": "A parameter or input row is invalid."},
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error envelope documented for the given status codes."""
    return {code: ERROR_RESPONSES.get(code, {"model": ErrorOut}) for code in codes}
