"""Serialise forecast frames to JSON and CSV bytes, column-wise.

Each column is converted once with numpy (timestamps, rounding, empty channels) and the
rows are assembled by C-level zips: no per-cell Python. Timestamps become ISO 8601 local
wall-clock time with the zone offset; forecast values are rounded to 4 decimals; an
all-channel series has channel null in JSON and empty in CSV.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import numpy as np
import orjson
import pandas as pd
from starlette.responses import Response

from forecast.store import FORECAST_COLUMNS

OUTPUT_COLUMNS = (*FORECAST_COLUMNS, "run_id")
VALUE_COLUMNS = frozenset({"yhat", "lo80", "hi80", "lo95", "hi95"})
VALUE_DECIMALS = 4
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def local_iso(ts: pd.Series, timezone: str) -> np.ndarray:
    """Tz-aware (or naive UTC) stamps as `YYYY-MM-DDTHH:MM:SS+HH:MM` strings in `timezone`."""
    index = pd.DatetimeIndex(ts)
    if index.tz is None:
        index = index.tz_localize("UTC")
    utc = index.tz_convert("UTC").tz_localize(None).to_numpy(dtype="datetime64[s]")
    wall = index.tz_convert(timezone).tz_localize(None).to_numpy(dtype="datetime64[s]")
    offset_minutes = (wall - utc).astype("int64") // 60
    offsets, position = np.unique(offset_minutes, return_inverse=True)
    labels = np.array([_offset_label(int(m)) for m in offsets], dtype=object)
    text: np.ndarray = np.datetime_as_string(wall, unit="s").astype(object) + labels[position]
    return text


def forecast_columns(
    frame: pd.DataFrame, timezone: str, *, null_channel: bool
) -> dict[str, list[Any]]:
    """The output columns, in order, as lists of plain Python values."""
    columns: dict[str, list[Any]] = {}
    for name in OUTPUT_COLUMNS:
        if name == "ts":
            values = local_iso(frame["ts"], timezone)
        elif name in VALUE_COLUMNS:
            values = np.round(frame[name].to_numpy(dtype=float), VALUE_DECIMALS)
        else:
            values = frame[name].to_numpy(dtype=object, copy=True)
        if name == "channel" and null_channel:
            values[values == ""] = None
        columns[name] = values.tolist()
    return columns


def forecast_json(frame: pd.DataFrame, run_id: str, timezone: str) -> bytes:
    """`{"run_id": ..., "rows": [{...}, ...]}` as UTF-8 JSON bytes."""
    rows: list[dict[str, Any]] = []
    if len(frame):
        columns = forecast_columns(frame, timezone, null_channel=True)
        rows = [dict(zip(OUTPUT_COLUMNS, row, strict=True))
                for row in zip(*columns.values(), strict=True)]
    return orjson.dumps({"run_id": run_id, "rows": rows})


def forecast_csv(frame: pd.DataFrame, timezone: str) -> bytes:
    """A header row and one row per forecast interval, as UTF-8 CSV bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(OUTPUT_COLUMNS)
    if len(frame):
        columns = forecast_columns(frame, timezone, null_channel=False)
        writer.writerows(zip(*columns.values(), strict=True))
    return buffer.getvalue().encode("utf-8")


def forecast_response(
    frame: pd.DataFrame, run_id: str, *, timezone: str, as_csv: bool
) -> Response:
    """Pre-serialised JSON, or CSV as a download named after the run."""
    if not as_csv:
        return Response(forecast_json(frame, run_id, timezone), media_type="application/json")
    filename = f"vocast-forecast-{_UNSAFE_FILENAME.sub('_', run_id)}.csv"
    return Response(
        forecast_csv(frame, timezone), media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _offset_label(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"
