"""`auto`: per-series selection by rolling-origin backtest, with a fallback chain so a
series always gets a forecast (short histories fall back to simpler models)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.backtest import Fold, Score, fold_errors
from forecast.errors import ForecastError, InsufficientHistory
from forecast.models.adjusted import guessed_holidays, special_days, with_broken_days_missing
from forecast.models.base import Forecaster
from forecast.selection import (
    CandidateBacktests,
    backtest_candidates,
    calibrated,
    choose,
    forecast_members,
    median_forecast,
)
from forecast.series import LEVELS, Forecast, History, make_forecast

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _FittedAuto:
    history: History
    members: tuple[Forecaster, ...]
    winner: str
    folds: list[Fold] | None
    scores: list[Score]
    window: int = 0  # the backtest window asked for (a short history gets shorter ones)
    # The folds that calibrate the bands, per leading method (best first).
    leader_folds: tuple[tuple[Fold, ...], ...] = ()

    def backtest_errors(self) -> pd.DataFrame:
        """The backtests behind the bands, one row per interval (FOLD_ERROR_COLUMNS)."""
        return fold_errors(pd.DatetimeIndex(self.history.y.index), self.leader_folds)

    def predict(self, horizon: int, levels: tuple[int, ...] = LEVELS) -> Forecast:
        # A week past the horizon, so that a holiday near its end has a normal day after
        # it to read its bands from (_open_or_shut); every lead is the same either way.
        ahead = horizon + (self.history.freq.season_length if self.history.country else 0)
        forecasts = forecast_members(self.history, list(self.members), ahead)
        if not forecasts:
            raise InsufficientHistory(self.winner, 1, len(self.history.y))
        combined = (forecasts[0] if len(forecasts) == 1
                    else median_forecast(forecasts, self.winner))
        if self.folds:
            special = self._special(self.folds, combined)
            combined = self._open_or_shut(calibrated(
                combined, self.folds, levels, special=special,
                window=self.window))
        return _first(combined, horizon)

    def _open_or_shut(self, forecast: Forecast) -> Forecast:
        """On a holiday whose running is a guess (not met yet), bands from nothing to a
        normal day's upper bound, the same weekday's a week before or after: the queue
        may shut or may work as usual."""
        if not self.history.country:
            return forecast
        guess = guessed_holidays(self.history, pd.DatetimeIndex(forecast.ds))
        if not guess.any():
            return forecast
        week = self.history.freq.season_length
        bounds = {}
        for level, (lo, hi) in forecast.bounds.items():
            usual = hi.copy()
            for i in np.flatnonzero(guess):
                near = [j for j in (i - week, i + week) if 0 <= j < len(hi) and not guess[j]]
                usual[i] = max([hi[i], *(hi[j] for j in near)])
            bounds[level] = (np.where(guess, 0.0, lo), usual)
        return make_forecast(forecast.ds, forecast.mean, bounds, forecast.model)

    def _special(self, folds: list[Fold], forecast: Forecast
                 ) -> tuple[np.ndarray, np.ndarray] | None:
        """Which fold points and forecast points fall on special days, if any may."""
        if not self.history.country and not self.history.events:
            return None
        index = pd.DatetimeIndex(self.history.y.index)
        stamps = [index[f.cutoff:f.cutoff + len(f.actual)] for f in folds]
        if any(len(s) != len(f.actual) for s, f in zip(stamps, folds, strict=True)):
            return None
        past = stamps[0].append(stamps[1:])
        marked = special_days(self.history, past.append(pd.DatetimeIndex(forecast.ds)))
        return marked[:len(past)], marked[len(past):]


def _first(forecast: Forecast, steps: int) -> Forecast:
    """The first `steps` intervals of `forecast`."""
    bounds = {level: (lo[:steps], hi[:steps]) for level, (lo, hi) in forecast.bounds.items()}
    return make_forecast(forecast.ds[:steps], forecast.mean[:steps], bounds, forecast.model)


@dataclass(frozen=True, slots=True)
class AutoModel:
    """Backtest `candidates`, keep the winner (or median of the top few), calibrate."""

    candidates: Callable[[History], list[Forecaster]]
    fallbacks: Callable[[History], list[Forecaster]]
    horizon: int
    name: str = "auto"

    prior: dict[str, float] | None = None

    def backtest(self, history: History) -> CandidateBacktests | None:
        """The candidates' backtests, or None when the history is too short for them."""
        try:
            # Broken days unscored and not trained on: the queue did not fall to nothing.
            return backtest_candidates(with_broken_days_missing(history),
                                       self.candidates(history), horizon=self.horizon)
        except ForecastError as exc:
            logger.info("auto falls back for %s: %s", history.key.label(), exc)
            return None

    def fit(self, history: History) -> _FittedAuto:
        return self.fit_from(history, self.backtest(history))

    def fit_from(self, history: History, backtests: CandidateBacktests | None) -> _FittedAuto:
        """Choose from finished backtests (blending in `prior`), then fit the winner."""
        if backtests is None:
            return self._fallback(history)
        chosen = choose(backtests, self.prior)
        by_name = {c.name: c for c in self.candidates(history)}
        members = tuple(by_name[m] for m in chosen.members)
        return _FittedAuto(history, members, chosen.winner, chosen.folds, chosen.scores,
                           self.horizon,
                           tuple(tuple(backtests.runs[name]) for name in chosen.leaders))

    def _fallback(self, history: History) -> _FittedAuto:
        for model in self.fallbacks(history):
            try:
                model.fit(history)
            except ForecastError:
                continue
            return _FittedAuto(history, (model,), model.name, None, [])
        raise InsufficientHistory(self.name, 1, len(history.y))
