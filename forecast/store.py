"""The storage protocol the core needs; `data/` implements it with SQLAlchemy.

Frames crossing this boundary have fixed columns, and timestamps are tz-aware:
  observations: ts, category, channel, freq, count (and optionally aht_seconds)
  forecasts:    ts, category, channel, freq, yhat, lo80, hi80, lo95, hi95, model
  accuracy:     category, channel, freq, model, folds, wape, mase, bias, coverage80,
                coverage95, rank, selected
Timestamps come back from the store in UTC; callers convert to the local zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import pandas as pd

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

OBSERVATION_COLUMNS = ("ts", "category", "channel", "freq", "count")
FORECAST_COLUMNS = (
    "ts", "category", "channel", "freq", "yhat", "lo80", "hi80", "lo95", "hi95", "model",
)
ACCURACY_COLUMNS = (
    "category", "channel", "freq", "model", "folds", "wape", "mase", "bias",
    "coverage80", "coverage95", "rank", "selected",
)


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """What an idempotent upsert did: re-sending the same rows gives inserted=updated=0."""

    inserted: int
    updated: int
    unchanged: int


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    key: SeriesKey
    freq: Freq
    first_ts: datetime
    last_ts: datetime
    observations: int


@dataclass(frozen=True, slots=True)
class ForecastRun:
    run_id: str
    created_at: datetime
    published_at: datetime | None
    series: int
    rows: int
    note: str


@dataclass(frozen=True, slots=True)
class JobRun:
    id: int
    job: str
    started_at: datetime
    finished_at: datetime | None
    status: str  # running | success | failed
    error: str | None
    detail: str | None


API_KEY_SCOPES = ("read", "write", "admin")


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored API key; its token is shown once at creation and only its hash is kept."""

    id: int
    name: str
    prefix: str  # the token's public start, to tell keys apart in lists and logs
    scopes: tuple[str, ...]  # of API_KEY_SCOPES; admin implies every scope
    created_at: datetime
    revoked_at: datetime | None

    def allows(self, scope: str) -> bool:
        return self.revoked_at is None and (scope in self.scopes or "admin" in self.scopes)


@dataclass(frozen=True, slots=True)
class BacklogCounts:
    """What waits for attention: firing alerts and outbox messages by status."""

    firing_alerts: int
    outbox: dict[str, int]  # pending, delivered, dead
    oldest_pending_at: datetime | None


@dataclass(frozen=True, slots=True)
class JobStats:
    """Job runs of one job with one status; durations cover finished runs."""

    job: str
    status: str
    runs: int
    total_seconds: float
    last_started_at: datetime
    last_seconds: float | None


