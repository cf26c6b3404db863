"""The calendar reading behind every candidate: learnt once per history, not per model."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from forecast.models import adjusted
from forecast.models.adjusted import CalendarAdjusted
from forecast.models.ets import Ets
from forecast.models.naive import WeekAverage
from forecast.series import LEVELS, Freq, History, SeriesKey

INDEX = pd.date_range("2025-01-06", periods=16 * 7, freq="D")
WEEKLY = np.array([1.2, 1.1, 1.0, 1.0, 0.9, 0.5, 0.3])


def _history(seed: int = 0, country: str | None = "US") -> History:
    rng = np.random.default_rng(seed)
    step = np.where(np.arange(len(INDEX)) >= len(INDEX) - 21, 1.6, 1.0)  # a new level
    y = pd.Series(rng.poisson(120 * WEEKLY[INDEX.day_of_week] * step).astype(float), index=INDEX)
    return History(SeriesKey("billing", "phone"), Freq.DAILY, y, country=country)


@pytest.fixture
def learnt(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A fresh, small reading cache, and how many times day effects were learnt."""
    monkeypatch.setattr(adjusted, "_READINGS", adjusted.LastUsed(size=2))
    calls: list[int] = []
    original = adjusted.learn_day_effects

    def counting(daily: pd.Series, kinds: pd.Series, whole: pd.Series | None = None, *,
                 commonly_worked: frozenset[str] = frozenset(), without_calendar: bool = False
                 ) -> tuple[adjusted.DayEffects, pd.Series]:
        calls.append(len(daily))
        return original(daily, kinds, whole, commonly_worked=commonly_worked,
                        without_calendar=without_calendar)

    monkeypatch.setattr(adjusted, "learn_day_effects", counting)
    return calls


def test_models_fitting_the_same_history_share_one_reading(learnt: list[int]) -> None:
    history = _history()
    first = CalendarAdjusted(WeekAverage(weeks=8)).fit(history).predict(14, LEVELS)
    same_counts = replace(history, y=history.y.copy())
    CalendarAdjusted(Ets()).fit(same_counts)
    again = CalendarAdjusted(WeekAverage(weeks=8)).fit(same_counts).predict(14, LEVELS)
    assert len(learnt) == 1
    np.testing.assert_array_equal(first.mean, again.mean)


def test_another_history_is_read_afresh(learnt: list[int]) -> None:
    history = _history()
    model = CalendarAdjusted(WeekAverage(weeks=8))
    model.fit(history)
    one_more = history.y.copy()
    one_more.iloc[-1] += 1
    model.fit(replace(history, y=one_more))
    model.fit(replace(history, country="DE"))
    model.fit(replace(history, y=history.y.iloc[:-7]))
    assert len(learnt) == 4
    model.fit(history)  # pushed out of a two-reading cache by now
    assert len(learnt) == 5


def test_one_reading_serves_models_that_follow_a_new_level_and_those_that_do_not(
        learnt: list[int]) -> None:
    history = _history()
    follows = CalendarAdjusted(WeekAverage(weeks=8)).fit(history).predict(7, LEVELS)
    keeps = CalendarAdjusted(WeekAverage(weeks=8), follow_level_shifts=False).fit(history)
    assert len(learnt) == 1
    recent = history.y.iloc[-21:].mean() / history.y.iloc[-56:-21].mean()
    assert recent > 1.4
    # Following the step forecasts the new level; not following it averages across it.
    assert follows.mean.sum() > keeps.predict(7, LEVELS).mean.sum() * 1.15


def _office_hours(days: int, seed: int = 0) -> History:
    """Hourly counts, 60 an hour from 08:00 to 18:00 every day, from a Monday."""
    index = pd.date_range("2024-02-12", periods=days * 24, freq="h")
    open_ = (index.hour >= 8) & (index.hour < 18)
    y = pd.Series(np.random.default_rng(seed).poisson(np.where(open_, 60.0, 0.0)),
                  index=index, dtype=float)
    return History(SeriesKey("billing", "phone"), Freq.H60, y)


def test_a_history_cut_part_way_through_a_day_reads_that_day_as_no_yardstick() -> None:
    # A backtest's fold may end at 03:00: the day's three empty night hours are no
    # measure of a Monday, and last Monday is no surge against them.
    history = _office_hours(15)
    cut = replace(history, y=history.y.iloc[:7 * 24 + 3])
    monday = CalendarAdjusted(WeekAverage(weeks=8)).fit(cut).predict(24, LEVELS)
    opening = monday.mean[5:15]  # 08:00 to 17:00 of the Monday cut short
    assert opening == pytest.approx(cut.y.iloc[8:18].to_numpy(), rel=0.01)


def test_a_day_ending_once_the_queue_shut_is_whole() -> None:
    history = _office_hours(10 * 7)
    ends_at_six = replace(history, y=history.y.iloc[:-5])  # 19:00 onwards not sent
    assert adjusted._whole_days(ends_at_six, adjusted.normalise_day(
        pd.DatetimeIndex(ends_at_six.y.index))).all()
    ends_at_noon = replace(history, y=history.y.iloc[:-11])
    whole = adjusted._whole_days(ends_at_noon, adjusted.normalise_day(
        pd.DatetimeIndex(ends_at_noon.y.index)))
    assert not whole.iloc[-1] and whole.iloc[:-1].all()
