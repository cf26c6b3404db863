"""Dates a queue runs low on every year, read without a country."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.calendar import day_kinds
from forecast.day_effects import learn_day_effects
from forecast.models.adjusted import CalendarAdjusted
from forecast.models.naive import WeekAverage
from forecast.series import Freq, History, SeriesKey

KEY = SeriesKey("billing")
WEEKLY = np.array([1.1, 1.0, 1.0, 1.0, 0.9, 0.6, 0.4])


def _queue(seed: int, first: str, last: str) -> pd.Series:
    days = pd.date_range(first, last, freq="D")
    rng = np.random.default_rng(seed)
    return pd.Series(rng.poisson(400.0 * WEEKLY[days.day_of_week]).astype(float), index=days)


def test_christmas_eve_and_new_year_at_half_a_day_every_year_are_forecast_so() -> None:
    daily = _queue(1, "2023-01-09", "2025-12-10")
    for year in (2023, 2024):
        daily[f"{year}-12-24"] *= 0.5
        daily[f"{year}-12-25"] *= 0.4
    daily["2024-01-01"] *= 0.45
    daily["2025-01-01"] *= 0.45
    daily["2024-06-12"] *= 0.5  # one year only: chance, not the date
    kinds = day_kinds(pd.DatetimeIndex(daily.index), None)
    effects, ratio = learn_day_effects(daily, kinds, without_calendar=True)
    assert set(effects.yearly_dates) == {(12, 24), (12, 25), (1, 1)}
    assert 0.35 < effects.yearly_dates[(12, 25)] < 0.5
    assert ratio["2024-12-24"] < 0.6  # read as a normal day by the models
    history = History(key=KEY, freq=Freq.DAILY, y=daily)
    forecast = CalendarAdjusted(WeekAverage(weeks=8)).fit(history).predict(28)
    by_day = pd.Series(forecast.mean, index=pd.DatetimeIndex(forecast.ds))
    usual = by_day["2025-12-17"]  # a Wednesday, as the 24th
    assert 0.4 < by_day["2025-12-24"] / usual < 0.6
    assert by_day["2025-12-31"] / usual > 0.9


def test_ordinary_queues_keep_no_dates() -> None:
    for seed in range(10):
        daily = _queue(seed, "2023-03-06", "2025-11-30")
        kinds = day_kinds(pd.DatetimeIndex(daily.index), None)
        assert learn_day_effects(daily, kinds, without_calendar=True)[0].yearly_dates == {}


def test_a_queue_with_a_calendar_keeps_its_holidays_there() -> None:
    daily = _queue(2, "2023-01-09", "2025-12-10")
    for day in ("2023-12-25", "2024-12-25", "2024-01-01", "2025-01-01"):
        daily[day] *= 0.4
    history = History(key=KEY, freq=Freq.DAILY, y=daily, country="GB")
    fitted = CalendarAdjusted(WeekAverage(weeks=8)).fit(history)
    assert fitted.effects.yearly_dates == {}
    assert fitted.effects.factor("Christmas Day") < 0.5
