"""Harmonic regression for daily series: log counts on a linear trend, a smooth yearly
curve (Fourier terms) and weekday effects, fitted by ridge least squares over up to three
years, then re-anchored on the last two weeks so a recent level shift is followed.

It sees the whole yearly shape at once, where year-over-year ratios see a few weeks of
one year: the two make different mistakes, and their median is often better than either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.calendar import normalise_day
from forecast.errors import InsufficientHistory
from forecast.models.base import ErrorScale, fit_error_scale
from forecast.series import LEVELS, Forecast, History, make_forecast

FIT_DAYS = 3 * 365
MIN_DAYS = 365 + 56  # for the yearly curve
MIN_WEEKS = 3
YEARLY_TERMS = 8
RIDGE = 1.0
RECENT_DAYS = 14
_YEAR = 365.25


def _design(days: pd.DatetimeIndex, origin: pd.Timestamp, terms: int) -> np.ndarray:
    """Columns: intercept, trend (years), `terms` yearly sin/cos pairs, Tuesday..Sunday."""
    years = np.asarray((days - origin).days, dtype=float) / _YEAR
    phase = 2 * np.pi * np.asarray(days.day_of_year - 1, dtype=float) / _YEAR
    columns = [np.ones(len(days)), years]
    for k in range(1, terms + 1):
        columns += [np.sin(k * phase), np.cos(k * phase)]
    weekday = np.asarray(days.day_of_week)
    columns += [(weekday == d).astype(float) for d in range(1, 7)]
    return np.column_stack(columns)


@dataclass(frozen=True, slots=True)
class _FittedHarmonic:
    history: History
    coef: np.ndarray
    origin: pd.Timestamp
    terms: int
    level_shift: float
    variance: float
    errors: ErrorScale
    name: str

    def predict(self, horizon: int, levels: tuple[int, ...] = LEVELS) -> Forecast:
        ds = self.history.future_index(horizon)
        days = normalise_day(pd.DatetimeIndex(ds))
        logged = _design(days, self.origin, self.terms) @ self.coef + self.level_shift
        mean = np.maximum(np.expm1(logged + self.variance / 2), 0.0)
        growth = np.sqrt(1.0 + np.arange(horizon) / 7.0) ** 0.5
        return make_forecast(ds, mean, self.errors.bounds(mean, levels, growth), self.name)


@dataclass(frozen=True, slots=True)
class Harmonic:
    """Trend + yearly Fourier curve + weekday effects on log daily counts."""

    name: str = "harmonic"

    def fit(self, history: History) -> _FittedHarmonic:
        """Daily series; under a year of history the yearly curve is left out."""
        if history.freq.is_intraday:
            raise InsufficientHistory(self.name, MIN_DAYS, 0)
        y = history.y.iloc[-FIT_DAYS:]
        if len(y) < MIN_WEEKS * 7:
            raise InsufficientHistory(self.name, MIN_WEEKS * 7, len(y))
        terms = YEARLY_TERMS if len(y) >= MIN_DAYS else 0
        days = normalise_day(pd.DatetimeIndex(y.index))
        origin = pd.Timestamp(days[-1])
        design = _design(days, origin, terms)
        logged = np.log1p(np.maximum(y.to_numpy(dtype=float), 0.0))
        penalty = RIDGE * np.eye(design.shape[1])
        penalty[0, 0] = penalty[1, 1] = 0.0  # intercept and trend are not shrunk
        coef = np.linalg.solve(design.T @ design + penalty, design.T @ logged)
        residual = logged - design @ coef
        level_shift = float(np.mean(residual[-RECENT_DAYS:]))
        recent = slice(-RECENT_DAYS * 8, None)
        variance = float(np.var(residual[recent]))
        fitted = np.expm1(design @ coef + level_shift)
        errors = fit_error_scale(y.to_numpy(dtype=float)[recent], fitted[recent])
        return _FittedHarmonic(history, coef, origin, terms, level_shift, variance, errors,
                               self.name)
