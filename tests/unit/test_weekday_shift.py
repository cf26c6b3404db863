"""A weekday whose own level moved: read against the rest of its week, followed by every
model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.models.adjusted import CalendarAdjusted
from forecast.models.naive import WeekAverage
from forecast.models.split import DailySplit
from forecast.series import Freq, History, SeriesKey
from forecast.weekday_shift import at_current_weekday_levels, recent_weekday_shifts

SHAPE = np.array([1.2, 1.0, 1.0, 1.0, 0.9, 0.5, 0.3])


def _daily(weeks: int, seed: int, change: dict[int, float], weeks_ago: int) -> pd.Series:
    """200 a day shaped by SHAPE, Poisson; from `weeks_ago` weeks before the end, each
    weekday in `change` at that multiple."""
    index = pd.date_range("2025-01-06", periods=weeks * 7, freq="D")
    mean = 200 * SHAPE[index.day_of_week]
    later = np.asarray(index >= index[-1] - pd.Timedelta(weeks=weeks_ago) + pd.Timedelta(days=1))
    for weekday, factor in change.items():
        mean = np.where(later & (index.day_of_week == weekday), mean * factor, mean)
    counts = np.random.default_rng(seed).poisson(mean).astype(float)
    return pd.Series(counts, index=index)


def _everyday(daily: pd.Series) -> pd.Series:
    return pd.Series(True, index=daily.index)


def test_a_saturday_no_longer_served_is_found_and_its_past_set_to_its_present() -> None:
    daily = _daily(20, 1, {5: 0.0}, weeks_ago=4)
    shifts = recent_weekday_shifts(daily, _everyday(daily))
    assert [s.weekday for s in shifts] == [5]
    assert shifts[0].start == daily.index[daily.index.day_of_week == 5][-4]
    levelled = at_current_weekday_levels(daily, pd.DatetimeIndex(daily.index), shifts)
    saturdays = levelled[levelled.index.day_of_week == 5]
    assert saturdays.max() < 1.0
    weekdays = levelled.index.day_of_week < 5
    assert (levelled[weekdays] == daily[weekdays]).all()


def test_a_sunday_that_doubled_is_read_at_about_twice() -> None:
    factors = []
    for seed in range(3):
        daily = _daily(20, seed, {6: 2.0}, weeks_ago=5)
        shifts = recent_weekday_shifts(daily, _everyday(daily))
        assert [s.weekday for s in shifts] == [6]
        factors.append(shifts[0].factor)
    assert np.mean(factors) == pytest.approx(2.0, rel=0.1)


def test_a_steady_week_or_a_whole_queue_moving_shifts_no_weekday() -> None:
    for seed in range(5):
        steady = _daily(20, seed, {}, weeks_ago=4)
        assert recent_weekday_shifts(steady, _everyday(steady)) == []
        grown = _daily(20, seed, dict.fromkeys(range(7), 1.6), weeks_ago=4)
        assert recent_weekday_shifts(grown, _everyday(grown)) == []


def test_an_eight_week_average_follows_a_saturday_no_longer_served() -> None:
    daily = _daily(20, 3, {5: 0.0}, weeks_ago=3)
    history = History(key=SeriesKey("billing", "phone"), freq=Freq.DAILY, y=daily)
    forecast = CalendarAdjusted(WeekAverage(weeks=8)).fit(history).predict(7)
    saturday = pd.DatetimeIndex(forecast.ds).day_of_week == 5
    # Without the weekday's shift, five of its eight Saturdays would still count: 62.
    assert forecast.mean[saturday][0] < 5.0
    assert forecast.mean[~saturday].min() > 50.0


@pytest.mark.parametrize("freq", [Freq.DAILY, Freq.H60])
def test_a_saturday_service_begun_is_forecast_at_its_new_level(freq: Freq) -> None:
    # Shut on Saturdays until five weeks ago, then open 09-13 at 20 calls an hour.
    stamps = pd.date_range("2025-01-06", periods=20 * 7 * 24, freq="h")
    begun = stamps >= stamps[-1].normalize() - pd.Timedelta(weeks=5) + pd.Timedelta(days=1)
    weekday_hours = (stamps.day_of_week < 5) & (stamps.hour >= 8) & (stamps.hour < 18)
    saturday_hours = (stamps.day_of_week == 5) & (stamps.hour >= 9) & (stamps.hour < 13)
    mean = np.where(weekday_hours, 20.0, 0.0) + np.where(saturday_hours & begun, 20.0, 0.0)
    hourly = pd.Series(np.random.default_rng(4).poisson(mean).astype(float), index=stamps)
    y = hourly if freq is Freq.H60 else hourly.resample("D").sum()
    history = History(key=SeriesKey("billing", "phone"), freq=freq, y=y)
    model = CalendarAdjusted(DailySplit(WeekAverage(weeks=8)))
    forecast = model.fit(history).predict(7 * freq.per_day)
    saturday = pd.DatetimeIndex(forecast.ds).day_of_week == 5
    # Three shut Saturdays of the eight averaged would have given 50 of 80.
    assert forecast.mean[saturday].sum() == pytest.approx(80.0, rel=0.15)


def test_a_holiday_week_is_no_yardstick_for_its_other_days() -> None:
    """Easter's Monday to Thursday off in a queue with quiet weekends: that week's Friday
    had been read against its weekend (110 against 2, a share 40 times its usual) and,
    first of the weeks read, moved every earlier Friday to a fifth of its level. Nor is a
    Saturday of one or two calls read against the busy days' spread."""
    quiet_weekends = np.array([0.6, 0.45, 0.8, 0.95, 1.0, 0.01, 0.015])
    for seed in range(3):
        index = pd.date_range("2026-01-19", periods=14 * 7, freq="D")
        rng = np.random.default_rng(seed)
        daily = pd.Series(rng.poisson(100 * quiet_weekends[index.day_of_week]).astype(float),
                          index=index)
        ordinary = _everyday(daily)
        ordinary[pd.date_range("2026-02-02", periods=4, freq="D")] = False  # week 3 of 14
        assert recent_weekday_shifts(daily, ordinary) == []
