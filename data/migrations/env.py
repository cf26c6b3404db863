"""Alembic environment: runs on the connection `data.migrate` passes in.

`data.migrate.upgrade` (what `open_store` calls) passes an open connection. To write
a new revision, take `data.migrate.alembic_config()`, set its `sqlalchemy.url` and
call `alembic.command.revision(config, message, autogenerate=True)`; only vocast's own
tables are compared, so a scheduler job table in the same database is left alone.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context

from data.tables import metadata

config = context.config


def _include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any  # noqa: ARG001
) -> bool:
    return not (type_ == "table" and reflected and name not in metadata.tables)


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=_include_object,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url", ""))
    try:
        with engine.connect() as own_connection:
            _run(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    _run_online()
