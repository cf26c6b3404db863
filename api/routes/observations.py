"""Upload inquiry logs: JSON rows, a multipart CSV file or a raw CSV body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Request

from api.deps import SettingsDep, StoreDep
from api.errors import payload_too_large
from api.routes import error_responses
from api.schemas import ObservationsIn, UpsertOut, inline_schema
from api.uploads import read_rows_body
from forecast.ingest import FIRST_DATA_ROW, load_inquiries, read_inquiry_csv
from forecast.series import Freq

router = APIRouter(tags=["observations"])

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
    return await read_rows_body(
        request, from_csv=lambda body: Upload(read_inquiry_csv(body), FIRST_DATA_ROW),
        from_json=lambda rows: Upload(_frame(rows), first_row=1))


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


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, dtype=object)
    return frame.where(frame.notna(), "").astype(str)
