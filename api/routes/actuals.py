"""Stored inquiry counts (`GET /v1/observations`), as JSON or CSV; uploads are in
`api/routes/observations.py`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson
import pandas as pd
from fastapi import APIRouter
from starlette.responses import Response

from api.csv_safety import safe_columns
from api.deps import ForecastFilter, ForecastFilterDep, OutputFormatDep, SettingsDep, StoreDep
from api.export import CSV_MEDIA_TYPE, JSON_MEDIA_TYPE, local_iso
from api.history_schemas import ObservationsOut
from api.routes import error_responses
from forecast.errors import InvalidParameter
from forecast.store import SeriesInfo, Store

router = APIRouter(tags=["observations"])

COLUMNS = ("ts", "category", "channel", "freq", "count")
_DESCRIPTION = """\
Stored counts of every series that matches the filters, sorted by series and time:
JSON `{"rows": [...]}` or CSV (`format=csv` or `Accept: text/csv`; a download). An
omitted `channel` matches every channel of the category; an empty one the series stored
without a channel. `start` is inclusive and `end` exclusive; naive values are local time.
Intervals with no row were closed, not zero. 422 when the answer would exceed
`max_forecast_rows` rows: narrow it with the filters.
"""
_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {200: {
    "content": {"text/csv": {"schema": {"type": "string"}}},
    "description": "Observation rows (JSON or CSV).",
}}


@router.get("/observations", response_model=ObservationsOut, description=_DESCRIPTION,
            responses={**_CSV_RESPONSE, **error_responses(422)})
def get_observations(
    store: StoreDep, settings: SettingsDep, fmt: OutputFormatDep, filters: ForecastFilterDep,
) -> Response:
    """Stored counts per interval."""
    frame = load_observations(store, filters, max_rows=settings.max_forecast_rows)
    columns = _columns(frame, settings.timezone, null_channel=fmt == "json")
    records = zip(*columns.values(), strict=True)
    if fmt == "json":
        rows = [dict(zip(COLUMNS, row, strict=True)) for row in records]
        return Response(orjson.dumps({"rows": rows}), media_type=JSON_MEDIA_TYPE)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(zip(*safe_columns(columns).values(), strict=True))
    return Response(buffer.getvalue().encode("utf-8"), media_type=CSV_MEDIA_TYPE,
                    headers={"Content-Disposition":
                             'attachment; filename="vocast-observations.csv"'})


def load_observations(store: Store, filters: ForecastFilter, *, max_rows: int) -> pd.DataFrame:
    """OBSERVATION_COLUMNS of the matching series; InvalidParameter past `max_rows`."""
    parts: list[pd.DataFrame] = []
    total = 0
    for info in _matching(store.list_series(), filters):
        counts = store.load_history(info.key, info.freq, start=filters.start, end=filters.end)
        total += len(counts)
        if total > max_rows:
            raise InvalidParameter("filters", f"more than {max_rows} rows", (
                f"narrow enough to match at most {max_rows} rows (max_forecast_rows); "
                "give a category, channel, freq, start or end"))
        parts.append(pd.DataFrame({
            "ts": counts.index, "category": info.key.category, "channel": info.key.channel,
            "freq": info.freq.value, "count": counts.to_numpy(dtype=float)}))
    if not parts:
        return pd.DataFrame({name: pd.Series([], dtype=object) for name in COLUMNS})
    return pd.concat(parts, ignore_index=True)


def _matching(series: list[SeriesInfo], filters: ForecastFilter) -> Iterator[SeriesInfo]:
    ordered = sorted(series, key=lambda s: (s.key.category, s.key.channel, s.freq.minutes))
    for info in ordered:
        if filters.category is not None and info.key.category != filters.category:
            continue
        if filters.channel is not None and info.key.channel != filters.channel:
            continue
        if filters.freq is not None and info.freq is not filters.freq:
            continue
        yield info


def _columns(frame: pd.DataFrame, timezone: str, *, null_channel: bool) -> dict[str, list[Any]]:
    """Plain Python values per column: local ISO stamps, whole counts as ints."""
    if frame.empty:
        return {name: [] for name in COLUMNS}
    counts = np.round(frame["count"].to_numpy(dtype=float), 4)
    channels = frame["channel"].to_numpy(dtype=object, copy=True)
    if null_channel:
        channels[channels == ""] = None
    return {
        "ts": local_iso(frame["ts"], timezone).tolist(),
        "category": frame["category"].tolist(),
        "channel": channels.tolist(),
        "freq": frame["freq"].tolist(),
        "count": [int(value) if value.is_integer() else value for value in counts.tolist()],
    }
