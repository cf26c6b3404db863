"""A log of scheduled and manual job runs (fit, alerts, notify)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from data.engine import read_transaction, write_transaction
from data.tables import job_runs
from forecast.errors import InvalidParameter, NotFound
from forecast.store import JobRun

RUNNING = "running"
FINISHED_STATUSES = ("success", "failed")
JOB_NAME_MAX_LENGTH = 100


def start_job(engine: sa.Engine, job: str) -> int:
    """Record that `job` started now; returns the id to pass to `finish_job`."""
    if not job or len(job) > JOB_NAME_MAX_LENGTH:
        raise InvalidParameter("job", job, f"a name of 1 to {JOB_NAME_MAX_LENGTH} characters")
    with write_transaction(engine) as connection:
        job_run_id: int = connection.execute(
            sa.insert(job_runs)
            .values(job=job, started_at=datetime.now(UTC), status=RUNNING)
            .returning(job_runs.c.id)
        ).scalar_one()
    return job_run_id


def finish_job(
    engine: sa.Engine,
    job_run_id: int,
    status: str,
    *,
    error: str | None = None,
    detail: str | None = None,
) -> None:
    """Mark a job run finished with `status` success or failed."""
    if status not in FINISHED_STATUSES:
        raise InvalidParameter("status", status, f"one of {', '.join(FINISHED_STATUSES)}")
    with write_transaction(engine) as connection:
        updated = connection.execute(
            sa.update(job_runs)
            .where(job_runs.c.id == job_run_id)
            .values(finished_at=datetime.now(UTC), status=status, error=error, detail=detail)
        ).rowcount
    if not updated:
        raise NotFound(f"no job run with id {job_run_id}")


def list_job_runs(engine: sa.Engine, limit: int = 50) -> list[JobRun]:
    """Job runs, newest first."""
    if limit < 1:
        raise InvalidParameter("limit", limit, "a positive number of job runs")
    query = sa.select(job_runs).order_by(job_runs.c.id.desc()).limit(limit)
    with read_transaction(engine) as connection:
        found = connection.execute(query).all()
    return [
        JobRun(
            id=row.id,
            job=row.job,
            started_at=row.started_at,
            finished_at=row.finished_at,
            status=row.status,
            error=row.error,
            detail=row.detail,
        )
        for row in found
    ]
