"""The day-of-month cycle: bills on the 1st and salaries on the 25th found and followed,
bills on the first working day and payments due on the last followed to the Monday and
the Friday, nothing found where there is none."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.calendar import working_days
from forecast.models.adjusted import CalendarAdjusted
from forecast.models.naive import WeekAverage
from forecast.month_cycle import month_cycle, working_day_slots
from forecast.pipeline import forecast_frame
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


def _first_and_its_weekday(bills: float, seed: int) -> tuple[float, float, float, float]:
    """An 8-week average's forecast of the next 1st of the month and the mean of the other
    days of its weekday, from 400 days with bills on the 1st; its 80% band on the 1st;
    the weekday's true level."""
    daily = _daily(400, seed, bills=bills)
    history = History(key=SeriesKey("billing", "phone"), freq=Freq.DAILY, y=daily)
    forecast = CalendarAdjusted(WeekAverage(weeks=8)).fit(history).predict(35)
    days = pd.DatetimeIndex(forecast.ds)
    first = int(np.flatnonzero(days.day == 1)[0])
    others = (days.day_of_week == days[first].day_of_week) & (days.day != 1)
    low, high = forecast.bounds[80]
    assert high[first] > forecast.mean[first] > low[first]
    level = 200 * SHAPE[days[first].day_of_week]
    return float(forecast.mean[first]), float(np.mean(forecast.mean[others])), \
        float(high[first] - low[first]), level


def test_an_eight_week_average_forecasts_the_first_of_the_month_up() -> None:
    first, others, width, _ = _first_and_its_weekday(1.6, seed=5)
    # Without the cycle, the 1st is one day in eight weeks of its weekday: about 1.0.
    assert 1.35 < first / others < 1.7
    assert width > 0


def test_a_rush_of_over_twice_its_neighbours_every_month_is_a_cycle_not_surges() -> None:
    first, others, _, level = _first_and_its_weekday(2.4, seed=6)
    assert 2.0 < first / others < 2.6
    # The other days of the forecast stay at the weekday's level, not pulled up by firsts.
    assert others == pytest.approx(level, rel=0.05)


def test_auto_forecasts_the_first_of_the_month_up_from_a_file() -> None:
    daily = _daily(400, 7, bills=1.6)
    rows = pd.DataFrame({"ts": daily.index, "category": "billing", "channel": "",
                         "count": daily.to_numpy()})
    frame = forecast_frame(rows, freq=Freq.DAILY, horizon=35)
    days = pd.DatetimeIndex(frame["ts"])
    first = days.day == 1
    weekday = days.day_of_week == days[first][0].day_of_week
    lift = frame.loc[first, "yhat"].iloc[0] / frame.loc[weekday & ~first, "yhat"].mean()
    assert 1.35 < lift < 1.7


def _office_with_month_ends(days: int, seed: int) -> pd.Series:
    """A German office closed at weekends and on holidays: bills on the first working day
    of the month at 1.3 x, payments due on the last at 1.6 x."""
    index = pd.date_range("2023-01-02", periods=days, freq="D")
    working = working_days(index, "DE")
    slots = working_day_slots(index, "DE")
    first, last = slots == 0, slots == 16
    mean = 300 * SHAPE[index.day_of_week] * np.where(first, 1.3, np.where(last, 1.6, 1.0))
    counts = np.random.default_rng(seed).poisson(np.where(working, mean, 0.0))
    return pd.Series(counts.astype(float), index=index)


def test_working_days_and_their_places_in_the_month() -> None:
    october = pd.date_range("2025-10-01", "2025-10-31", freq="D")
    working = working_days(october, "DE")
    assert not working[2]  # Friday 3 October, German Unity Day
    assert not working[3] and working[5]  # Saturday off, Monday on
    slots = working_day_slots(october, "DE")
    assert slots[0] == 0 and slots[1] == 1 and slots[2] == -1  # Wed 1st, Thu 2nd, holiday
    assert slots[30] == 16 and slots[29] == 17  # the last working day, the one before
    # China's make-up workday: Sunday 28 September 2025 is worked before Golden Week.
    assert working_days(pd.DatetimeIndex(["2025-09-28", "2025-10-01"]), "CN").tolist() == [
        True, False]
    assert working_days(pd.DatetimeIndex(["2025-09-28"]), None).tolist() == [False]


def test_month_ends_on_working_days_are_read_by_working_day() -> None:
    daily = _office_with_month_ends(550, seed=1)
    cycle = month_cycle(daily, daily > 0, "DE")
    assert cycle is not None and cycle.by_working_day
    assert 1.15 < cycle.factors[0] < 1.35
    assert 1.4 < cycle.factors[16] < 1.65
    # November 2025 starts on a Saturday and ends on a Sunday: Monday the 3rd and
    # Friday the 28th carry the rushes, the weekend days none.
    days = pd.DatetimeIndex(["2025-11-01", "2025-11-03", "2025-11-04", "2025-11-28",
                             "2025-11-30"])
    factors = cycle.factor(days)
    assert factors[0] == 1.0 and factors[4] == 1.0
    assert factors[1] > 1.15 and factors[3] > 1.4 and abs(factors[2] - 1.0) < 0.05


def test_auto_forecasts_the_last_working_day_up_when_the_month_ends_on_a_weekend() -> None:
    daily = _office_with_month_ends(550, seed=2)  # to 2024-07-04
    rows = pd.DataFrame({"ts": daily.index, "category": "billing", "channel": "",
                         "count": daily.to_numpy()})
    frame = forecast_frame(rows, freq=Freq.DAILY, horizon=60, country="DE")
    yhat = frame.set_index(pd.DatetimeIndex(frame["ts"]))["yhat"]
    # August 2024 ends on a Saturday: Friday the 30th is its last working day.
    fridays = yhat[(yhat.index.day_of_week == 4) & (yhat.index.month == 8)]
    lift = fridays[pd.Timestamp("2024-08-30")] / fridays.drop(pd.Timestamp("2024-08-30")).mean()
    assert 1.35 < lift < 1.7
    assert yhat[pd.Timestamp("2024-08-31")] == 0.0
