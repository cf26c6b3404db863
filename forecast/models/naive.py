"""Baselines: seasonal naive (same interval last week) and the N-week same-slot average."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.errors import InsufficientHistory
from forecast.models.base import ErrorScale, counting_error_scale, fit_error_scale, season_growth
from forecast.series import LEVELS, Forecast, History, make_forecast


def _weekly_profile(values: np.ndarray, season: int, weeks: int, how: str) -> np.ndarray:
    """Per weekly slot: last value (how='last'), mean or median of the last `weeks` seasons."""
    usable = (len(values) // season) * season
    tail = values[len(values) - usable:]
    block = tail.reshape(-1, season)[-weeks:]
    if how == "last":
        profile = block[-1]
    elif how == "median":
        profile = np.median(block, axis=0)
    else:
        profile = block.mean(axis=0)
    return np.asarray(profile, dtype=float)


def _rolled(profile: np.ndarray, horizon: int) -> np.ndarray:
    """Repeat a weekly profile whose slot 0 is one season before the first future step."""
    return profile[np.arange(horizon) % len(profile)]


@dataclass(frozen=True, slots=True)
class _FittedProfile:
    history: History
    profile: np.ndarray
    errors: ErrorScale
    grows: bool
    name: str

    def predict(self, horizon: int, levels: tuple[int, ...] = LEVELS) -> Forecast:
        season = len(self.profile)
        mean = _rolled(self.profile, horizon)
        growth = season_growth(horizon, season) if self.grows else 1.0
        bounds = self.errors.bounds(mean, levels, growth)
        return make_forecast(self.history.future_index(horizon), mean, bounds, self.name)


def _in_sample_errors(values: np.ndarray, season: int, weeks: int, how: str,
                      levels: tuple[int, ...]) -> ErrorScale:
    """Errors of the same rule applied at each of the last few week boundaries."""
    actual, predicted = [], []
    n = len(values)
    for back in range(1, 9):
        end = n - back * season
        if end < season * (1 if how == "last" else min(weeks, 2)):
            break
        profile = _weekly_profile(values[:end], season, weeks, how)
        actual.append(values[end:end + season])
        predicted.append(profile)
    if not actual:
        return fit_error_scale(np.array([]), np.array([]), levels)
    return fit_error_scale(np.concatenate(actual), np.concatenate(predicted), levels)


@dataclass(frozen=True, slots=True)
class SeasonalNaive:
    """Repeat the last observed week."""

    name: str = "seasonal_naive"

    def fit(self, history: History) -> _FittedProfile:
        season = history.freq.season_length
        values = history.y.to_numpy(dtype=float)
        if len(values) < season:
            raise InsufficientHistory(self.name, season, len(values))
        errors = _in_sample_errors(values, season, 1, "last", LEVELS)
        profile = _weekly_profile(values, season, 1, "last")
        return _FittedProfile(history, profile, errors, True, self.name)


@dataclass(frozen=True, slots=True)
class WeekAverage:
    """Average of the same weekday and interval over the last `weeks` weeks (WFM default)."""

    weeks: int = 8
    how: str = "mean"
    name: str = "week_average"

    def fit(self, history: History) -> _FittedProfile:
        season = history.freq.season_length
        values = history.y.to_numpy(dtype=float)
        if len(values) < season:
            raise InsufficientHistory(self.name, season, len(values))
        errors = _in_sample_errors(values, season, self.weeks, self.how, LEVELS)
        profile = _weekly_profile(values, season, self.weeks, self.how)
        return _FittedProfile(history, profile, errors, False, self.name)


@dataclass(frozen=True, slots=True)
class _FittedFlat:
    history: History
    level: np.ndarray  # per interval of the day, slot 0 = the first future one
    errors: ErrorScale
    name: str

    def predict(self, horizon: int, levels: tuple[int, ...] = LEVELS) -> Forecast:
        mean = self.level[np.arange(horizon) % len(self.level)]
        return make_forecast(self.history.future_index(horizon), mean,
                             self.errors.bounds(mean, levels), self.name)


@dataclass(frozen=True, slots=True)
class RecentMean:
    """The mean of the last `days` days (per interval of the day when intraday): the
    last resort for very short histories."""

    days: int = 28
    name: str = "recent_mean"

    def fit(self, history: History) -> _FittedFlat:
        per_day = history.freq.per_day
        values = history.y.to_numpy(dtype=float)
        if len(values) == 0:
            raise InsufficientHistory(self.name, 1, 0)
        usable = min(len(values), self.days * per_day)
        usable = max(per_day, usable - usable % per_day) if len(values) >= per_day else usable
        tail = values[-usable:]
        if len(tail) >= per_day and per_day > 1:
            level = tail.reshape(-1, per_day).mean(axis=0)  # slot 0 = next interval's slot
        else:
            level = np.array([tail.mean()])
        # One day per slot leaves every residual 0: the counts' own noise instead.
        one_day_per_slot = per_day > 1 and len(tail) < 2 * per_day
        errors = (counting_error_scale() if one_day_per_slot
                  else fit_error_scale(tail, np.resize(level, len(tail))))
        return _FittedFlat(history, level, errors, self.name)
