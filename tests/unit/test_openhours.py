"""Opening hours learnt from history: closed slots forecast zero, unknown ones do not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.openhours import learn_open_hours, without_partial_last_day
from forecast.series import Freq


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
