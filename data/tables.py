"""The SQLAlchemy Core tables behind `SqlStore` (the migrations create them)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Dialect

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned tz-aware in UTC.

    SQLite keeps no zone, so values are converted to UTC and stored naive there;
    PostgreSQL stores `timestamptz` and returns the session zone, converted back here.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        if value.tzinfo is None:
            raise ValueError(f"timestamps must be tz-aware; got naive {value.isoformat()}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: datetime | None, dialect: Dialect  # noqa: ARG002
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _key_columns() -> list[sa.Column[str]]:
    return [
        sa.Column("category", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("freq", sa.String(8), nullable=False),
    ]


series = sa.Table(
    "series",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    *_key_columns(),
    sa.UniqueConstraint("category", "channel", "freq"),
)

observations = sa.Table(
    "observations",
    metadata,
    sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id"), primary_key=True),
    sa.Column("ts", UtcDateTime, primary_key=True),
    sa.Column("count", sa.Double, nullable=False),
    sa.Column("aht_seconds", sa.Double, nullable=True),  # mean handle time, when measured
)

forecast_runs = sa.Table(
    "forecast_runs",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("created_at", UtcDateTime, nullable=False, index=True),
    sa.Column("published_at", UtcDateTime, nullable=True),
    sa.Column("series", sa.Integer, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
)

forecast_rows = sa.Table(
    "forecast_rows",
    metadata,
    sa.Column(
        "run_id",
        sa.String(64),
        sa.ForeignKey("forecast_runs.run_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id"), primary_key=True),
    sa.Column("ts", UtcDateTime, primary_key=True),
    sa.Column("yhat", sa.Double, nullable=False),
    sa.Column("lo80", sa.Double, nullable=True),
    sa.Column("hi80", sa.Double, nullable=True),
    sa.Column("lo95", sa.Double, nullable=True),
    sa.Column("hi95", sa.Double, nullable=True),
    sa.Column("model", sa.String(100), nullable=False),
)

accuracy_rows = sa.Table(
    "accuracy_rows",
    metadata,
    sa.Column(
        "run_id",
        sa.String(64),
        sa.ForeignKey("forecast_runs.run_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("category", sa.String(200), primary_key=True),
    sa.Column("channel", sa.String(200), primary_key=True),
    sa.Column("freq", sa.String(8), primary_key=True),
    sa.Column("model", sa.String(100), primary_key=True),
    sa.Column("folds", sa.Integer, nullable=False),
    sa.Column("wape", sa.Double, nullable=True),
    sa.Column("mase", sa.Double, nullable=True),
    sa.Column("bias", sa.Double, nullable=True),
    sa.Column("coverage80", sa.Double, nullable=True),
    sa.Column("coverage95", sa.Double, nullable=True),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("selected", sa.Boolean, nullable=False),
)

current_run = sa.Table(
    "current_run",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("run_id", sa.String(64), sa.ForeignKey("forecast_runs.run_id"), nullable=True),
    sa.CheckConstraint("id = 1", name="single_row"),
)

job_runs = sa.Table(
    "job_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job", sa.String(100), nullable=False),
    sa.Column("started_at", UtcDateTime, nullable=False),
    sa.Column("finished_at", UtcDateTime, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("detail", sa.Text, nullable=True),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    sa.Column("categories", sa.JSON, nullable=False),  # list of names; [] = every category
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("name", "start_date", "end_date"),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False, unique=True),
    sa.Column("key_hash", sa.String(64), nullable=False),  # sha256 hex of the whole token
    sa.Column("scopes", sa.String(64), nullable=False),  # space-separated
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
)

overrides = sa.Table(
    "overrides",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("category", sa.String(200), nullable=False, index=True),
    sa.Column("channel", sa.String(200), nullable=True),  # null = every channel
    sa.Column("freq", sa.String(8), nullable=True),  # null = every interval
    sa.Column("start_ts", UtcDateTime, nullable=False),
    sa.Column("end_ts", UtcDateTime, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("value", sa.Double, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=True),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
    sa.Column("revoked_by", sa.String(200), nullable=True),
)

CURRENT_RUN_ROW_ID = 1

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dedup_key", sa.String(400), nullable=False, unique=True),
    sa.Column("rule", sa.String(32), nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    *_key_columns(),
    sa.Column("window_start", UtcDateTime, nullable=False),
    sa.Column("window_end", UtcDateTime, nullable=False),
    sa.Column("peak_ts", UtcDateTime, nullable=False),
    sa.Column("volume", sa.Double, nullable=False),
    sa.Column("baseline", sa.Double, nullable=False),
    sa.Column("agents_needed", sa.Integer, nullable=True),
    sa.Column("agents_planned", sa.Integer, nullable=True),
    sa.Column("explanation", sa.JSON, nullable=False),
    sa.Column("projected_total", sa.Double, nullable=True),
    sa.Column("day_forecast", sa.Double, nullable=True),
    sa.Column("started_at", UtcDateTime, nullable=False, index=True),
    sa.Column("last_seen_at", UtcDateTime, nullable=False),
    sa.Column("resolved_at", UtcDateTime, nullable=True),
    sa.Column("last_notified_at", UtcDateTime, nullable=True),
)

silences = sa.Table(
    "silences",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("category", sa.String(200), nullable=True),
    sa.Column("channel", sa.String(200), nullable=True),
    sa.Column("rule", sa.String(32), nullable=True),
    sa.Column("until", UtcDateTime, nullable=False, index=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=False),
    sa.Column("destination", sa.String(32), nullable=False),
    sa.Column("notice", sa.String(16), nullable=False),
    sa.Column("idempotency_key", sa.String(100), nullable=False, unique=True),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("claimed_until", UtcDateTime, nullable=True),
    sa.Column("batch_id", sa.String(64), nullable=True, index=True),
    sa.Column("delivered_at", UtcDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Index("ix_outbox_due", "destination", "status", "next_attempt_at"),
)
