"""`vocast events` as a real process, and stored events reaching the models in the fit job."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from data.store import open_store
from forecast.calendar import Event
from forecast.ingest import ingest_into, read_inquiry_csv
from forecast.series import Freq, SeriesKey
from jobs.fit import FitConfig, run_fit_job
from jobs.scheduler import scheduled_fit
from tests.conftest import daily_counts

pytestmark = pytest.mark.integration

TIMEZONE = "Asia/Seoul"
LAST_DAY = "2026-11-15"  # a Sunday; forecasts start on Monday 2026-11-16
PAST_CAMPAIGNS = (("2026-08-03", "2026-08-09"), ("2026-09-07", "2026-09-13"),
                  ("2026-10-05", "2026-10-11"))
CAMPAIGN_LIFT = 1.8
OUTAGE_DAY = "2026-11-11"  # the last Wednesday of history


def _vocast(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VOCAST_")}
    env.update(VOCAST_DATABASE_URL=database_url, VOCAST_TIMEZONE=TIMEZONE,
               VOCAST_FIT_WORKERS="1", VOCAST_DAILY_HORIZON_DAYS="14")
    return subprocess.run([sys.executable, "-m", "jobs.cli", *args], capture_output=True,
                          text=True, timeout=300, check=False, env=env)


def _events_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("name,kind,start,end,categories\n" + "".join(f"{r}\n" for r in rows))
    return path


def _counts_csv(path: Path) -> Path:
    """refund has past campaigns lifting volume and a 3x outage spike on the last Wednesday;
    delivery has neither."""
    frames = []
    for category, level in (("refund", 100.0), ("delivery", 150.0)):
        counts = daily_counts(16 * 7, level=level, seed=int(level), end=LAST_DAY)
        if category == "refund":
            for start, end in PAST_CAMPAIGNS:
                counts[start:end] = (counts[start:end] * CAMPAIGN_LIFT).round()
            counts[OUTAGE_DAY] *= 3
        frames.append(pd.DataFrame({"ts": counts.index.strftime("%Y-%m-%d"),
                                    "category": category, "count": counts.astype(int)}))
    pd.concat(frames).to_csv(path, index=False)
    return path


def _stored_events() -> list[Event]:
    """The past campaigns, the outage, and a campaign in the second forecast week."""
    past = [Event(f"past-{i}", "campaign", date.fromisoformat(start), date.fromisoformat(end),
                  ("refund",)) for i, (start, end) in enumerate(PAST_CAMPAIGNS)]
    outage_day = date.fromisoformat(OUTAGE_DAY)
    return [*past, Event("login-outage", "outage", outage_day, outage_day, ("refund",)),
            Event("next", "campaign", date(2026, 11, 23), date(2026, 11, 29), ("refund",))]


@pytest.fixture
def loaded_url(tmp_path: Path) -> str:
    """A store with the counts of `_counts_csv` and no events yet."""
    url = f"sqlite:///{tmp_path / 'var' / 'fit.db'}"
    store = open_store(url)
    ingest_into(store, read_inquiry_csv(_counts_csv(tmp_path / "in.csv")), timezone=TIMEZONE,
                base_interval=Freq.M30)
    store.dispose()
    return url


def test_import_list_and_delete(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'cli.db'}"
    first = _events_csv(tmp_path / "a.csv", ["sale,campaign,2026-07-13,2026-07-19,refund",
                                             "outage,outage,2026-10-14,2026-10-14,"])
    second = _events_csv(tmp_path / "b.csv", ["sale,other,2026-07-13,2026-07-19,refund"])
    bad = _events_csv(tmp_path / "bad.csv", ["x,campaign,2026-07-13,2026-07-19,",
                                             "y,promo,2026-07-13,2026-07-19,"])
    refused = _vocast(url, "events", "import", str(first), str(bad))
    assert refused.returncode == 2
    assert "row 3, column 'kind': unknown kind 'promo'" in refused.stderr
    done = _vocast(url, "events", "import", str(first), str(second))
    assert done.returncode == 0, done.stderr
    assert "2 events inserted" in done.stderr and "1 updated" in done.stderr
    listed = _vocast(url, "events", "list")
    assert listed.returncode == 0, listed.stderr
    frame = pd.read_csv(io.StringIO(listed.stdout), keep_default_na=False, dtype=str)
    assert list(frame.columns) == ["id", "name", "kind", "start", "end", "categories"]
    assert frame[["name", "kind", "categories"]].values.tolist() == [
        ["sale", "other", "refund"], ["outage", "outage", ""]]
    sale_id = frame["id"].iloc[0]
    assert _vocast(url, "events", "delete", sale_id).returncode == 0
    missing = _vocast(url, "events", "delete", sale_id)
    assert missing.returncode == 2 and f"no event with id {sale_id}" in missing.stderr
    store = open_store(url)
    try:
        assert [s.event.name for s in store.list_events()] == ["outage"]
    finally:
        store.dispose()


def test_fit_command_feeds_stored_events_to_the_model(loaded_url: str) -> None:
    store = open_store(loaded_url)
    store.upsert_events(_stored_events())
    store.dispose()
    done = _vocast(loaded_url, "fit", "--model", "ets")
    assert done.returncode == 0, done.stderr
    forecast = _daily_forecast(loaded_url)
    lift = _second_week_over_first(forecast, "refund")
    assert (lift > 1.5).all(), lift
    assert _second_week_over_first(forecast, "delivery").between(0.85, 1.15).all()
    assert 0.85 < _next_wednesday_over_usual(loaded_url) < 1.15


def test_scheduled_fit_reads_the_events_stored_when_it_runs(loaded_url: str) -> None:
    config = FitConfig(timezone=TIMEZONE, country=None, model="ets", daily_horizon_days=14,
                       workers=1)
    store = open_store(loaded_url)
    run_fit_job(store, config)
    store.upsert_events(_stored_events())
    store.dispose()
    without = _second_week_over_first(_daily_forecast(loaded_url), "refund")
    assert without.between(0.85, 1.15).all(), without
    scheduled_fit(loaded_url, config)
    lift = _second_week_over_first(_daily_forecast(loaded_url), "refund")
    assert (lift > 1.5).all(), lift
    assert 0.85 < _next_wednesday_over_usual(loaded_url) < 1.15


def _daily_forecast(url: str) -> pd.DataFrame:
    store = open_store(url)
    try:
        return store.latest_forecast(freq=Freq.DAILY)
    finally:
        store.dispose()


def _second_week_over_first(forecast: pd.DataFrame, category: str) -> pd.Series:
    rows = forecast[(forecast["category"] == category) & (forecast["channel"] == "")]
    yhat = rows.set_index(rows["ts"].dt.tz_convert(TIMEZONE).dt.date)["yhat"]
    first = yhat[[date(2026, 11, 16 + d) for d in range(7)]].to_numpy()
    second = yhat[[date(2026, 11, 23 + d) for d in range(7)]].to_numpy()
    return pd.Series(second / first)


def _next_wednesday_over_usual(url: str) -> float:
    """refund's forecast for the Wednesday after the outage over its usual recent Wednesday."""
    store = open_store(url)
    try:
        rows = store.latest_forecast(category="refund", channel="", freq=Freq.DAILY)
        history = store.load_history(SeriesKey("refund"), Freq.DAILY)
    finally:
        store.dispose()
    yhat = rows.set_index(rows["ts"].dt.tz_convert(TIMEZONE).dt.date)["yhat"]
    days = pd.DatetimeIndex(history.index).tz_convert(TIMEZONE)
    outage_day = date.fromisoformat(OUTAGE_DAY)
    wednesdays = history[(days.day_of_week == 2) & (days.date != outage_day)]
    return float(yhat[date(2026, 11, 18)] / wednesdays.tail(4).mean())
