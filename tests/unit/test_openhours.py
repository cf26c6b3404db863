"""Opening hours learnt from history: closed slots forecast zero, unknown ones do not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.openhours import (
    hours_changed_at,
    learn_open_hours,
    prepare_history,
    regular_grid,
    stray_rates,
    with_current_hours,
    without_leading_empty_days,
    without_partial_last_day,
)
from forecast.series import Freq, SeriesKey, future_index, make_forecast


def test_weekdays_not_reached_yet_are_open() -> None:
    three_days = pd.Series([5.0, 6.0, 7.0], index=pd.date_range("2025-12-29", periods=3))
    assert learn_open_hours(three_days, Freq.DAILY).open_slots.all()


def test_unseen_weekdays_open_at_the_hours_seen() -> None:
    stamps = pd.date_range("2026-03-02", periods=2 * 24, freq="h")  # Monday and Tuesday
    counts = pd.Series(np.where((stamps.hour >= 9) & (stamps.hour < 17), 4.0, 0.0),
                       index=stamps)
    by_day = learn_open_hours(counts, Freq.H60).open_slots.reshape(7, 24)
    assert (by_day == by_day[0]).all()
    assert by_day[4, 9:17].all() and not by_day[4, :9].any()


def test_a_weekday_skipped_by_the_export_stays_closed() -> None:
    days = pd.date_range("2026-01-05", periods=8 * 7)
    weekdays = days[days.day_of_week < 5]
    counts = pd.Series(100.0, index=weekdays).reindex(days)  # weekends missing (NaN)
    open_ = learn_open_hours(counts, Freq.DAILY).open_slots
    assert open_[:5].all() and not open_[5:].any()


def test_empty_weekdays_of_a_quiet_queue_are_chance_not_closures() -> None:
    days = pd.date_range("2026-01-05", periods=8 * 7)
    weekday = np.asarray(days.day_of_week)
    quiet = pd.Series(np.random.default_rng(5).poisson(0.25, len(days)).astype(float),
                      index=days)
    assert quiet[weekday == 2].sum() == 0  # no contact on eight Wednesdays in a row
    assert learn_open_hours(quiet, Freq.DAILY).open_slots.all()
    busy = pd.Series(np.where(weekday < 5, 4.0, 0.0), index=days)
    open_ = learn_open_hours(busy, Freq.DAILY).open_slots
    assert open_[:5].all() and not open_[5:].any()  # 8 empty Saturdays at 4 a day: shut


def test_a_queue_starts_on_its_first_day_with_a_contact() -> None:
    stamps = pd.date_range("2026-03-02", periods=10 * 24, freq="h")
    counts = pd.Series(np.where(stamps >= pd.Timestamp("2026-03-05 10:00"), 3.0, 0.0),
                       index=stamps)  # a zero-filled export of a category added on day 4
    kept = without_leading_empty_days(counts)
    assert kept.index.min() == pd.Timestamp("2026-03-05 00:00")  # the whole first day
    history, _ = prepare_history(counts, SeriesKey("new", ""), Freq.H60)
    assert history.y.index[0] == pd.Timestamp("2026-03-05 00:00")
    quiet = pd.Series(0.0, index=stamps)
    assert without_leading_empty_days(quiet).equals(quiet)


def _office_hours(days: int) -> pd.Series:
    """Open 09-17 every day, 10 an hour; closed hours absent."""
    stamps = pd.date_range("2026-03-02", periods=days * 24, freq="h")
    return pd.Series(10.0, index=stamps[(stamps.hour >= 9) & (stamps.hour < 17)])


def test_a_last_day_cut_while_open_is_left_out() -> None:
    cut_at_noon = _office_hours(15)[lambda s: s.index < "2026-03-16 12:00"]
    kept = without_partial_last_day(cut_at_noon, Freq.H60)
    assert kept.index.max() == pd.Timestamp("2026-03-15 16:00")


def test_a_last_day_read_after_closing_or_the_only_day_stays() -> None:
    after_closing = _office_hours(15)
    assert without_partial_last_day(after_closing, Freq.H60).equals(after_closing)
    first_morning = _office_hours(1)[lambda s: s.index < "2026-03-02 12:00"]
    assert without_partial_last_day(first_morning, Freq.H60).equals(first_morning)
    daily = pd.Series(5.0, index=pd.date_range("2026-03-02", periods=20))
    assert without_partial_last_day(daily, Freq.DAILY).equals(daily)


def test_a_last_day_with_only_its_quiet_end_missing_stays() -> None:
    stamps = pd.date_range("2026-03-02", periods=15 * 24, freq="h")
    stamps = stamps[(stamps.hour >= 9) & (stamps.hour < 23)]
    counts = pd.Series(np.where(stamps.hour >= 22, 0.2, 10.0), index=stamps)  # 22-23 quiet
    read_at_ten = counts[counts.index < "2026-03-16 22:00"]
    assert without_partial_last_day(read_at_ten, Freq.H60).equals(read_at_ten)
    read_at_noon = counts[counts.index < "2026-03-16 12:00"]
    assert without_partial_last_day(read_at_noon, Freq.H60).index.max() < pd.Timestamp(
        "2026-03-16")


def _hours_moved(weeks_before: int, weeks_after: int, seed: int = 3) -> pd.Series:
    """Hourly, open 09-18 on weekdays, then 08-20 (an operating-hours-only export)."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2025-03-03", periods=(weeks_before + weeks_after) * 7 * 24, freq="h")
    later = index >= index[0] + pd.Timedelta(weeks=weeks_before)
    hour, weekday = index.hour, index.day_of_week
    is_open = (weekday < 5) & np.where(later, (hour >= 8) & (hour < 20), (hour >= 9) & (hour < 18))
    counts = pd.Series(rng.poisson(20.0, len(index)).astype(float), index=index)
    return counts[is_open]


