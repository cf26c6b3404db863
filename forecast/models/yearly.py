"""Year-over-year seasonal index: scale a level-following forecast (daily, or intraday
with a year of history) by how last year's same weeks compared, in daily totals, with
the weeks just before them. Weeks are aligned
(364 days) so weekdays match; the index is the median of three years (the mean of one or
two) shrunk towards 1, so one odd year (a collapse, a one-off campaign) cannot swing the
forecast."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.models.base import Fitted, Forecaster
from forecast.series import LEVELS, Forecast, Freq, History, make_forecast

YEAR_DAYS = 364
REFERENCE_DAYS = 28
SHRINK = 0.7
MAX_YEARS = 3
MIN_HISTORY_DAYS = YEAR_DAYS + 60  # last year's weeks ahead, and weeks before them to compare
# The coming weeks are a turn of the season where the index moves them 15% on average.
SEASON_TURN = 0.15


def spans_a_year(history: History) -> bool:
    """Whether a history (at any frequency) reaches back far enough for year-over-year
    methods."""
    return len(history.y) >= MIN_HISTORY_DAYS * history.freq.per_day


def has_yearly_history(history: History) -> bool:
    """Whether a daily history reaches back far enough for year-over-year methods."""
    return history.freq is Freq.DAILY and spans_a_year(history)


@dataclass(frozen=True, slots=True)
class _FittedYearly:
    inner: Fitted
    history: History
    name: str

    def predict(self, horizon: int, levels: tuple[int, ...] = LEVELS) -> Forecast:
        base = self.inner.predict(horizon, levels)
        factor = yearly_index(self.history.y, base.ds)
        bounds = {lvl: (lo * factor, hi * factor) for lvl, (lo, hi) in base.bounds.items()}
        return make_forecast(base.ds, base.mean * factor, bounds, self.name)


@dataclass(frozen=True, slots=True)
class YearlyAdjusted:
    """Wrap a daily forecaster with a year-over-year seasonal index."""

    inner: Forecaster
    name: str = ""

    def fit(self, history: History) -> _FittedYearly:
        return _FittedYearly(self.inner.fit(history), history, self.name or self.inner.name)


def yearly_index(y: pd.Series, future: pd.DatetimeIndex) -> np.ndarray:
    """Multiplier per future day (1 where no year of history covers it)."""
    daily = y.groupby(pd.DatetimeIndex(y.index).normalize()).sum()
    last = pd.Timestamp(daily.index[-1])
    ratios = []
    for years in range(1, MAX_YEARS + 1):
        shift = pd.Timedelta(days=YEAR_DAYS * years)
        reference = daily[(daily.index > last - shift - pd.Timedelta(days=REFERENCE_DAYS))
                          & (daily.index <= last - shift)]
        if len(reference) < REFERENCE_DAYS * 0.8 or reference.mean() <= 0:
            break
        smoothed = daily.rolling(7, center=True, min_periods=4).mean()
        ahead = smoothed.reindex(future.normalize() - shift).to_numpy()
        ratios.append(ahead / reference.mean())
    if not ratios:
        return np.ones(len(future))
    stacked = np.vstack(ratios)
    # Three years outvote an odd one (a collapse, a one-off campaign); two can only average.
    mean_ratio = (np.nanmedian(stacked, axis=0) if len(ratios) >= 3
                  else np.nanmean(stacked, axis=0))
    mean_ratio = np.where(np.isfinite(mean_ratio), mean_ratio, 1.0)
    return np.clip(1.0 + SHRINK * (mean_ratio - 1.0), 0.3, 3.0)


def season_turns(history: History, horizon: int) -> bool:
    """Whether, in the years before, the `horizon` days after this time of year differed
    from the weeks before them by SEASON_TURN or more on average (a peak or a lull
    ahead that the recent weeks do not show)."""
    if not has_yearly_history(history):
        return False
    last = pd.Timestamp(history.y.index[-1]).normalize()
    future = pd.date_range(last + pd.Timedelta(days=1), periods=horizon, freq="D")
    return float(np.mean(np.abs(yearly_index(history.y, future) - 1.0))) >= SEASON_TURN
