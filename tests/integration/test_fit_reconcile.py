"""The fit job publishes interval forecasts that sum to the daily forecast of their day."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data.store import open_store
from forecast.ingest import ingest_into, read_inquiry_csv
from forecast.series import Freq
from jobs.fit import FitConfig, run_fit_job
from tests.conftest import hourly_counts

pytestmark = pytest.mark.integration


def test_published_intervals_sum_to_the_daily_forecast_across_dst(tmp_path: Path) -> None:
    counts = hourly_counts(5)  # ends 2026-10-11; the horizon covers Berlin's 25-hour day
    frames = [pd.DataFrame({"ts": counts.index.strftime("%Y-%m-%dT%H:%M:%S"),
                            "category": "refund", "channel": channel,
                            "count": (counts * share).round().astype(int)})
              for channel, share in (("phone", 1.0), ("chat", 0.5))]
    path = tmp_path / "hourly.csv"
    pd.concat(frames).to_csv(path, index=False)
    store = open_store(f"sqlite:///{tmp_path / 'fit.db'}")
    try:
        ingest_into(store, read_inquiry_csv(path), timezone="Europe/Berlin",
                    base_interval=Freq.M30)
        run_fit_job(store, FitConfig(timezone="Europe/Berlin", country=None,
                                     model="mstl", daily_horizon_days=21,
                                     intraday_horizon_days=21, workers=1))
        hourly = store.latest_forecast(freq=Freq.H60)
        daily = store.latest_forecast(freq=Freq.DAILY)
    finally:
        store.dispose()
    local = hourly.assign(day=hourly["ts"].dt.tz_convert("Europe/Berlin").dt.date)
    sums = local.groupby(["category", "channel", "day"])["yhat"].sum()
    days = daily.assign(day=daily["ts"].dt.tz_convert("Europe/Berlin").dt.date)
    totals = days.set_index(["category", "channel", "day"])["yhat"]
    common = sums.index.intersection(totals.index)
    assert len(common) >= 3 * 20  # three series, every complete day
    pd.testing.assert_series_equal(sums[common], totals[common], check_names=False, rtol=1e-6)
    fall_back = local[(local["day"] == pd.Timestamp("2026-10-25").date())
                      & (local["channel"] == "phone")]
    assert len(fall_back) in (24, 25)
    assert ("refund", "phone", pd.Timestamp("2026-10-25").date()) in common


def test_a_store_read_mid_day_forecasts_that_day_whole(tmp_path: Path) -> None:
    counts = hourly_counts(5)
    counts = counts[counts.index < counts.index[-1].normalize() + pd.Timedelta(hours=12)]
    path = tmp_path / "hourly.csv"
    pd.DataFrame({"ts": counts.index.strftime("%Y-%m-%dT%H:%M:%S"), "category": "refund",
                  "count": counts.astype(int)}).to_csv(path, index=False)
    store = open_store(f"sqlite:///{tmp_path / 'fit.db'}")
    try:
        ingest_into(store, read_inquiry_csv(path), timezone="UTC", base_interval=Freq.H60)
        run_fit_job(store, FitConfig(timezone="UTC", country=None, model="ets",
                                     daily_horizon_days=7, intraday_horizon_days=7,
                                     workers=1))
        daily = store.latest_forecast(freq=Freq.DAILY)
    finally:
        store.dispose()
    today = counts.index[-1].normalize()
    first = daily.sort_values("ts").iloc[0]
    assert first["ts"].tz_convert("UTC").tz_localize(None) == today
    same_weekday = counts[counts.index.normalize() == today - pd.Timedelta(days=7)].sum()
    assert first["yhat"] == pytest.approx(same_weekday, rel=0.25)  # a whole day, not a half
