"""Serialise forecast frames to JSON and CSV bytes, column-wise (no per-row Python).

Timestamps become ISO 8601 local wall-clock time with the zone offset; forecast values
are rounded to 4 decimals; an all-channel series has channel null in JSON, empty in CSV.
"""

from __future__ import annotations

import re

import numpy as np
import orjson
import pandas as pd
from starlette.responses import Response

from forecast.store import FORECAST_COLUMNS

OUTPUT_COLUMNS = (*FORECAST_COLUMNS, "run_id")
VALUE_COLUMNS = ("yhat", "lo80", "hi80", "lo95", "hi95")
VALUE_DECIMALS = 4
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def local_iso(ts: pd.Series, timezone: str) -> pd.Series:
    """Format tz-aware (or naive UTC) stamps as `YYYY-MM-DDTHH:MM:SS+HH:MM` in `timezone`."""
    utc = ts.dt.tz_convert("UTC") if isinstance(ts.dtype, pd.DatetimeTZDtype) \
        else ts.dt.tz_localize("UTC")
    wall = utc.dt.tz_convert(timezone).dt.tz_localize(None)
    offset_minutes = (wall - utc.dt.tz_localize(None)) // pd.Timedelta(minutes=1)
    labels = {int(m): _offset_label(int(m)) for m in offset_minutes.unique()}
    text = np.datetime_as_string(wall.to_numpy(dtype="datetime64[s]"), unit="s")
    return pd.Series(text, index=ts.index, dtype=object) + offset_minutes.map(labels)


def forecast_table(frame: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """The output columns in order, with local ISO timestamps and rounded values."""
    table = frame.loc[:, list(OUTPUT_COLUMNS)]
    if table.empty:
        return table.astype({"ts": object})
    rounded = table[list(VALUE_COLUMNS)].astype(float).round(VALUE_DECIMALS)
    values = {column: rounded[column] for column in VALUE_COLUMNS}
    return table.assign(ts=local_iso(table["ts"], timezone), **values)


def forecast_json(frame: pd.DataFrame, run_id: str, timezone: str) -> bytes:
    """`{"run_id": ..., "rows": [...]}` as UTF-8 JSON bytes."""
    table = forecast_table(frame, timezone)
    table = table.assign(channel=table["channel"].replace("", None))
    rows = table.to_json(orient="records", force_ascii=False) if len(table) else "[]"
    return b'{"run_id":' + orjson.dumps(run_id) + b',"rows":' + rows.encode() + b"}"


def forecast_csv(frame: pd.DataFrame, timezone: str) -> bytes:
    """A header row and one row per forecast interval, as UTF-8 CSV bytes."""
    text: str = forecast_table(frame, timezone).to_csv(index=False, lineterminator="\n")
    return text.encode("utf-8")


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
