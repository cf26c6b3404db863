"""Spike alerts, silences and the notification outbox.

Revision ID: 0002_alerts
Revises: 0004_overrides_aht
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_alerts"
down_revision = "0004_overrides_aht"
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _create_alerts() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("dedup_key", sa.String(400), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("category", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("freq", sa.String(8), nullable=False),
        sa.Column("window_start", _utc(), nullable=False),
        sa.Column("window_end", _utc(), nullable=False),
        sa.Column("peak_ts", _utc(), nullable=False),
        sa.Column("volume", sa.Double, nullable=False),
        sa.Column("baseline", sa.Double, nullable=False),
        sa.Column("agents_needed", sa.Integer, nullable=True),
        sa.Column("agents_planned", sa.Integer, nullable=True),
        sa.Column("explanation", sa.JSON, nullable=False),
        sa.Column("projected_total", sa.Double, nullable=True),
        sa.Column("day_forecast", sa.Double, nullable=True),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("last_seen_at", _utc(), nullable=False),
        sa.Column("resolved_at", _utc(), nullable=True),
        sa.Column("last_notified_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("dedup_key", name="uq_alerts_dedup_key"),
    )
    op.create_index("ix_alerts_state", "alerts", ["state"])
    op.create_index("ix_alerts_started_at", "alerts", ["started_at"])


def _create_silences() -> None:
    op.create_table(
        "silences",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("category", sa.String(200), nullable=True),
        sa.Column("channel", sa.String(200), nullable=True),
        sa.Column("rule", sa.String(32), nullable=True),
        sa.Column("until", _utc(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_silences"),
    )
    op.create_index("ix_silences_until", "silences", ["until"])


def _create_outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.Integer, nullable=False),
        sa.Column("destination", sa.String(32), nullable=False),
        sa.Column("notice", sa.String(16), nullable=False),
        sa.Column("idempotency_key", sa.String(100), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", _utc(), nullable=False),
        sa.Column("claimed_until", _utc(), nullable=True),
        sa.Column("batch_id", sa.String(64), nullable=True),
        sa.Column("delivered_at", _utc(), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_idempotency_key"),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name="fk_outbox_alert_id_alerts"),
    )
    op.create_index("ix_outbox_batch_id", "outbox", ["batch_id"])
    op.create_index("ix_outbox_due", "outbox", ["destination", "status", "next_attempt_at"])


def upgrade() -> None:
    _create_alerts()
    _create_silences()
    _create_outbox()


def downgrade() -> None:
    for table in ("outbox", "silences", "alerts"):
        op.drop_table(table)
