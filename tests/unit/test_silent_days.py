"""Silence is data: a series silent on a day others have counted 0 that day, and a slot
without a row on a day with rows had no contact (or was closed)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.openhours import prepare_history
from forecast.pipeline import forecast_frame, with_silent_days
from forecast.series import Freq, SeriesKey

KEY = SeriesKey("vip", "")


def _rows(category: str, stamps: pd.DatetimeIndex, counts: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"ts": stamps, "category": category, "channel": "", "count": counts})


def test_silent_days_and_the_common_end_get_zeros() -> None:
    counts = pd.Series([3.0, 5.0], index=pd.to_datetime(["2026-03-02", "2026-03-04"]))
    days = pd.date_range("2026-03-01", "2026-03-06", freq="D")
    padded = with_silent_days(counts, days=days, through=pd.Timestamp("2026-03-07"))
    assert padded.to_dict() == {
        pd.Timestamp("2026-03-02"): 3.0, pd.Timestamp("2026-03-03"): 0.0,
        pd.Timestamp("2026-03-04"): 5.0, pd.Timestamp("2026-03-05"): 0.0,
        pd.Timestamp("2026-03-06"): 0.0, pd.Timestamp("2026-03-07"): 0.0}


def test_nothing_to_add_keeps_the_series() -> None:
    counts = pd.Series([1.0, 2.0], index=pd.to_datetime(["2026-03-02", "2026-03-03"]))
    assert with_silent_days(counts, days=pd.DatetimeIndex(counts.index)).equals(counts)


def test_a_sparse_series_is_not_filled_from_earlier_weeks() -> None:
    days = pd.date_range("2026-01-05", periods=8 * 7, freq="D")
    busy = _rows("busy", days, np.full(len(days), 100))
    # the rare category appears on Mondays only, and its last Monday is two weeks back
    mondays = days[(days.day_of_week == 0) & (days < days[-14])]
    rare = _rows("rare", mondays, np.full(len(mondays), 4))
    out = forecast_frame(pd.concat([busy, rare]), freq=Freq.DAILY, horizon=7,
                         model="week_average")
    starts = out.groupby("category")["ts"].min()
    assert starts["busy"] == starts["rare"] == days[-1] + pd.Timedelta(days=1)
    rare_week = out[out["category"] == "rare"].set_index("ts")["yhat"]
    assert rare_week[rare_week.index.day_of_week != 0].eq(0).all()
    assert 0 < rare_week[rare_week.index.day_of_week == 0].iloc[0] < 4


def test_intraday_series_that_closes_early_starts_with_the_rest() -> None:
    stamps = pd.date_range("2026-01-05", periods=4 * 7 * 24, freq="60min")
    chat = _rows("chat", stamps, np.full(len(stamps), 10))
    office = stamps[(stamps.hour >= 9) & (stamps.hour < 17) & (stamps.day_of_week < 5)]
    phone = _rows("phone", office, np.full(len(office), 20))
    out = forecast_frame(pd.concat([chat, phone]), freq=Freq.H60, horizon=24,
                         model="week_average")
    assert out.groupby("category")["ts"].min().nunique() == 1
    assert out["ts"].min() == stamps[-1] + pd.Timedelta(hours=1)


def _office(level: float, *, lunch_closed: bool, seed: int = 2) -> pd.Series:
    stamps = pd.date_range("2026-01-05", periods=8 * 7 * 48, freq="30min")
    hour = stamps.hour + stamps.minute / 60
    open_ = (hour >= 9) & (hour < 18) & (stamps.day_of_week < 5)
    if lunch_closed:
        open_ &= ~((hour >= 12) & (hour < 13))
    counts = np.random.default_rng(seed).poisson(level, size=len(stamps)) * open_
    return pd.Series(counts.astype(float), index=stamps)


def test_slots_of_a_day_with_rows_are_observed_zeros() -> None:
    sparse = _office(0.15, lunch_closed=False)
    sparse = sparse[sparse > 0]  # raw events: rows only where something happened
    history, _ = prepare_history(sparse, KEY, Freq.M30)
    monday = history.y.index.day_of_week == 0
    assert history.observed_mask()[monday].all()
    assert (history.y[monday] == 0).mean() > 0.5


def test_a_quiet_series_sent_alone_as_rows_only_where_busy_is_silent_on_other_days() -> None:
    days = pd.date_range("2024-01-01", periods=120, freq="D")
    counts = np.random.default_rng(3).poisson(0.3, len(days))
    busy = counts > 0
    rare = _rows("rare", days[busy], counts[busy])
    out = forecast_frame(rare, freq=Freq.DAILY, horizon=28, start=days[-1] + pd.Timedelta(
        days=1), model="week_average")
    # Days without a row were empty, not missing: the level is the series' own mean.
    assert out["yhat"].mean() < 2 * counts.mean()


def test_a_busy_series_with_a_missing_day_is_not_read_as_silent() -> None:
    counts = pd.Series([40.0, 38.0, 41.0, 39.0, 42.0, 37.0, 40.0, 44.0],
                       index=pd.date_range("2026-03-02", periods=9, freq="D").delete(4))
    assert with_silent_days(counts).equals(counts)
