"""`vocast alerts check [--as-of TS]`, `vocast notify`, and the scheduler jobs behind them."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger

from data.store import open_store
from forecast.alert_check import AlertConfig, find_alerts
from forecast.alerts import AlertState, LifecyclePolicy, Notice, plan_changes
from forecast.errors import InvalidParameter
from forecast.handle_time import AhtDefaults
from forecast.interval_staffing import StaffingTargets
from forecast.settings import Settings
from forecast.spikes import BreakoutParams, PeakParams
from forecast.store import Store
from jobs.notifiers import SLACK, WEBHOOK, build_senders, redact_http_logs
from jobs.notify import DeliveryPolicy, DeliveryReport, run_notify_job

logger = logging.getLogger(__name__)

ALERT_CHECK_JOB_ID = "alert-check"
NOTIFY_JOB_ID = "notify"


@dataclass(frozen=True, slots=True)
class CheckReport:
    found: int
    fired: int
    repeated: int
    resolved: int
    queued: int


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    """What a delivery run needs; the URLs are secrets and never logged."""

    slack_url: str | None = field(repr=False)
    webhook_url: str | None = field(repr=False)
    timeout_seconds: float = 10.0
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)


def alert_config(settings: Settings) -> AlertConfig:
    staffing = StaffingTargets(service_level=settings.service_level_target,
                               answer_seconds=settings.answer_seconds,
                               shrinkage=settings.shrinkage,
                               max_occupancy=settings.max_occupancy)
    breakout = BreakoutParams(
        alpha=settings.alert_breakout_alpha, max_window=settings.alert_breakout_window,
        min_ratio=settings.alert_breakout_min_ratio,
        min_excess=settings.alert_breakout_min_excess,
        consecutive=settings.alert_breakout_consecutive)
    return AlertConfig(
        timezone=settings.timezone, country=settings.holiday_country,
        peak=PeakParams(ratio=settings.alert_ratio, min_excess=settings.alert_min_excess,
                        normal_weeks=settings.alert_normal_weeks,
                        probability=settings.alert_peak_probability),
        breakout=breakout, ahead_days=settings.alert_ahead_days,
        use_upper=settings.alert_use_upper, staffing=staffing,
        aht=AhtDefaults(settings.default_aht_seconds, settings.aht_seconds_by_category),
        planned_agents=dict(settings.alert_planned_agents))


def lifecycle_policy(settings: Settings) -> LifecyclePolicy:
    return LifecyclePolicy(repeat_seconds=settings.alert_repeat_seconds,
                           timezone=settings.timezone, public_url=settings.public_url)


def destinations(settings: Settings) -> list[str]:
    """Names of the configured destinations; each alert change queues one row per name."""
    return [name for name, url in ((SLACK, settings.slack_webhook_url),
                                   (WEBHOOK, settings.webhook_url)) if url]


def notify_config(settings: Settings) -> NotifyConfig:
    policy = DeliveryPolicy(
        backoff_seconds=settings.notify_backoff_seconds,
        backoff_max_seconds=settings.notify_backoff_max_seconds,
        max_attempts=settings.notify_max_attempts,
        lease_seconds=max(60.0, 3 * settings.notify_timeout_seconds),
        batch_size=settings.notify_batch_size)
    return NotifyConfig(settings.slack_webhook_url, settings.webhook_url,
                        settings.notify_timeout_seconds, policy)


def run_alert_check(store: Store, config: AlertConfig, policy: LifecyclePolicy,
                    targets: Sequence[str], *, as_of: datetime) -> CheckReport:
    """Find alerts at `as_of`, apply the lifecycle and queue notices, as one job run."""
    job_id = store.start_job("alerts")
    try:
        report = _check(store, config, policy, targets, as_of)
    except Exception as exc:
        store.finish_job(job_id, "failed", error=f"{type(exc).__name__}: {exc}")
        raise
    store.finish_job(job_id, "success", detail=(
        f"{report.found} found, {report.fired} fired, {report.repeated} repeated, "
        f"{report.resolved} resolved, {report.queued} notices queued"))
    return report


def _check(store: Store, config: AlertConfig, policy: LifecyclePolicy,
           targets: Sequence[str], as_of: datetime) -> CheckReport:
    findings = find_alerts(store, config, as_of=as_of)
    firing = store.list_alerts(state=AlertState.FIRING, limit=100_000)
    silences = store.list_silences(active_at=as_of)
    changes = plan_changes(findings.alerts, firing, now=as_of, rules=findings.rules,
                           silences=silences, policy=policy)
    queued = store.apply_alert_changes(changes, destinations=targets, now=as_of)
    count = {notice: sum(c.notice is notice for c in changes) for notice in Notice}
    return CheckReport(len(findings.alerts), count[Notice.FIRING], count[Notice.REPEAT],
                       count[Notice.RESOLVED], len(queued))


def run_delivery(store: Store, config: NotifyConfig) -> DeliveryReport:
    """One delivery pass to the configured destinations."""
    redact_http_logs()
    timeout = httpx.Timeout(config.timeout_seconds)
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        senders = build_senders(client, slack_url=config.slack_url,
                                webhook_url=config.webhook_url)
        if not senders:
            logger.info("no destination configured (VOCAST_SLACK_WEBHOOK_URL, "
                        "VOCAST_WEBHOOK_URL); nothing to deliver")
            return DeliveryReport()
        return run_notify_job(store, senders, config.policy)


def parse_as_of(text: str | None, timezone: str) -> datetime:
    """An ISO timestamp (naive = local time in `timezone`), or now."""
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidParameter("--as-of", text, "an ISO timestamp like 2026-03-06T10:30") from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo(timezone))


def scheduled_alert_check(database_url: str, config: AlertConfig, policy: LifecyclePolicy,
                          targets: list[str]) -> None:
    """The periodic check (referenced by import path from the persistent job store)."""
    store = open_store(database_url)
    try:
        run_alert_check(store, config, policy, targets, as_of=datetime.now(UTC))
    finally:
        store.dispose()


def scheduled_notify(database_url: str, config: NotifyConfig) -> None:
    """The periodic delivery (referenced by import path from the persistent job store)."""
    store = open_store(database_url)
    try:
        run_delivery(store, config)
    finally:
        store.dispose()


def add_alert_jobs(scheduler: BaseScheduler, settings: Settings) -> None:
    """Register the alert check and the delivery job (replacing stored copies)."""
    scheduler.add_job(
        scheduled_alert_check, IntervalTrigger(seconds=settings.alert_check_seconds),
        id=ALERT_CHECK_JOB_ID, name="check spike alerts", replace_existing=True,
        kwargs={"database_url": settings.database_url, "config": alert_config(settings),
                "policy": lifecycle_policy(settings), "targets": destinations(settings)})
    scheduler.add_job(
        scheduled_notify, IntervalTrigger(seconds=settings.notify_seconds),
        id=NOTIFY_JOB_ID, name="deliver alert notices", replace_existing=True,
        kwargs={"database_url": settings.database_url, "config": notify_config(settings)})


def _alerts_check(args: argparse.Namespace) -> None:
    settings = Settings()
    store = open_store(settings.database_url)
    try:
        as_of = parse_as_of(args.as_of, settings.timezone)
        report = run_alert_check(store, alert_config(settings), lifecycle_policy(settings),
                                 destinations(settings), as_of=as_of)
    finally:
        store.dispose()
    logger.info("alerts check at %s: %d found, %d fired, %d repeated, %d resolved, "
                "%d notices queued", as_of.isoformat(), report.found, report.fired,
                report.repeated, report.resolved, report.queued)


def _notify(_args: argparse.Namespace) -> None:
    settings = Settings()
    store = open_store(settings.database_url)
    try:
        report = run_delivery(store, notify_config(settings))
    finally:
        store.dispose()
    logger.info("notify: %d batches, %d notices delivered, %d to retry, %d given up",
                report.batches, report.delivered, report.failed, report.dead)


def add_alerts_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("alerts", help="spike alerts")
    commands = parser.add_subparsers(dest="alerts_command", required=True)
    check = commands.add_parser("check", help="run the spike check now")
    check.add_argument("--as-of", help="evaluate at this ISO time instead of now "
                                       "(naive = local time)")
    check.set_defaults(handler=_alerts_check)


def add_notify_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("notify", help="deliver pending alert notices now")
    parser.set_defaults(handler=_notify)
