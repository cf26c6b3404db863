"""Request bodies carrying rows: JSON `{"rows": [...]}`, a multipart `file`, or raw CSV.

One owner for reading them bounded by the upload limit and dispatching by content type;
routes supply what to make of the CSV bytes and of the JSON rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.types import Message

from api.errors import malformed_body, payload_too_large, unsupported_media_type
from forecast.errors import InvalidInput

T = TypeVar("T")

CSV_MEDIA_TYPES = frozenset({
    "text/csv", "application/csv", "text/plain", "application/octet-stream",
    "application/x-www-form-urlencoded",  # what `curl --data-binary` sends by default
})


async def read_rows_body(
    request: Request, *, from_csv: Callable[[bytes], T],
    from_json: Callable[[list[dict[str, Any]]], T], noun: str = "row",
) -> T:
    """Read the body (bounded by the app's upload limit) and parse it by content type."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await read_body(request, request.app.state.max_upload_bytes)
    if media == "application/json" or media.endswith("+json"):
        return from_json(json_rows(body, noun=noun))
    if media == "multipart/form-data":
        return from_csv(await multipart_file(request, body))
    if media in CSV_MEDIA_TYPES or not media:
        return from_csv(body)
    raise unsupported_media_type(f"unsupported content type {media!r}; send application/json, "
                                 "multipart/form-data or text/csv")


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused with 413 as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise payload_too_large(f"request body is {int(declared)} bytes; the limit is {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise payload_too_large(f"request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def multipart_file(request: Request, body: bytes) -> bytes:
    """The bytes of the multipart field `file` of an already-read body."""
    async def replay() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        async with Request(request.scope, replay).form() as form:
            field = form.get("file")
            if isinstance(field, UploadFile):
                return await field.read()
            if isinstance(field, str):
                return field.encode("utf-8")
    except HTTPException as exc:  # Starlette reports unparseable multipart bodies this way
        raise malformed_body(f"malformed multipart body: {exc.detail}") from exc
    raise InvalidInput("a multipart upload needs the CSV in a file field named 'file'",
                       column="file")


def json_rows(body: bytes, *, noun: str = "row") -> list[dict[str, Any]]:
    """The objects of `{"rows": [...]}`; errors name the row (counted from 1)."""
    try:
        payload: Any = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise malformed_body(f"malformed JSON body: {exc}") from exc
    rows = payload.get("rows") if isinstance(payload, dict) else None
    if not isinstance(rows, list):
        raise InvalidInput('the JSON body must be an object {"rows": [{...}, ...]}',
                           column="rows")
    if not rows:
        raise InvalidInput(f"rows is empty; send at least one {noun}", column="rows")
    for position, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise InvalidInput(f"each row must be an object; got {type(row).__name__}",
                               row=position)
    return rows
