"""The series model: keys, frequencies, history in and forecasts out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import numpy as np
import pandas as pd

from forecast.errors import InvalidParameter

LEVELS: tuple[int, ...] = (80, 95)


class Freq(StrEnum):
    """Supported forecast intervals."""

    DAILY = "D"
    H60 = "60min"
    M30 = "30min"
    M15 = "15min"

    @classmethod
    def parse(cls, text: str) -> Freq:
        """Accept the contract spellings plus common aliases (1h, H, hourly, daily)."""
        aliases = {
            "d": cls.DAILY, "1d": cls.DAILY, "day": cls.DAILY, "daily": cls.DAILY,
            "60min": cls.H60, "h": cls.H60, "1h": cls.H60, "60t": cls.H60, "hourly": cls.H60,
            "30min": cls.M30, "30t": cls.M30, "15min": cls.M15, "15t": cls.M15,
        }
        found = aliases.get(str(text).strip().lower())
        if found is None:
            raise InvalidParameter("freq", text, "one of D, 60min, 30min, 15min")
        return found

    @property
    def minutes(self) -> int:
        return {"D": 1440, "60min": 60, "30min": 30, "15min": 15}[self.value]

    @property
    def offset(self) -> pd.Timedelta:
        return pd.Timedelta(minutes=self.minutes)

    @property
    def per_day(self) -> int:
        """Intervals in a (25-hour-free) day."""
        return 1440 // self.minutes

    @property
    def season_length(self) -> int:
        """The weekly season in intervals (7 for daily, 7 x intervals-per-day intraday)."""
        return 7 * self.per_day

    @property
    def is_intraday(self) -> bool:
        return self is not Freq.DAILY


@dataclass(frozen=True, slots=True, order=True)
class SeriesKey:
    """A series is one category, optionally within one channel ('' = all channels)."""

    category: str
    channel: str = ""

    def label(self) -> str:
        return f"{self.category}/{self.channel}" if self.channel else self.category


@dataclass(frozen=True, slots=True)
class History:
    """Observed counts of one series on a regular grid.

    `y` is indexed by a regular DatetimeIndex at `freq` (wall-clock local time, naive or
    tz-aware); NaN marks an unobserved interval (closed, missing day), never zero demand.
    """

    key: SeriesKey
    freq: Freq
    y: pd.Series
    country: str | None = None
    events: tuple[object, ...] = ()
    observed: np.ndarray | None = None  # bool per interval: False where y was filled in

    def __post_init__(self) -> None:
        if not isinstance(self.y.index, pd.DatetimeIndex):
            raise InvalidParameter("history index", type(self.y.index).__name__, "a DatetimeIndex")

    @property
    def last_ts(self) -> pd.Timestamp:
        return pd.Timestamp(self.y.index[-1])

    def future_index(self, horizon: int) -> pd.DatetimeIndex:
        """The `horizon` intervals after the last observation."""
        return future_index(self.last_ts, self.freq, horizon)

    def observed_mask(self) -> np.ndarray:
        if self.observed is None:
            return np.asarray(self.y.notna())
        return self.observed


def future_index(last_ts: pd.Timestamp, freq: Freq, horizon: int) -> pd.DatetimeIndex:
    """Intervals after `last_ts`; local-time aware so DST days have 23/25 hours."""
    if horizon < 1:
        raise InvalidParameter("horizon", horizon, "a positive number of intervals")
    if freq is Freq.DAILY:
        return pd.date_range(last_ts + pd.Timedelta(days=1), periods=horizon, freq="D")
    if last_ts.tzinfo is not None:
        start_utc = last_ts.tz_convert("UTC") + freq.offset
        idx = pd.date_range(start_utc, periods=horizon, freq=freq.offset)
        return idx.tz_convert(last_ts.tzinfo)
    return pd.date_range(last_ts + freq.offset, periods=horizon, freq=freq.offset)


@dataclass(frozen=True, slots=True)
class Forecast:
    """Point forecast and central prediction intervals for one series."""

    ds: pd.DatetimeIndex
    mean: np.ndarray
    bounds: dict[int, tuple[np.ndarray, np.ndarray]]
    model: str
    fitted_at: datetime = field(default_factory=lambda: datetime.now().astimezone())

    def to_frame(self) -> pd.DataFrame:
        """Columns ts, yhat, lo80, hi80, lo95, hi95, model (levels as present)."""
        frame = pd.DataFrame({"ts": self.ds, "yhat": self.mean})
        for level in sorted(self.bounds):
            lo, hi = self.bounds[level]
            frame[f"lo{level}"] = lo
            frame[f"hi{level}"] = hi
        frame["model"] = self.model
        return frame


def nest_bounds(
    mean: np.ndarray, bounds: dict[int, tuple[np.ndarray, np.ndarray]]
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Clip to non-negative and force lo_wide <= lo_narrow <= mean <= hi_narrow <= hi_wide."""
    mean = np.maximum(np.nan_to_num(mean, nan=0.0), 0.0)
    out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    inner_lo, inner_hi = mean, mean
    for level in sorted(bounds):
        lo, hi = bounds[level]
        lo = np.minimum(np.maximum(np.nan_to_num(lo, nan=0.0), 0.0), inner_lo)
        hi = np.maximum(np.nan_to_num(hi, nan=0.0), inner_hi)
        out[level] = (lo, hi)
        inner_lo, inner_hi = lo, hi
    return out


def make_forecast(
    ds: pd.DatetimeIndex,
    mean: np.ndarray,
    bounds: dict[int, tuple[np.ndarray, np.ndarray]],
    model: str,
) -> Forecast:
    """Build a Forecast with non-negative, nested bounds."""
    clean_mean = np.maximum(np.nan_to_num(np.asarray(mean, dtype=float), nan=0.0), 0.0)
    return Forecast(ds=ds, mean=clean_mean, bounds=nest_bounds(clean_mean, bounds), model=model)
