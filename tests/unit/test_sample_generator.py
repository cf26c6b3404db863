"""The Seoul sample generator: determinism, shape, calendar behaviour and the files it writes."""

from __future__ import annotations

import gzip
from datetime import time
from pathlib import Path

import holidays
import numpy as np
import pandas as pd
import pytest

from data.samples.generate import (
    DAILY_FILE,
    EVENTS_FILE,
    INTRADAY_FILE,
    SampleData,
    daily_totals,
    generate,
    main,
    write_samples,
)
from forecast.errors import InvalidParameter

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
CATEGORIES = {
    "delivery",
    "refund",
    "payment",
    "account",
    "product",
    "app-bug",
    "membership",
    "other",
}
CHANNELS = {"phone", "chat", "email"}
KEYS = ["ts", "category", "channel"]


@pytest.fixture(scope="module")
def seollal() -> SampleData:
    """Ten weeks around Seollal 2026 (break Sat 14 - Wed 18 February)."""
    return generate(7, end="2026-03-15", days=70)


@pytest.fixture(scope="module")
def seollal_daily(seollal: SampleData) -> pd.DataFrame:
    return daily_totals(seollal.counts_30min)


def _total(daily: pd.DataFrame, day: str, channels: set[str] = CHANNELS) -> int:
    rows = daily[(daily["ts"] == pd.Timestamp(day)) & daily["channel"].isin(channels)]
    return int(rows["count"].sum())


def test_same_seed_gives_same_data() -> None:
    first = generate(3, end="2026-01-31", days=21)
    second = generate(3, end="2026-01-31", days=21)
    for name in ("counts_30min", "mean_30min", "events", "spikes"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))


def test_other_seed_gives_other_counts() -> None:
    first = generate(3, end="2026-01-31", days=21)
    other = generate(4, end="2026-01-31", days=21)
    assert not first.counts_30min["count"].equals(other.counts_30min["count"])


def test_a_day_is_the_same_in_overlapping_windows() -> None:
    longer = generate(7, end="2026-03-15", days=30)
    shorter = generate(7, end="2026-03-01", days=10)
    ts = longer.counts_30min["ts"]
    inside = (ts >= pd.Timestamp("2026-02-20")) & (ts < pd.Timestamp("2026-03-02"))
    overlap = longer.counts_30min[inside]
    pd.testing.assert_frame_equal(overlap.reset_index(drop=True), shorter.counts_30min)


def test_frames_have_the_contract_columns_and_values(seollal: SampleData) -> None:
    counts, mean = seollal.counts_30min, seollal.mean_30min
    assert list(counts.columns) == [*KEYS, "count"]
    assert list(mean.columns) == [*KEYS, "mean"]
    pd.testing.assert_frame_equal(counts[KEYS], mean[KEYS])
    assert set(counts["category"]) == CATEGORIES
    assert set(counts["channel"]) == CHANNELS
    assert counts["count"].dtype == np.int64
    assert (counts["count"] >= 0).all()
    assert (mean["mean"] > 0).all()
    assert counts["ts"].dt.tz is None
    assert (counts["ts"].dt.minute % 30 == 0).all() and (counts["ts"].dt.second == 0).all()
    assert not counts.duplicated(KEYS).any()
    assert counts["ts"].min() == pd.Timestamp("2026-01-05")
    assert counts["ts"].max() == pd.Timestamp("2026-03-15 23:30")


def test_phone_is_open_9_to_18_and_closed_on_sundays_and_holidays(seollal: SampleData) -> None:
    phone = seollal.counts_30min[seollal.counts_30min["channel"] == "phone"]
    clock = phone["ts"].dt.time
    assert ((clock >= time(9, 0)) & (clock < time(18, 0))).all()
    days = phone["ts"].dt.normalize()
    assert (days.dt.day_of_week != 6).all()
    kr = holidays.country_holidays("KR", years=2026)
    assert not days.dt.date.isin(list(kr)).any()
    weekday = phone[days == pd.Timestamp("2026-03-04")]
    assert len(weekday) == 8 * 18


