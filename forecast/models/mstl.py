"""MSTL (statsmodels): daily and weekly seasonal components for intraday series, STL
with a weekly period for daily ones; the trend is carried flat from its recent level."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from statsmodels.tsa.seasonal import MSTL, STL

from forecast.errors import InsufficientHistory
from forecast.models.base import ErrorScale, fit_error_scale, season_growth
from forecast.series import LEVELS, Forecast, History, make_forecast

FIT_WEEKS = 6


@dataclass(frozen=True, slots=True)
class _FittedMstl:
    history: History
    level: float
    seasonal_week: np.ndarray
    errors: ErrorScale
    name: str

    def predict(self, horizon: int, levels: tuple[int, ...] = LEVELS) -> Forecast:
        season = len(self.seasonal_week)
        mean = self.level + self.seasonal_week[np.arange(horizon) % season]
        growth = season_growth(horizon, season) ** 0.5
        return make_forecast(self.history.future_index(horizon), mean,
                             self.errors.bounds(np.maximum(mean, 0), levels, growth), self.name)


@dataclass(frozen=True, slots=True)
class Mstl:
    """Seasonal-trend decomposition by Loess with one or two seasonal periods."""

    name: str = "mstl"

    def fit(self, history: History) -> _FittedMstl:
        season = history.freq.season_length
        values = history.y.to_numpy(dtype=float)[-FIT_WEEKS * season:]
        if len(values) < 2 * season:
            raise InsufficientHistory(self.name, 2 * season, len(values))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if history.freq.is_intraday:
                result = MSTL(values, periods=(history.freq.per_day, season), iterate=1).fit()
                seasonal = np.asarray(result.seasonal)
                # MSTL drops a period the data cannot hold twice: one column left.
                seasonal = seasonal.sum(axis=1) if seasonal.ndim == 2 else seasonal
            else:
                result = STL(values, period=season, robust=True).fit()
                seasonal = np.asarray(result.seasonal)
        trend = np.asarray(result.trend)
        level = float(np.mean(trend[-max(1, season // 7):]))
        seasonal_week = seasonal[-season:]
        fitted = trend + seasonal
        errors = fit_error_scale(values[season:], np.maximum(fitted[:-season], 0.0))
        return _FittedMstl(history, level, seasonal_week, errors, self.name)
