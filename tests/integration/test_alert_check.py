"""The alert check over a real store: findings, the CLI, delivery and the scheduler jobs."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from data.store import SqlStore, open_store
from forecast.alert_check import AlertConfig, find_alerts
from forecast.alerts import AlertState, Notice, Rule
from forecast.handle_time import AhtDefaults
from forecast.interval_staffing import StaffingTargets
from forecast.settings import Settings
from forecast.spikes import PeakParams
from forecast.store import ACCURACY_COLUMNS, FORECAST_COLUMNS
from jobs.alert_commands import ALERT_CHECK_JOB_ID, NOTIFY_JOB_ID
from jobs.cli import main
from jobs.scheduler import build_scheduler
from tests.integration.test_alert_delivery import Receiver, receiver  # noqa: F401

pytestmark = pytest.mark.integration

TZ = "Asia/Seoul"
TODAY = pd.Timestamp("2026-03-02", tz=TZ)  # a Monday
OPEN = [pd.Timedelta(minutes=30 * k) for k in range(18, 36)]  # 09:00-18:00
PEAK_DAY = TODAY + pd.Timedelta(days=4)  # Friday
CONFIG = AlertConfig(timezone=TZ, staffing=StaffingTargets(0.8, 20.0),
                     aht=AhtDefaults(default_aht_seconds=300.0))


def _slots(days: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([d + offset for d in days for offset in OPEN])


def _weekdays(start: pd.Timestamp, count: int) -> pd.DatetimeIndex:
    days = pd.date_range(start, periods=count, freq="D")
    return days[days.day_of_week < 5]


def _rows(ts: pd.DatetimeIndex, key: tuple[str, str], freq: str, yhat: np.ndarray
          ) -> pd.DataFrame:
    return pd.DataFrame({"ts": ts, "category": key[0], "channel": key[1], "freq": freq,
                         "yhat": yhat, "lo80": yhat * 0.8, "hi80": yhat * 1.25,
                         "lo95": yhat * 0.7, "hi95": yhat * 1.5, "model": "test"})


def _seed(store: SqlStore, today_counts: list[float], *, peak: float = 400.0) -> None:
    """Five weeks of 10 per open interval (180 a day), today's counts so far, and a
    published run: 180 a weekday with `peak` on PEAK_DAY (hi80 = 1.25 x yhat)."""
    history = _slots(_weekdays(TODAY - pd.Timedelta(weeks=5), 35))
    today = _slots(pd.DatetimeIndex([TODAY]))[:len(today_counts)]
    for key in (("refund", "phone"), ("closed", "chat")):
        counts = np.r_[np.full(len(history), 10.0), today_counts]
        store.upsert_observations(pd.DataFrame({
            "ts": history.append(today), "category": key[0], "channel": key[1],
            "freq": "30min", "count": counts}))
    days = pd.date_range(TODAY, periods=10, freq="D")
    daily = np.where(days.day_of_week < 5, 180.0, 0.0)
    daily[days == PEAK_DAY] = peak
    slots = _slots(days)
    intraday = np.where(slots.day_of_week < 5, 10.0, 0.0)
    frames = [_rows(days, ("refund", "phone"), "D", daily),
              _rows(slots, ("refund", "phone"), "30min", intraday),
              _rows(slots, ("closed", "chat"), "30min", np.zeros(len(slots)))]
    forecast = pd.concat(frames, ignore_index=True)[list(FORECAST_COLUMNS)]
    store.save_run("run-1", forecast, pd.DataFrame(columns=list(ACCURACY_COLUMNS)))
    store.publish_run("run-1")


def test_find_alerts_sees_the_peak_ahead_and_the_breakout_now(store: SqlStore) -> None:
    _seed(store, [10, 10, 10, 40, 45, 50])  # 10:30 onwards runs 4-5x the forecast
    found = find_alerts(store, CONFIG, as_of=(TODAY + pd.Timedelta(hours=12)).to_pydatetime())
    assert set(found.rules) == {Rule.AHEAD, Rule.BREAKOUT}
    by_rule = {a.rule: a for a in found.alerts}
    assert len(found.alerts) == 2  # the closed queue's calls raise nothing
    peak = by_rule[Rule.AHEAD]
    assert peak.key.label() == "refund/phone"
    assert pd.Timestamp(peak.start) == PEAK_DAY and (peak.volume, peak.baseline) == (400, 180)
    assert peak.agents_needed is not None and peak.agents_needed >= 2
    live = by_rule[Rule.BREAKOUT]
    assert pd.Timestamp(live.start) == TODAY + pd.Timedelta(hours=10, minutes=30)
    assert pd.Timestamp(live.end) == TODAY + pd.Timedelta(hours=12)
    assert (live.volume, live.baseline) == (135.0, 30.0)
    assert live.day_forecast == 180.0 and live.projected_total > 200.0


def test_a_likely_peak_alerts_though_its_forecast_is_below_the_threshold(
        store: SqlStore) -> None:
    _seed(store, [10, 10, 10], peak=250.0)  # threshold 270 (1.5 x 180); hi80 312
    as_of = (TODAY + pd.Timedelta(hours=10)).to_pydatetime()
    found = find_alerts(store, CONFIG, as_of=as_of)
    [peak] = [a for a in found.alerts if a.rule is Rule.AHEAD]
    assert pd.Timestamp(peak.start) == PEAK_DAY and peak.volume == 250.0
    strict = replace(CONFIG, peak=PeakParams(probability=0.5))  # the forecast must reach it
    assert not find_alerts(store, strict, as_of=as_of).alerts


def test_no_published_run_evaluates_nothing(store: SqlStore) -> None:
    found = find_alerts(store, CONFIG, as_of=TODAY.to_pydatetime())
    assert found.alerts == () and found.rules == ()


def test_cli_check_queues_and_notify_delivers(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    receiver: tuple[Receiver, str],  # noqa: F811
) -> None:
    got, base = receiver
    store = open_store(database_url)
    try:
        _seed(store, [10, 10, 10, 40, 45, 50, 10, 10, 10, 10])
    finally:
        store.dispose()
    for name, value in {"DATABASE_URL": database_url, "TIMEZONE": TZ,
                        "WEBHOOK_URL": f"{base}/hook", "DEFAULT_AHT_SECONDS": "300"}.items():
        monkeypatch.setenv(f"VOCAST_{name}", value)
    assert main(["alerts", "check", "--as-of", "2026-03-02T12:00:00"]) == 0
    assert main(["notify"]) == 0
    assert main(["alerts", "check", "--as-of", "2026-03-02T14:00:00"]) == 0  # calm again
    assert main(["notify"]) == 0
    assert main(["alerts", "check", "--as-of", "not a time"]) == 2
    store = open_store(database_url)
    try:
        states = {a.alert.rule: a.state for a in store.list_alerts()}
        notices = [(m.notice, m.status) for m in store.list_outbox()]
    finally:
        store.dispose()
    assert states == {Rule.AHEAD: AlertState.FIRING, Rule.BREAKOUT: AlertState.RESOLVED}
    assert sorted(notices) == sorted([(Notice.FIRING, "delivered")] * 2
                                     + [(Notice.RESOLVED, "delivered")])
    assert len(got.unique("/hook")) == 2
    logged = capsys.readouterr().err
    assert f"{base}/hook" not in logged and f"{base}/<redacted>" in logged  # secret kept out


def test_scheduler_registers_the_check_and_the_delivery(tmp_path: object) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/s.db", alert_check_seconds=120,
                        notify_seconds=30, slack_webhook_url="https://hooks.example/T/B/x")
    scheduler = build_scheduler(settings, BackgroundScheduler)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert jobs[ALERT_CHECK_JOB_ID].trigger.interval.total_seconds() == 120
    assert jobs[NOTIFY_JOB_ID].trigger.interval.total_seconds() == 30
    assert jobs[ALERT_CHECK_JOB_ID].kwargs["targets"] == ["slack"]


def test_as_of_in_the_past_reads_the_actuals_known_then(store: SqlStore) -> None:
    _seed(store, [10, 10, 10, 40, 45, 50])
    early = find_alerts(store, CONFIG, as_of=datetime.fromisoformat("2026-03-02T10:30:00+09:00"))
    assert [a.rule for a in early.alerts] == [Rule.AHEAD]
