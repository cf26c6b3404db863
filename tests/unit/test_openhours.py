"""Opening hours learnt from history: closed slots forecast zero, unknown ones do not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.openhours import learn_open_hours
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
