"""Serialise forecast frames to JSON, CSV and Parquet bytes, column-wise.

Each column is converted once with numpy (timestamps, rounding, empty channels) and the
rows are assembled by C-level zips: no per-cell Python. Timestamps become ISO 8601 local
wall-clock time with the zone offset (Parquet: a UTC-adjusted timestamp tagged with the
zone); forecast values are rounded to 4 decimals; an all-channel series has channel null
in JSON and Parquet and empty in CSV.

Parquet is written by fastparquet (about 2 MB with its codecs, against about 150 MB for
pyarrow, whose presence would also switch pandas' default string storage for the whole
code base) with Snappy compression, which DuckDB, pandas, Spark and Power BI all read.
"""

from __future__ import annotations

import csv
import io
import re
import threading
import warnings
from typing import Any, Literal

import fastparquet
import numpy as np
import orjson
import pandas as pd

from api.caching import Prepared
from api.csv_safety import UTF8_BOM, safe_columns
from forecast.store import FORECAST_COLUMNS

OUTPUT_COLUMNS = (*FORECAST_COLUMNS, "run_id")
OVERRIDE_COLUMNS = ("yhat_model", "override_id")  # present when a planner override applies
VALUE_COLUMNS = frozenset({"yhat", "lo80", "hi80", "lo95", "hi95", "yhat_model"})
VALUE_DECIMALS = 4
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
JSON_MEDIA_TYPE = "application/json"
PARQUET_MEDIA_TYPE = "application/vnd.apache.parquet"
PARQUET_COMPRESSION = "SNAPPY"
# fastparquet reads tz-aware columns through a pandas 3.1 deprecated accessor; the
# warning is silenced around the write only, one write at a time (warning filters are
# process-wide).
_PARQUET_LOCK = threading.Lock()
_FASTPARQUET_TZ_WARNING = "Series.values returning an ndarray that drops timezone"
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


def output_columns(frame: pd.DataFrame) -> tuple[str, ...]:
    """OUTPUT_COLUMNS, plus yhat_model and override_id when the frame has them."""
    return OUTPUT_COLUMNS + tuple(c for c in OVERRIDE_COLUMNS if c in frame.columns)


def forecast_columns(
    frame: pd.DataFrame, timezone: str, *, null_channel: bool
) -> dict[str, list[Any]]:
    """The output columns, in order, as lists of plain Python values."""
    columns: dict[str, list[Any]] = {}
    for name in output_columns(frame):
        if name == "ts":
            values = local_iso(frame["ts"], timezone)
        elif name in VALUE_COLUMNS:
            values = np.round(frame[name].to_numpy(dtype=float), VALUE_DECIMALS)
        elif name == "override_id":
            ids = frame[name]
            values = np.where(ids.isna(), None, ids.fillna(0).astype("int64").astype(object))
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
        rows = [dict(zip(list(columns), row, strict=True))
                for row in zip(*columns.values(), strict=True)]
    return orjson.dumps({"run_id": run_id, "rows": rows})


def forecast_csv(frame: pd.DataFrame, timezone: str, *, bom: bool = False) -> bytes:
    """A header row and one row per forecast interval, as UTF-8 CSV bytes (with a byte
    order mark for `bom`); text cells cannot start a spreadsheet formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(output_columns(frame))
    if len(frame):
        columns = forecast_columns(frame, timezone, null_channel=False)
        writer.writerows(zip(*safe_columns(columns).values(), strict=True))
    return (UTF8_BOM if bom else b"") + buffer.getvalue().encode("utf-8")


def forecast_parquet(frame: pd.DataFrame, timezone: str) -> bytes:
    """One row group of the output columns: ts as a timestamp in `timezone`, channel null
    for all-channel series."""
    index = pd.DatetimeIndex(frame["ts"])
    if index.tz is None:
        index = index.tz_localize("UTC")
    columns: dict[str, Any] = {"ts": index.tz_convert(timezone).as_unit("us")}
    for name in output_columns(frame)[1:]:
        if name in VALUE_COLUMNS:
            columns[name] = np.round(frame[name].to_numpy(dtype=float), VALUE_DECIMALS)
        elif name == "override_id":
            columns[name] = pd.array(frame[name], dtype="Int64")
        else:
            values = frame[name].to_numpy(dtype=object, copy=True)
            if name == "channel":
                values[values == ""] = None
            columns[name] = pd.array(values, dtype="string")
    table = pd.DataFrame(columns)
    sink = _KeptOpen()
    with _PARQUET_LOCK, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_FASTPARQUET_TZ_WARNING,
                                category=DeprecationWarning)
        fastparquet.write("forecast.parquet", table, open_with=lambda _path, _mode: sink,
                          compression=PARQUET_COMPRESSION, write_index=False)
    return sink.getvalue()


def prepare_forecast(
    frame: pd.DataFrame, run_id: str, *, timezone: str,
    fmt: Literal["json", "csv", "parquet"], bom: bool = False,
) -> Prepared:
    """The forecast rows as a ready body; CSV and Parquet are downloads named after the run.

    `run_id` is the run the rows were read from (used when there are no rows).
    """
    if len(frame):
        run_id = str(frame["run_id"].iloc[0])
    empty = len(frame) == 0
    if fmt == "json":
        return Prepared(forecast_json(frame, run_id, timezone), JSON_MEDIA_TYPE, run_id,
                        empty=empty)
    filename = f"vocast-forecast-{_UNSAFE_FILENAME.sub('_', run_id)}.{fmt}"
    headers = (("Content-Disposition", f'attachment; filename="{filename}"'),)
    if fmt == "csv":
        return Prepared(forecast_csv(frame, timezone, bom=bom), CSV_MEDIA_TYPE, run_id, headers,
                        empty=empty)
    return Prepared(forecast_parquet(frame, timezone), PARQUET_MEDIA_TYPE, run_id, headers,
                    empty=empty, compressible=False)


class _KeptOpen(io.BytesIO):
    """A buffer that outlives the writer's `close()`."""

    def close(self) -> None:
        pass


def _offset_label(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"
