"""Recent level shifts: found where the queue stepped and stays, not in noise or bumps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.level_shift import recent_level_shift
from forecast.models.adjusted import CalendarAdjusted
from forecast.models.naive import WeekAverage
from forecast.models.registry import build_model
from forecast.models.split import DailySplit
from forecast.openhours import prepare_history
from forecast.series import LEVELS, Freq, SeriesKey

WEEKLY = np.array([1.2, 1.1, 1.0, 1.0, 0.9, 0.5, 0.3])
INDEX = pd.date_range("2025-01-06", periods=20 * 7, freq="D")  # 20 weeks from a Monday
EVERY_DAY = pd.Series(True, index=INDEX)


def counts(seed: int, level: float = 80.0, factor: np.ndarray | float = 1.0) -> pd.Series:
    rng = np.random.default_rng(seed)
    mean = level * WEEKLY[INDEX.day_of_week] * factor
    return pd.Series(rng.poisson(mean).astype(float), index=INDEX)


def stepped(days_before_end: int, factor: float) -> np.ndarray:
    return np.where(np.arange(len(INDEX)) >= len(INDEX) - days_before_end, factor, 1.0)


@pytest.mark.parametrize(("days", "factor"), [(10, 1.5), (21, 0.6), (45, 1.4)])
def test_a_step_that_stays_is_found_where_it_began(days: int, factor: float) -> None:
    for seed in range(3):
        shift = recent_level_shift(counts(seed, factor=stepped(days, factor)), EVERY_DAY)
        assert shift is not None
        assert abs((INDEX[-days] - shift.start).days) <= 2
        assert shift.factor == pytest.approx(factor, rel=0.1)


@pytest.mark.parametrize("level", [3.0, 20.0, 80.0, 600.0])
def test_steady_queues_have_no_shift(level: float) -> None:
    for seed in range(10):
        assert recent_level_shift(counts(seed, level), EVERY_DAY) is None


QUIET_WEEKENDS = np.array([1.1, 1.0, 1.0, 1.0, 0.9, 0.08, 0.06])  # Sat/Sun about 5 calls


def _weekday_queue(seed: int, factor: np.ndarray | float = 1.0) -> np.ndarray:
    """70 a weekday, a handful at the weekend; negative binomial (a busy day +-22%)."""
    rng = np.random.default_rng(seed)
    mean = 70.0 * QUIET_WEEKENDS[INDEX.day_of_week] * factor
    return rng.poisson(rng.gamma(20.0, mean / 20.0)).astype(float)


def test_quiet_weekends_weigh_by_their_own_noise() -> None:
    """Nine days a little low on weekdays (-15%, within a busy day's noise) whose weekend
    days came in at 1 and 2 against a typical 5: read day by day with equal weight, the
    weekends' log ratios read as a step (5 of these 20 queues, at -20% to -23%)."""
    weekend = INDEX[-9:].day_of_week >= 5
    found = 0
    for seed in range(20):
        values = _weekday_queue(seed)
        values[-9:] = np.where(weekend, np.minimum(values[-9:], 2.0), 0.85 * values[-9:])
        found += recent_level_shift(pd.Series(values, index=INDEX), EVERY_DAY) is not None
    assert found <= 1
    for seed in range(3):  # the same queue's real step is read
        step = pd.Series(_weekday_queue(seed, stepped(21, 0.6)), index=INDEX)
        shift = recent_level_shift(step, EVERY_DAY)
        assert shift is not None and shift.factor == pytest.approx(0.6, rel=0.2)


def test_steady_growth_is_not_a_step() -> None:
    growth = np.exp(np.log(1.3) * np.arange(len(INDEX)) / 365)  # +30% a year
    for seed in range(5):
        assert recent_level_shift(counts(seed, factor=growth), EVERY_DAY) is None


def test_a_campaign_that_ended_is_not_a_new_level() -> None:
    bump = np.ones(len(INDEX))
    bump[-21:-7] = 1.8  # two busy weeks, then a normal last week
    for seed in range(5):
        assert recent_level_shift(counts(seed, factor=bump), EVERY_DAY) is None


def test_a_peak_fading_over_the_last_days_is_not_a_new_level() -> None:
    fading = np.ones(len(INDEX))
    fading[-7:] = 1 + 0.6 * np.exp(-np.arange(7) / 2)  # bills out on the 1st: x1.6 fading
    for seed in range(5):
        assert recent_level_shift(counts(seed, factor=fading), EVERY_DAY) is None


@pytest.mark.parametrize(("since", "half_life"), [(7, 3.0), (14, 7.0), (21, 7.0)])
def test_a_shock_wearing_off_is_not_a_new_level(since: int, half_life: float) -> None:
    # An incident tripled the volume `since` days before the end, halving back every
    # `half_life` days: still up 40-70% at the end, but no step.
    age = np.arange(len(INDEX)) - (len(INDEX) - since)
    shock = np.where(age >= 0, 1 + 2 * 0.5 ** (np.maximum(age, 0) / half_life), 1.0)
    for seed in range(5):
        assert recent_level_shift(counts(seed, level=200.0, factor=shock), EVERY_DAY) is None


def test_a_step_older_than_the_weeks_read_is_not_found_again() -> None:
    for seed in range(5):
        shift = recent_level_shift(counts(seed, factor=stepped(70, 1.6)), EVERY_DAY)
        assert shift is None


def test_a_category_gone_quiet_needs_two_weeks() -> None:
    assert recent_level_shift(counts(0, factor=stepped(10, 0.0)), EVERY_DAY) is None
    shift = recent_level_shift(counts(0, factor=stepped(21, 0.0)), EVERY_DAY)
    assert shift is not None and shift.factor == 0.0


def test_days_that_are_not_ordinary_are_not_read() -> None:
    closed = counts(0, factor=stepped(12, 0.0))
    ordinary = pd.Series(INDEX < INDEX[-12], index=INDEX)  # a known holiday break
    assert recent_level_shift(closed, EVERY_DAY) is None  # under two weeks anyway
    assert recent_level_shift(counts(0, factor=stepped(20, 0.4)), ordinary.shift(
        -8, fill_value=False)) is None  # only 4 ordinary days after the step


def test_every_model_forecasts_from_the_new_level() -> None:
    key = SeriesKey("refunds", "")
    before, after = 100.0 * WEEKLY, 60.0 * WEEKLY
    exact = pd.Series(100.0 * WEEKLY[INDEX.day_of_week] * stepped(17, 0.6), index=INDEX)
    history, _ = prepare_history(exact, key, Freq.DAILY)
    plain = WeekAverage(weeks=8).fit(history).predict(7, LEVELS)
    adjusted = CalendarAdjusted(WeekAverage(weeks=8)).fit(history).predict(7, LEVELS)
    assert plain.mean.sum() > 1.2 * after.sum()  # half the eight weeks at the old level
    np.testing.assert_allclose(adjusted.mean, after, rtol=0.05)
    steady = pd.Series(100.0 * WEEKLY[INDEX.day_of_week], index=INDEX)
    history, _ = prepare_history(steady, key, Freq.DAILY)
    adjusted = CalendarAdjusted(WeekAverage(weeks=8)).fit(history).predict(7, LEVELS)
    np.testing.assert_allclose(adjusted.mean, before, rtol=0.01)


def test_a_file_cut_at_noon_still_shows_the_new_level() -> None:
    rng = np.random.default_rng(5)
    index = pd.date_range("2025-01-06", periods=10 * 7 * 24, freq="h")
    open_hours = (index.hour >= 8) & (index.hour < 20)
    step = np.where(index >= index[-1].normalize() - pd.Timedelta(days=7), 1.6, 1.0)
    mean = np.where(open_hours, 12.0 * WEEKLY[index.day_of_week] * step, 0.0)
    counts = pd.Series(rng.poisson(mean).astype(float), index=index)
    cut = counts[counts.index < index[-1].normalize() + pd.Timedelta(hours=12)]
    history, _ = prepare_history(cut, SeriesKey("orders", ""), Freq.H60)
    model = CalendarAdjusted(DailySplit(WeekAverage(weeks=8)))
    forecast = model.fit(history).predict(12 + 7 * 24, LEVELS)
    week = forecast.mean[12:].sum()
    # The half day cut at noon is no measure of the level: read as one, 10% lower.
    assert week == pytest.approx(1.6 * 12.0 * 12 * WEEKLY.sum(), rel=0.05)


def test_a_lull_the_same_weeks_a_year_before_is_the_season_not_a_level() -> None:
    days = pd.date_range("2023-01-02", "2024-12-31", freq="D")
    lull = ((days.month == 12) & (days.day >= 17)) | ((days.month == 1) & (days.day <= 2))
    stepped_now = days >= pd.Timestamp("2024-12-10")
    rng = np.random.default_rng(2)
    every_day = pd.Series(True, index=days)
    base = 80.0 * WEEKLY[days.day_of_week]
    seasonal = pd.Series(rng.poisson(base * np.where(lull, 0.6, 1.0)).astype(float), index=days)
    assert recent_level_shift(seasonal, every_day) is None
    closed = pd.Series(np.where(lull, 0.0, seasonal), index=days)  # shut over the holidays
    assert recent_level_shift(closed, every_day) is None
    assert recent_level_shift(seasonal[days >= "2024-03-01"], every_day) is not None  # < a year
    new = pd.Series(rng.poisson(base * np.where(stepped_now, 0.6, 1.0)).astype(float), index=days)
    shift = recent_level_shift(new, every_day)
    assert shift is not None and shift.factor == pytest.approx(0.6, rel=0.2)


def test_a_category_gone_quiet_is_forecast_quiet_by_models_of_the_year_too() -> None:
    days = pd.date_range("2022-01-03", "2023-12-31", freq="D")
    mean = 100.0 * WEEKLY[days.day_of_week] * np.where(days >= "2023-12-10", 0.0, 1.0)
    counts = pd.Series(np.random.default_rng(4).poisson(mean).astype(float), index=days)
    history, _ = prepare_history(counts, SeriesKey("retired", ""), Freq.DAILY)
    for name in ("week_average_yoy", "ets_yoy", "harmonic"):
        forecast = build_model(name, Freq.DAILY, horizon=28).fit(history).predict(28, LEVELS)
        assert forecast.mean.sum() < 28, name  # under one contact a day, not ~90
