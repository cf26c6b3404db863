"""Aggregates over the job-run log, for monitoring (e.g. Prometheus gauges)."""

from __future__ import annotations

import sqlalchemy as sa

from data.engine import read_transaction
from data.tables import job_runs
from forecast.store import JobStats


def job_stats(engine: sa.Engine) -> list[JobStats]:
    """Runs, total and latest duration by (job, status), sorted by job and status."""
    latest = (
        sa.select(job_runs.c.job, job_runs.c.status, sa.func.max(job_runs.c.id).label("id"),
                  sa.func.count().label("runs"))
        .group_by(job_runs.c.job, job_runs.c.status)
        .subquery()
    )
    query = sa.select(latest.c.job, latest.c.status, latest.c.runs, job_runs.c.started_at,
                      job_runs.c.finished_at).join(job_runs, job_runs.c.id == latest.c.id)
    finished = (sa.select(job_runs.c.job, job_runs.c.status, job_runs.c.started_at,
                          job_runs.c.finished_at)
                .where(job_runs.c.finished_at.is_not(None)))
    with read_transaction(engine) as connection:
        groups = connection.execute(query).all()
        totals: dict[tuple[str, str], float] = {}
        for row in connection.execute(finished):
            key = (row.job, row.status)
            totals[key] = totals.get(key, 0.0) + _seconds(row.started_at, row.finished_at)
    stats = [
        JobStats(job=row.job, status=row.status, runs=row.runs,
                 total_seconds=totals.get((row.job, row.status), 0.0),
                 last_started_at=row.started_at,
                 last_seconds=(None if row.finished_at is None
                               else _seconds(row.started_at, row.finished_at)))
        for row in groups
    ]
    return sorted(stats, key=lambda s: (s.job, s.status))


def _seconds(started: object, finished: object) -> float:
    return float((finished - started).total_seconds())  # type: ignore[operator]
