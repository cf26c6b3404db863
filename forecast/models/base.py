"""The model interface and shared interval arithmetic.

A `Forecaster` is an unfitted spec; `fit(history)` returns a `Fitted` whose `predict`
gives a `Forecast`. Histories given to models are prepared: a regular grid with no
gaps (see forecast.openhours). Intervals come from scaled residuals: count errors grow
with the level, so residuals are divided by `level ** power` before taking quantiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np
from scipy import stats

from forecast.series import LEVELS, Forecast, History


class Fitted(Protocol):
    def predict(self, horizon: int, levels: tuple[int, ...] = LEVELS) -> Forecast: ...


class Forecaster(Protocol):
    @property
    def name(self) -> str: ...

    def fit(self, history: History) -> Fitted: ...


@dataclass(frozen=True, slots=True)
class ErrorScale:
    """Quantiles of scaled residuals: error ~ q * max(level, 1) ** power."""

    power: float
    quantiles: dict[float, float]

    def bounds(
        self, mean: np.ndarray, levels: tuple[int, ...], growth: np.ndarray | float = 1.0
    ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        scale = np.maximum(mean, 1.0) ** self.power * growth
        out = {}
        for level in levels:
            lo_q, hi_q = _tail_probs(level)
            out[level] = (mean + self.quantiles[lo_q] * scale, mean + self.quantiles[hi_q] * scale)
        return out


def _tail_probs(level: int) -> tuple[float, float]:
    alpha = (100 - level) / 200.0
    return round(alpha, 6), round(1 - alpha, 6)


def _all_tail_probs(levels: tuple[int, ...]) -> list[float]:
    return sorted({p for level in levels for p in _tail_probs(level)})


def fit_error_scale(
    actual: np.ndarray, predicted: np.ndarray, levels: tuple[int, ...] = LEVELS
) -> ErrorScale:
    """Estimate the level-scaling power and the residual quantiles from paired values."""
    actual = np.asarray(actual, dtype=float)
    predicted = np.maximum(np.asarray(predicted, dtype=float), 0.0)
    keep = np.isfinite(actual) & np.isfinite(predicted)
    actual, predicted = actual[keep], predicted[keep]
    if len(actual) < 8:
        return _few_points_error_scale(actual, predicted, levels)
    power = _estimate_power(actual, predicted)
    scaled = (actual - predicted) / np.maximum(predicted, 1.0) ** power
    quantiles = {p: float(np.quantile(scaled, p)) for p in _all_tail_probs(levels)}
    if not any(quantiles.values()):  # errors (almost) all 0, a constant history: they say
        return counting_error_scale(levels)  # nothing of the next counts' own noise
    level = float(np.median(np.maximum(predicted, 1.0)))
    counting = counting_error_scale(levels).quantiles
    return ErrorScale(power=power, quantiles=_tails_no_thinner_than_normal(
        _no_side_shut(quantiles, counting, level ** (0.5 - power)), float(np.median(scaled))))


def _no_side_shut(quantiles: dict[float, float], counting: dict[float, float],
                  to_power: float) -> dict[float, float]:
    """Quantiles whose side of the forecast is empty (every backtest error on the other
    side: a queue that grew through its few folds) replaced by a count's own (`counting`,
    times `to_power` into the residuals' units), so the band still reaches below (above)
    the forecast."""
    lower = [p for p in quantiles if p < 0.5]
    upper = [p for p in quantiles if p > 0.5]
    out = dict(quantiles)
    if lower and quantiles[max(lower)] >= 0:
        out.update({p: counting[p] * to_power for p in lower})
    if upper and quantiles[min(upper)] <= 0:
        out.update({p: counting[p] * to_power for p in upper})
    return out


def _tails_no_thinner_than_normal(quantiles: dict[float, float], centre: float
                                  ) -> dict[float, float]:
    """Each outer quantile at least as far from the median as a normal's would be, given
    the next one in: a few dozen residuals (a short history's folds, often repeating one
    another) put the 2.5% and 10% quantiles on the same smallest one, and a 95% band no
    wider than the 80% one."""
    out = dict(quantiles)
    lower = sorted(p for p in quantiles if p < 0.5)
    upper = sorted((p for p in quantiles if p > 0.5), reverse=True)
    for side in (lower, upper):  # from the innermost pair out
        for outer, inner in reversed(list(zip(side, side[1:], strict=False))):
            reach = centre + (out[inner] - centre) * _normal_ratio(outer, inner)
            out[outer] = min(out[outer], reach) if outer < 0.5 else max(out[outer], reach)
    return out


@lru_cache(maxsize=16)
def _normal_ratio(outer: float, inner: float) -> float:
    """How much further out a normal's `outer` quantile lies than its `inner` one."""
    return float(stats.norm.ppf(outer) / stats.norm.ppf(inner))


def _few_points_error_scale(actual: np.ndarray, predicted: np.ndarray,
                            levels: tuple[int, ...]) -> ErrorScale:
    """Too few points for quantiles: a count's own noise, as wide as their spread where
    that is wider (five days of 1,000 to 2,100 calls had got a band of +-3%)."""
    counting = counting_error_scale(levels)
    if len(actual) < 2:
        return counting
    level = float(np.mean(np.maximum(predicted, 1.0)))
    dispersion = float(np.var(actual - predicted, ddof=1)) / level
    if not dispersion > 1.0:
        return counting
    return ErrorScale(power=0.5, quantiles={p: q * float(np.sqrt(dispersion))
                                            for p, q in counting.quantiles.items()})


def counting_error_scale(levels: tuple[int, ...] = LEVELS) -> ErrorScale:
    """A count's own noise (normal quantiles of a Poisson's spread), where no residuals
    read it: a handful of points, or a level read from one day."""
    return ErrorScale(power=0.5, quantiles={p: float(stats.norm.ppf(p))
                                            for p in _all_tail_probs(levels)})


def _estimate_power(actual: np.ndarray, predicted: np.ndarray) -> float:
    level = np.maximum(predicted, 1.0)
    err = np.abs(actual - predicted)
    ok = (err > 0) & (level > 1.0)
    if ok.sum() < 20 or np.ptp(np.log(level[ok])) < 1.0:
        return 0.5 if np.median(level) < 50 else 1.0
    slope = np.polyfit(np.log(level[ok]), np.log(err[ok]), 1)[0]
    return float(np.clip(slope, 0.5, 1.0))


MAD_TO_SD = 1.4826  # a normal's standard deviation over its median absolute deviation
MEDIAN_EFFICIENCY = 1.2533  # a median's standard error over a mean's, normal noise


def robust_sd(values: np.ndarray) -> float:
    """The standard deviation read from the median absolute deviation (outliers aside)."""
    return MAD_TO_SD * float(np.median(np.abs(values - np.median(values))))


def season_growth(horizon: int, season: int) -> np.ndarray:
    """Error growth for a method whose step-h forecast is ceil(h/season) seasons old."""
    steps = np.arange(horizon)
    return np.asarray(np.sqrt(steps // season + 1.0), dtype=float)
