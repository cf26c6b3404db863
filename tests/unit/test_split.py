"""Daily totals split by the intraday profile of recent weeks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.models.naive import WeekAverage
from forecast.models.split import DailySplit
from forecast.openhours import prepare_history
from forecast.series import Freq, SeriesKey

KEY = SeriesKey("billing", "chat")


def _hourly(weeks: int, changed_weeks_ago: int) -> pd.Series:
    """Open 8-20 every day, 120 a day; mornings busy until the change, afternoons after."""
    index = pd.date_range("2025-01-06", periods=weeks * 7 * 24, freq="h")
    change = index[-1] - pd.Timedelta(weeks=changed_weeks_ago)
    morning = (index.hour >= 8) & (index.hour < 14)
    afternoon = (index.hour >= 14) & (index.hour < 20)
    busy = np.where(index <= change, morning, afternoon)
    values = np.where(busy, 15.0, np.where(morning | afternoon, 5.0, 0.0))
    return pd.Series(values, index=index)


def test_profile_follows_a_recent_change_of_shape() -> None:
    history, _ = prepare_history(_hourly(weeks=40, changed_weeks_ago=8), KEY, Freq.H60)
    forecast = DailySplit(WeekAverage(weeks=4)).fit(history).predict(24)
    hours = pd.DatetimeIndex(forecast.ds).hour
    afternoon = forecast.mean[(hours >= 14) & (hours < 20)].sum()
    morning = forecast.mean[(hours >= 8) & (hours < 14)].sum()
    assert afternoon > 1.5 * morning
    assert abs(forecast.mean.sum() - 120.0) < 1.0
