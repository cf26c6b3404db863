"""Initial schema: series, observations, forecast runs, accuracy, current run, job runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _create_series_and_observations() -> None:
    op.create_table(
        "series",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("category", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("freq", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_series"),
        sa.UniqueConstraint(
            "category", "channel", "freq", name="uq_series_category_channel_freq"
        ),
    )
    op.create_table(
        "observations",
        sa.Column("series_id", sa.Integer, nullable=False),
        sa.Column("ts", _utc(), nullable=False),
        sa.Column("count", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("series_id", "ts", name="pk_observations"),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name="fk_observations_series_id_series"
        ),
    )


def _create_runs() -> None:
    op.create_table(
        "forecast_runs",
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("published_at", _utc(), nullable=True),
        sa.Column("series", sa.Integer, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("run_id", name="pk_forecast_runs"),
    )
    op.create_index("ix_forecast_runs_created_at", "forecast_runs", ["created_at"])
    op.create_table(
        "current_run",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_current_run"),
        sa.CheckConstraint("id = 1", name="ck_current_run_single_row"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["forecast_runs.run_id"], name="fk_current_run_run_id_forecast_runs"
        ),
    )
    op.execute("INSERT INTO current_run (id, run_id) VALUES (1, NULL)")


def _create_forecast_rows() -> None:
    op.create_table(
        "forecast_rows",
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("series_id", sa.Integer, nullable=False),
        sa.Column("ts", _utc(), nullable=False),
        sa.Column("yhat", sa.Double, nullable=False),
        sa.Column("lo80", sa.Double, nullable=True),
        sa.Column("hi80", sa.Double, nullable=True),
        sa.Column("lo95", sa.Double, nullable=True),
        sa.Column("hi95", sa.Double, nullable=True),
        sa.Column("model", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "series_id", "ts", name="pk_forecast_rows"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["forecast_runs.run_id"],
            name="fk_forecast_rows_run_id_forecast_runs", ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["series_id"], ["series.id"], name="fk_forecast_rows_series_id_series"
        ),
    )


def _create_accuracy_rows() -> None:
    op.create_table(
        "accuracy_rows",
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("category", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("freq", sa.String(8), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("folds", sa.Integer, nullable=False),
        sa.Column("wape", sa.Double, nullable=True),
        sa.Column("mase", sa.Double, nullable=True),
        sa.Column("bias", sa.Double, nullable=True),
        sa.Column("coverage80", sa.Double, nullable=True),
        sa.Column("coverage95", sa.Double, nullable=True),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("selected", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint(
            "run_id", "category", "channel", "freq", "model", name="pk_accuracy_rows"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["forecast_runs.run_id"],
            name="fk_accuracy_rows_run_id_forecast_runs", ondelete="CASCADE",
        ),
    )


def _create_job_runs() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("job", sa.String(100), nullable=False),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("finished_at", _utc(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_job_runs"),
    )


def upgrade() -> None:
    _create_series_and_observations()
    _create_runs()
    _create_forecast_rows()
    _create_accuracy_rows()
    _create_job_runs()


def downgrade() -> None:
    for table in (
        "job_runs", "accuracy_rows", "forecast_rows", "current_run", "forecast_runs",
        "observations", "series",
    ):
        op.drop_table(table)
