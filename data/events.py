"""User events: the idempotent upsert by (name, start, end), listing and deletion."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from data.engine import read_transaction, write_transaction
from data.series_ids import dialect_insert
from data.tables import events as event_rows
from forecast.calendar import Event
from forecast.errors import InvalidInput, NotFound
from forecast.events import StoredEvent, checked_event, deduplicated, event_key
from forecast.store import UpsertResult

logger = logging.getLogger(__name__)

_KEY_COLUMNS = ("name", "start_date", "end_date")


def upsert_events(engine: sa.Engine, events: Sequence[Event]) -> UpsertResult:
    """Insert new events and update the kind and categories of known ones, in one transaction.

    Every event is validated first (InvalidInput names its 1-based position); an
    event stored already with the same kind and categories is left alone.
    """
    incoming = _validated(events)
    inserted = updated = 0
    with write_transaction(engine) as connection:
        stored = _stored_by_key(connection, {e.name for e in incoming})
        for event in incoming:
            known = stored.get(event_key(event))
            if known is None:
                if _insert(connection, event):
                    inserted += 1
                    continue
            elif known == (event.kind, event.categories):
                continue
            _update(connection, event)
            updated += 1
    result = UpsertResult(inserted=inserted, updated=updated,
                          unchanged=len(incoming) - inserted - updated)
    logger.info("upserted events: %d inserted, %d updated, %d unchanged",
                result.inserted, result.updated, result.unchanged)
    return result


def list_events(engine: sa.Engine) -> list[StoredEvent]:
    """Every stored event, by start date, end date and name."""
    query = sa.select(event_rows).order_by(
        event_rows.c.start_date, event_rows.c.end_date, event_rows.c.name, event_rows.c.id
    )
    with read_transaction(engine) as connection:
        found = connection.execute(query).all()
    return [
        StoredEvent(
            id=row.id,
            event=Event(name=row.name, kind=row.kind, start=row.start_date, end=row.end_date,
                        categories=tuple(row.categories)),
            created_at=row.created_at,
        )
        for row in found
    ]


def delete_event(engine: sa.Engine, event_id: int) -> None:
    """Remove the event with `event_id`; NotFound when there is none."""
    with write_transaction(engine) as connection:
        deleted = connection.execute(
            sa.delete(event_rows).where(event_rows.c.id == event_id)
        ).rowcount
    if not deleted:
        raise NotFound(f"no event with id {event_id}")
    logger.info("deleted event %d", event_id)


def _validated(events: Sequence[Event]) -> list[Event]:
    numbered = []
    for position, event in enumerate(events, start=1):
        if not isinstance(event, Event):
            raise InvalidInput(f"expected an Event; got {type(event).__name__}", row=position)
        numbered.append((position, checked_event(event, row=position)))
    return deduplicated(numbered)


def _stored_by_key(
    connection: sa.Connection, names: set[str]
) -> dict[tuple[str, Any, Any], tuple[str, tuple[str, ...]]]:
    """(kind, categories) of the stored events with one of `names`, by key."""
    found: list[Any] = []
    ordered = sorted(names)
    for begin in range(0, len(ordered), 500):
        chunk = ordered[begin : begin + 500]
        found.extend(connection.execute(
            sa.select(*(event_rows.c[c] for c in _KEY_COLUMNS), event_rows.c.kind,
                      event_rows.c.categories).where(event_rows.c.name.in_(chunk))
        ).all())
    return {(name, start, end): (kind, tuple(categories))
            for name, start, end, kind, categories in found}


def _insert(connection: sa.Connection, event: Event) -> bool:
    """Insert `event`; False when another writer stored the same key meanwhile."""
    statement = dialect_insert(connection, event_rows).on_conflict_do_nothing(
        index_elements=list(_KEY_COLUMNS)
    )
    done = connection.execute(statement, {
        "name": event.name, "kind": event.kind, "start_date": event.start,
        "end_date": event.end, "categories": list(event.categories),
        "created_at": datetime.now(UTC),
    }).rowcount
    return bool(done)


def _update(connection: sa.Connection, event: Event) -> None:
    connection.execute(
        sa.update(event_rows)
        .where(event_rows.c.name == event.name, event_rows.c.start_date == event.start,
               event_rows.c.end_date == event.end)
        .values(kind=event.kind, categories=list(event.categories))
    )
