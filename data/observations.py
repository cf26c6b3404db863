"""Observed counts: the idempotent bulk upsert, the series list and history reads."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from data import timestamps
from data.bulk import merge_observations_postgresql
from data.engine import read_transaction, write_transaction
from data.frames import freq_value, observations_frame, records, rows_frame, utc_datetime
from data.handle_times import merge_with_handle_times
from data.series_ids import dialect_insert, with_series_ids
from data.tables import observations, series
from forecast.errors import NotFound
from forecast.series import Freq, SeriesKey
from forecast.store import SeriesInfo, UpsertResult

logger = logging.getLogger(__name__)

# Series per query when reading the stored rows an upsert touches.
_SERIES_PER_QUERY = 100
_COUNT = observations.c["count"]


def upsert_observations(engine: sa.Engine, frame: pd.DataFrame) -> UpsertResult:
    """Insert new and update changed counts in one transaction; identical rows are left alone."""
    rows = observations_frame(frame)
    if rows.empty:
        return UpsertResult(inserted=0, updated=0, unchanged=0)
    with write_transaction(engine) as connection:
        rows["series_id"] = with_series_ids(connection, rows)
        inserted, updated = merge_with_handle_times(connection, rows, _merge)
    result = UpsertResult(
        inserted=inserted, updated=updated, unchanged=len(rows) - inserted - updated
    )
    logger.info(
        "upserted observations: %d inserted, %d updated, %d unchanged",
        result.inserted, result.updated, result.unchanged,
    )
    return result


def _merge(connection: sa.Connection, rows: pd.DataFrame) -> tuple[int, int]:
    """Write new and changed counts; returns (inserted, updated)."""
    if connection.dialect.name == "postgresql":
        return merge_observations_postgresql(connection, rows)
    merged = rows.merge(_stored_counts(connection, rows), on=["series_id", "ts"], how="left")
    stored = merged["stored"]
    new = merged.loc[stored.isna()]
    changed = merged.loc[stored.notna() & (merged["count"] != stored)]
    _insert_counts(connection, new)
    _update_counts(connection, changed)
    return len(new), len(changed)


def _stored_counts(connection: sa.Connection, rows: pd.DataFrame) -> pd.DataFrame:
    """Stored counts of the touched series, each within the ts range the batch covers."""
    dialect = connection.dialect.name
    spans = rows.groupby("series_id")["ts"].agg(["min", "max"])
    columns = (observations.c.series_id, timestamps.select_text(observations.c.ts, dialect), _COUNT)
    found: list[Any] = []
    for begin in range(0, len(spans), _SERIES_PER_QUERY):
        chunk = spans.iloc[begin : begin + _SERIES_PER_QUERY]
        condition = sa.or_(
            *(
                sa.and_(
                    observations.c.series_id == int(series_id),
                    observations.c.ts.between(low.to_pydatetime(), high.to_pydatetime()),
                )
                for series_id, low, high in chunk.itertuples(name=None)
            )
        )
        found.extend(connection.execute(sa.select(*columns).where(condition)).all())
    return rows_frame(found, ["series_id", "ts", "stored"], floats=["stored"], ints=["series_id"])


def _insert_counts(connection: sa.Connection, rows: pd.DataFrame) -> None:
    if rows.empty:
        return
    dialect, columns = connection.dialect.name, ["series_id", "ts", "count"]
    statement = dialect_insert(connection, observations).values(
        timestamps.bind_params(observations, columns, dialect)
    )
    statement = statement.on_conflict_do_update(
        index_elements=["series_id", "ts"], set_={"count": statement.excluded["count"]}
    )
    connection.execute(statement, records(rows, columns, dialect, prefix="p_"))


def _update_counts(connection: sa.Connection, rows: pd.DataFrame) -> None:
    if rows.empty:
        return
    dialect = connection.dialect.name
    params = timestamps.bind_params(observations, ["series_id", "ts", "count"], dialect)
    statement = (
        sa.update(observations)
        .where(observations.c.series_id == params["series_id"], observations.c.ts == params["ts"])
        .values({"count": params["count"]})
    )
    connection.execute(statement, records(rows, ["series_id", "ts", "count"], dialect, prefix="p_"))


def list_series(engine: sa.Engine) -> list[SeriesInfo]:
    """Every series with at least one observation, sorted by category, channel, freq."""
    query = (
        sa.select(
            series.c.category,
            series.c.channel,
            series.c.freq,
            sa.func.min(observations.c.ts),
            sa.func.max(observations.c.ts),
            sa.func.count(),
        )
        .join(observations, observations.c.series_id == series.c.id)
        .group_by(series.c.id, series.c.category, series.c.channel, series.c.freq)
    )
    with read_transaction(engine) as connection:
        rows = connection.execute(query).all()
    infos = [
        SeriesInfo(
            key=SeriesKey(category, channel),
            freq=Freq(freq),
            first_ts=first_ts,
            last_ts=last_ts,
            observations=int(count),
        )
        for category, channel, freq, first_ts, last_ts, count in rows
    ]
    return sorted(infos, key=lambda info: (info.key.category, info.key.channel, info.freq.value))


def observation_stamps(engine: sa.Engine, freq: Freq | str) -> pd.DatetimeIndex:
    """Every distinct stamp (tz-aware UTC) any series at `freq` has a row at, sorted."""
    with read_transaction(engine) as connection:
        ts_text = timestamps.select_text(observations.c.ts, connection.dialect.name)
        query = (sa.select(ts_text).distinct()
                 .join_from(observations, series, observations.c.series_id == series.c.id)
                 .where(series.c.freq == freq_value(freq)))
        rows = connection.execute(query).all()
    frame = rows_frame(rows, ["ts"])
    return pd.DatetimeIndex(frame["ts"]).sort_values()


def load_history(
    engine: sa.Engine,
    key: SeriesKey,
    freq: Freq | str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pd.Series:
    """Counts of one series indexed by UTC ts, sorted; `end` is exclusive."""
    stored_freq = freq_value(freq)
    low, high = utc_datetime(start, name="start"), utc_datetime(end, name="end")
    with read_transaction(engine) as connection:
        series_id = connection.scalar(
            sa.select(series.c.id).where(
                series.c.category == key.category,
                series.c.channel == key.channel,
                series.c.freq == stored_freq,
            )
        )
        if series_id is None:
            raise NotFound(f"no series {key.label()!r} at freq {stored_freq!r}")
        ts_text = timestamps.select_text(observations.c.ts, connection.dialect.name)
        query = sa.select(ts_text, _COUNT).where(observations.c.series_id == series_id)
        if low is not None:
            query = query.where(observations.c.ts >= low)
        if high is not None:
            query = query.where(observations.c.ts < high)
        rows = connection.execute(query.order_by(observations.c.ts)).all()
    frame = rows_frame(rows, ["ts", "count"], floats=["count"])
    return pd.Series(
        frame["count"].to_numpy(), index=pd.DatetimeIndex(frame["ts"], name="ts"), name="count"
    )
