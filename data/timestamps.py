"""Fast paths for bulk timestamp columns.

Row-by-row type processing costs microseconds per value, which adds up over 100k
rows, so bulk reads and writes move timestamps as UTC text on SQLite (the exact
format SQLAlchemy's SQLite DATETIME stores, so comparisons with other values still
hold) and select them as UTC text on PostgreSQL, then parse them vectorised.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from data.tables import UtcDateTime


def bind_type(dialect_name: str) -> sa.types.TypeEngine[Any]:
    """The type to bind values made by `bind_values` with."""
    return sa.String() if dialect_name == "sqlite" else UtcDateTime()


def bind_values(values: pd.Series, dialect_name: str) -> list[Any]:
    """UTC timestamps as the driver takes them: SQLite text or aware datetimes."""
    utc = values.dt.tz_convert("UTC")
    if dialect_name != "sqlite":
        return list(utc.dt.to_pydatetime())
    text = np.datetime_as_string(utc.dt.tz_localize(None).to_numpy("datetime64[us]"), unit="us")
    return list(np.char.replace(text, "T", " ").tolist())


def select_text(column: sa.ColumnElement[Any], dialect_name: str) -> sa.ColumnElement[Any]:
    """A timestamp column selected as UTC text, labelled with the column's name."""
    name = column.key
    if dialect_name == "postgresql":
        utc = sa.func.timezone("UTC", column)
        return sa.func.to_char(utc, "YYYY-MM-DD HH24:MI:SS.US").label(name)
    return sa.type_coerce(column, sa.String()).label(name)


def parse(values: pd.Series) -> pd.Series:
    """UTC text (or datetimes) from the database as datetime64[us, UTC]."""
    return pd.to_datetime(values, utc=True, format="ISO8601").dt.as_unit("us")


def bind_params(
    table: sa.Table, columns: Iterable[str], dialect_name: str, *, prefix: str = "p_"
) -> dict[str, sa.BindParameter[Any]]:
    """VALUES bind parameters named `prefix + column`; timestamps typed for `bind_values`."""
    params: dict[str, sa.BindParameter[Any]] = {}
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, UtcDateTime):
            column_type = bind_type(dialect_name)
        params[name] = sa.bindparam(prefix + name, type_=column_type)
    return params
