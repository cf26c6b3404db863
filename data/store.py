"""`SqlStore`: the SQLAlchemy implementation of `forecast.store.Store`.

    store = open_store("sqlite:///./var/vocast.db")   # or postgresql+psycopg://...
    store.upsert_observations(frame)

`open_store` brings the schema up to date (Alembic, in one transaction) before
returning, so a new database needs no set-up step.
"""

from __future__ import annotations

import logging
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from data import job_runs, runs
from data import observations as observation_rows
from data.engine import create_store_engine
from data.migrate import upgrade
from forecast.series import Freq, SeriesKey
from forecast.store import ForecastRun, JobRun, SeriesInfo, UpsertResult

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
