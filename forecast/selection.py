"""Automatic model choice per series: backtest the candidates, keep the best single model
or the median of the best few, and calibrate its intervals on the backtest errors
(split conformal on level-scaled residuals) so an 80% band covers about 80%."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from forecast.backtest import Fold, Score, fold_cutoffs, score, try_backtest
from forecast.errors import ForecastError, InsufficientHistory
from forecast.models.base import Fitted, Forecaster, fit_error_scale
from forecast.series import LEVELS, Forecast, History, make_forecast

logger = logging.getLogger(__name__)

COMBINE_TOP = 3
MAX_FOLDS = 3
COMBO_PREFIX = "combo:"


@dataclass(frozen=True, slots=True)
class Selection:
    """The winning method and the leaderboard behind the choice."""

    winner: str
    members: tuple[str, ...]
    scores: list[Score]
    folds: list[Fold]


def _combine_folds(runs: list[list[Fold]]) -> list[Fold]:
    combined = []
    for parts in zip(*runs, strict=True):
        mean = np.median(np.vstack([p.mean for p in parts]), axis=0)
        bounds = {lvl: (np.median(np.vstack([p.bounds[lvl][0] for p in parts]), axis=0),
                        np.median(np.vstack([p.bounds[lvl][1] for p in parts]), axis=0))
                  for lvl in LEVELS}
        combined.append(Fold(parts[0].cutoff, parts[0].actual, mean, bounds, parts[0].scale))
    return combined


def select_model(
    history: History, candidates: list[Forecaster], *, horizon: int, folds: int = MAX_FOLDS,
) -> Selection:
    """Backtest every candidate on the same folds and pick by WAPE (ties: MASE)."""
    season = history.freq.season_length
    cutoffs = fold_cutoffs(len(history.y), horizon, folds=folds, min_train=2 * season + 2)
    if not cutoffs:
        raise InsufficientHistory("auto", 2 * season + 2 + horizon, len(history.y))
    runs: dict[str, list[Fold]] = {}
    for candidate in candidates:
        result = try_backtest(history, candidate, horizon=horizon, cutoffs=cutoffs)
        if result is not None:
            runs[candidate.name] = result
    if not runs:
        raise InsufficientHistory("auto", 2 * season + 2 + horizon, len(history.y))
    scores = [score(name, result) for name, result in runs.items()]
    ranked = sorted(scores, key=lambda s: (s.wape, s.mase))
    top = tuple(s.model for s in ranked[:COMBINE_TOP])
    if len(top) >= 2:
        combo_name = COMBO_PREFIX + "+".join(top)
        runs[combo_name] = _combine_folds([runs[name] for name in top])
        scores.append(score(combo_name, runs[combo_name]))
    best = min(scores, key=lambda s: (s.wape, s.mase))
    members = top if best.model.startswith(COMBO_PREFIX) else (best.model,)
    return Selection(best.model, members, scores, runs[best.model])


def calibrated(forecast: Forecast, folds: list[Fold], levels: tuple[int, ...] = LEVELS
               ) -> Forecast:
    """Replace the bounds by quantiles of the backtest's level-scaled residuals."""
    actual = np.concatenate([f.actual for f in folds])
    predicted = np.concatenate([f.mean for f in folds])
    scale = fit_error_scale(actual, predicted, levels)
    return make_forecast(forecast.ds, forecast.mean, scale.bounds(forecast.mean, levels),
                         forecast.model)


def forecast_members(history: History, models: list[Forecaster], horizon: int) -> list[Forecast]:
    """Fit and predict each member on the full history, skipping members that fail."""
    out = []
    for model in models:
        try:
            fitted: Fitted = model.fit(history)
            out.append(fitted.predict(horizon, LEVELS))
        except ForecastError as exc:
            logger.warning("model %s failed for %s: %s", model.name, history.key.label(), exc)
    return out


def median_forecast(members: list[Forecast], name: str) -> Forecast:
    mean = np.median(np.vstack([m.mean for m in members]), axis=0)
    bounds = {lvl: (np.median(np.vstack([m.bounds[lvl][0] for m in members]), axis=0),
                    np.median(np.vstack([m.bounds[lvl][1] for m in members]), axis=0))
              for lvl in LEVELS}
    return make_forecast(members[0].ds, mean, bounds, name)
