"""Engines for SQLite and PostgreSQL, and the transactions the store runs in.

SQLite gets real transactions (SQLAlchemy emits BEGIN, so reads inside one see one
snapshot), write-ahead logging so readers never wait for a writer, and
`BEGIN IMMEDIATE` for write transactions so two writers queue instead of failing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from forecast.errors import InvalidParameter

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
SQLITE_BUSY_TIMEOUT_SECONDS = 30
_WRITE_OPTION = "vocast_write"


def create_store_engine(database_url: str) -> sa.Engine:
    """An engine for a `sqlite:///` or `postgresql+psycopg://` URL."""
    url = sa.make_url(database_url)
    backend = url.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise InvalidParameter(
            "database_url",
            url.render_as_string(hide_password=True),
            "a sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DB URL",
        )
    if backend == "sqlite":
        return _sqlite_engine(url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return sa.create_engine(url, pool_pre_ping=True)


def _sqlite_engine(url: sa.URL) -> sa.Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: sa.Connection) -> None:
    write = connection.get_execution_options().get(_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def write_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One transaction that will write: committed on success, rolled back on error."""
    with engine.connect() as connection:
        connection.execution_options(**{_WRITE_OPTION: True})
        with connection.begin():
            yield connection


@contextmanager
def read_transaction(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One read-only transaction: every query inside sees the same snapshot."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection
