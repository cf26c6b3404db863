"""The notification outbox: batches claimed with a lease, then marked delivered or failed.

A batch is the set of pending messages to one destination that go out as one request,
under the batch id as idempotency key. Claiming stamps the batch id on its rows and a
lease (`claimed_until`); a sender that dies before marking leaves the lease to expire,
and the next claim returns the same batch, with the same id and members, again. A
delivered row is never claimed again.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from data.engine import read_transaction, write_transaction
from data.tables import outbox
from forecast.alerts import Notice, OutboxBatch, OutboxMessage
from forecast.errors import InvalidParameter, NotFound

PENDING = "pending"
DELIVERED = "delivered"
DEAD = "dead"
STATUSES = (PENDING, DELIVERED, DEAD)
ERROR_MAX_LENGTH = 500


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidParameter(name, value.isoformat(), "a timezone-aware timestamp")
    return value.astimezone(UTC)


def message_from_row(row: sa.Row[Any]) -> OutboxMessage:
    return OutboxMessage(
        id=int(row.id), alert_id=int(row.alert_id), destination=row.destination,
        notice=Notice(row.notice), idempotency_key=row.idempotency_key,
        payload=dict(row.payload), created_at=row.created_at, status=row.status,
        attempts=int(row.attempts), next_attempt_at=row.next_attempt_at,
        batch_id=row.batch_id, delivered_at=row.delivered_at, last_error=row.last_error)


def _due(destination: str, now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        outbox.c.destination == destination, outbox.c.status == PENDING,
        outbox.c.next_attempt_at <= now,
        sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until <= now))


def claim_batch(engine: sa.Engine, destination: str, *, now: datetime, lease_seconds: float,
                limit: int) -> OutboxBatch | None:
    """The next batch due for `destination`, leased until now + lease_seconds.

    A batch claimed before (a retry, or a sender that died) comes first and unchanged;
    otherwise up to `limit` unbatched messages form a new batch, oldest first.
    """
    now = _utc(now, "now")
    if limit < 1 or lease_seconds <= 0:
        raise InvalidParameter("limit/lease_seconds", (limit, lease_seconds), "positive")
    with write_transaction(engine) as connection:
        batch_id = connection.scalar(
            sa.select(outbox.c.batch_id)
            .where(_due(destination, now), outbox.c.batch_id.is_not(None))
            .order_by(outbox.c.id).limit(1).with_for_update(skip_locked=True))
        if batch_id is None:
            batch_id = _new_batch(connection, destination, now, limit)
        if batch_id is None:
            return None
        members = outbox.c.batch_id == batch_id
        connection.execute(sa.update(outbox).where(members, outbox.c.status == PENDING)
                           .values(claimed_until=now + timedelta(seconds=lease_seconds)))
        rows = connection.execute(sa.select(outbox).where(members, outbox.c.status == PENDING)
                                  .order_by(outbox.c.id)).all()
    messages = tuple(message_from_row(row) for row in rows)
    return OutboxBatch(batch_id, destination, messages, max(m.attempts for m in messages))


def _new_batch(connection: sa.Connection, destination: str, now: datetime,
               limit: int) -> str | None:
    ids = connection.scalars(
        sa.select(outbox.c.id).where(_due(destination, now), outbox.c.batch_id.is_(None))
        .order_by(outbox.c.id).limit(limit).with_for_update(skip_locked=True)).all()
    if not ids:
        return None
    batch_id = f"b-{uuid.uuid4().hex}"
    connection.execute(sa.update(outbox).where(outbox.c.id.in_(ids)).values(batch_id=batch_id))
    return batch_id


def mark_delivered(engine: sa.Engine, batch_id: str, *, now: datetime) -> int:
    """Mark a batch's pending messages delivered; returns how many (0 when done before)."""
    now = _utc(now, "now")
    with write_transaction(engine) as connection:
        result = connection.execute(
            sa.update(outbox).where(outbox.c.batch_id == batch_id, outbox.c.status == PENDING)
            .values(status=DELIVERED, delivered_at=now, claimed_until=None, last_error=None,
                    attempts=outbox.c.attempts + 1))
        updated = int(result.rowcount)
        if not updated:
            _require_batch(connection, batch_id)
    return updated


def mark_failed(engine: sa.Engine, batch_id: str, *, error: str, retry_at: datetime,
                give_up: bool = False) -> int:
    """Record a failed attempt: retry at `retry_at`, or stop (status dead) when `give_up`."""
    retry_at = _utc(retry_at, "retry_at")
    with write_transaction(engine) as connection:
        result = connection.execute(
            sa.update(outbox).where(outbox.c.batch_id == batch_id, outbox.c.status == PENDING)
            .values(status=DEAD if give_up else PENDING, next_attempt_at=retry_at,
                    claimed_until=None, last_error=error[:ERROR_MAX_LENGTH],
                    attempts=outbox.c.attempts + 1))
        updated = int(result.rowcount)
        if not updated:
            _require_batch(connection, batch_id)
    return updated


def _require_batch(connection: sa.Connection, batch_id: str) -> None:
    found = connection.scalar(sa.select(sa.func.count()).where(outbox.c.batch_id == batch_id))
    if not found:
        raise NotFound(f"no outbox batch with id {batch_id!r}")


def list_outbox(engine: sa.Engine, *, status: str | None = None,
                limit: int = 1000) -> list[OutboxMessage]:
    """Outbox messages by id, optionally of one status."""
    if status is not None and status not in STATUSES:
        raise InvalidParameter("status", status, f"one of {', '.join(STATUSES)}")
    if limit < 1:
        raise InvalidParameter("limit", limit, "a positive number of messages")
    query = sa.select(outbox).order_by(outbox.c.id).limit(limit)
    if status is not None:
        query = query.where(outbox.c.status == status)
    with read_transaction(engine) as connection:
        found = connection.execute(query).all()
    return [message_from_row(row) for row in found]
