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


def _quiet_quarter_hours(seed: int, opening_rush: float = 2.0) -> pd.Series:
    """Open 9-17 on weekdays at 2 contacts per 15 minutes (`opening_rush` at 9:00),
    Poisson, 8 weeks."""
    index = pd.date_range("2025-01-06", periods=8 * 7 * 96, freq="15min")
    open_ = (index.hour >= 9) & (index.hour < 17) & (index.day_of_week < 5)
    first = (index.hour == 9) & (index.minute == 0)
    mean = np.where(open_, np.where(first, opening_rush, 2.0), 0.0)
    draws = np.random.default_rng(seed).poisson(mean)
    return pd.Series(draws.astype(float), index=index)


def test_sparse_slots_borrow_from_their_neighbours_and_closed_ones_stay_closed() -> None:
    errors = []
    for seed in range(3):
        history, _ = prepare_history(_quiet_quarter_hours(seed), KEY, Freq.M15)
        forecast = DailySplit(WeekAverage(weeks=4)).fit(history).predict(96)
        hours = pd.DatetimeIndex(forecast.ds).hour
        inside = (hours >= 9) & (hours < 17)
        assert forecast.mean[~inside].max() == 0.0
        share = forecast.mean[inside] / forecast.mean.sum()
        errors.append(float(np.abs(share * 32 - 1).mean()))
    # Each slot's own eight days give a share off by 0.14 on average; with its
    # neighbours' counts lent to it, 0.10.
    assert np.mean(errors) < 0.11


def test_an_opening_rush_every_weekday_shares_is_not_smoothed_away() -> None:
    ratios = []
    for seed in range(3):
        history, _ = prepare_history(_quiet_quarter_hours(seed, opening_rush=6.0), KEY,
                                     Freq.M15)
        forecast = DailySplit(WeekAverage(weeks=4)).fit(history).predict(96)
        stamps = pd.DatetimeIndex(forecast.ds)
        rush = (stamps.hour == 9) & (stamps.minute == 0)
        ratios.append(forecast.mean[rush][0] / forecast.mean.sum() / (6.0 / 68.0))
    # Smoothed towards its own neighbours, the rush lost 12%; read against the profile
    # pooled over weekdays, which has the rush too, it keeps it.
    assert abs(np.mean(ratios) - 1.0) < 0.06


def test_a_one_off_burst_does_not_reshape_the_profile() -> None:
    """Open 8-20 every day at 20 an hour, Poisson; one Monday at 13:00 got 200."""
    index = pd.date_range("2025-01-06", periods=6 * 7 * 24, freq="h")
    open_ = (index.hour >= 8) & (index.hour < 20)
    counts = np.random.default_rng(4).poisson(np.where(open_, 20.0, 0.0)).astype(float)
    counts[(index == pd.Timestamp("2025-01-27 13:00"))] = 200.0
    history, _ = prepare_history(pd.Series(counts, index=index), KEY, Freq.H60)
    forecast = DailySplit(WeekAverage(weeks=4)).fit(history).predict(24)
    at_one = forecast.mean[pd.DatetimeIndex(forecast.ds).hour == 13][0]
    # The burst's week of six in the profile would have lifted 13:00 to a fifth above the
    # other hours; read as the slot's usual share, it stays level with them.
    assert at_one / (forecast.mean.sum() / 12) < 1.08
