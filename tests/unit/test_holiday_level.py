"""Days off read on the week's level (a holiday that runs like a Sunday) or on their weekday."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.calendar import NORMAL, day_kinds
from forecast.day_effects import DayEffects, learn_day_effects, off_weekdays
from forecast.models.adjusted import CalendarAdjusted
from forecast.models.naive import WeekAverage
from forecast.series import Freq, History, SeriesKey

KEY = SeriesKey("orders", "chat")
WEEK_SHAPE = np.array([1.2, 1.05, 1.0, 0.97, 0.93, 0.6, 0.5])  # Monday first
BASE = 400.0
SUNDAY_LEVEL = BASE * WEEK_SHAPE[6]


def _queue(holiday_level: str, days: pd.DatetimeIndex, seed: int = 5) -> pd.Series:
    """An every-day queue in Germany whose holidays run at the Sunday level, or at 70% of
    their own weekday."""
    mean = BASE * WEEK_SHAPE[days.day_of_week]
    holiday = (day_kinds(days, "DE") != NORMAL).to_numpy() & _named(days)
    if holiday_level == "sunday":
        mean = np.where(holiday, SUNDAY_LEVEL, mean)
    else:
        mean = np.where(holiday, 0.7 * mean, mean)
    counts = np.random.default_rng(seed).poisson(mean).astype(float)
    return pd.Series(counts, index=days)


def _named(days: pd.DatetimeIndex) -> np.ndarray:
    kinds = day_kinds(days, "DE")
    return np.array([":" not in k and k != NORMAL for k in kinds])


def _effects(daily: pd.Series) -> DayEffects:
    kinds = day_kinds(pd.DatetimeIndex(daily.index), "DE", off_weekdays=off_weekdays(daily))
    effects, _ = learn_day_effects(daily, kinds)
    return effects


HISTORY = pd.date_range("2020-01-06", "2025-11-30", freq="D")  # holidays on every weekday


def test_holidays_that_run_like_sundays_are_read_on_the_weeks_level() -> None:
    effects = _effects(_queue("sunday", HISTORY))
    assert effects.week_level is not None
    mean_day = BASE * WEEK_SHAPE.mean()
    assert effects.week_level.by_kind["Christmas Day"] == pytest.approx(
        SUNDAY_LEVEL / mean_day, rel=0.1)
    # On a Monday the same holiday is a far deeper dip than on a Saturday.
    monday = effects.factor("Christmas Day", 0)
    saturday = effects.factor("Christmas Day", 5)
    assert monday == pytest.approx(WEEK_SHAPE[6] / WEEK_SHAPE[0], rel=0.12)
    assert saturday == pytest.approx(WEEK_SHAPE[6] / WEEK_SHAPE[5], rel=0.12)
    # A holiday never seen takes the typical holiday's level too.
    assert effects.factor("Some New Holiday", 2) == pytest.approx(
        WEEK_SHAPE[6] / WEEK_SHAPE[2], rel=0.12)


def test_holidays_that_dip_from_their_own_weekday_keep_the_weekday_reading() -> None:
    effects = _effects(_queue("weekday", HISTORY))
    assert effects.week_level is None
    assert effects.factor("Christmas Day", 0) == effects.factor("Christmas Day", 5)
    assert 0.65 < effects.factor("Christmas Day", 0) < 0.8  # 0.7, shrunk a little towards 1


def test_a_holiday_closed_every_year_stays_closed_whatever_the_reading() -> None:
    daily = _queue("sunday", HISTORY)
    christmas = [d for d in daily.index if d.month == 12 and d.day == 25]
    daily[christmas] = 0.0
    effects = _effects(daily)
    assert effects.week_level is not None
    assert effects.factor("Christmas Day", 0) < 0.05
    assert effects.factor("Christmas Day", 5) < 0.05


def test_a_forecast_puts_a_holiday_at_the_sunday_level_whatever_its_weekday() -> None:
    days = pd.date_range("2020-01-06", "2026-10-11", freq="D")
    truth = _queue("sunday", days)
    history_days = days[days < "2026-09-28"]  # German Unity Day 2026 is a Saturday
    history = History(KEY, Freq.DAILY, truth[history_days], country="DE")
    model = CalendarAdjusted(WeekAverage(weeks=8), name="week_average_cal")
    forecast = model.fit(history).predict(14)
    by_day = pd.Series(forecast.mean, index=pd.DatetimeIndex(forecast.ds))
    assert by_day["2026-10-03"] == pytest.approx(SUNDAY_LEVEL, rel=0.1)
    assert by_day["2026-10-10"] == pytest.approx(BASE * WEEK_SHAPE[5], rel=0.1)  # a Saturday
    assert by_day["2026-10-05"] == pytest.approx(BASE * WEEK_SHAPE[0], rel=0.1)  # a Monday
