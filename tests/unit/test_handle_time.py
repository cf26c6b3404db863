"""Handle time: ingest of aht_seconds, per-slot profiles and their fallbacks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.errors import InvalidInput, InvalidParameter
from forecast.handle_time import AhtDefaults, learn_aht_profile
from forecast.ingest import load_inquiries, read_inquiry_csv
from forecast.series import Freq, SeriesKey

KEY = SeriesKey("billing", "phone")


def _load(text: str) -> pd.DataFrame:
    return load_inquiries(read_inquiry_csv(text.encode()), timezone="Asia/Seoul",
                          base_interval=Freq.M30)


# --- ingest ----------------------------------------------------------------------------


def test_raw_events_average_handle_time_per_bucket() -> None:
    out = _load("ts,category,aht_seconds\n2026-03-02T09:01:00,a,100\n"
                "2026-03-02T09:10:00,a,200\n2026-03-02T09:20:00,a,\n"
                "2026-03-02T09:40:00,a,\n")
    assert out["count"].tolist() == [3, 1]
    assert out["aht_seconds"].iloc[0] == pytest.approx(150.0)
    assert np.isnan(out["aht_seconds"].iloc[1])


def test_counts_average_handle_time_weighted_by_count() -> None:
    out = _load("ts,category,count,aht_seconds\n2026-03-02T09:00:00,a,1,100\n"
                "2026-03-02T09:20:00,a,3,300\n2026-03-02T09:40:00,a,0,50\n")
    # 20-minute steps are not a supported interval: bucketed to 30 minutes
    assert out["count"].tolist() == [4, 0]
    assert out["aht_seconds"].iloc[0] == pytest.approx(250.0)
    assert np.isnan(out["aht_seconds"].iloc[1])  # no contacts, no handle time


def test_counts_at_their_own_interval_keep_their_handle_time() -> None:
    out = _load("ts,category,channel,count,aht_seconds\n2026-03-02T09:00:00,a,chat,4,61.5\n"
                "2026-03-02T09:30:00,a,chat,2,80\n")
    assert out.columns.tolist() == ["ts", "category", "channel", "freq", "count",
                                    "aht_seconds"]
    assert out["aht_seconds"].tolist() == [61.5, 80.0]


def test_files_without_handle_time_have_no_such_column() -> None:
    out = _load("ts,category,count\n2026-03-02T09:00:00,a,4\n2026-03-02T09:30:00,a,2\n")
    assert "aht_seconds" not in out.columns


@pytest.mark.parametrize("bad", ["-5", "abc", "inf"])
def test_bad_handle_times_name_row_and_column(bad: str) -> None:
    with pytest.raises(InvalidInput) as info:
        _load(f"ts,category,aht_seconds\n2026-03-02T09:01:00,a,100\n2026-03-02T09:02:00,a,{bad}\n")
    assert (info.value.row, info.value.column) == (3, "aht_seconds")
    assert repr(bad) in str(info.value)


# --- profiles ----------------------------------------------------------------------------


def _history(weeks: int, seconds: float = 200.0, *, monday_nine: float | None = None
             ) -> pd.DataFrame:
    ts = pd.date_range("2026-01-05", periods=weeks * 7 * 48, freq="30min", tz="Asia/Seoul")
    aht = np.full(len(ts), seconds)
    if monday_nine is not None:
        aht[(ts.day_of_week == 0) & (ts.hour == 9) & (ts.minute == 0)] = monday_nine
    return pd.DataFrame({"ts": ts, "count": 10.0, "aht_seconds": aht})


def test_slots_with_enough_history_use_their_own_mean() -> None:
    profile = learn_aht_profile(_history(8, monday_nine=400.0), KEY, Freq.M30,
                                defaults=AhtDefaults())
    ts = pd.DatetimeIndex(["2026-03-02 09:00", "2026-03-02 09:30", "2026-03-03 09:00"],
                          tz="Asia/Seoul")
    values = profile.at(ts)
    assert values[0] == pytest.approx(400.0)
    assert values[1:] == pytest.approx([200.0, 200.0])


def test_only_the_last_weeks_count_and_means_are_weighted_by_contacts() -> None:
    old = _history(12, 900.0)
    recent = old["ts"] > old["ts"].max() - pd.Timedelta(weeks=8)
    old.loc[recent, "aht_seconds"] = 100.0
    old.loc[recent & (old["ts"].dt.hour == 10), ["count", "aht_seconds"]] = [30.0, 300.0]
    profile = learn_aht_profile(old, KEY, Freq.M30, defaults=AhtDefaults())
    assert profile.at(pd.DatetimeIndex(["2026-04-06 09:00"], tz="Asia/Seoul"))[0] == 100.0
    share = (30.0 * 300.0 * 2 + 10.0 * 100.0 * 46) / (30.0 * 2 + 10.0 * 46)
    assert profile.series_seconds == pytest.approx(share)


def test_thin_slots_fall_back_to_the_series_mean_then_settings() -> None:
    single_week = _history(1, 150.0)
    profile = learn_aht_profile(single_week, KEY, Freq.M30,
                                defaults=AhtDefaults(default_aht_seconds=999.0))
    ts = pd.DatetimeIndex(["2026-03-02 09:00"], tz="Asia/Seoul")
    assert profile.at(ts)[0] == pytest.approx(150.0)  # one bucket per slot is too thin
    empty = single_week.iloc[:0]
    by_category = AhtDefaults(default_aht_seconds=300.0, by_category={"billing": 240.0})
    assert learn_aht_profile(empty, KEY, Freq.M30, defaults=by_category).at(ts)[0] == 240.0
    other = SeriesKey("refund", "phone")
    assert learn_aht_profile(empty, other, Freq.M30, defaults=by_category).at(ts)[0] == 300.0


def test_zero_handle_times_and_idle_buckets_are_not_measurements() -> None:
    history = _history(8, 120.0)
    history.loc[history["ts"].dt.hour == 9, "aht_seconds"] = 0.0
    history.loc[history["ts"].dt.hour == 10, "count"] = 0.0
    history.loc[history["ts"].dt.hour == 10, "aht_seconds"] = 5000.0
    profile = learn_aht_profile(history, KEY, Freq.M30, defaults=AhtDefaults())
    ts = pd.DatetimeIndex(["2026-03-02 09:00", "2026-03-02 10:00"], tz="Asia/Seoul")
    assert profile.at(ts) == pytest.approx([120.0, 120.0])


def test_unknown_handle_time_names_the_series_and_the_fix() -> None:
    profile = learn_aht_profile(_history(1).iloc[:0], KEY, Freq.M30, defaults=AhtDefaults())
    with pytest.raises(InvalidParameter, match="billing/phone.*default_aht_seconds"):
        profile.at(pd.DatetimeIndex(["2026-03-02 09:00"], tz="Asia/Seoul"))


def test_daily_series_profile_by_weekday() -> None:
    ts = pd.date_range("2026-01-05", periods=56, freq="D")
    aht = np.where(ts.day_of_week == 0, 300.0, 200.0)
    history = pd.DataFrame({"ts": ts, "count": 50.0, "aht_seconds": aht})
    profile = learn_aht_profile(history, KEY, Freq.DAILY, defaults=AhtDefaults())
    assert profile.at(pd.DatetimeIndex(["2026-03-02", "2026-03-03"])) == pytest.approx(
        [300.0, 200.0])
