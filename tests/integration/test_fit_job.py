"""The fit job and the scheduler against a real SQLite store."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from data.store import SqlStore, open_store
from forecast.ingest import ingest_into, read_inquiry_csv
from forecast.series import Freq
from forecast.settings import Settings
from jobs.fit import FitConfig, run_fit_job
from jobs.scheduler import FIT_JOB_ID, build_scheduler
from tests.conftest import daily_counts, hourly_counts

pytestmark = pytest.mark.integration


def _channel_csv(path: Path) -> Path:
    frames = []
    for category, channel, level in (("refund", "phone", 60.0), ("refund", "chat", 40.0),
                                     ("delivery", "phone", 150.0)):
        counts = daily_counts(70, level=level, seed=int(level))
        frames.append(pd.DataFrame({"ts": counts.index.strftime("%Y-%m-%d"),
                                    "category": category, "channel": channel,
                                    "count": counts.astype(int)}))
    hourly = hourly_counts(4)
    frames.append(pd.DataFrame({"ts": hourly.index.strftime("%Y-%m-%dT%H:%M:%S"),
                                "category": "refund", "channel": "chat-hourly",
                                "count": hourly.astype(int)}))
    pd.concat(frames).to_csv(path, index=False)
    return path


@pytest.fixture
def loaded_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'var' / 'fit.db'}"
    store = open_store(url)
    ingest_into(store, read_inquiry_csv(_channel_csv(tmp_path / "in.csv")),
                timezone="Asia/Seoul", base_interval=Freq.M30)
    store.dispose()
    return url


def _config(model: str = "auto") -> FitConfig:
    return FitConfig(timezone="Asia/Seoul", country="KR", model=model, daily_horizon_days=14,
                     intraday_horizon_days=2, workers=1)


def test_fit_publishes_a_coherent_run(loaded_url: str) -> None:
    store = open_store(loaded_url)
    report = run_fit_job(store, _config())
    assert store.current_run_id() == report.run_id
    rows = store.latest_forecast(freq=Freq.DAILY)
    keys = set(zip(rows["category"], rows["channel"], strict=True))
    assert {("refund", "phone"), ("refund", "chat"), ("refund", ""), ("(all)", ""),
            ("(all)", "phone")} <= keys
    day = rows[rows["ts"] == rows["ts"].max()].set_index(["category", "channel"])["yhat"]
    children = day[[("refund", "phone"), ("refund", "chat")]]
    assert day[("refund", "")] == pytest.approx(children.sum(), rel=1e-6)
    assert (rows["lo95"] <= rows["lo80"]).all() and (rows["hi80"] <= rows["hi95"]).all()
    hourly = store.latest_forecast(freq=Freq.H60)
    assert len(hourly) == 48
    board = store.latest_accuracy()
    assert board["selected"].sum() >= 1
    jobs = store.list_job_runs()
    assert jobs[0].job == "fit" and jobs[0].status == "success"
    store.dispose()


def _store_with_spans(tmp_path: Path, spans: dict[tuple[str, str], int]) -> SqlStore:
    """A store holding daily series over the same 70 days, each keeping only its first
    `days` (the others stop early)."""
    path = tmp_path / "in.csv"
    rows = []
    for (category, channel), days in spans.items():
        counts = daily_counts(70, level=50.0, seed=days)[:days]
        rows.append(pd.DataFrame({"ts": counts.index.strftime("%Y-%m-%d"),
                                  "category": category, "channel": channel,
                                  "count": counts.astype(int)}))
    pd.concat(rows).to_csv(path, index=False)
    store = open_store(f"sqlite:///{tmp_path / 'spans.db'}")
    ingest_into(store, read_inquiry_csv(path), timezone="Asia/Seoul", base_interval=Freq.M30)
    return store


def test_a_total_of_children_that_move_together_gets_the_wider_band(tmp_path: Path) -> None:
    path = tmp_path / "twins.csv"
    counts = daily_counts(140, level=80.0, seed=9)
    counts[-60:] *= 1.25  # both queues stepped up together: their errors add up
    rows = [pd.DataFrame({"ts": counts.index.strftime("%Y-%m-%d"), "category": "refund",
                          "channel": channel, "count": counts.astype(int)})
            for channel in ("phone", "chat")]
    pd.concat(rows).to_csv(path, index=False)
    store = open_store(f"sqlite:///{tmp_path / 'twins.db'}")
    ingest_into(store, read_inquiry_csv(path), timezone="Asia/Seoul", base_interval=Freq.M30)
    run_fit_job(store, _config())
    daily = store.latest_forecast(freq=Freq.DAILY).set_index(["ts", "category", "channel"])
    half = (daily["hi80"] - daily["yhat"]).unstack(["category", "channel"])
    children = half[[("refund", "phone"), ("refund", "chat")]]
    quadrature = np.sqrt((children ** 2).sum(axis=1))
    # Identical children: the total's errors are twice a child's, not sqrt(2) times.
    assert (half[("refund", "")] >= quadrature - 1e-6).all()
    assert (half[("refund", "")] > 1.2 * quadrature).mean() > 0.5
    store.dispose()


def test_a_series_that_stopped_early_forecasts_from_the_common_start(tmp_path: Path) -> None:
    store = _store_with_spans(tmp_path, {("refund", "phone"): 70, ("refund", "chat"): 68})
    run_fit_job(store, _config("week_average"))
    daily = store.latest_forecast(freq=Freq.DAILY)
    starts = daily.groupby("channel")["ts"].min()
    assert starts.nunique() == 1
    assert starts["chat"].tz_convert("Asia/Seoul").date().isoformat() == "2026-11-16"
    store.dispose()


def test_a_sparse_series_counts_its_silent_days_as_zero(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    days = pd.date_range(end="2026-11-15", periods=10 * 7, freq="D")
    rng = np.random.default_rng(4)
    rare = days[rng.random(len(days)) < 0.3]  # one inquiry on about 30% of days
    busy = np.repeat(days, 20)
    stamps = np.concatenate([busy, rare]) + pd.Timedelta(hours=10)
    categories = ["busy"] * len(busy) + ["rare"] * len(rare)
    pd.DataFrame({"ts": pd.DatetimeIndex(stamps).strftime("%Y-%m-%dT%H:%M:%S"),
                  "category": categories}).to_csv(path, index=False)  # raw events
    store = open_store(f"sqlite:///{tmp_path / 'sparse.db'}")
    ingest_into(store, read_inquiry_csv(path), timezone="Asia/Seoul", base_interval=Freq.M30)
    run_fit_job(store, _config("week_average"))
    daily = store.latest_forecast(freq=Freq.DAILY)
    rare_daily = daily[daily["category"] == "rare"]["yhat"]
    assert 0.15 < rare_daily.mean() < 0.45  # not the ~1 a day of the days it had a row
    store.dispose()


def test_a_retired_category_forecasts_zero_without_breaking_the_run(tmp_path: Path) -> None:
    store = _store_with_spans(tmp_path, {("refund", ""): 70, ("retired", ""): 14})
    run_fit_job(store, _config())
    daily = store.latest_forecast(freq=Freq.DAILY)
    assert (daily[daily["category"] == "retired"]["yhat"] < 1).all()  # was ~50 a day
    board = store.latest_accuracy()
    assert board[board["category"] == "retired"]["wape"].isna().any()
    store.dispose()


def test_refit_replaces_the_run_atomically(loaded_url: str) -> None:
    store = open_store(loaded_url)
    first = run_fit_job(store, _config("week_average"))
    second = run_fit_job(store, _config("seasonal_naive"))
    assert store.current_run_id() == second.run_id != first.run_id
    rows = store.latest_forecast()
    assert set(rows["run_id"]) == {second.run_id}
    store.dispose()


def test_failed_fit_is_recorded(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(Exception, match="no observations"):
        run_fit_job(store, _config())
    job = store.list_job_runs()[0]
    assert job.status == "failed" and "no observations" in (job.error or "")
    store.dispose()


def test_scheduler_persists_and_runs_the_fit_job(loaded_url: str) -> None:
    settings = Settings(database_url=loaded_url, timezone="Asia/Seoul", holiday_country="KR",
                        default_model="week_average", fit_workers=1, daily_horizon_days=7,
                        intraday_horizon_days=1)
    scheduler = build_scheduler(settings, BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job(FIT_JOB_ID)
        assert job is not None and job.next_run_time is not None
        assert job.next_run_time.hour == 2
        job.modify(next_run_time=datetime.now(UTC))
        scheduler.resume()
        store = open_store(loaded_url)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            runs = [r for r in store.list_job_runs() if r.status != "running"]
            if runs:
                break
            time.sleep(0.2)
        assert runs and runs[0].status == "success", runs
        assert store.current_run_id() is not None
        store.dispose()
    finally:
        scheduler.shutdown(wait=True)
    again = build_scheduler(settings, BackgroundScheduler)
    again.start(paused=True)
    try:
        assert again.get_job(FIT_JOB_ID) is not None
    finally:
        again.shutdown(wait=False)
