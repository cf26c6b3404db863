"""Interval forecasts scaled to daily totals, across DST days and closed hours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.errors import InvalidInput
from forecast.temporal import reconcile_to_daily
from jobs.fit import _publishable

BERLIN = "Europe/Berlin"


def _intraday(start: str, end: str, *, tz: str | None = BERLIN, freq: str = "30min",
              category: str = "billing", channel: str = "phone",
              open_hours: tuple[int, int] = (8, 20)) -> pd.DataFrame:
    ts = pd.date_range(start, end, freq=freq, tz=tz, inclusive="left")
    hour = ts.hour.to_numpy()
    yhat = np.where((hour >= open_hours[0]) & (hour < open_hours[1]), 2.0 + hour % 5, 0.0)
    return pd.DataFrame({"ts": ts, "category": category, "channel": channel, "freq": freq,
                         "yhat": yhat, "lo80": yhat * 0.8, "hi80": yhat * 1.2,
                         "lo95": yhat * 0.6, "hi95": yhat * 1.5, "model": "mstl"})


def _daily(days: list[str], totals: list[float], *, tz: str | None = BERLIN,
           category: str = "billing", channel: str = "phone") -> pd.DataFrame:
    ts = pd.DatetimeIndex(pd.to_datetime(days))
    ts = ts.tz_localize(tz) if tz else ts
    return pd.DataFrame({"ts": ts, "category": category, "channel": channel, "freq": "D",
                         "yhat": totals, "model": "ets"})


def _day_sums(frame: pd.DataFrame, column: str = "yhat") -> pd.Series:
    days = frame["ts"].dt.tz_localize(None).dt.normalize() if frame["ts"].dt.tz else \
        frame["ts"].dt.normalize()
    return frame.groupby(days)[column].sum()


@pytest.mark.parametrize(("day", "intervals"), [
    ("2026-03-29", 46),  # spring forward: 23 hours
    ("2026-10-25", 50),  # fall back: 25 hours
    ("2026-03-30", 48),
])
def test_dst_days_sum_to_the_daily_forecast(day: str, intervals: int) -> None:
    next_day = (pd.Timestamp(day) + pd.Timedelta(days=1)).date().isoformat()
    intraday = _intraday(day, next_day, open_hours=(0, 24))
    assert len(intraday) == intervals
    out = reconcile_to_daily(intraday, _daily([day], [500.0]))
    assert out["yhat"].sum() == pytest.approx(500.0)
    factor = 500.0 / intraday["yhat"].sum()
    for column in ("lo80", "hi80", "lo95", "hi95"):
        np.testing.assert_allclose(out[column], intraday[column] * factor)
    assert out["ts"].equals(intraday["ts"])


def test_closed_intervals_stay_zero_and_the_shape_is_kept() -> None:
    intraday = _intraday("2026-03-02", "2026-03-04")
    out = reconcile_to_daily(intraday, _daily(["2026-03-02", "2026-03-03"], [300.0, 30.0]))
    sums = _day_sums(out)
    assert sums.tolist() == pytest.approx([300.0, 30.0])
    closed = intraday["yhat"] == 0
    assert (out.loc[closed, ["yhat", "lo80", "hi80", "lo95", "hi95"]] == 0).all().all()
    first_day = out["ts"].dt.day == 2
    ratio = out.loc[first_day & ~closed, "yhat"] / intraday.loc[first_day & ~closed, "yhat"]
    assert ratio.nunique() == 1


def test_days_without_a_daily_forecast_or_with_zero_intervals_are_left_alone() -> None:
    intraday = _intraday("2026-03-02", "2026-03-05")
    intraday.loc[intraday["ts"].dt.day == 4, ["yhat", "lo80", "hi80", "lo95", "hi95"]] = 0.0
    daily = _daily(["2026-03-02", "2026-03-04"], [100.0, 80.0])
    out = reconcile_to_daily(intraday, daily)
    sums = _day_sums(out)
    assert sums.iloc[0] == pytest.approx(100.0)
    assert sums.iloc[1] == pytest.approx(_day_sums(intraday).iloc[1])  # no daily row
    assert sums.iloc[2] == 0.0  # intervals sum to 0, daily does not


def test_partial_days_at_the_horizon_edges_are_not_scaled() -> None:
    intraday = _intraday("2026-03-02T13:00", "2026-03-04T12:00", open_hours=(0, 24))
    out = reconcile_to_daily(intraday, _daily(["2026-03-02", "2026-03-03", "2026-03-04"],
                                              [1000.0, 1000.0, 1000.0]))
    sums, before = _day_sums(out), _day_sums(intraday)
    assert sums.iloc[0] == pytest.approx(before.iloc[0])
    assert sums.iloc[1] == pytest.approx(1000.0)
    assert sums.iloc[2] == pytest.approx(before.iloc[2])


def test_series_and_naive_stamps_are_matched_by_key() -> None:
    phone = _intraday("2026-03-02", "2026-03-03", tz=None)
    chat = _intraday("2026-03-02", "2026-03-03", tz=None, channel="chat", freq="60min")
    daily = pd.concat([_daily(["2026-03-02"], [90.0], tz=None),
                       _daily(["2026-03-02"], [10.0], tz=None, channel="chat")])
    out = reconcile_to_daily(pd.concat([phone, chat], ignore_index=True), daily)
    assert out.groupby("channel")["yhat"].sum().to_dict() == pytest.approx(
        {"phone": 90.0, "chat": 10.0})


def test_missing_columns_and_unknown_freq_are_named() -> None:
    with pytest.raises(InvalidInput, match="freq"):
        reconcile_to_daily(_intraday("2026-03-02", "2026-03-03").drop(columns="freq"),
                           _daily(["2026-03-02"], [1.0]))
    with pytest.raises(InvalidInput, match="'D'"):
        reconcile_to_daily(_intraday("2026-03-02", "2026-03-03").assign(freq="D"),
                           _daily(["2026-03-02"], [1.0]))


def test_published_intervals_match_daily_rows_and_parents_stay_coherent() -> None:
    """The fit job's publication step: naive local forecasts in, Berlin DST week out."""
    frames = []
    for channel, total in (("phone", 400.0), ("chat", 100.0)):
        naive = _intraday("2026-03-28", "2026-03-31", tz=None, channel=channel)
        frames.append(naive)
        days = ["2026-03-28", "2026-03-29", "2026-03-30"]
        frames.append(_daily(days, [total] * 3, tz=None, channel=channel).assign(
            lo80=total * 0.9, hi80=total * 1.1, lo95=total * 0.8, hi95=total * 1.2))
    rows = _publishable(frames, BERLIN)
    intraday = rows[rows["freq"] == "30min"]
    daily = rows[rows["freq"] == "D"]
    for (category, channel), part in intraday.groupby(["category", "channel"]):
        want = daily[(daily["category"] == category) & (daily["channel"] == channel)]
        assert _day_sums(part).to_numpy() == pytest.approx(want["yhat"].to_numpy())
    totals = intraday[(intraday["channel"] == "") & (intraday["category"] == "billing")]
    totals = totals.set_index("ts")["yhat"]
    children = intraday[intraday["channel"] != ""].groupby("ts")["yhat"].sum()
    np.testing.assert_allclose(totals.sort_index(), children.sort_index())
    assert str(intraday["ts"].dt.tz) == BERLIN
