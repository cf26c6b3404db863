"""Counts for monitoring: firing alerts and the notification outbox by status."""

from __future__ import annotations

import sqlalchemy as sa

from data.engine import read_transaction
from data.outbox import PENDING
from data.tables import alerts, outbox
from forecast.alerts import AlertState
from forecast.store import BacklogCounts


def backlog_counts(engine: sa.Engine) -> BacklogCounts:
    """Firing alerts, outbox messages per status and the oldest pending one's creation."""
    firing = sa.select(sa.func.count()).select_from(alerts).where(
        alerts.c.state == AlertState.FIRING.value)
    by_status = sa.select(outbox.c.status, sa.func.count()).group_by(outbox.c.status)
    oldest = sa.select(sa.func.min(outbox.c.created_at)).where(outbox.c.status == PENDING)
    with read_transaction(engine) as connection:
        firing_alerts = connection.scalar(firing) or 0
        statuses = {row[0]: int(row[1]) for row in connection.execute(by_status)}
        oldest_pending_at = connection.scalar(oldest)
    return BacklogCounts(firing_alerts=firing_alerts, outbox=statuses,
                         oldest_pending_at=oldest_pending_at)
