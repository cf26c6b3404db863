"""Staff a forecast table: one row per series and interval in, agents per row out.

Backs `vocast staffing --forecast FC.csv ...`. Each row's `yhat` is the volume offered in
that interval. Intraday forecasts carry their interval in the `ts` spacing; a daily forecast
has no such thing, so the caller passes `interval_minutes` = the minutes the queue is staffed
per day (e.g. 600 for 08:00-18:00), and the day is staffed as one interval with its volume
spread evenly over those minutes.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from forecast.csvfile import read_text_csv
from forecast.errors import InvalidInput, InvalidParameter
from forecast.ingest import FIRST_DATA_ROW, parse_timestamps
from forecast.staffing import required_agents

STAFFING_COLUMNS = (
    "ts", "category", "volume", "agents", "agents_scheduled", "service_level",
    "asa_seconds", "occupancy",
)
_DAILY_MINUTES = 23 * 60  # a 23-hour DST day is still a day


def read_forecast_csv(source: str | Path | bytes | IO[bytes]) -> pd.DataFrame:
    """Read and validate a forecast CSV: ts, category, yhat, optional channel.

    Other columns (bounds, model) are kept. ts is parsed (ISO 8601), yhat is a float >= 0;
    errors name the file row (header = row 1) and the column.
    """
    frame = read_text_csv(source, expected="ts,category,yhat")
    return _validated(frame)


def staff_forecast(
    forecast: pd.DataFrame,
    *,
    aht_seconds: float,
    target_service_level: float,
    answer_seconds: float,
    shrinkage: float = 0.0,
    max_occupancy: float = 1.0,
    interval_minutes: float | None = None,
    concurrency: float = 1.0,
    patience_seconds: float | None = None,
) -> pd.DataFrame:
    """Agents per forecast row (see forecast.staffing.required_agents), rows in input order.

    Columns: ts, category, [channel,] volume, agents, agents_scheduled, service_level,
    asa_seconds, occupancy, and abandon_rate when `patience_seconds` is given (Erlang A).
    `interval_minutes` is inferred from the ts spacing when None; daily forecasts need it.
    An InfeasibleStaffing message's "interval i" is the 0-based row position.
    """
    frame = _validated(forecast)
    minutes = _infer_interval_minutes(frame) if interval_minutes is None else interval_minutes
    result = required_agents(
        frame["yhat"].to_numpy(dtype=np.float64), interval_minutes=minutes,
        aht_seconds=aht_seconds, target_service_level=target_service_level,
        answer_seconds=answer_seconds, max_occupancy=max_occupancy, shrinkage=shrinkage,
        concurrency=concurrency, patience_seconds=patience_seconds,
    )
    out = pd.DataFrame({"ts": frame["ts"], "category": frame["category"]})
    if "channel" in frame:
        out["channel"] = frame["channel"]
    out["volume"] = result.volume
    out["agents"] = result.agents
    out["agents_scheduled"] = result.agents_scheduled
    out["service_level"] = result.service_level
    out["asa_seconds"] = result.asa_seconds
    out["occupancy"] = result.occupancy
    if patience_seconds is not None:
        out["abandon_rate"] = result.abandon_rate
    return out.reset_index(drop=True)


def _validated(forecast: pd.DataFrame) -> pd.DataFrame:
    """Check columns and values; row numbers are file rows (frame position + 2)."""
    frame = forecast.rename(columns=lambda c: str(c).strip().lower()).reset_index(drop=True)
    missing = [c for c in ("ts", "category", "yhat") if c not in frame.columns]
    if missing:
        raise InvalidInput(f"missing required column(s) {', '.join(missing)}; "
                           "expected ts,category,yhat and optionally channel", row=1)
    if frame.empty:
        raise InvalidInput("no data rows; expected at least one row after the header")
    category = frame["category"].fillna("").astype(str).str.strip()
    _first_bad(category == "", "category is empty", "category")
    frame["category"] = category
    if "channel" in frame:
        frame["channel"] = frame["channel"].fillna("").astype(str).str.strip()
    frame["yhat"] = _volumes(frame["yhat"])
    if not pd.api.types.is_datetime64_any_dtype(frame["ts"]):
        frame["ts"] = parse_timestamps(frame["ts"], FIRST_DATA_ROW)
    keys = ["ts", "category"] + (["channel"] if "channel" in frame else [])
    _first_bad(frame.duplicated(subset=keys), "duplicate row for the same series and ts; "
               "give one forecast per series and interval", "ts")
    return frame


def _volumes(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.strip()
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    shown = text.where(text != "", "<empty>")
    bad = ~np.isfinite(numbers.to_numpy())
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise InvalidInput(f"yhat must be a finite number; got {shown.iloc[position]!r}",
                           row=position + FIRST_DATA_ROW, column="yhat")
    negative = numbers.to_numpy() < 0
    if negative.any():
        position = int(np.flatnonzero(negative)[0])
        raise InvalidInput(f"yhat must be >= 0; got {shown.iloc[position]!r}",
                           row=position + FIRST_DATA_ROW, column="yhat")
    return numbers


def _first_bad(mask: pd.Series, reason: str, column: str) -> None:
    if mask.any():
        position = int(np.flatnonzero(mask.to_numpy())[0])
        raise InvalidInput(reason, row=position + FIRST_DATA_ROW, column=column)


def _infer_interval_minutes(frame: pd.DataFrame) -> float:
    """The table's interval: the smallest ts gap within any series (closed hours are fine)."""
    keys = ["category"] + (["channel"] if "channel" in frame else [])
    stamps = frame["ts"]
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert("UTC")
    ordered = frame[keys].assign(ts=stamps).sort_values([*keys, "ts"])
    gaps = (ordered.groupby(keys, sort=False)["ts"].diff().dt.total_seconds() / 60.0).dropna()
    if gaps.empty:
        raise InvalidParameter("interval_minutes", None,
                               "given when every series has a single timestamp")
    step = float(gaps.min())
    if step >= _DAILY_MINUTES:
        raise InvalidParameter("interval_minutes", None, "given for daily forecasts: the "
                               "minutes the queue is staffed per day, e.g. 600 for 08:00-18:00")
    off_grid = ~np.isclose(np.mod(gaps.to_numpy(), step), 0.0)
    if off_grid.any():
        raise InvalidParameter("interval_minutes", None, f"given when series mix intervals "
                               f"(gaps of {step:g} and {gaps.to_numpy()[off_grid][0]:g} min)")
    return step
