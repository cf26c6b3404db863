"""The evaluation contract `vocast forecast`, run as a real process on real data."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
COLUMNS = ["ts", "category", "yhat", "lo80", "hi80", "lo95", "hi95", "model"]

pytestmark = pytest.mark.integration


def _vocast(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jobs.cli", *args], capture_output=True,
                          text=True, timeout=300, check=False)


def _assert_nested(frame: pd.DataFrame) -> None:
    assert (frame["lo95"] >= 0).all()
    assert (frame["lo95"] <= frame["lo80"] + 1e-9).all()
    assert (frame["lo80"] <= frame["yhat"] + 1e-9).all()
    assert (frame["yhat"] <= frame["hi80"] + 1e-9).all()
    assert (frame["hi80"] <= frame["hi95"] + 1e-9).all()


def test_daily_forecast_from_a_cutoff(two_category_csv: str, tmp_path: Path) -> None:
    out = tmp_path / "fc.csv"
    done = _vocast("forecast", "--input", two_category_csv, "--freq", "D", "--horizon", "14",
                   "--cutoff", "2026-11-09", "--model", "week_average", "--out", str(out))
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out, dtype={"ts": str})
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 28
    assert frame["ts"].iloc[0] == "2026-11-09"
    assert frame.groupby("category").size().to_dict() == {"delivery": 14, "refund": 14}
    _assert_nested(frame)


def test_stdout_and_default_start(two_category_csv: str) -> None:
    done = _vocast("forecast", "--input", two_category_csv, "--freq", "D", "--horizon", "3",
                   "--model", "seasonal_naive")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert lines[1].startswith("2026-11-16,")


def test_series_on_worker_processes_give_the_same_forecast(two_category_csv: str,
                                                          tmp_path: Path) -> None:
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"fc{workers}.csv"
        done = _vocast("forecast", "--input", two_category_csv, "--freq", "D", "--horizon",
                       "14", "--workers", workers, "--out", str(out))
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1]
    assert outputs[0].count("\n") == 1 + 2 * 14
    refused = _vocast("forecast", "--input", two_category_csv, "--freq", "D", "--horizon",
                      "3", "--workers", "-1")
    assert refused.returncode != 0 and "workers must be 0 (all cores)" in refused.stderr


def test_stamps_written_across_a_clock_change_forecast_on_the_local_clock(
        tmp_path: Path) -> None:
    stamps = pd.date_range("2025-02-03", "2025-03-21", freq="h", tz="America/New_York")
    stamps = stamps[(stamps.hour >= 8) & (stamps.hour < 18) & (stamps.day_of_week < 5)]
    counts = 10 + 5 * (stamps.hour == 12)
    path = tmp_path / "offsets.csv"
    pd.DataFrame({"ts": [t.isoformat() for t in stamps], "category": "billing",
                  "count": counts}).to_csv(path, index=False)
    out = tmp_path / "fc.csv"
    done = _vocast("forecast", "--input", str(path), "--freq", "60min", "--horizon", "72",
                   "--model", "week_average", "--out", str(out))
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out, dtype={"ts": str})
    assert frame["ts"].str.endswith("-04:00").all()  # daylight time, as the input ends
    open_ = frame[frame["yhat"] > 0]["ts"].str[11:13].astype(int)
    assert open_.min() == 8 and open_.max() == 17  # 08-18 local, not shifted by an hour
    assert frame.set_index("ts")["yhat"]["2025-03-21T12:00:00-04:00"] == 15


def test_a_local_clock_export_across_a_fall_back_night_is_forecast(tmp_path: Path) -> None:
    # Naive local stamps of a 24/7 queue: 01:00 comes twice on 2 November 2025.
    stamps = pd.date_range("2025-09-01", "2025-11-20", freq="h", tz="America/New_York",
                           inclusive="left")
    counts = np.where((stamps.hour >= 8) & (stamps.hour < 20), 30, 2)
    path = tmp_path / "local.csv"
    pd.DataFrame({"ts": stamps.tz_localize(None).strftime("%Y-%m-%d %H:%M:%S"),
                  "category": "billing", "count": counts}).to_csv(path, index=False)
    out = tmp_path / "fc.csv"
    done = _vocast("forecast", "--input", str(path), "--freq", "60min", "--horizon", "48",
                   "--model", "seasonal_naive", "--out", str(out))
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out, dtype={"ts": str})
    assert len(frame) == 48 and frame["ts"].iloc[0] == "2025-11-20 00:00:00"
    assert frame["yhat"].tolist()[8:20] == [30.0] * 12


@pytest.mark.parametrize(("start", "cutoff", "skipped", "repeated"), [
    ("2024-10-07", "2025-03-28T00:00:00+01:00", "2025-03-30T02:00:00", None),
    ("2024-03-04", "2024-10-25T00:00:00+02:00", None, "2024-10-27T02:00:00")])
def test_a_horizon_across_a_clock_change_holds_every_real_hour(
        tmp_path: Path, start: str, cutoff: str, skipped: str | None,
        repeated: str | None) -> None:
    stamps = pd.date_range(pd.Timestamp(start, tz="Europe/Berlin"),
                           pd.Timestamp(cutoff).tz_convert("Europe/Berlin"),
                           freq="h", inclusive="left")
    path = tmp_path / "berlin.csv"
    pd.DataFrame({"ts": [t.isoformat() for t in stamps], "category": "chat",
                  "count": 10}).to_csv(path, index=False)
    out = tmp_path / "fc.csv"
    done = _vocast("forecast", "--input", str(path), "--freq", "60min", "--horizon", "168",
                   "--model", "week_average", "--out", str(out))
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out, dtype={"ts": str})
    real = pd.to_datetime(frame["ts"], utc=True)
    assert len(frame) == 168 and real.is_unique
    assert (real.diff().dropna() == pd.Timedelta(hours=1)).all()
    wall = frame["ts"].str[:19]
    if skipped:
        assert not wall.eq(skipped).any()
    if repeated:
        assert wall.eq(repeated).sum() == 2
        assert (frame.loc[wall.eq(repeated), "yhat"] == 10).all()


@pytest.mark.slow
@pytest.mark.skipif(not REAL.exists(), reason="shared real data not beside the checkout")
def test_intraday_bank_data_with_closed_hours(tmp_path: Path) -> None:
    out = tmp_path / "bank.csv"
    done = _vocast("forecast", "--input", str(REAL / "na_bank_calls_2003.csv"), "--freq",
                   "60min", "--horizon", "168", "--cutoff", "2003-10-13T00:00:00",
                   "--holidays", "US", "--out", str(out))
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out, dtype={"ts": str})
    assert len(frame) == 168 and frame["ts"].iloc[0] == "2003-10-13T00:00:00"
    _assert_nested(frame)
    night = frame[frame["ts"].str[11:13].isin(["00", "03", "23"])]
    assert (night["yhat"] == 0).all() and (night["hi95"] == 0).all()
    weekend = frame[pd.to_datetime(frame["ts"]).dt.day_of_week >= 5]
    assert (weekend["yhat"] == 0).all()
    assert frame["yhat"].max() > 1000


@pytest.mark.slow
@pytest.mark.skipif(not REAL.exists(), reason="shared real data not beside the checkout")
def test_daily_real_data_auto(tmp_path: Path) -> None:
    out = tmp_path / "daily.csv"
    done = _vocast("forecast", "--input", str(REAL / "casestudy_daily_calls_2013_2016.csv"),
                   "--freq", "D", "--horizon", "28", "--holidays", "NL", "--out", str(out))
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out, dtype={"ts": str})
    assert len(frame) == 28 and frame["ts"].iloc[0] == "2016-03-01T00:00:00"
    _assert_nested(frame)


@pytest.mark.parametrize(
    ("content", "args", "fragment"),
    [
        ("ts,category,count\n2026-01-01,a,-4\n", (), "row 2, column 'count'"),
        ("", (), "empty"),
        ("ts,category,count\nnot-a-date,a,4\n", (), "row 2, column 'ts'"),
        ("ts,category,count\n2026-01-01,a,4\n", ("--model", "crystal_ball"), "unknown model"),
        ("ts,category,count\n2026-01-01,a,4\n2026-01-02,a,5\n", ("--freq", "60min"),
         "finer intervals"),
        ("ts,category,count\n2026-01-01,a,4\n", ("--freq", "weekly"), "freq must be"),
        ("ts,category,count\n2026-01-01,a,4\n", ("--horizon", "0"),
         "--horizon must be a positive"),
        # Events stamped by date only cannot fill hours; 10-minute counts do not fill
        # 15-minute intervals evenly; a stamp 7,000 years on is a mistyped year.
        ("ts,category\n2026-01-01,a\n2026-01-01,a\n2026-01-02,a\n", ("--freq", "60min"),
         "stamped by date only"),
        ("ts,category,count\n2026-01-01T09:00,a,4\n2026-01-01T09:10,a,5\n"
         "2026-01-01T09:20,a,6\n", ("--freq", "15min"), "10-minute intervals"),
        ("ts,category,count\n2016-01-01,a,4\n2016-01-02,a,5\n9999-01-03,a,6\n", (),
         "row 4, column 'ts': timestamp 9999-01-03"),
    ],
)
def test_bad_input_exits_non_zero_with_one_line(
    tmp_path: Path, content: str, args: tuple[str, ...], fragment: str
) -> None:
    path = tmp_path / "in.csv"
    path.write_text(content)
    base = {"--freq": "D", "--model": "auto"}
    for key, value in zip(args[::2], args[1::2], strict=True):
        base[key] = value
    flat = [item for pair in base.items() for item in pair]
    done = _vocast("forecast", "--input", str(path), "--horizon", "7", *flat)
    assert done.returncode != 0
    assert fragment in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_staffing_contract(tmp_path: Path) -> None:
    forecast = tmp_path / "fc.csv"
    forecast.write_text("ts,category,yhat\n2026-11-16T09:00:00,refund,100\n"
                        "2026-11-16T09:30:00,refund,0\n")
    out = tmp_path / "staff.csv"
    done = _vocast("staffing", "--forecast", str(forecast), "--aht", "180", "--sl", "0.8",
                   "--answer-seconds", "20", "--shrinkage", "0.3", "--max-occupancy", "0.85",
                   "--out", str(out))
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out, dtype={"ts": str})
    assert list(frame.columns) == ["ts", "category", "volume", "agents", "agents_scheduled",
                                   "service_level", "asa_seconds", "occupancy"]
    assert frame["ts"].tolist() == ["2026-11-16T09:00:00", "2026-11-16T09:30:00"]
    assert frame["agents"].tolist() == [14, 0]
    assert frame["agents_scheduled"].tolist() == [20, 0]


def test_staffing_rejects_an_impossible_target(tmp_path: Path) -> None:
    forecast = tmp_path / "fc.csv"
    forecast.write_text("ts,category,yhat\n2026-11-16T09:00:00,refund,100\n")
    done = _vocast("staffing", "--forecast", str(forecast), "--aht", "180", "--sl", "1.5",
                   "--answer-seconds", "20", "--interval-minutes", "30")
    assert done.returncode == 2
    assert "target_service_level must be in (0, 1)" in done.stderr


def test_holidays_come_from_the_data_unless_turned_off(tmp_path: Path) -> None:
    days = pd.date_range("2024-01-01", "2025-09-30", freq="D")
    weekly = pd.Series([1.2, 1.1, 1.0, 1.0, 0.9, 0.4, 0.0])[days.day_of_week].to_numpy()
    closed = days.isin(pd.to_datetime(["2024-01-01", "2024-05-27", "2024-07-04", "2024-09-02",
                                       "2024-11-28", "2024-12-25", "2025-01-01", "2025-05-26",
                                       "2025-07-04", "2025-09-01"]))
    counts = (400 * weekly * ~closed).round()
    source = tmp_path / "in.csv"
    pd.DataFrame({"ts": days.strftime("%Y-%m-%d"), "category": "billing",
                  "count": counts}).to_csv(source, index=False)
    thanksgiving = {}
    for holidays in (None, "none"):
        out = tmp_path / f"{holidays}.csv"
        extra = ("--holidays", holidays) if holidays else ()
        done = _vocast("forecast", "--input", str(source), "--freq", "D", "--horizon", "70",
                       "--model", "week_average_cal", "--out", str(out), *extra)
        assert done.returncode == 0, done.stderr
        frame = pd.read_csv(out).set_index("ts")
        thanksgiving[holidays] = frame.loc["2025-11-27", "yhat"]
    assert thanksgiving[None] < 0.2 * 400
    assert thanksgiving["none"] == pytest.approx(400, rel=0.05)


def test_a_level_that_moved_weeks_ago_is_forecast_from_where_it_is_now(tmp_path: Path) -> None:
    days = pd.date_range("2025-06-02", periods=20 * 7, freq="D")
    weekly = pd.Series([1.2, 1.1, 1.0, 1.0, 0.9, 0.5, 0.3])[days.day_of_week].to_numpy()
    recent = days >= days[-21]
    rng = np.random.default_rng(3)
    levels = {"orders": np.where(recent, 60.0, 120.0),  # a client moved to self-service
              "legacy-card": np.where(recent, 0.0, 40.0),  # a product withdrawn
              "billing": np.full(len(days), 90.0)}
    source = tmp_path / "in.csv"
    pd.concat([pd.DataFrame({"ts": days.strftime("%Y-%m-%d"), "category": name,
                             "count": rng.poisson(level * weekly)})
               for name, level in levels.items()]).to_csv(source, index=False)
    out = tmp_path / "fc.csv"
    done = _vocast("forecast", "--input", str(source), "--freq", "D", "--horizon", "28",
                   "--out", str(out))
    assert done.returncode == 0, done.stderr
    weekly_total = pd.read_csv(out).groupby("category")["yhat"].sum() / 4
    assert weekly_total["orders"] == pytest.approx(60 * weekly.sum() / len(days) * 7, rel=0.15)
    assert weekly_total["legacy-card"] < 1.0
    assert weekly_total["billing"] == pytest.approx(90 * weekly.sum() / len(days) * 7, rel=0.1)


def test_known_events_lift_the_days_they_cover_and_a_bad_row_is_named(tmp_path: Path) -> None:
    days = pd.date_range("2025-06-02", periods=20 * 7, freq="D")
    campaigns = [("2025-07-07", "2025-07-13"), ("2025-09-01", "2025-09-07"),
                 ("2025-10-27", "2025-11-02")]  # the last one is planned, after the cutoff
    lifted = np.zeros(len(days), dtype=bool)
    for start, end in campaigns[:2]:
        lifted |= (days >= start) & (days <= end)
    counts = np.random.default_rng(4).poisson(np.where(lifted, 160.0, 100.0))
    source = tmp_path / "in.csv"
    pd.DataFrame({"ts": days.strftime("%Y-%m-%d"), "category": "orders",
                  "count": counts}).to_csv(source, index=False)
    events = tmp_path / "events.csv"
    events.write_text("name,kind,start,end,categories\n" + "".join(
        f"sale-{n},campaign,{start},{end},orders\n" for n, (start, end) in enumerate(campaigns)))
    planned = pd.date_range(*campaigns[2]).strftime("%Y-%m-%d")
    totals = {}
    for extra in ((), ("--events", str(events))):
        out = tmp_path / f"fc{len(extra)}.csv"
        done = _vocast("forecast", "--input", str(source), "--freq", "D", "--horizon", "21",
                       "--model", "week_average_cal", "--out", str(out), *extra)
        assert done.returncode == 0, done.stderr
        frame = pd.read_csv(out, dtype={"ts": str})
        totals[bool(extra)] = frame[frame["ts"].isin(planned)]["yhat"].sum()
    assert totals[False] == pytest.approx(700, rel=0.1)
    assert totals[True] == pytest.approx(1120, rel=0.1)
    events.write_text("name,kind,start,end,categories\nsale,campaign,2025-13-01,2025-13-07,\n")
    done = _vocast("forecast", "--input", str(source), "--freq", "D", "--horizon", "7",
                   "--events", str(events))
    assert done.returncode != 0
    assert "row 2" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_cutoff_inside_an_interval_forecasts_that_whole_interval(tmp_path: Path) -> None:
    stamps = pd.date_range("2026-01-05 08:00", periods=4 * 7 * 24 * 4, freq="15min")
    events = pd.DataFrame({"ts": [t.isoformat() for t in stamps], "category": "billing"})
    path = tmp_path / "events.csv"
    events.to_csv(path, index=False)
    out = tmp_path / "fc.csv"
    done = _vocast("forecast", "--input", str(path), "--freq", "60min", "--horizon", "3",
                   "--cutoff", "2026-01-30T12:10:00", "--model", "week_average",
                   "--out", str(out))
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out, dtype={"ts": str})
    assert frame["ts"].tolist() == ["2026-01-30T12:00:00", "2026-01-30T13:00:00",
                                    "2026-01-30T14:00:00"]
    # The partial hour before the cutoff is not history: a full hour is forecast (4 events).
    assert frame["yhat"].tolist() == [4.0, 4.0, 4.0]


def test_daily_forecast_from_events_exported_mid_day_leaves_that_day_out(
        tmp_path: Path) -> None:
    hours = pd.date_range("2026-01-05", "2026-02-05 12:00", freq="h", inclusive="left")
    hours = hours[(hours.hour >= 8) & (hours.hour < 20)]
    stamps = [t + pd.Timedelta(minutes=m) for t in hours for m in (10, 40)]  # 24 a day
    path = tmp_path / "events.csv"
    pd.DataFrame({"ts": [t.isoformat() for t in stamps], "category": "billing"}).to_csv(
        path, index=False)
    done = _vocast("forecast", "--input", str(path), "--freq", "D", "--horizon", "2",
                   "--model", "ets")
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(io.StringIO(done.stdout), dtype={"ts": str})
    # Thursday 5 February had 8 of its 24 by noon: not a day of 8, and not forecast again.
    assert frame["ts"].tolist() == ["2026-02-06T00:00:00", "2026-02-07T00:00:00"]
    assert frame["yhat"].to_numpy() == pytest.approx([24.0, 24.0], abs=0.5)


def test_a_reader_that_stops_early_is_not_an_error(two_category_csv: str) -> None:
    command = (f"{sys.executable} -m jobs.cli forecast --input {two_category_csv} --freq D "
               "--horizon 2000 --model seasonal_naive | head -n 1")
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.stdout.startswith("ts,category,yhat")
    assert done.returncode == 0 and "Broken pipe" not in done.stderr, done.stderr


def test_a_file_piped_in_plain_or_gzipped_forecasts_as_from_its_path(
        two_category_csv: str) -> None:
    options = ["--freq", "D", "--horizon", "3", "--model", "week_average"]
    from_path = _vocast("forecast", "--input", two_category_csv, *options)
    assert from_path.returncode == 0, from_path.stderr
    text = Path(two_category_csv).read_bytes()
    for piped in (text, gzip.compress(text), text.replace(b",", b";")):
        done = subprocess.run([sys.executable, "-m", "jobs.cli", "forecast", "--input", "-",
                               *options], input=piped, capture_output=True, timeout=300,
                              check=False)
        assert done.returncode == 0, done.stderr
        assert done.stdout.decode() == from_path.stdout
    broken = subprocess.run([sys.executable, "-m", "jobs.cli", "forecast", "--input", "-",
                             *options], input=gzip.compress(text)[:30], capture_output=True,
                            timeout=300, check=False)
    assert broken.returncode == 2
    assert b"gzipped file cannot be unpacked" in broken.stderr


def test_an_unknown_holiday_country_and_an_all_zero_file(two_category_csv: str,
                                                         tmp_path: Path) -> None:
    refused = _vocast("forecast", "--input", two_category_csv, "--freq", "D", "--horizon",
                      "3", "--holidays", "DE-XX", "--workers", "2")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1].startswith(
        "vocast forecast: holidays must be a country code the holidays package knows")
    assert "'DE-XX'" in refused.stderr
    zeros = tmp_path / "zeros.csv"
    pd.read_csv(two_category_csv).assign(count=0).to_csv(zeros, index=False)
    done = _vocast("forecast", "--input", str(zeros), "--freq", "D", "--horizon", "3")
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(io.StringIO(done.stdout))["yhat"].eq(0).all()


def test_a_named_model_falls_back_only_where_a_series_is_too_short(tmp_path: Path) -> None:
    days = pd.date_range("2026-01-01", periods=60, freq="D")
    rng = np.random.default_rng(3)
    frame = pd.concat([
        pd.DataFrame({"ts": days, "category": "billing", "count": rng.poisson(80, 60)}),
        pd.DataFrame({"ts": days[-5:], "category": "new_queue", "count": [6, 9, 7, 8, 10]}),
    ])
    path = tmp_path / "counts.csv"
    frame.assign(ts=frame["ts"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    done = _vocast("forecast", "--input", str(path), "--freq", "D", "--horizon", "3",
                   "--model", "ets")
    assert done.returncode == 0, done.stderr
    assert "series new_queue failed" in done.stderr and "needs at least 14" in done.stderr
    out = pd.read_csv(io.StringIO(done.stdout))
    models = out.groupby("category")["model"].unique().to_dict()
    assert list(models["billing"]) == ["ets"]
    assert list(models["new_queue"]) == ["recent_mean"]
    assert out.loc[out["category"] == "new_queue", "yhat"].to_numpy() == pytest.approx([8.0] * 3)
