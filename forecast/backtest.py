"""Rolling-origin backtests: refit at several cutoffs, forecast the next `horizon`
intervals, and score against what was actually observed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from forecast.errors import ForecastError
from forecast.metrics import bias, coverage, mase, seasonal_scale, wape
from forecast.models.base import Forecaster
from forecast.openhours import learn_open_hours
from forecast.series import LEVELS, Freq, History


@dataclass(frozen=True, slots=True)
class Fold:
    """One backtest window: forecasts and actuals (NaN where nothing was observed)."""

    cutoff: int
    actual: np.ndarray
    mean: np.ndarray
    bounds: dict[int, tuple[np.ndarray, np.ndarray]]
    scale: float


@dataclass(frozen=True, slots=True)
class Score:
    model: str
    folds: int
    wape: float
    mase: float
    bias: float
    coverage80: float
    coverage95: float


def fold_cutoffs(n: int, horizon: int, *, folds: int, min_train: int, step: int | None = None
                 ) -> list[int]:
    """Training-end positions, newest last; windows of `horizon` spaced by `step`."""
    step = step or horizon
    cutoffs = [n - horizon - k * step for k in range(folds)]
    return sorted(c for c in cutoffs if c >= min_train)


def run_backtest(
    history: History, model: Forecaster, *, horizon: int, cutoffs: list[int]
) -> list[Fold]:
    """Fit `model` at each cutoff; closed hours learnt from each fold's own training data."""
    folds = []
    observed = history.observed_mask()
    values = history.y.to_numpy(dtype=float)
    season = history.freq.season_length
    for cut in cutoffs:
        train = replace(history, y=history.y.iloc[:cut], observed=observed[:cut])
        forecast = model.fit(train).predict(horizon, LEVELS)
        forecast = learn_open_hours(train.y, history.freq).apply(forecast)
        actual = np.where(observed[cut:cut + horizon], values[cut:cut + horizon], np.nan)
        folds.append(Fold(cut, actual, forecast.mean, forecast.bounds,
                          seasonal_scale(values[:cut], season)))
    return folds


def backtest_window(freq: Freq) -> int:
    """Backtest windows long enough to matter, short enough to leave training data: 28
    days, or 7 days of intervals. Bands hold their backtested width over this many steps."""
    return 28 if freq is Freq.DAILY else 7 * freq.per_day


FOLD_ERROR_COLUMNS = ("leader", "fold", "ts", "actual", "predicted")


def fold_errors(index: pd.DatetimeIndex, runs: Sequence[Sequence[Fold]]) -> pd.DataFrame:
    """One row per backtested interval (FOLD_ERROR_COLUMNS) of each run (a method's folds,
    `leader` its place, 1 = best): its fold (named by the fold's first stamp), its stamp
    on `index` (the history's), what came and what was forecast. Series backtested from
    the same end share folds, so their errors add up row by row."""
    parts = []
    for leader, folds in enumerate(runs, start=1):
        for fold in folds:
            stamps = index[fold.cutoff:fold.cutoff + len(fold.actual)]
            if len(stamps) != len(fold.actual):
                continue
            parts.append(pd.DataFrame({"leader": leader, "fold": stamps[0], "ts": stamps,
                                       "actual": fold.actual, "predicted": fold.mean}))
    if not parts:
        return pd.DataFrame(columns=list(FOLD_ERROR_COLUMNS))
    return pd.concat(parts, ignore_index=True)


def try_backtest(history: History, model: Forecaster, *, horizon: int, cutoffs: list[int]
                 ) -> list[Fold] | None:
    """run_backtest, or None when the model cannot fit this series."""
    try:
        return run_backtest(history, model, horizon=horizon, cutoffs=cutoffs)
    except (ForecastError, ValueError, np.linalg.LinAlgError, RuntimeError):
        return None


def score(model: str, folds: list[Fold]) -> Score:
    """Pool all folds: WAPE over every interval, MASE averaged over folds."""
    actual = np.concatenate([f.actual for f in folds])
    mean = np.concatenate([f.mean for f in folds])
    covered = {}
    for level in LEVELS:
        lo = np.concatenate([f.bounds[level][0] for f in folds])
        hi = np.concatenate([f.bounds[level][1] for f in folds])
        covered[level] = coverage(actual, lo, hi)
    mases = [mase(f.actual, f.mean, f.scale) for f in folds]
    finite = [m for m in mases if np.isfinite(m)]
    return Score(
        model=model, folds=len(folds), wape=wape(actual, mean),
        mase=float(np.mean(finite)) if finite else float("nan"),
        bias=bias(actual, mean), coverage80=covered[80], coverage95=covered[95],
    )


def scores_frame(scores: list[Score]) -> pd.DataFrame:
    return pd.DataFrame([asdict(s) for s in scores])
