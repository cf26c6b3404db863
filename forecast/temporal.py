"""Temporal reconciliation: interval forecasts scaled so each day sums to its daily forecast.

An intraday series is forecast twice: at its own interval and at daily (from its daily
totals). The daily model sees long history and the calendar; the interval models see the
shape of the day. Scaling each day's intervals by daily / sum(intervals) keeps the intraday
shape and the daily level, and makes the two publications agree.

Days are local wall-clock calendar days, so a 23- or 25-hour DST day is one day like any
other. Only complete days are scaled: the first interval at 00:00 and the last one ending
at 24:00 (a horizon that starts or ends mid-day leaves that day as is). Bounds scale by the
same factor; closed intervals (0) stay 0; a day whose intervals sum to 0 is left alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.errors import InvalidInput
from forecast.series import LEVELS, Freq

VALUE_COLUMNS: tuple[str, ...] = ("yhat", *(f"{s}{lvl}" for lvl in LEVELS for s in ("lo", "hi")))
_KEYS = ["category", "channel"]
_MINUTES_PER_DAY = 1440


def reconcile_to_daily(intraday: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    """Scale `intraday` rows so every complete local day sums to `daily`'s yhat for that day.

    `intraday`: ts (naive local or tz-aware), category, channel, freq (60min, 30min, 15min),
    yhat and any of lo80/hi80/lo95/hi95; other columns are kept. `daily`: ts (the day, at
    local midnight), category, channel, yhat. Rows come back in the input order.
    """
    _require(intraday, ["ts", *_KEYS, "freq", "yhat"], "intraday")
    _require(daily, ["ts", *_KEYS, "yhat"], "daily")
    out = intraday.copy()
    if out.empty or daily.empty:
        return out
    wall = _wall_clock(out["ts"])
    frame = out[_KEYS].assign(freq=out["freq"].astype(str), _day=_days(wall),
                              _minute=wall.dt.hour * 60 + wall.dt.minute,
                              yhat=out["yhat"].astype(float))
    group = frame.groupby([*_KEYS, "freq", "_day"], sort=False)
    total = group["yhat"].transform("sum").to_numpy(dtype=float)
    target = _daily_targets(frame, daily)
    factor = np.where(_complete_days(frame, group) & np.isfinite(target) & (total > 0),
                      np.divide(target, total, out=np.ones_like(total), where=total > 0), 1.0)
    for column in VALUE_COLUMNS:
        if column in out.columns:
            out[column] = out[column].astype(float).to_numpy() * factor
    return out


def _require(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(f"{what} forecast frame is missing column(s) {', '.join(missing)}",
                           column=missing[0])


def _wall_clock(ts: pd.Series) -> pd.Series:
    """Local wall-clock time, naive (tz-aware stamps keep their own zone's clock)."""
    stamps = pd.to_datetime(ts)
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        return stamps.dt.tz_localize(None)
    return stamps


def _days(wall: pd.Series) -> pd.Series:
    return wall.dt.normalize().dt.as_unit("s")


def _daily_targets(frame: pd.DataFrame, daily: pd.DataFrame) -> np.ndarray:
    """The daily forecast of each intraday row's series and day (NaN where none)."""
    days = daily[_KEYS].assign(_day=_days(_wall_clock(daily["ts"])),
                               _target=daily["yhat"].astype(float))
    totals = days.groupby([*_KEYS, "_day"], sort=False)["_target"].sum().reset_index()
    merged = frame[[*_KEYS, "_day"]].merge(totals, on=[*_KEYS, "_day"], how="left")
    return np.asarray(merged["_target"], dtype=float)


def _complete_days(frame: pd.DataFrame, group: pd.api.typing.DataFrameGroupBy) -> np.ndarray:
    """True for rows of a day whose intervals run from 00:00 to the end of the day."""
    step = frame["freq"].map({f.value: f.minutes for f in Freq if f.is_intraday})
    if step.isna().any():
        bad = frame.loc[step.isna(), "freq"].iloc[0]
        raise InvalidInput(f"freq must be 60min, 30min or 15min; got {bad!r}", column="freq")
    first = group["_minute"].transform("min").to_numpy()
    last = group["_minute"].transform("max").to_numpy()
    return np.asarray((first == 0) & (last == _MINUTES_PER_DAY - step.to_numpy()))
