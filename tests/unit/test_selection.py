"""Model choice: pooled priors steady a noisy per-series backtest."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from forecast.backtest import Fold, Score
from forecast.errors import InsufficientHistory
from forecast.models.base import Fitted, fit_error_scale
from forecast.models.naive import SeasonalNaive, WeekAverage
from forecast.models.registry import build_model
from forecast.selection import (
    INTRADAY_CALIBRATION_FOLDS,
    INTRADAY_FOLDS,
    CandidateBacktests,
    backtest_candidates,
    beyond_window_growth,
    calibrated,
    choose,
    pooled_prior,
    priors_from_leaderboard,
    relative_wape,
    same_season_cutoffs,
)
from forecast.series import Freq, History, SeriesKey, make_forecast


def _score(model: str, wape: float, bias: float = 0.0) -> Score:
    return Score(model, 3, wape, 1.0, bias, 0.8, 0.95)


def _fold() -> Fold:
    mean = np.ones(3)
    return Fold(0, np.ones(3), mean, {80: (mean, mean), 95: (mean, mean)}, 1.0)


def test_relative_wape_is_one_for_the_winner() -> None:
    ratios = relative_wape([_score("a", 0.2), _score("b", 0.3), _score("combo:a+b", 0.25)])
    assert ratios == pytest.approx({"a": 1.0, "b": 1.5, "combo2": 1.25})


def test_pooled_prior_is_the_median_ratio() -> None:
    prior = pooled_prior([[_score("a", 0.2), _score("b", 0.4)],
                          [_score("a", 0.3), _score("b", 0.3)],
                          [_score("a", 0.1), _score("b", 0.3)]])
    assert prior == pytest.approx({"a": 1.0, "b": 2.0})


def test_prior_overrules_a_narrow_local_win() -> None:
    backtests = CandidateBacktests(
        runs={"a": [_fold()], "b": [_fold()]},
        scores=[_score("a", 0.20), _score("b", 0.21)],
    )
    assert choose(backtests).winner == "a"
    assert choose(backtests, {"a": 1.6, "b": 1.0}).winner == "b"
    assert choose(backtests, {"a": 1.0, "b": 1.6}).winner == "a"


def test_a_clear_local_win_survives_the_prior() -> None:
    backtests = CandidateBacktests(runs={"a": [_fold()], "b": [_fold()]},
                                   scores=[_score("a", 0.10), _score("b", 0.30)])
    assert choose(backtests, {"a": 1.3, "b": 1.0}).winner == "a"


def test_a_thin_daily_backtest_keeps_the_median_of_the_best_three() -> None:
    runs = {name: [_fold()] for name in ("a", "b", "c", "combo:a+b+c")}
    scores = [_score("a", 0.10), _score("b", 0.20), _score("c", 0.25),
              _score("combo:a+b+c", 0.15)]
    assert choose(CandidateBacktests(runs, scores)).winner == "a"
    thin = choose(CandidateBacktests(runs, scores, thin=True))
    assert thin.winner == "combo:a+b+c" and thin.members == ("a", "b", "c")
    alone = CandidateBacktests({"a": [_fold()]}, [_score("a", 0.10)], thin=True)
    assert choose(alone).winner == "a"  # fewer than three candidates ran


def test_a_combination_wins_on_a_year_of_daily_history_unless_one_model_is_clearly_better() -> None:
    runs = {name: [_fold()] for name in ("a", "b", "combo:a+b")}
    close = [_score("a", 0.100), _score("b", 0.12), _score("combo:a+b", 0.110)]
    assert choose(CandidateBacktests(runs, close, yearly=True)).winner == "combo:a+b"
    assert choose(CandidateBacktests(runs, close)).winner == "a"  # shorter or intraday
    clear = [_score("a", 0.100), _score("b", 0.12), _score("combo:a+b", 0.125)]
    assert choose(CandidateBacktests(runs, clear, yearly=True)).winner == "a"
    # ... nor where the combination runs further below the total than the best model
    low = [_score("a", 0.100), _score("b", 0.12), _score("combo:a+b", 0.08, bias=-0.06)]
    assert choose(CandidateBacktests(runs, low, yearly=True)).winner == "a"
    near = [_score("a", 0.100), _score("b", 0.12), _score("combo:a+b", 0.09, bias=-0.04)]
    assert choose(CandidateBacktests(runs, near, yearly=True)).winner == "combo:a+b"


def test_a_short_daily_history_backtests_thin_and_a_long_one_does_not() -> None:
    def backtested(days: int) -> CandidateBacktests:
        index = pd.date_range("2025-01-06", periods=days, freq="D")
        y = pd.Series(np.random.default_rng(1).poisson(50.0, days).astype(float), index=index)
        history = History(key=SeriesKey("q", ""), freq=Freq.DAILY, y=y)
        return backtest_candidates(history, [WeekAverage(weeks=8), SeasonalNaive()],
                                   horizon=28)
    assert backtested(60).thin and not backtested(60).yearly
    assert not backtested(200).thin and not backtested(200).yearly
    assert backtested(430).yearly


def test_intraday_models_are_chosen_on_recent_folds_and_bands_read_from_more() -> None:
    index = pd.date_range("2025-01-06", periods=12 * 7 * 24, freq="h")
    y = pd.Series(np.random.default_rng(2).poisson(20.0, len(index)).astype(float),
                  index=index)
    history = History(key=SeriesKey("q", ""), freq=Freq.H60, y=y)
    backtests = backtest_candidates(history, [WeekAverage(weeks=8), SeasonalNaive()],
                                    horizon=7 * 24)
    assert {s.folds for s in backtests.scores} == {INTRADAY_FOLDS}
    assert {len(run) for run in backtests.runs.values()} == {INTRADAY_CALIBRATION_FOLDS}
    assert INTRADAY_CALIBRATION_FOLDS > INTRADAY_FOLDS
    selection = choose(backtests)
    assert len(selection.folds) == len(selection.leaders) * INTRADAY_CALIBRATION_FOLDS


def test_priors_from_a_leaderboard_per_frequency() -> None:
    board = pd.DataFrame({
        "category": ["x", "x", "y", "y", "x", "x"],
        "channel": ["", "", "", "", "", ""],
        "freq": ["D", "D", "D", "D", "30min", "30min"],
        "model": ["ets", "mstl", "ets", "mstl", "ets", "mstl"],
        "folds": 3, "wape": [0.1, 0.2, 0.2, 0.2, 0.5, 0.25], "mase": 1.0, "bias": 0.0,
        "coverage80": 0.8, "coverage95": 0.95, "rank": 1, "selected": False,
    })
    priors = priors_from_leaderboard(board)
    assert priors["D"] == pytest.approx({"ets": 1.0, "mstl": 1.5})
    assert priors["30min"] == pytest.approx({"ets": 2.0, "mstl": 1.0})
    assert priors_from_leaderboard(board.iloc[0:0]) == {}


def test_special_days_get_the_wider_band_their_own_errors_give() -> None:
    rng = np.random.default_rng(4)
    mean = np.full(200, 100.0)
    special_past = np.arange(200) % 5 == 0  # 40 special points, errors five times larger
    noise = rng.normal(0, 5, size=200) * np.where(special_past, 5.0, 1.0)
    folds = [Fold(0, mean + noise, mean, {80: (mean, mean), 95: (mean, mean)}, 1.0)]
    future = np.full(4, 100.0)
    forecast = make_forecast(pd.date_range("2026-01-05", periods=4), future,
                             {80: (future, future), 95: (future, future)}, "m")
    plain = calibrated(forecast, folds)
    marked = calibrated(forecast, folds,
                        special=(special_past, np.array([False, True, False, False])))
    width = {name: f.bounds[95][1] - f.bounds[95][0] for name, f in
             (("plain", plain), ("marked", marked))}
    np.testing.assert_allclose(width["marked"][[0, 2, 3]], width["plain"][[0, 2, 3]])
    assert width["marked"][1] > 1.5 * width["plain"][1]
    few = calibrated(forecast, folds, special=(np.arange(200) < 5, np.ones(4, dtype=bool)))
    np.testing.assert_allclose(few.bounds[95][1], plain.bounds[95][1])


def test_bands_widen_past_the_backtested_window() -> None:
    rng = np.random.default_rng(5)
    mean = np.full(28, 100.0)
    folds = [Fold(0, mean + rng.normal(0, 8, size=28), mean,
                  {80: (mean, mean), 95: (mean, mean)}, 1.0) for _ in range(6)]
    future = np.full(112, 100.0)
    forecast = make_forecast(pd.date_range("2026-01-05", periods=112), future,
                             {80: (future, future), 95: (future, future)}, "m")
    width = np.subtract(*calibrated(forecast, folds).bounds[80][::-1])
    np.testing.assert_allclose(width[:28], width[0])  # as backtested, within the window
    np.testing.assert_allclose(width[55] / width[0], np.sqrt(2.0))  # twice as far ahead
    np.testing.assert_allclose(width[111] / width[0], 2.0)
    # A short history's shorter window is not extrapolated within the usual one.
    usual = np.subtract(*calibrated(forecast, folds, window=56).bounds[80][::-1])
    np.testing.assert_allclose(usual[:56], usual[0])
    np.testing.assert_allclose(usual[111] / usual[0], np.sqrt(2.0))
    np.testing.assert_allclose(beyond_window_growth(3, 28), 1.0)


def test_two_weeks_of_hourly_history_get_bands_of_their_own_noise() -> None:
    # Folds of so short a history end part-way through a day; their errors must still
    # read the queue's noise, not a day the fold cut short.
    index = pd.date_range("2024-02-12", periods=15 * 24, freq="h")
    open_ = (index.hour >= 8) & (index.hour < 18)
    y = pd.Series(np.random.default_rng(0).poisson(np.where(open_, 60.0, 0.0)), index=index,
                  dtype=float)
    history = History(key=SeriesKey("q", ""), freq=Freq.H60, y=y)
    forecast = build_model("auto", Freq.H60, horizon=7 * 24).fit(history).predict(7 * 24)
    busy = forecast.mean > 30
    lo, hi = forecast.bounds[95]
    assert busy.sum() == 7 * 10
    assert np.all(hi[busy] < 2 * forecast.mean[busy])
    assert np.all(lo[busy] > 0.5 * forecast.mean[busy])


def _yearly_peak_history(peak: float) -> tuple[History, np.ndarray]:
    """Three years and more of a weekday office at 200 a day, whose inquiries jump by
    `peak` at the same time every year (364 days apart) and halve every two weeks; the
    history ends a week before this year's jump. Also the true mean of the 28 days ahead."""
    rng = np.random.default_rng(5)
    index = pd.date_range("2022-09-05", "2025-12-28", freq="D")
    ahead = pd.date_range("2025-12-29", periods=28, freq="D")
    every = index.append(ahead)
    weekday = np.array([1.2, 1.05, 1.0, 0.95, 0.85, 0.0, 0.0])[every.day_of_week]
    level = 200.0 * weekday
    for years in range(4):
        start = pd.Timestamp("2026-01-05") - pd.Timedelta(days=364 * years)
        age = np.asarray((every - start).days, dtype=float)
        level = level * (1 + np.where(age >= 0, peak * 0.5 ** (np.maximum(age, 0) / 14), 0))
    y = pd.Series(rng.poisson(level[:len(index)]).astype(float), index=index)
    return History(key=SeriesKey("q", ""), freq=Freq.DAILY, y=y), level[len(index):]


