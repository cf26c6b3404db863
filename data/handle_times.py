"""Measured handle time (AHT) on observations: written alongside the counts, read back per
series for staffing.

Rows arrive staged in a temporary table (COPY on PostgreSQL) and are merged with one
UPDATE ... FROM before and one after the count merge: the first counts rows whose only
change is their AHT (so a re-sent file with new handle times reports them as updated),
the second sets AHT on the rows just inserted or whose count changed. Rows without an
AHT never clear a stored one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from data import timestamps
from data.bulk import insert_frame
from data.engine import read_transaction
from data.frames import freq_value, rows_frame, utc_datetime
from data.tables import UtcDateTime, observations, series
from forecast.handle_time import AHT_COLUMN
from forecast.series import Freq, SeriesKey

HANDLE_TIME_COLUMNS = ("ts", "count", AHT_COLUMN)
_STAGING = sa.Table(
    "vocast_aht_in", sa.MetaData(),
    sa.Column("series_id", sa.Integer, nullable=False),
    sa.Column("ts", UtcDateTime, nullable=False),
    sa.Column("count", sa.Double, nullable=False),
    sa.Column(AHT_COLUMN, sa.Double, nullable=False),
    prefixes=["TEMPORARY"],
)

CountMerge = Callable[[sa.Connection, pd.DataFrame], tuple[int, int]]


def merge_with_handle_times(connection: sa.Connection, rows: pd.DataFrame,
                            merge_counts: CountMerge) -> tuple[int, int]:
    """Run `merge_counts` on series_id, ts, count and merge the rows' AHT around it.

    Returns (inserted, updated) where updated includes rows whose only change is AHT.
    """
    counts = rows[["series_id", "ts", "count"]]
    if AHT_COLUMN not in rows.columns or rows[AHT_COLUMN].isna().all():
        return merge_counts(connection, counts)
    _STAGING.create(connection)  # rolled back with the transaction on any error
    insert_frame(connection, _STAGING, rows.loc[rows[AHT_COLUMN].notna(),
                                                ["series_id", "ts", "count", AHT_COLUMN]])
    aht_only = _update_aht(connection, same_count=True)
    inserted, updated = merge_counts(connection, counts)
    _update_aht(connection, same_count=False)
    _STAGING.drop(connection)
    return inserted, updated + aht_only


def _update_aht(connection: sa.Connection, *, same_count: bool) -> int:
    staged = _STAGING.c
    target = observations.c
    statement = (
        sa.update(observations)
        .values({AHT_COLUMN: staged[AHT_COLUMN]})
        .where(target.series_id == staged.series_id, target.ts == staged.ts,
               target[AHT_COLUMN].is_distinct_from(staged[AHT_COLUMN]))
    )
    if same_count:
        statement = statement.where(target["count"] == staged["count"])
    return int(connection.execute(statement).rowcount)


def load_handle_times(
    engine: sa.Engine, key: SeriesKey, freq: Freq | str, *,
    start: datetime | None = None, end: datetime | None = None,
) -> pd.DataFrame:
    """ts (UTC), count, aht_seconds of one series' buckets with a measured AHT, sorted;
    empty for an unknown series. `end` is exclusive."""
    low, high = utc_datetime(start, name="start"), utc_datetime(end, name="end")
    ts_text = timestamps.select_text(observations.c.ts, engine.dialect.name)
    query = (
        sa.select(ts_text, observations.c["count"], observations.c[AHT_COLUMN])
        .join(series, series.c.id == observations.c.series_id)
        .where(series.c.category == key.category, series.c.channel == key.channel,
               series.c.freq == freq_value(freq), observations.c[AHT_COLUMN].is_not(None))
    )
    if low is not None:
        query = query.where(observations.c.ts >= low)
    if high is not None:
        query = query.where(observations.c.ts < high)
    with read_transaction(engine) as connection:
        found = connection.execute(query.order_by(observations.c.ts)).all()
    return rows_frame(found, HANDLE_TIME_COLUMNS, floats=("count", AHT_COLUMN))
