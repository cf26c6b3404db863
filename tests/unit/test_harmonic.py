"""Harmonic regression: the yearly curve, weekday shape and a recent level shift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.errors import InsufficientHistory
from forecast.models.harmonic import MIN_DAYS, MIN_WEEKS, Harmonic
from forecast.openhours import prepare_history
from forecast.series import Freq, SeriesKey

KEY = SeriesKey("billing", "phone")
WEEKLY = np.array([1.2, 1.1, 1.0, 1.0, 0.9, 0.5, 0.3])


def _expected(index: pd.DatetimeIndex) -> np.ndarray:
    yearly = 1 + 0.3 * np.sin(2 * np.pi * (index.day_of_year - 80) / 365.25)
    return np.asarray(400.0 * yearly * WEEKLY[index.day_of_week])


def test_follows_the_yearly_curve_into_a_season_not_seen_lately() -> None:
    rng = np.random.default_rng(5)
    index = pd.date_range("2023-01-02", "2025-03-16", freq="D")
    counts = pd.Series(rng.poisson(_expected(index)).astype(float), index=index)
    history, _ = prepare_history(counts, KEY, Freq.DAILY)
    forecast = Harmonic().fit(history).predict(56)
    truth = _expected(pd.DatetimeIndex(forecast.ds))
    assert np.abs(forecast.mean - truth).sum() / truth.sum() < 0.06
    assert forecast.mean[-7:].sum() > 1.1 * forecast.mean[:7].sum()  # spring rise
    lo, hi = forecast.bounds[80]
    assert np.all(lo <= forecast.mean) and np.all(forecast.mean <= hi)


def test_reanchors_on_a_recent_level_shift() -> None:
    index = pd.date_range("2023-01-02", "2025-03-16", freq="D")
    level = np.where(index >= pd.Timestamp("2025-02-24"), 1.5, 1.0)
    counts = pd.Series(_expected(index) * level, index=index)
    history, _ = prepare_history(counts, KEY, Freq.DAILY)
    forecast = Harmonic().fit(history).predict(7)
    truth = 1.5 * _expected(pd.DatetimeIndex(forecast.ds))
    assert forecast.mean.sum() == pytest.approx(truth.sum(), rel=0.08)


def test_a_step_to_a_new_level_months_ago_bends_neither_trend_nor_yearly_curve() -> None:
    rng = np.random.default_rng(11)
    index = pd.date_range("2023-01-02", "2025-03-16", freq="D")
    level = np.where(index >= pd.Timestamp("2024-12-30"), 1.6, 1.0)
    counts = pd.Series(rng.poisson(_expected(index) * level).astype(float), index=index)
    history, _ = prepare_history(counts, KEY, Freq.DAILY)
    fitted = Harmonic().fit(history)
    forecast = fitted.predict(28)
    truth = 1.6 * _expected(pd.DatetimeIndex(forecast.ds))
    assert fitted.stepped
    assert np.abs(forecast.mean - truth).sum() / truth.sum() < 0.03  # 0.062 without the step
    steady = pd.Series(rng.poisson(_expected(index)).astype(float), index=index)
    assert not Harmonic().fit(prepare_history(steady, KEY, Freq.DAILY)[0]).stepped


def test_under_a_year_fits_without_the_yearly_curve_and_needs_daily_data() -> None:
    index = pd.date_range("2025-01-06", periods=MIN_DAYS - 1, freq="D")
    counts = pd.Series(_expected(index), index=index)
    history, _ = prepare_history(counts, KEY, Freq.DAILY)
    forecast = Harmonic().fit(history).predict(7)
    assert np.argmax(forecast.mean) == list(forecast.ds.day_of_week).index(0)  # Monday
    history, _ = prepare_history(counts.iloc[:MIN_WEEKS * 7 - 1], KEY, Freq.DAILY)
    with pytest.raises(InsufficientHistory):
        Harmonic().fit(history)
    hourly = pd.Series(5.0, index=pd.date_range("2025-01-01", periods=24 * 30, freq="h"))
    history, _ = prepare_history(hourly, KEY, Freq.H60)
    with pytest.raises(InsufficientHistory):
        Harmonic().fit(history)


def test_empty_days_bend_neither_the_curve_nor_the_level() -> None:
    rng = np.random.default_rng(8)
    index = pd.date_range("2023-01-02", "2025-03-16", freq="D")
    counts = pd.Series(rng.poisson(_expected(index)).astype(float), index=index)
    counts[(index >= pd.Timestamp("2025-01-06")) & (index < pd.Timestamp("2025-01-15"))] = 0.0
    counts[index[-10]] = 0.0  # a broken export inside the last two weeks
    history, _ = prepare_history(counts, KEY, Freq.DAILY)
    forecast = Harmonic().fit(history).predict(28)
    truth = _expected(pd.DatetimeIndex(forecast.ds))
    assert np.abs(forecast.mean - truth).sum() / truth.sum() < 0.06


@pytest.mark.parametrize("since", ["2025-01-20", "2025-02-24"])  # eight weeks, three
def test_follows_a_weekday_that_changed_in_the_last_weeks(since: str) -> None:
    rng = np.random.default_rng(9)
    index = pd.date_range("2023-01-02", "2025-03-16", freq="D")
    changed = index >= pd.Timestamp(since)
    sunday = np.asarray(index.day_of_week == 6)
    saturday = np.asarray(index.day_of_week == 5)
    mean = _expected(index) * np.where(changed & sunday, 2.0, 1.0) * np.where(
        changed & saturday, 0.0, 1.0)
    counts = pd.Series(rng.poisson(mean).astype(float), index=index)
    history, _ = prepare_history(counts, KEY, Freq.DAILY)
    forecast = Harmonic().fit(history).predict(14)
    days = pd.DatetimeIndex(forecast.ds)
    truth = _expected(days) * np.where(days.day_of_week == 6, 2.0, 1.0)
    weekend = np.asarray(days.day_of_week == 6)
    assert forecast.mean[weekend] == pytest.approx(truth[weekend], rel=0.1)
    assert np.all(forecast.mean[np.asarray(days.day_of_week == 5)] < 1.0)
    weekdays = np.asarray(days.day_of_week < 5)
    assert forecast.mean[weekdays].sum() == pytest.approx(truth[weekdays].sum(), rel=0.06)


def test_follows_the_day_of_the_month() -> None:
    rng = np.random.default_rng(10)
    index = pd.date_range("2023-01-02", "2025-03-16", freq="D")

    def billed(days: pd.DatetimeIndex) -> np.ndarray:
        return _expected(days) * (1 + 0.6 * np.exp(-(np.asarray(days.day) - 1) / 2))

    counts = pd.Series(rng.poisson(billed(index)).astype(float), index=index)
    history, _ = prepare_history(counts, KEY, Freq.DAILY)
    forecast = Harmonic().fit(history).predict(28)  # 17 March to 13 April
    days = pd.DatetimeIndex(forecast.ds)
    truth = billed(days)
    assert np.abs(forecast.mean - truth).sum() / truth.sum() < 0.07
    first = np.asarray(days.day <= 2)
    assert (forecast.mean[first] / _expected(days)[first]).mean() > 1.15


def test_a_step_two_years_back_is_read_though_the_trend_bends_to_it() -> None:
    """A step the trend and the yearly curve absorb leaves little in their residuals: it is
    read beside them, else the curve carries the old level's shape into the forecast."""
    rng = np.random.default_rng(3)
    index = pd.date_range("2022-11-01", "2025-11-14", freq="D")
    level = np.where(index >= pd.Timestamp("2023-12-18"), 0.7, 1.0)
    flat = 300.0 * WEEKLY[index.day_of_week] * level
    counts = pd.Series(rng.poisson(flat).astype(float), index=index)
    fitted = Harmonic().fit(prepare_history(counts, KEY, Freq.DAILY)[0])
    forecast = fitted.predict(28)
    truth = 0.7 * 300.0 * WEEKLY[pd.DatetimeIndex(forecast.ds).day_of_week]
    assert fitted.stepped
    assert abs(forecast.mean.sum() / truth.sum() - 1) < 0.04