def test_a_daily_backtest_adds_last_years_same_weeks_where_the_season_turns() -> None:
    def folds(peak: float) -> set[int]:
        history, _ = _yearly_peak_history(peak)
        backtests = backtest_candidates(history, [WeekAverage(weeks=8), SeasonalNaive()],
                                        horizon=28)
        return {fold.cutoff for fold in backtests.runs["week_average"]}

    n = len(_yearly_peak_history(0.0)[0].y)
    assert {n - 364, n - 728} <= folds(1.0)
    assert not {n - 364, n - 728} & folds(0.0)


def test_a_peak_every_year_is_forecast_before_it_starts() -> None:
    history, truth = _yearly_peak_history(1.0)
    forecast = build_model("auto", Freq.DAILY, horizon=28).fit(history).predict(28)
    assert forecast.mean.sum() / truth.sum() - 1 > -0.2  # -34% before


@dataclass(frozen=True, slots=True)
class _NeedsDays:
    """An 8-week average that cannot fit fewer than `days` days (as a model of the yearly
    season cannot fit a history with a gap in last year's)."""

    days: int
    name: str = "needs_days"

    def fit(self, history: History) -> Fitted:
        if len(history.y) < self.days:
            raise InsufficientHistory(self.name, self.days, len(history.y))
        return WeekAverage(weeks=8).fit(history)


