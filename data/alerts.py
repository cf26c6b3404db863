"""Alerts and silences: lifecycle changes with their outbox rows in one transaction."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from data.engine import read_transaction, write_transaction
from data.outbox import PENDING, message_from_row
from data.tables import alerts, outbox, silences
from forecast.alerts import (
    Alert,
    AlertChange,
    AlertRecord,
    AlertState,
    Notice,
    OutboxMessage,
    Rule,
    Silence,
)
from forecast.errors import InvalidParameter, NotFound
from forecast.series import Freq, SeriesKey

logger = logging.getLogger(__name__)

DESTINATION_MAX_LENGTH = 32
COMMENT_MAX_LENGTH = 2000


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidParameter(name, value.isoformat(), "a timezone-aware timestamp")
    return value.astimezone(UTC)


def apply_alert_changes(engine: sa.Engine, changes: Sequence[AlertChange], *,
                        destinations: Sequence[str], now: datetime) -> list[OutboxMessage]:
    """Apply every change and queue its notice to each destination, all or nothing.

    A change whose row no longer looks like `change.previous` (another check got there
    first) is skipped, so a notice is never queued twice for the same transition.
    """
    now = _aware(now, "now")
    for name in destinations:
        if not name or len(name) > DESTINATION_MAX_LENGTH:
            raise InvalidParameter("destination", name,
                                   f"a name of 1 to {DESTINATION_MAX_LENGTH} characters")
    queued: list[OutboxMessage] = []
    with write_transaction(engine) as connection:
        for change in changes:
            alert_id = _apply(connection, change, now)
            if alert_id is None or change.notice is None or change.payload is None:
                continue
            for destination in destinations:
                queued.append(_enqueue(connection, alert_id, destination, change.notice,
                                       change.payload, now))
    if changes:
        logger.info("applied %d alert changes; queued %d notices", len(changes), len(queued))
    return queued


def _apply(connection: sa.Connection, change: AlertChange, now: datetime) -> int | None:
    row = connection.execute(
        sa.select(alerts).where(alerts.c.dedup_key == change.dedup_key).with_for_update()
    ).first()
    if not _as_planned(row, change):
        logger.info("alert %s changed since the check read it; skipped", change.dedup_key)
        return None
    values: dict[str, Any] = {**_alert_values(change.alert), "state": change.state.value}
    if change.notice is not None:
        values["last_notified_at"] = now
    if change.state is AlertState.FIRING:
        values["last_seen_at"] = now
        if row is None or row.state != AlertState.FIRING.value:
            values.update(started_at=now, resolved_at=None)
            if change.notice is None:
                values["last_notified_at"] = None
    else:
        values["resolved_at"] = now
    if row is None:
        inserted = connection.execute(
            sa.insert(alerts).values(dedup_key=change.dedup_key, **values)
            .returning(alerts.c.id)).scalar_one()
        return int(inserted)
    connection.execute(sa.update(alerts).where(alerts.c.id == row.id).values(**values))
    return int(row.id)


def _as_planned(row: sa.Row[Any] | None, change: AlertChange) -> bool:
    previous = change.previous
    if previous is None:
        return row is None or row.state != AlertState.FIRING.value
    return (row is not None and row.state == previous.state.value
            and row.last_notified_at == previous.last_notified_at)


def _alert_values(alert: Alert) -> dict[str, Any]:
    return {
        "rule": alert.rule.value, "category": alert.key.category,
        "channel": alert.key.channel, "freq": alert.freq.value,
        "window_start": _aware(alert.start, "alert start"),
        "window_end": _aware(alert.end, "alert end"),
        "peak_ts": _aware(alert.peak_ts, "alert peak_ts"),
        "volume": float(alert.volume), "baseline": float(alert.baseline),
        "agents_needed": alert.agents_needed, "agents_planned": alert.agents_planned,
        "explanation": list(alert.explanation), "projected_total": alert.projected_total,
        "day_forecast": alert.day_forecast,
    }


def _enqueue(connection: sa.Connection, alert_id: int, destination: str, notice: Notice,
             body: Mapping[str, Any], now: datetime) -> OutboxMessage:
    key = f"n-{alert_id}-{notice.value}-{uuid.uuid4().hex[:16]}"
    payload: Mapping[str, Any] = {**body, "alert_id": alert_id, "idempotency_key": key}
    values = {"alert_id": alert_id, "destination": destination,
              "notice": notice.value, "idempotency_key": key, "payload": dict(payload),
              "created_at": now, "status": PENDING, "attempts": 0, "next_attempt_at": now}
    row = connection.execute(sa.insert(outbox).values(**values).returning(outbox)).one()
    return message_from_row(row)


def record_from_row(row: sa.Row[Any]) -> AlertRecord:
    alert = Alert(
        rule=Rule(row.rule), key=SeriesKey(row.category, row.channel), freq=Freq(row.freq),
        start=row.window_start, end=row.window_end, peak_ts=row.peak_ts,
        volume=float(row.volume), baseline=float(row.baseline),
        agents_needed=row.agents_needed, agents_planned=row.agents_planned,
        explanation=tuple(row.explanation or ()), projected_total=row.projected_total,
        day_forecast=row.day_forecast)
    return AlertRecord(
        id=int(row.id), dedup_key=row.dedup_key, state=AlertState(row.state), alert=alert,
        started_at=row.started_at, last_seen_at=row.last_seen_at,
        resolved_at=row.resolved_at, last_notified_at=row.last_notified_at)


def list_alerts(engine: sa.Engine, *, state: AlertState | None = None,
                category: str | None = None, channel: str | None = None,
                rule: Rule | None = None, start: datetime | None = None,
                end: datetime | None = None, limit: int = 100) -> list[AlertRecord]:
    """Alerts newest first; `start`/`end` keep those active at some time in [start, end)."""
    if limit < 1:
        raise InvalidParameter("limit", limit, "a positive number of alerts")
    query = sa.select(alerts).order_by(alerts.c.started_at.desc(), alerts.c.id.desc())
    for column, value in (("state", state), ("category", category), ("channel", channel),
                          ("rule", rule)):
        if value is not None:
            query = query.where(alerts.c[column] == str(value))
    if end is not None:
        query = query.where(alerts.c.started_at < _aware(end, "end"))
    if start is not None:
        low = _aware(start, "start")
        query = query.where(sa.or_(alerts.c.resolved_at.is_(None), alerts.c.resolved_at >= low))
    with read_transaction(engine) as connection:
        found = connection.execute(query.limit(limit)).all()
    return [record_from_row(row) for row in found]


def add_silence(engine: sa.Engine, *, until: datetime, category: str | None = None,
                channel: str | None = None, rule: Rule | None = None, comment: str = "",
                now: datetime | None = None) -> Silence:
    """Store a silence; `until` must be later than now."""
    created = _aware(now or datetime.now(UTC), "now")
    until = _aware(until, "until")
    if until <= created:
        raise InvalidParameter("until", until.isoformat(), "a time in the future")
    if len(comment) > COMMENT_MAX_LENGTH:
        raise InvalidParameter("comment", f"{len(comment)} characters",
                               f"at most {COMMENT_MAX_LENGTH} characters")
    values = {"category": category, "channel": channel,
              "rule": None if rule is None else Rule(rule).value, "until": until,
              "created_at": created, "comment": comment}
    with write_transaction(engine) as connection:
        row = connection.execute(sa.insert(silences).values(**values).returning(silences)).one()
    return _silence(row)


def delete_silence(engine: sa.Engine, silence_id: int) -> None:
    """Remove a silence (NotFound when there is none with this id)."""
    with write_transaction(engine) as connection:
        deleted = connection.execute(sa.delete(silences).where(silences.c.id == silence_id))
    if not deleted.rowcount:
        raise NotFound(f"no silence with id {silence_id}")


def list_silences(engine: sa.Engine, *, active_at: datetime | None = None) -> list[Silence]:
    """Silences by id, or only those still in force at `active_at`."""
    query = sa.select(silences).order_by(silences.c.id)
    if active_at is not None:
        query = query.where(silences.c.until > _aware(active_at, "active_at"))
    with read_transaction(engine) as connection:
        found = connection.execute(query).all()
    return [_silence(row) for row in found]


def _silence(row: sa.Row[Any]) -> Silence:
    return Silence(id=int(row.id), until=row.until, created_at=row.created_at,
                   category=row.category, channel=row.channel,
                   rule=None if row.rule is None else Rule(row.rule), comment=row.comment)
