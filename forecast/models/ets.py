"""Exponential smoothing (statsmodels Holt-Winters) on log counts: damped trend and
multiplicative weekly seasonality, so forecasts stay non-negative and weekly shapes
scale with the level."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from forecast.errors import InsufficientHistory
from forecast.models.base import ErrorScale, fit_error_scale
from forecast.series import LEVELS, Forecast, History, make_forecast

MAX_FIT_WEEKS = 104
TREND_MIN_SEASONS = 4


@dataclass(frozen=True, slots=True)
class _FittedEts:
    history: History
    level_forecast: np.ndarray
    errors: ErrorScale
    season: int
    name: str

    def predict(self, horizon: int, levels: tuple[int, ...] = LEVELS) -> Forecast:
        mean = self._forecast(horizon)
        growth = np.sqrt(1.0 + np.arange(horizon) / self.season)
        return make_forecast(self.history.future_index(horizon), mean,
                             self.errors.bounds(mean, levels, growth), self.name)

    def _forecast(self, horizon: int) -> np.ndarray:
        if horizon <= len(self.level_forecast):
            return self.level_forecast[:horizon]
        raise InsufficientHistory(self.name, horizon, len(self.level_forecast))


@dataclass(frozen=True, slots=True)
class Ets:
    """Holt-Winters with a damped additive trend on log1p counts, weekly season."""

    name: str = "ets"
    max_horizon: int = 5000

    def fit(self, history: History) -> _FittedEts:
        season = history.freq.season_length
        values = history.y.to_numpy(dtype=float)[-MAX_FIT_WEEKS * season:]
        if len(values) < 2 * season:
            raise InsufficientHistory(self.name, 2 * season, len(values))
        logged = np.log1p(np.maximum(values, 0.0))
        # Under four seasons a trend is mostly noise: level and season only.
        trended = len(values) >= TREND_MIN_SEASONS * season
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ExponentialSmoothing(
                logged, trend="add" if trended else None, damped_trend=trended,
                seasonal="add", seasonal_periods=season,
                initialization_method=("heuristic" if len(values) >= 10 + 2 * (season // 2)
                                       else "estimated"),
            ).fit(optimized=True, use_brute=False, method="SLSQP")
            horizon_cap = min(self.max_horizon, 8 * season + 400)
            forecast = np.expm1(model.forecast(horizon_cap))  # warns on a perfect fit
        fitted = np.expm1(model.fittedvalues)
        errors = fit_error_scale(values[season:], fitted[season:])
        return _FittedEts(history, np.maximum(forecast, 0.0), errors, season, self.name)
