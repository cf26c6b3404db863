"""Upload inquiry logs: JSON rows, a multipart CSV file or a raw CSV body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import orjson
import pandas as pd
from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.types import Message

from api.deps import SettingsDep, StoreDep
from api.errors import malformed_body, payload_too_large, unsupported_media_type
from api.routes import error_responses
from api.schemas import ObservationsIn, UpsertOut, inline_schema
from forecast.errors import InvalidInput
from forecast.ingest import FIRST_DATA_ROW, load_inquiries, read_inquiry_csv
from forecast.series import Freq

router = APIRouter(tags=["observations"])

CSV_MEDIA_TYPES = frozenset({
    "text/csv", "application/csv", "text/plain", "application/octet-stream",
    "application/x-www-form-urlencoded",  # what `curl --data-binary` sends by default
})
_CSV_SCHEMA = {"type": "string", "example": "ts,category,channel,count\n"
                                           "2026-03-02T09:00:00,billing,phone,42\n"}
_REQUEST_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": inline_schema(ObservationsIn)},
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary"}}}},
    "text/csv": {"schema": _CSV_SCHEMA},
}}}
_DESCRIPTION = """\
Load inquiry counts (`ts,category[,channel],count`) or raw events (no `count`: each row
is one inquiry) into the store. Send JSON `{"rows": [...]}`, a multipart CSV upload in
the field `file`, or a raw `text/csv` body. Naive timestamps are local time. Everything
is validated before anything is written; an error names the row and column (CSV: the
header is row 1; JSON: rows count from 1). Re-sending the same rows changes nothing.
"""


@dataclass(frozen=True, slots=True)
class Upload:
    """Rows as strings, and the row number of the first one as the client sees it."""

    frame: pd.DataFrame
    first_row: int


async def read_upload(request: Request) -> Upload:
    """Read the body (bounded by the app's upload limit) by its content type."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await _read_body(request, request.app.state.max_upload_bytes)
    if media == "application/json" or media.endswith("+json"):
        return Upload(_json_rows(body), first_row=1)
    if media == "multipart/form-data":
        return Upload(read_inquiry_csv(await _multipart_file(request, body)), FIRST_DATA_ROW)
    if media in CSV_MEDIA_TYPES or not media:
        return Upload(read_inquiry_csv(body), FIRST_DATA_ROW)
    raise unsupported_media_type(f"unsupported content type {media!r}; send application/json, "
                                 "multipart/form-data or text/csv")


@router.post("/observations", response_model=UpsertOut, description=_DESCRIPTION,
             openapi_extra=_REQUEST_BODY, responses=error_responses(400, 413, 415, 422))
def post_observations(
    upload: Annotated[Upload, Depends(read_upload)], store: StoreDep, settings: SettingsDep
) -> UpsertOut:
    """Validate all rows, then upsert them in one transaction."""
    if len(upload.frame) > settings.max_upload_rows:
        raise payload_too_large(
            f"the upload has {len(upload.frame):,} rows; the limit is "
            f"{settings.max_upload_rows:,} per request: split it, or load files with "
            "`vocast ingest`")
    observations = load_inquiries(
        upload.frame, timezone=settings.timezone,
        base_interval=Freq.parse(settings.base_interval), first_row=upload.first_row,
    )
    result = store.upsert_observations(observations)
    series = len(observations[["category", "channel", "freq"]].drop_duplicates())
    return UpsertOut.from_domain(result, series=series)


async def _read_body(request: Request, limit: int) -> bytes:
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


async def _multipart_file(request: Request, body: bytes) -> bytes:
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


def _json_rows(body: bytes) -> pd.DataFrame:
    try:
        payload: Any = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise malformed_body(f"malformed JSON body: {exc}") from exc
    rows = payload.get("rows") if isinstance(payload, dict) else None
    if not isinstance(rows, list):
        raise InvalidInput('the JSON body must be an object {"rows": [{...}, ...]}',
                           column="rows")
    if not rows:
        raise InvalidInput("rows is empty; send at least one row", column="rows")
    for position, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise InvalidInput(f"each row must be an object; got {type(row).__name__}",
                               row=position)
    frame = pd.DataFrame(rows, dtype=object)
    return frame.where(frame.notna(), "").astype(str)