def test_new_opening_hours_are_found_and_the_older_days_spread_over_them() -> None:
    counts = _hours_moved(6, 3)
    grid = regular_grid(counts, Freq.H60)
    changed = hours_changed_at(grid, Freq.H60)
    assert changed == pd.Timestamp("2025-04-14")  # the first Monday of the new hours
    spread = with_current_hours(grid, Freq.H60)
    days = pd.DatetimeIndex(grid.index).normalize()
    pd.testing.assert_series_equal(spread.groupby(days).sum(), grid.groupby(days).sum())
    before = spread[pd.DatetimeIndex(spread.index) < changed]
    hours = pd.DatetimeIndex(before.index).hour
    assert before[hours == 8].sum() > 0 and before[hours == 19].sum() > 0
    history, open_hours = prepare_history(counts, SeriesKey("billing", ""), Freq.H60)
    slots = pd.date_range("2025-05-05", periods=24, freq="h")  # a Monday
    assert list(np.flatnonzero(open_hours.mask(slots))) == list(range(8, 20))
    assert history.y.index[-1] == grid.index[-1]


def test_steady_hours_and_a_change_too_recent_to_judge_are_left_alone() -> None:
    for counts in (_hours_moved(9, 0), _hours_moved(8, 1)):
        grid = regular_grid(counts, Freq.H60)
        assert hours_changed_at(grid, Freq.H60) is None
        pd.testing.assert_series_equal(with_current_hours(grid, Freq.H60), grid)


def test_quiet_slots_of_a_sparse_queue_keep_a_band_but_a_shut_queue_does_not() -> None:
    stamps = pd.date_range("2026-03-02", periods=6 * 7 * 24, freq="h")
    rng = np.random.default_rng(5)
    sparse = pd.Series(rng.poisson(0.15, len(stamps)).astype(float), index=stamps)
    hours = learn_open_hours(sparse, Freq.H60)
    assert not hours.open_slots.all()  # some weekly slots saw nothing in six weeks
    flat = np.full(168, 0.15)
    forecast = hours.apply(make_forecast(
        future_index(stamps[-1], Freq.H60, 168), flat,
        {80: (flat * 0, flat + 1.0), 95: (flat * 0, flat + 2.0)}, "test"))
    quiet = ~hours.mask(forecast.ds)
    assert (forecast.mean[quiet] == 0).all()
    assert (forecast.bounds[95][1][quiet] >= 1).all()  # a stray contact stays inside
    office = _office_hours(28)  # 09-17, closed hours absent
    shut = stray_rates(regular_grid(office, Freq.H60), Freq.H60,
                       learn_open_hours(regular_grid(office, Freq.H60), Freq.H60).open_slots)
    assert (shut == 0).all()
