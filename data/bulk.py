"""Bulk writes of whole frames: executemany on SQLite, COPY on PostgreSQL.

psycopg's executemany sends one statement per row, so on PostgreSQL frames are
streamed with COPY instead (inside the caller's transaction): straight into the
target table, or into a temporary table that one INSERT and one UPDATE then merge.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from data import timestamps
from data.frames import records

_STAGING = "vocast_observations_in"


def insert_frame(connection: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """INSERT every row of `frame` (which has all of the table's columns)."""
    columns = [column.name for column in table.columns]
    if frame.empty:
        return
    if connection.dialect.name == "postgresql":
        _copy(connection, table.name, columns, frame)
        return
    statement = sa.insert(table).values(timestamps.bind_params(table, columns, "sqlite"))
    connection.execute(statement, records(frame, columns, "sqlite", prefix="p_"))


def _copy(
    connection: sa.Connection, table_name: str, columns: Sequence[str], frame: pd.DataFrame
) -> None:
    rows = records(frame, columns, "postgresql")
    quoted = ", ".join(f'"{name}"' for name in columns)
    raw: Any = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table_name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(tuple(row.values()))


def merge_observations_postgresql(connection: sa.Connection, rows: pd.DataFrame) -> tuple[int, int]:
    """Insert new and update changed counts from `rows` (series_id, ts, count).

    Returns (inserted, updated); rows whose stored count is equal are left alone.
    """
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE {_STAGING} (series_id integer NOT NULL, "
        "ts timestamptz NOT NULL, count double precision NOT NULL) ON COMMIT DROP"
    )
    _copy(connection, _STAGING, ["series_id", "ts", "count"], rows)
    updated = connection.exec_driver_sql(
        f"UPDATE observations AS o SET count = i.count FROM {_STAGING} AS i "
        "WHERE o.series_id = i.series_id AND o.ts = i.ts AND o.count <> i.count"
    ).rowcount
    inserted = connection.exec_driver_sql(
        f"INSERT INTO observations (series_id, ts, count) "
        f"SELECT i.series_id, i.ts, i.count FROM {_STAGING} AS i "
        "WHERE NOT EXISTS (SELECT 1 FROM observations AS o "
        "WHERE o.series_id = i.series_id AND o.ts = i.ts) "
        "ON CONFLICT (series_id, ts) DO UPDATE SET count = EXCLUDED.count"
    ).rowcount
    return inserted, updated

