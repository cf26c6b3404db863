"""The scheduler process: APScheduler 3 with its job store in vocast's own database, so
schedules and misfires survive restarts. Run exactly one per deployment."""

from __future__ import annotations

import logging
from dataclasses import replace

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from data.store import open_store
from forecast.settings import Settings
from forecast.store import Store
from jobs.alert_commands import add_alert_jobs
from jobs.fit import FitConfig, run_fit_job

logger = logging.getLogger(__name__)

FIT_JOB_ID = "nightly-fit"


def fit_config(settings: Settings) -> FitConfig:
    return FitConfig(
        timezone=settings.timezone, country=settings.holiday_country,
        model=settings.default_model, daily_horizon_days=settings.daily_horizon_days,
        intraday_horizon_days=settings.intraday_horizon_days, workers=settings.fit_workers,
        dask_address=settings.dask_address,
    )


def with_stored_events(store: Store, config: FitConfig) -> FitConfig:
    """`config` with the events stored now (`vocast events import`, POST /v1/events)."""
    return replace(config, events=tuple(stored.event for stored in store.list_events()))


def scheduled_fit(database_url: str, config: FitConfig) -> None:
    """The nightly job (referenced by import path from the persistent job store)."""
    store = open_store(database_url)
    try:
        report = run_fit_job(store, with_stored_events(store, config))
        logger.info("scheduled fit published %s", report.run_id, extra={"run_id": report.run_id})
    finally:
        store.dispose()


def build_scheduler(
    settings: Settings, scheduler_class: type[BaseScheduler] = BlockingScheduler
) -> BaseScheduler:
    """A scheduler with the fit, alert check and delivery jobs registered (replacing any
    stored copies)."""
    store = open_store(settings.database_url)
    scheduler = scheduler_class(
        jobstores={"default": SQLAlchemyJobStore(engine=store.engine)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": settings.misfire_grace_seconds},
        timezone=settings.timezone,
    )
    scheduler.add_job(
        scheduled_fit, CronTrigger.from_crontab(settings.fit_cron, timezone=settings.timezone),
        id=FIT_JOB_ID, name="refit all series", replace_existing=True,
        kwargs={"database_url": settings.database_url, "config": fit_config(settings)},
    )
    add_alert_jobs(scheduler, settings)
    return scheduler


def run_scheduler(settings: Settings) -> None:
    scheduler = build_scheduler(settings)
    logger.info("scheduler started; fit cron %r in %s", settings.fit_cron, settings.timezone)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