def test_chat_keeps_its_hours_and_email_runs_around_the_clock(seollal: SampleData) -> None:
    counts = seollal.counts_30min
    chat = counts[counts["channel"] == "chat"]["ts"].dt.time
    assert ((chat >= time(8, 0)) & (chat < time(22, 0))).all()
    email = counts[counts["channel"] == "email"]
    assert len(email) == 70 * 48 * 8
    assert len(counts[(counts["channel"] == "chat")]) == 70 * 28 * 8


def test_seollal_is_far_below_a_normal_day(seollal_daily: pd.DataFrame) -> None:
    open_channels = {"chat", "email"}
    normal = np.mean(
        [
            _total(seollal_daily, d, open_channels)
            for d in ("2026-01-13", "2026-01-20", "2026-01-27", "2026-03-10")
        ]
    )
    assert _total(seollal_daily, "2026-02-17", open_channels) < 0.5 * normal


def test_volume_rebounds_after_seollal(seollal_daily: pd.DataFrame) -> None:
    normal = np.mean(
        [_total(seollal_daily, d) for d in ("2026-01-15", "2026-01-22", "2026-03-05", "2026-03-12")]
    )
    assert _total(seollal_daily, "2026-02-19") > 1.25 * normal


def test_daily_totals_match_the_30min_sums(seollal: SampleData) -> None:
    for frame, value in ((seollal.counts_30min, "count"), (seollal.mean_30min, "mean")):
        daily = daily_totals(frame)
        assert list(daily.columns) == [*KEYS, value]
        assert (daily["ts"] == daily["ts"].dt.normalize()).all()
        assert daily[value].sum() == pytest.approx(frame[value].sum())
        one = frame[
            (frame["category"] == "refund")
            & (frame["channel"] == "chat")
            & (frame["ts"].dt.normalize() == pd.Timestamp("2026-02-02"))
        ]
        row = daily[
            (daily["category"] == "refund")
            & (daily["channel"] == "chat")
            & (daily["ts"] == pd.Timestamp("2026-02-02"))
        ]
        assert row[value].item() == pytest.approx(one[value].sum())
    days = daily_totals(seollal.counts_30min)
    phone_days = days[days["channel"] == "phone"]["ts"]
    assert (phone_days.dt.day_of_week != 6).all()


def test_daily_totals_names_missing_columns() -> None:
    with pytest.raises(InvalidParameter, match="frame columns"):
        daily_totals(pd.DataFrame({"ts": pd.to_datetime(["2026-01-01"]), "count": [1]}))


def test_weekends_are_much_lower_than_weekdays(seollal_daily: pd.DataFrame) -> None:
    per_day = seollal_daily.groupby("ts")["count"].sum()
    march = per_day[per_day.index >= pd.Timestamp("2026-03-03")]
    weekend = march[march.index.day_of_week >= 5].mean()
    weekday = march[march.index.day_of_week < 5].mean()
    assert weekday > 1.8 * weekend


def test_phone_has_a_lunch_dip(seollal: SampleData) -> None:
    mean = seollal.mean_30min
    day = mean[
        (mean["ts"].dt.normalize() == pd.Timestamp("2026-03-04")) & (mean["channel"] == "phone")
    ]
    by_hour = day.groupby(day["ts"].dt.hour)["mean"].sum()
    assert by_hour[12] < 0.8 * by_hour[11]
    assert by_hour[12] < 0.8 * by_hour[13]


def test_counts_are_over_dispersed(seollal: SampleData) -> None:
    joined = seollal.counts_30min.assign(mean=seollal.mean_30min["mean"])
    busy = joined[joined["mean"] > 5]
    pearson = ((busy["count"] - busy["mean"]) ** 2 / busy["mean"]).mean()
    assert pearson > 1.2


