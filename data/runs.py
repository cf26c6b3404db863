"""Forecast runs: written whole and unpublished, published by flipping one pointer.

`current_run` holds a single row whose `run_id` names the published run. Readers
join through it in a single query, so they see the old run or the new one, never a
mix of both.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa

from data import timestamps
from data.bulk import insert_frame
from data.engine import read_transaction, write_transaction
from data.frames import (
    BOUND_COLUMNS,
    KEY_COLUMNS,
    METRIC_COLUMNS,
    accuracy_frame,
    forecasts_frame,
    freq_value,
    rows_frame,
    utc_datetime,
)
from data.series_ids import with_series_ids
from data.tables import (
    CURRENT_RUN_ROW_ID,
    accuracy_rows,
    current_run,
    forecast_rows,
    forecast_runs,
    series,
)
from forecast.errors import InvalidParameter, NotFound
from forecast.series import Freq
from forecast.store import ACCURACY_COLUMNS, FORECAST_COLUMNS, ForecastRun

logger = logging.getLogger(__name__)

RUN_ID_MAX_LENGTH = 64
FORECAST_OUT_COLUMNS = (*FORECAST_COLUMNS, "run_id")
ACCURACY_OUT_COLUMNS = (*ACCURACY_COLUMNS, "run_id")
_FORECAST_VALUES = ("ts", "yhat", *BOUND_COLUMNS, "model")


def _check_run_id(run_id: str) -> None:
    if not isinstance(run_id, str) or not run_id.strip() or len(run_id) > RUN_ID_MAX_LENGTH:
        raise InvalidParameter("run_id", run_id, f"a non-empty string of at most "
                               f"{RUN_ID_MAX_LENGTH} characters")


def save_run(
    engine: sa.Engine,
    run_id: str,
    forecasts: pd.DataFrame,
    accuracy: pd.DataFrame,
    *,
    note: str = "",
) -> None:
    """Write the run's forecast and accuracy rows, unpublished, in one transaction."""
    _check_run_id(run_id)
    rows = forecasts_frame(forecasts)
    board = accuracy_frame(accuracy) if len(accuracy.columns) or len(accuracy) else None
    with write_transaction(engine) as connection:
        exists = connection.scalar(
            sa.select(forecast_runs.c.run_id).where(forecast_runs.c.run_id == run_id)
        )
        if exists is not None:
            raise InvalidParameter("run_id", run_id, "an id no earlier run used")
        connection.execute(
            sa.insert(forecast_runs),
            {
                "run_id": run_id, "created_at": datetime.now(UTC), "published_at": None,
                "series": int(rows[list(KEY_COLUMNS)].drop_duplicates().shape[0]),
                "rows": len(rows), "note": note,
            },
        )
        if not rows.empty:
            rows["series_id"] = with_series_ids(connection, rows)
            insert_frame(connection, forecast_rows, rows.assign(run_id=run_id))
        if board is not None and not board.empty:
            insert_frame(connection, accuracy_rows, board.assign(run_id=run_id))
    logger.info("saved forecast run %s with %d rows", run_id, len(rows))


def publish_run(engine: sa.Engine, run_id: str) -> None:
    """Make `run_id` the current run and stamp its `published_at`; NotFound if never saved."""
    now = datetime.now(UTC)
    with write_transaction(engine) as connection:
        found = connection.execute(
            sa.update(forecast_runs)
            .where(forecast_runs.c.run_id == run_id)
            .values(published_at=now)
        ).rowcount
        if not found:
            raise NotFound(f"no forecast run with run_id {run_id!r}")
        connection.execute(
            sa.update(current_run)
            .where(current_run.c.id == CURRENT_RUN_ROW_ID)
            .values(run_id=run_id)
        )
    logger.info("published forecast run %s", run_id)


def current_run_id(engine: sa.Engine) -> str | None:
    with read_transaction(engine) as connection:
        run_id: str | None = connection.scalar(
            sa.select(current_run.c.run_id).where(current_run.c.id == CURRENT_RUN_ROW_ID)
        )
    return run_id


def _published(table: sa.Table) -> sa.FromClause:
    return table.join(
        current_run,
        sa.and_(current_run.c.id == CURRENT_RUN_ROW_ID, current_run.c.run_id == table.c.run_id),
    )


def latest_forecast(
    engine: sa.Engine,
    *,
    category: str | None = None,
    channel: str | None = None,
    freq: Freq | str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pd.DataFrame:
    """Rows of the published run (FORECAST_COLUMNS + run_id) sorted by key and ts."""
    low, high = utc_datetime(start, name="start"), utc_datetime(end, name="end")
    ts_text = timestamps.select_text(forecast_rows.c.ts, engine.dialect.name)
    query = sa.select(
        ts_text, series.c.category, series.c.channel, series.c.freq,
        *(forecast_rows.c[name] for name in _FORECAST_VALUES[1:]), forecast_rows.c.run_id,
    ).select_from(
        _published(forecast_rows).join(series, series.c.id == forecast_rows.c.series_id)
    )
    if category is not None:
        query = query.where(series.c.category == category)
    if channel is not None:
        query = query.where(series.c.channel == channel)
    if freq is not None:
        query = query.where(series.c.freq == freq_value(freq))
    if low is not None:
        query = query.where(forecast_rows.c.ts >= low)
    if high is not None:
        query = query.where(forecast_rows.c.ts < high)
    with read_transaction(engine) as connection:
        found = connection.execute(query).all()
    frame = rows_frame(found, FORECAST_OUT_COLUMNS, floats=("yhat", *BOUND_COLUMNS))
    return _sorted(frame, [*KEY_COLUMNS, "ts"])


def latest_accuracy(engine: sa.Engine) -> pd.DataFrame:
    """The published run's leaderboard (ACCURACY_COLUMNS + run_id)."""
    query = sa.select(*(accuracy_rows.c[name] for name in ACCURACY_OUT_COLUMNS)).select_from(
        _published(accuracy_rows)
    )
    with read_transaction(engine) as connection:
        found = connection.execute(query).all()
    frame = rows_frame(
        found, ACCURACY_OUT_COLUMNS, floats=METRIC_COLUMNS, ints=("folds", "rank"), ts_columns=()
    )
    return _sorted(frame, [*KEY_COLUMNS, "rank", "model"])


def _sorted(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame.sort_values(by, kind="stable", ignore_index=True)


def list_runs(engine: sa.Engine, limit: int = 50) -> list[ForecastRun]:
    """Saved runs, newest first; `published_at` is when a run was last made current."""
    if limit < 1:
        raise InvalidParameter("limit", limit, "a positive number of runs")
    query = (
        sa.select(forecast_runs)
        .order_by(forecast_runs.c.created_at.desc(), forecast_runs.c.run_id.desc())
        .limit(limit)
    )
    with read_transaction(engine) as connection:
        found = connection.execute(query).all()
    return [
        ForecastRun(
            run_id=row.run_id,
            created_at=row.created_at,
            published_at=row.published_at,
            series=row.series,
            rows=row.rows,
            note=row.note,
        )
        for row in found
    ]