def test_same_season_folds_are_left_out_where_a_candidate_cannot_fit_them() -> None:
    history, _ = _yearly_peak_history(1.0)
    n = len(history.y)
    backtests = backtest_candidates(history, [WeekAverage(weeks=8), _NeedsDays(n - 300)],
                                    horizon=28)
    assert set(backtests.runs) >= {"week_average", "needs_days"}
    assert not {n - 364, n - 728} & {fold.cutoff for fold in backtests.runs["week_average"]}


def test_a_horizon_longer_than_a_year_keeps_to_folds_the_history_holds() -> None:
    history, _ = _yearly_peak_history(1.0)
    n = len(history.y)
    assert same_season_cutoffs(n, 28) == [n - 364, n - 728]
    assert same_season_cutoffs(n, 400) == [n - 728]  # last year's would run past the end
    backtests = backtest_candidates(history, [WeekAverage(weeks=8)], horizon=400)
    cutoffs = [fold.cutoff for fold in backtests.runs["week_average"]]
    assert len(cutoffs) == len(set(cutoffs))
    assert all(fold.cutoff + len(fold.actual) <= n for fold in backtests.runs["week_average"])


def test_a_95_band_is_wider_than_the_80_one_from_a_few_repeated_residuals() -> None:
    """Three weeks of history: 24 fold errors of a handful of values (the leaders repeat
    one another) had put the 2.5% and 10% quantiles on the same smallest error."""
    predicted = np.full(24, 1000.0)
    actual = predicted * (1 + np.repeat([-0.06, -0.01, 0.02, 0.05, 0.09, 0.14], 4))
    bounds = fit_error_scale(actual, predicted).bounds(np.array([1000.0]), (80, 95))
    (lo80, hi80), (lo95, hi95) = bounds[80], bounds[95]
    assert lo95[0] < lo80[0] - 20 and hi95[0] > hi80[0] + 20


