"""The storage protocol the core needs; `data/` implements it with SQLAlchemy.

Frames crossing this boundary have fixed columns, and timestamps are tz-aware:
  observations: ts, category, channel, freq, count
  forecasts:    ts, category, channel, freq, yhat, lo80, hi80, lo95, hi95, model
  accuracy:     category, channel, freq, model, folds, wape, mase, bias, coverage80,
                coverage95, rank, selected
Timestamps come back from the store in UTC; callers convert to the local zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import pandas as pd

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


class Store(Protocol):
    """Persistence for observations, forecast runs, accuracy and job runs."""

    def upsert_observations(self, observations: pd.DataFrame) -> UpsertResult:
        """Insert or update counts by (category, channel, freq, ts), all or nothing."""
        ...

    def list_series(self) -> list[SeriesInfo]: ...

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
