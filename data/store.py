"""`SqlStore`: the SQLAlchemy implementation of `forecast.store.Store`.

    store = open_store("sqlite:///./var/vocast.db")   # or postgresql+psycopg://...
    store.upsert_observations(frame)

`open_store` brings the schema up to date (Alembic, in one transaction) before
returning, so a new database needs no set-up step.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from data import alerts as alert_rows
from data import api_keys, handle_times, job_runs, job_stats, monitoring, published, runs
from data import events as event_rows
from data import observations as observation_rows
from data import outbox as outbox_rows
from data import overrides as override_rows
from data.engine import create_store_engine
from data.migrate import upgrade
from forecast.alerts import (
    AlertChange,
    AlertRecord,
    AlertState,
    OutboxBatch,
    OutboxMessage,
    Rule,
    Silence,
)
from forecast.calendar import Event
from forecast.events import StoredEvent
from forecast.overrides import Override, OverrideRequest
from forecast.series import Freq, SeriesKey
from forecast.store import (
    ApiKey,
    BacklogCounts,
    ForecastRun,
    JobRun,
    JobStats,
    SeriesInfo,
    UpsertResult,
)

logger = logging.getLogger(__name__)


class SqlStore:
    """Observations, forecast runs, accuracy and job runs in SQLite or PostgreSQL."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def upsert_observations(self, observations: pd.DataFrame) -> UpsertResult:
        """Insert or update counts by (category, channel, freq, ts), all or nothing."""
        return observation_rows.upsert_observations(self.engine, observations)

    def list_series(self) -> list[SeriesInfo]:
        return observation_rows.list_series(self.engine)

    def observation_stamps(self, freq: Freq) -> pd.DatetimeIndex:
        """Every distinct stamp (tz-aware UTC) any series at `freq` has a row at, sorted."""
        return observation_rows.observation_stamps(self.engine, freq)

    def load_history(
        self,
        key: SeriesKey,
        freq: Freq,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.Series:
        """Counts indexed by tz-aware UTC ts, sorted; `end` is exclusive."""
        return observation_rows.load_history(self.engine, key, freq, start=start, end=end)

    def save_run(self, run_id: str, forecasts: pd.DataFrame, accuracy: pd.DataFrame,
                 *, note: str = "") -> None:
        """Write a whole run unpublished; readers do not see it until publish_run."""
        runs.save_run(self.engine, run_id, forecasts, accuracy, note=note)

    def publish_run(self, run_id: str) -> None:
        """Make `run_id` the current run by flipping one pointer (raises NotFound)."""
        runs.publish_run(self.engine, run_id)

    def current_run_id(self) -> str | None:
        return runs.current_run_id(self.engine)

    def published_run(self) -> ForecastRun | None:
        """The current run's record (`published_at` included), or None before any."""
        return published.published_run(self.engine)

    def latest_forecast(
        self,
        *,
        category: str | None = None,
        channel: str | None = None,
        freq: Freq | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        """Rows of the published run (FORECAST_COLUMNS + run_id), sorted by key and ts."""
        return runs.latest_forecast(
            self.engine, category=category, channel=channel, freq=freq, start=start, end=end
        )

    def latest_accuracy(self) -> pd.DataFrame:
        """The published run's leaderboard (ACCURACY_COLUMNS + run_id)."""
        return runs.latest_accuracy(self.engine)

    def list_runs(self, limit: int = 50) -> list[ForecastRun]:
        return runs.list_runs(self.engine, limit)

    def start_job(self, job: str) -> int:
        return job_runs.start_job(self.engine, job)

    def finish_job(
        self, job_run_id: int, status: str, *, error: str | None = None, detail: str | None = None
    ) -> None:
        job_runs.finish_job(self.engine, job_run_id, status, error=error, detail=detail)

    def list_job_runs(self, limit: int = 50) -> list[JobRun]:
        return job_runs.list_job_runs(self.engine, limit)

    def job_stats(self) -> list[JobStats]:
        """Counts and durations of job runs by job and status."""
        return job_stats.job_stats(self.engine)

    def backlog_counts(self) -> BacklogCounts:
        """Firing alerts and outbox messages by status, for monitoring."""
        return monitoring.backlog_counts(self.engine)

    def create_api_key(self, name: str, scopes: Sequence[str]) -> tuple[ApiKey, str]:
        """Store a new key; returns it and its plaintext token, which is never stored."""
        return api_keys.create_api_key(self.engine, name, scopes)

    def list_api_keys(self) -> list[ApiKey]:
        return api_keys.list_api_keys(self.engine)

    def revoke_api_key(self, key_id: int) -> ApiKey:
        return api_keys.revoke_api_key(self.engine, key_id)

    def find_api_key(self, token: str) -> ApiKey | None:
        """The unrevoked key whose token this is (constant-time compare), else None."""
        return api_keys.find_api_key(self.engine, token)

    def api_keys_exist(self) -> bool:
        return api_keys.api_keys_exist(self.engine)

    def upsert_events(self, events: Sequence[Event]) -> UpsertResult:
        """Insert or update events by (name, start, end), all or nothing."""
        return event_rows.upsert_events(self.engine, events)

    def list_events(self) -> list[StoredEvent]:
        """Every stored event, by start date, end date and name."""
        return event_rows.list_events(self.engine)

    def delete_event(self, event_id: int) -> None:
        """Remove one event (raises NotFound)."""
        event_rows.delete_event(self.engine, event_id)

    def load_handle_times(
        self, key: SeriesKey, freq: Freq, *, start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        """ts (UTC), count, aht_seconds of the series' buckets with a measured AHT, sorted
        (empty for an unknown series); `end` is exclusive."""
        return handle_times.load_handle_times(self.engine, key, freq, start=start, end=end)

    def create_override(self, request: OverrideRequest) -> Override:
        """Store a planner override; created_at is now (raises InvalidParameter when its
        expiry is not in the future)."""
        return override_rows.create_override(self.engine, request)

    def list_overrides(self, *, active_at: datetime | None = None) -> list[Override]:
        """Every override by id, or those neither revoked nor expired at `active_at`."""
        return override_rows.list_overrides(self.engine, active_at=active_at)

    def revoke_override(self, override_id: int, revoked_by: str) -> Override:
        """Revoke now, recording who (raises NotFound; InvalidParameter if revoked)."""
        return override_rows.revoke_override(self.engine, override_id, revoked_by)

    def overrides_version(self, now: datetime) -> str:
        """A token that changes when an override is created, revoked or expires by `now`."""
        return override_rows.overrides_version(self.engine, now)

    def apply_alert_changes(self, changes: Sequence[AlertChange], *,
                            destinations: Sequence[str], now: datetime) -> list[OutboxMessage]:
        return alert_rows.apply_alert_changes(self.engine, changes, destinations=destinations,
                                              now=now)

    def list_alerts(self, *, state: AlertState | None = None, category: str | None = None,
                    channel: str | None = None, rule: Rule | None = None,
                    start: datetime | None = None, end: datetime | None = None,
                    limit: int = 100) -> list[AlertRecord]:
        return alert_rows.list_alerts(self.engine, state=state, category=category,
                                      channel=channel, rule=rule, start=start, end=end,
                                      limit=limit)

    def add_silence(self, *, until: datetime, category: str | None = None,
                    channel: str | None = None, rule: Rule | None = None,
                    comment: str = "") -> Silence:
        return alert_rows.add_silence(self.engine, until=until, category=category,
                                      channel=channel, rule=rule, comment=comment)

    def delete_silence(self, silence_id: int) -> None:
        alert_rows.delete_silence(self.engine, silence_id)

    def list_silences(self, *, active_at: datetime | None = None) -> list[Silence]:
        return alert_rows.list_silences(self.engine, active_at=active_at)

    def claim_outbox(self, destination: str, *, now: datetime, lease_seconds: float,
                     limit: int) -> OutboxBatch | None:
        return outbox_rows.claim_batch(self.engine, destination, now=now,
                                       lease_seconds=lease_seconds, limit=limit)

    def mark_delivered(self, batch_id: str, *, now: datetime) -> int:
        return outbox_rows.mark_delivered(self.engine, batch_id, now=now)

    def mark_failed(self, batch_id: str, *, error: str, retry_at: datetime,
                    give_up: bool = False) -> int:
        return outbox_rows.mark_failed(self.engine, batch_id, error=error, retry_at=retry_at,
                                       give_up=give_up)

    def list_outbox(self, *, status: str | None = None, limit: int = 1000
                    ) -> list[OutboxMessage]:
        return outbox_rows.list_outbox(self.engine, status=status, limit=limit)


def open_store(database_url: str) -> SqlStore:
    """Connect, apply pending migrations and return the store.

    A SQLite file's folder is created when missing. Raises InvalidParameter for a
    URL of another database kind.
    """
    engine = create_store_engine(database_url)
    try:
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    logger.info("opened store at %s", engine.url.render_as_string(hide_password=True))
    return SqlStore(engine)