def test_a_few_points_get_bands_as_wide_as_their_spread() -> None:
    """Five days of a new queue: a Poisson count's noise at 1,657 is +-3%, the days vary
    by +-28%."""
    actual = np.array([1896.0, 1933.0, 1316.0, 991.0, 2148.0])
    predicted = np.full(5, actual.mean())
    lo, hi = fit_error_scale(actual, predicted).bounds(np.array([1657.0]), (80,))[80]
    assert hi[0] - lo[0] > 2 * 1.28 * 0.9 * actual.std(ddof=1)
    steady = np.array([1650.0, 1700.0, 1630.0, 1660.0, 1645.0])  # within a count's noise
    lo, hi = fit_error_scale(steady, np.full(5, 1657.0)).bounds(np.array([1657.0]), (80,))[80]
    assert hi[0] - lo[0] == pytest.approx(2 * 1.2816 * np.sqrt(1657.0), rel=0.01)


def test_errors_all_zero_leave_a_count_its_own_noise() -> None:
    """A history of exactly 5 a day backtests without error; the next days are still
    counts, and a band of zero width would promise exactly 5."""
    flat = np.full(40, 5.0)
    lo, hi = fit_error_scale(flat, flat).bounds(np.array([5.0]), (80,))[80]
    assert lo[0] < 4 and hi[0] > 6


def test_a_band_reaches_below_a_forecast_its_backtests_all_undershot() -> None:
    """A queue growing through its few folds: every error positive had put the 80% band's
    lower end on the forecast itself."""
    predicted = np.linspace(80.0, 120.0, 30)
    actual = predicted * np.linspace(1.05, 1.3, 30)
    lo, hi = fit_error_scale(actual, predicted).bounds(np.array([100.0]), (80,))[80]
    assert lo[0] < 100.0 - 1.28 * np.sqrt(100.0) * 0.9 and hi[0] > 120.0


def test_leaders_forecasting_alike_lend_their_errors_once() -> None:
    """Two weeks of history: three weekly-mean leaders made the same six errors, which had
    read as 18 (enough for quantiles) instead of a handful (a count's noise, widened)."""
    same = [Fold(c, np.array([21.0, 14.0]), np.array([12.0, 10.0]) + c, {}, 1.0)
            for c in range(3)]
    other = [Fold(0, np.array([21.0, 14.0]), np.array([13.0, 10.0]), {}, 1.0)]
    runs = {"a": same, "b": list(same), "c": list(same) + other}
    scores = [_score("a", 0.10), _score("b", 0.11), _score("c", 0.12)]
    chosen = choose(CandidateBacktests(runs, scores))
    assert len(chosen.folds) == 4
