"""Store fixtures: one parametrized database URL runs the same suite on every backend.

SQLite always runs (a file in a temporary folder that does not exist yet).
PostgreSQL runs when VOCAST_TEST_POSTGRES_URL is set (scripts/start-postgres prints
one); every test then gets its own fresh schema, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from data.store import SqlStore, open_store

POSTGRES_URL_ENV = "VOCAST_TEST_POSTGRES_URL"


def _sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'var' / 'vocast.db'}"


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """A URL whose search_path is a new, empty schema (skips without a server URL)."""
    base = os.environ.get(POSTGRES_URL_ENV)
    if not base and os.environ.get("VOCAST_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"VOCAST_REQUIRE_POSTGRES=1 but {POSTGRES_URL_ENV} is not set")
    if not base:
        pytest.skip(f"no PostgreSQL: set {POSTGRES_URL_ENV} (scripts/start-postgres prints one)")
    schema = f"vocast_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of each supported kind."""
    if request.param == "sqlite":
        return _sqlite_url(tmp_path)
    url: str = request.getfixturevalue("postgres_schema_url")
    return url


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    """A migrated, empty `SqlStore` on each backend."""
    opened = open_store(database_url)
    try:
        yield opened
    finally:
        opened.dispose()
