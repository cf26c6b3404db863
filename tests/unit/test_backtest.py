"""Rolling-origin backtests: fold placement, scoring against observed actuals only."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forecast.backtest import Fold, fold_cutoffs, run_backtest, score, scores_frame, try_backtest
from forecast.metrics import seasonal_scale
from forecast.models.naive import RecentMean, SeasonalNaive
from forecast.openhours import prepare_history
from forecast.series import Freq, History, SeriesKey

KEY = SeriesKey("billing")


def _history(values: np.ndarray, freq: Freq, observed: np.ndarray | None = None) -> History:
    index = pd.date_range("2025-03-03", periods=len(values), freq=freq.offset)
    return History(key=KEY, freq=freq, y=pd.Series(values, index=index), observed=observed)


def _weekly_daily(weeks: int) -> np.ndarray:
    return np.tile([120.0, 110.0, 100.0, 100.0, 90.0, 50.0, 30.0], weeks)


def test_fold_cutoffs_end_at_the_last_window_oldest_first() -> None:
    assert fold_cutoffs(100, 10, folds=3, min_train=50) == [70, 80, 90]


def test_fold_cutoffs_drop_folds_without_enough_training() -> None:
    assert fold_cutoffs(100, 10, folds=6, min_train=55) == [60, 70, 80, 90]
    assert fold_cutoffs(30, 10, folds=3, min_train=25) == []


def test_fold_cutoffs_with_a_step_shorter_than_the_horizon() -> None:
    assert fold_cutoffs(100, 10, folds=3, min_train=0, step=7) == [76, 83, 90]


def test_run_backtest_scores_a_perfect_model_as_perfect() -> None:
    history = _history(_weekly_daily(8), Freq.DAILY)
    cutoffs = fold_cutoffs(56, 7, folds=2, min_train=14)
    folds = run_backtest(history, SeasonalNaive(), horizon=7, cutoffs=cutoffs)
    assert [f.cutoff for f in folds] == [42, 49]
    for fold in folds:
        np.testing.assert_allclose(fold.mean, fold.actual)
        assert fold.scale == 0.0  # a perfectly weekly history has no seasonal differences
    result = score("seasonal_naive", folds)
    assert (result.folds, result.wape, result.bias) == (2, 0.0, 0.0)
    assert math.isnan(result.mase)  # no usable scale


def test_run_backtest_never_scores_unobserved_intervals() -> None:
    values = _weekly_daily(6) + np.tile([0.0, 7.0], 21)
    observed = np.ones(len(values), dtype=bool)
    observed[-3:] = False
    history = _history(values, Freq.DAILY, observed)
    (fold,) = run_backtest(history, SeasonalNaive(), horizon=7, cutoffs=[35])
    assert np.isnan(fold.actual[-3:]).all()
    np.testing.assert_allclose(fold.actual[:4], values[35:39])
    assert fold.scale == pytest.approx(seasonal_scale(values[:35], 7))


def test_run_backtest_forecasts_zero_in_hours_closed_during_training() -> None:
    index = pd.date_range("2025-03-03", periods=24 * 7 * 4, freq="h")
    open_hours = (index.hour >= 9) & (index.hour < 18) & (index.day_of_week < 5)
    counts = pd.Series(np.where(open_hours, 10.0 + index.hour, np.nan), index=index).dropna()
    history, _ = prepare_history(counts, KEY, Freq.H60)
    horizon = 24 * 7
    (fold,) = run_backtest(history, RecentMean(), horizon=horizon,
                           cutoffs=[len(history.y) - horizon])
    window = pd.DatetimeIndex(history.y.index[-horizon:])
    closed = ~((window.hour >= 9) & (window.hour < 18) & (window.day_of_week < 5))
    assert 0 < closed.sum() < horizon
    for values in (fold.mean, *fold.bounds[80], *fold.bounds[95]):
        assert (values[closed] == 0).all()
    assert (fold.mean[~closed] > 0).all()
    # closed hours of a day with rows count as zero; days without any row were not seen
    weekend = np.asarray(window.day_of_week >= 5)
    assert np.isnan(fold.actual[weekend]).all()
    assert (fold.actual[closed & ~weekend] == 0).all()


def test_try_backtest_returns_none_when_the_model_cannot_fit() -> None:
    history = _history(_weekly_daily(1)[:6], Freq.DAILY)
    assert try_backtest(history, SeasonalNaive(), horizon=2, cutoffs=[4]) is None


def _fold(actual: list[float], mean: list[float], scale: float, width: float) -> Fold:
    m = np.array(mean)
    bounds = {80: (m - width, m + width), 95: (m - 2 * width, m + 2 * width)}
    return Fold(0, np.array(actual), m, bounds, scale)


def test_score_pools_intervals_and_averages_mase_over_folds() -> None:
    folds = [_fold([10.0, 10.0], [8.0, 12.0], 1.0, 1.0),
             _fold([20.0, float("nan")], [20.0, 5.0], 2.0, 1.0)]
    result = score("m", folds)
    assert result.wape == pytest.approx(4 / 40)
    assert result.mase == pytest.approx((2.0 + 0.0) / 2)
    assert result.bias == pytest.approx(0.0)
    assert result.coverage80 == pytest.approx(1 / 3)
    assert result.coverage95 == pytest.approx(1.0)
    frame = scores_frame([result])
    assert list(frame.columns) == ["model", "folds", "wape", "mase", "bias",
                                   "coverage80", "coverage95"]