def test_random_spikes_multiply_the_mean() -> None:
    spiked = generate(7, end="2026-06-30", days=120)
    other = generate(8, end="2026-06-30", days=120)
    random_spikes = spiked.spikes[spiked.spikes["name"].str.startswith("spike-")]
    assert len(random_spikes) >= 3
    ratio = spiked.mean_30min["mean"] / other.mean_30min["mean"]
    for row in random_spikes.itertuples(index=False):
        inside = (
            (spiked.mean_30min["ts"] >= row.onset)
            & (spiked.mean_30min["ts"] < row.end)
            & (spiked.mean_30min["category"] == row.category)
            & (spiked.mean_30min["channel"] == row.channel)
        )
        assert inside.sum() == (row.end - row.onset) / pd.Timedelta(minutes=30)
        assert ratio[inside].to_numpy() == pytest.approx(row.factor)


def test_outage_spikes_app_bug_and_is_listed() -> None:
    data = generate(7, end="2026-10-16", days=7)
    mean = data.mean_30min
    app_chat = mean[(mean["category"] == "app-bug") & (mean["channel"] == "chat")]
    at = app_chat.set_index("ts")["mean"]
    assert at[pd.Timestamp("2026-10-14 11:00")] > 5 * at[pd.Timestamp("2026-10-15 11:00")]
    outage = data.events[data.events["kind"] == "outage"]
    assert outage["name"].tolist() == ["login-outage"]
    assert set(data.spikes["name"]) >= {"login-outage"}


def test_events_frame_lists_window_and_known_future_events() -> None:
    data = generate(7, end="2026-11-15", days=30)
    events = data.events
    assert list(events.columns) == ["name", "kind", "start", "end", "categories"]
    assert set(events["kind"]) <= {"launch", "campaign", "outage", "policy"}
    assert (events["end"] >= events["start"]).all()
    assert "year-end-promo-2026" in set(events["name"])
    assert "summer-sale-2024" not in set(events["name"])
    for scope in events["categories"]:
        assert scope == "" or set(scope.split(";")) <= CATEGORIES


def test_refund_policy_shifts_the_level() -> None:
    mean = daily_totals(generate(7, end="2025-10-31", days=120).mean_30min)
    refund = mean[mean["category"] == "refund"].groupby("ts")["mean"].sum()
    before = refund["2025-07-28":"2025-08-24"].mean()
    after = refund["2025-10-13":"2025-10-31"].mean()
    assert after > 1.2 * before


def test_write_samples_is_byte_identical_and_keeps_recent_intraday(tmp_path: Path) -> None:
    data = generate(7, end="2026-03-15", days=40)
    first = write_samples(data, tmp_path / "a", intraday_days=14)
    second = write_samples(data, tmp_path / "b", intraday_days=14)
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes()
    daily = pd.read_csv(tmp_path / "a" / DAILY_FILE)
    assert list(daily.columns) == KEYS + ["count"]
    assert daily["ts"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert daily["ts"].nunique() == 40
    intraday = pd.read_csv(tmp_path / "a" / INTRADAY_FILE)
    assert intraday["ts"].str.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00").all()
    assert intraday["ts"].min() == "2026-03-02T00:00:00"
    assert (intraday["count"] == 0).any()
    events = pd.read_csv(tmp_path / "a" / EVENTS_FILE, keep_default_na=False)
    assert list(events.columns) == ["name", "kind", "start", "end", "categories"]
    assert (tmp_path / "a" / DAILY_FILE).read_bytes()[4:8] == b"\x00\x00\x00\x00"


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"years": 0}, "years"),
        ({"days": 0}, "days"),
        ({"end": "not a date"}, "end"),
        ({"end": "2026-11-15T10:00"}, "end"),
        ({"seed": -1}, "seed"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(InvalidParameter, match=name):
        generate(**kwargs)  # type: ignore[arg-type]


@pytest.mark.slow
def test_shipped_files_are_what_the_generator_writes(tmp_path: Path) -> None:
    assert main(["--out-dir", str(tmp_path)]) == 0
    for name in (DAILY_FILE, INTRADAY_FILE, EVENTS_FILE):
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name
    size = sum((SAMPLES / name).stat().st_size for name in (DAILY_FILE, INTRADAY_FILE))
    assert size < 1_500_000
    with gzip.open(SAMPLES / DAILY_FILE, "rt") as handle:
        daily = pd.read_csv(handle)
    assert (daily["ts"].min(), daily["ts"].max()) == ("2023-11-16", "2026-11-15")