class Store(Protocol):
    """Persistence for observations, forecast runs, accuracy and job runs."""

    def upsert_observations(self, observations: pd.DataFrame) -> UpsertResult:
        """Insert or update counts by (category, channel, freq, ts), all or nothing."""
        ...

    def list_series(self) -> list[SeriesInfo]: ...

    def observation_stamps(self, freq: Freq) -> pd.DatetimeIndex:
        """Every distinct stamp (tz-aware UTC) any series at `freq` has a row at, sorted."""
        ...

    def load_history(
        self,
        key: SeriesKey,
        freq: Freq,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.Series:
        """Counts indexed by tz-aware UTC ts, sorted; `end` is exclusive."""
        ...

    def save_run(self, run_id: str, forecasts: pd.DataFrame, accuracy: pd.DataFrame,
                 *, note: str = "") -> None:
        """Write a whole run unpublished; readers do not see it until publish_run."""
        ...

    def publish_run(self, run_id: str) -> None:
        """Make `run_id` the current run by flipping one pointer (raises NotFound)."""
        ...

    def current_run_id(self) -> str | None: ...

    def published_run(self) -> ForecastRun | None:
        """The current run's record (`published_at` included), or None before any."""
        ...

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
        ...

    def latest_accuracy(self) -> pd.DataFrame:
        """The published run's leaderboard (ACCURACY_COLUMNS + run_id)."""
        ...

    def list_runs(self, limit: int = 50) -> list[ForecastRun]: ...

    def start_job(self, job: str) -> int: ...

    def finish_job(
        self, job_run_id: int, status: str, *, error: str | None = None, detail: str | None = None
    ) -> None: ...

    def list_job_runs(self, limit: int = 50) -> list[JobRun]: ...

    def job_stats(self) -> list[JobStats]:
        """Counts and durations of job runs by job and status."""
        ...

    def backlog_counts(self) -> BacklogCounts:
        """Firing alerts and outbox messages by status, for monitoring."""
        ...

    def create_api_key(self, name: str, scopes: Sequence[str]) -> tuple[ApiKey, str]:
        """Store a new key; returns it and its plaintext token, which is never stored."""
        ...

    def list_api_keys(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""
        ...

    def revoke_api_key(self, key_id: int) -> ApiKey:
        """Revoke a key for good (raises NotFound); revoking twice changes nothing."""
        ...

    def find_api_key(self, token: str) -> ApiKey | None:
        """The unrevoked key whose token this is (constant-time compare), else None."""
        ...

    def api_keys_exist(self) -> bool:
        """Whether any key was ever created (revoked ones count)."""
        ...

    def upsert_events(self, events: Sequence[Event]) -> UpsertResult:
        """Insert or update events by (name, start, end), all or nothing."""
        ...

    def list_events(self) -> list[StoredEvent]:
        """Every stored event, by start date, end date and name."""
        ...

    def delete_event(self, event_id: int) -> None:
        """Remove one event (raises NotFound)."""
        ...

    def load_handle_times(
        self, key: SeriesKey, freq: Freq, *, start: datetime | None = None,
        end: datetime | None = None,
    ) -> pd.DataFrame:
        """ts (UTC), count, aht_seconds of the series' buckets with a measured AHT, sorted
        (empty for an unknown series); `end` is exclusive."""
        ...

    def create_override(self, request: OverrideRequest) -> Override:
        """Store a planner override; created_at is now (raises InvalidParameter when its
        expiry is not in the future)."""
        ...

    def list_overrides(self, *, active_at: datetime | None = None) -> list[Override]:
        """Every override by id, or those neither revoked nor expired at `active_at`."""
        ...

    def revoke_override(self, override_id: int, revoked_by: str) -> Override:
        """Revoke now, recording who (raises NotFound; InvalidParameter if revoked)."""
        ...

    def overrides_version(self, now: datetime) -> str:
        """A token that changes when an override is created, revoked or expires by `now`."""
        ...

    def apply_alert_changes(self, changes: Sequence[AlertChange], *,
                            destinations: Sequence[str], now: datetime) -> list[OutboxMessage]:
        """Apply alert lifecycle changes and queue each notice to every destination in one
        transaction; a change whose row moved on since it was planned is skipped."""
        ...

    def list_alerts(self, *, state: AlertState | None = None, category: str | None = None,
                    channel: str | None = None, rule: Rule | None = None,
                    start: datetime | None = None, end: datetime | None = None,
                    limit: int = 100) -> list[AlertRecord]:
        """Alerts newest first; `start`/`end` keep those active at some time in [start, end)."""
        ...

    def add_silence(self, *, until: datetime, category: str | None = None,
                    channel: str | None = None, rule: Rule | None = None,
                    comment: str = "") -> Silence:
        """Mute matching alerts until `until` (InvalidParameter unless in the future)."""
        ...

    def delete_silence(self, silence_id: int) -> None:
        """Remove a silence (raises NotFound)."""
        ...

    def list_silences(self, *, active_at: datetime | None = None) -> list[Silence]:
        """Silences by id, or those still in force at `active_at`."""
        ...

    def claim_outbox(self, destination: str, *, now: datetime, lease_seconds: float,
                     limit: int) -> OutboxBatch | None:
        """The next due batch for `destination` (a retried one first, unchanged), leased."""
        ...

    def mark_delivered(self, batch_id: str, *, now: datetime) -> int:
        """Mark a batch delivered; it is never claimed again."""
        ...

    def mark_failed(self, batch_id: str, *, error: str, retry_at: datetime,
                    give_up: bool = False) -> int:
        """Record a failed attempt: due again at `retry_at`, or dead when `give_up`."""
        ...

    def list_outbox(self, *, status: str | None = None, limit: int = 1000
                    ) -> list[OutboxMessage]:
        """Outbox messages by id, optionally of one status (pending, delivered, dead)."""
        ...
