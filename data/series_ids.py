"""Series rows: find or create the id of each (category, channel, freq)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from data.frames import KEY_COLUMNS
from data.tables import series

SeriesTuple = tuple[str, str, str]


def dialect_insert(connection: sa.Connection, table: sa.Table) -> Any:
    """An INSERT that supports ON CONFLICT on both SQLite and PostgreSQL."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _existing_ids(connection: sa.Connection) -> dict[SeriesTuple, int]:
    rows = connection.execute(
        sa.select(series.c.category, series.c.channel, series.c.freq, series.c.id)
    )
    return {(category, channel, freq): id_ for category, channel, freq, id_ in rows}


def ensure_series_ids(
    connection: sa.Connection, keys: Iterable[SeriesTuple]
) -> dict[SeriesTuple, int]:
    """Ids of `keys`, inserting the series that do not exist yet."""
    wanted = set(keys)
    ids = _existing_ids(connection)
    missing = sorted(wanted - ids.keys())
    if missing:
        statement = dialect_insert(connection, series).on_conflict_do_nothing(
            index_elements=list(KEY_COLUMNS)
        )
        connection.execute(
            statement,
            [{"category": c, "channel": ch, "freq": f} for c, ch, f in missing],
        )
        ids = _existing_ids(connection)
    return {key: ids[key] for key in wanted}


def with_series_ids(connection: sa.Connection, frame: pd.DataFrame) -> pd.Series:
    """The series id of every row of a frame with category, channel and freq columns."""
    keys = frame[list(KEY_COLUMNS)].drop_duplicates()
    ids = ensure_series_ids(connection, keys.itertuples(index=False, name=None))
    lookup = keys.assign(series_id=[ids[key] for key in keys.itertuples(index=False, name=None)])
    merged = frame[list(KEY_COLUMNS)].merge(lookup, on=list(KEY_COLUMNS), how="left")
    return pd.Series(merged["series_id"].to_numpy(), index=frame.index, name="series_id")
