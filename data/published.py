"""The published forecast run's record, read through the `current_run` pointer."""

from __future__ import annotations

import sqlalchemy as sa

from data.engine import read_transaction
from data.tables import CURRENT_RUN_ROW_ID, current_run, forecast_runs
from forecast.store import ForecastRun


def published_run(engine: sa.Engine) -> ForecastRun | None:
    """The current run with its `published_at`, in one primary-key join; None before any."""
    query = sa.select(forecast_runs).select_from(
        current_run.join(forecast_runs, forecast_runs.c.run_id == current_run.c.run_id)
    ).where(current_run.c.id == CURRENT_RUN_ROW_ID)
    with read_transaction(engine) as connection:
        row = connection.execute(query).first()
    if row is None:
        return None
    return ForecastRun(run_id=row.run_id, created_at=row.created_at,
                       published_at=row.published_at, series=row.series, rows=row.rows,
                       note=row.note)
