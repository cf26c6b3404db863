"""The day-of-month cycle: bills on the 1st and salaries on the 25th found and followed,
nothing found where there is none."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.models.adjusted import CalendarAdjusted
from forecast.models.naive import WeekAverage
from forecast.month_cycle import month_cycle
from forecast.series import Freq, History, SeriesKey

SHAPE = np.array([1.2, 1.0, 1.0, 1.0, 0.9, 0.5, 0.3])


def _daily(days: int, seed: int, *, bills: float = 1.0, level: float = 200.0,
           weekends_closed: bool = False) -> pd.Series:
    """`level` a day shaped by SHAPE, Poisson; the 1st of every month at `bills` x."""
    index = pd.date_range("2024-03-04", periods=days, freq="D")
    mean = level * SHAPE[index.day_of_week] * np.where(index.day == 1, bills, 1.0)
    if weekends_closed:
        mean = np.where(index.day_of_week >= 5, 0.0, mean)
    counts = np.random.default_rng(seed).poisson(mean).astype(float)
    return pd.Series(counts, index=index)


def _everyday(daily: pd.Series) -> pd.Series:
    return pd.Series(True, index=daily.index)


def test_bills_on_the_first_are_read_on_the_first_only() -> None:
    for seed in range(3):
        daily = _daily(400, seed, bills=1.6, weekends_closed=seed == 2)
        cycle = month_cycle(daily, _everyday(daily))
        assert cycle is not None
        assert 1.35 < cycle.factors[0] < 1.7  # most of the 1.6, the noise's share held back
        others = np.array(cycle.factors[1:])
        assert np.abs(others - 1.0).max() < 0.08
        assert (others == 1.0).mean() > 0.8


def test_no_cycle_is_read_into_noise_a_short_history_or_a_quiet_queue() -> None:
    for seed in range(20):
        steady = _daily(400, seed)
        assert month_cycle(steady, _everyday(steady)) is None
        quiet = _daily(400, seed, level=4.0)
        assert month_cycle(quiet, _everyday(quiet)) is None
    short = _daily(70, 0, bills=2.0)
    assert month_cycle(short, _everyday(short)) is None


def test_days_that_are_not_ordinary_are_not_read() -> None:
    daily = _daily(400, 4)
    firsts = daily.index.day == 1
    daily[firsts] *= 3.0  # say, outages of a broken export made up for on the 1st
    assert month_cycle(daily, _everyday(daily)) is not None
    assert month_cycle(daily, pd.Series(~firsts, index=daily.index)) is None


def test_an_eight_week_average_forecasts_the_first_of_the_month_up() -> None:
    daily = _daily(400, 5, bills=1.6)
    history = History(key=SeriesKey("billing", "phone"), freq=Freq.DAILY, y=daily)
    forecast = CalendarAdjusted(WeekAverage(weeks=8)).fit(history).predict(35)
    days = pd.DatetimeIndex(forecast.ds)
    first = np.flatnonzero(days.day == 1)[0]
    same_weekday = [i for i in range(len(days))
                    if days[i].day_of_week == days[first].day_of_week and i != first]
    lift = forecast.mean[first] / np.mean(forecast.mean[same_weekday])
    # Without the cycle, the 1st is one day in eight weeks of its weekday: about 1.0.
    assert 1.35 < lift < 1.7
    assert forecast.bounds[80][1][first] > forecast.mean[first] > forecast.bounds[80][0][first]


def test_a_rush_of_over_twice_its_neighbours_every_month_is_a_cycle_not_surges() -> None:
    daily = _daily(400, 6, bills=2.4)
    history = History(key=SeriesKey("billing", "phone"), freq=Freq.DAILY, y=daily)
    forecast = CalendarAdjusted(WeekAverage(weeks=8)).fit(history).predict(35)
    days = pd.DatetimeIndex(forecast.ds)
    first = np.flatnonzero(days.day == 1)[0]
    others = [i for i in range(len(days))
              if days[i].day_of_week == days[first].day_of_week and i != first]
    assert 2.0 < forecast.mean[first] / np.mean(forecast.mean[others]) < 2.6
    # The other days of the forecast stay at the weekday's level, not pulled up by firsts.
    level = 200 * SHAPE[days[others].day_of_week[0]]
    assert np.mean(forecast.mean[others]) == pytest.approx(level, rel=0.05)
