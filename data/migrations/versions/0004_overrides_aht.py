"""Planner overrides of published forecasts, and measured handle time on observations.

Revision ID: 0004_overrides_aht
Revises: 0003_api_keys
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_overrides_aht"
down_revision = "0003_api_keys"
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("observations", sa.Column("aht_seconds", sa.Double, nullable=True))
    op.create_table(
        "overrides",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("category", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(200), nullable=True),
        sa.Column("freq", sa.String(8), nullable=True),
        sa.Column("start_ts", _utc(), nullable=False),
        sa.Column("end_ts", _utc(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Double, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("expires_at", _utc(), nullable=True),
        sa.Column("revoked_at", _utc(), nullable=True),
        sa.Column("revoked_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_overrides"),
    )
    op.create_index("ix_overrides_category", "overrides", ["category"])


def downgrade() -> None:
    op.drop_index("ix_overrides_category", table_name="overrides")
    op.drop_table("overrides")
    with op.batch_alter_table("observations") as batch:
        batch.drop_column("aht_seconds")
