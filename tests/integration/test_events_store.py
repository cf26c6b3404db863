"""Stored events on every backend: idempotent upsert, listing, deletion, the migration."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic import command

from data.migrate import alembic_config, upgrade
from data.store import SqlStore
from forecast.calendar import Event
from forecast.errors import InvalidInput, NotFound
from forecast.store import UpsertResult

pytestmark = pytest.mark.integration

SALE = Event("summer-sale", "campaign", date(2026, 7, 13), date(2026, 7, 19),
             ("refund", "delivery"))
OUTAGE = Event("login-outage", "outage", date(2026, 10, 14), date(2026, 10, 14))
LAUNCH = Event("app-v6", "launch", date(2026, 3, 2), date(2026, 3, 8), ("app-bug",))


def test_upsert_is_idempotent_and_lists_events_by_date(store: SqlStore) -> None:
    before = datetime.now(UTC)
    assert store.upsert_events([SALE, OUTAGE, LAUNCH]) == UpsertResult(3, 0, 0)
    assert store.upsert_events([OUTAGE, SALE, LAUNCH]) == UpsertResult(0, 0, 3)
    stored = store.list_events()
    assert [s.event.name for s in stored] == ["app-v6", "summer-sale", "login-outage"]
    sale = stored[1].event
    assert sale.categories == ("delivery", "refund")  # stored sorted
    assert (sale.start, sale.end, sale.kind) == (date(2026, 7, 13), date(2026, 7, 19),
                                                 "campaign")
    assert stored[2].event.categories == ()
    assert len({s.id for s in stored}) == 3
    assert all(s.created_at.tzinfo is not None and s.created_at >= before.replace(microsecond=0)
               for s in stored)


def test_same_name_and_dates_update_kind_and_scope(store: SqlStore) -> None:
    store.upsert_events([SALE, OUTAGE])
    [first_sale] = [s for s in store.list_events() if s.event.name == "summer-sale"]
    changed = Event("summer-sale", "other", SALE.start, SALE.end, ("payment",))
    moved = Event("summer-sale", "campaign", SALE.start, date(2026, 7, 26),
                  ("delivery", "refund"))
    assert store.upsert_events([changed, moved, OUTAGE]) == UpsertResult(1, 1, 1)
    sales = [s for s in store.list_events() if s.event.name == "summer-sale"]
    assert [s.event for s in sales] == [changed, moved]
    assert (sales[0].id, sales[0].created_at) == (first_sale.id, first_sale.created_at)


def test_invalid_events_store_nothing(store: SqlStore) -> None:
    backwards = Event("oops", "campaign", date(2026, 7, 19), date(2026, 7, 13))
    with pytest.raises(InvalidInput, match="before start") as caught:
        store.upsert_events([SALE, backwards])
    assert (caught.value.row, caught.value.column) == (2, "end")
    with pytest.raises(InvalidInput, match="unknown kind 'promo'"):
        store.upsert_events([Event("x", "promo", SALE.start, SALE.end)])
    clash = Event(SALE.name, "launch", SALE.start, SALE.end)
    with pytest.raises(InvalidInput, match="defined differently in row 1"):
        store.upsert_events([SALE, clash])
    assert store.list_events() == []


def test_exact_repeats_in_one_batch_count_once(store: SqlStore) -> None:
    assert store.upsert_events([SALE, SALE]) == UpsertResult(1, 0, 0)


def test_delete_removes_one_event_and_unknown_ids_are_not_found(store: SqlStore) -> None:
    store.upsert_events([SALE, OUTAGE])
    sale_id = next(s.id for s in store.list_events() if s.event.name == SALE.name)
    store.delete_event(sale_id)
    assert [s.event.name for s in store.list_events()] == ["login-outage"]
    with pytest.raises(NotFound, match=f"no event with id {sale_id}"):
        store.delete_event(sale_id)
    assert store.upsert_events([SALE]) == UpsertResult(1, 0, 0)


def test_events_migration_downgrades_and_upgrades(store: SqlStore) -> None:
    store.upsert_events([OUTAGE])
    with store.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0005_events-1")
    assert "events" not in sa.inspect(store.engine).get_table_names()
    upgrade(store.engine)
    assert store.list_events() == []
    store.upsert_events([OUTAGE])
    assert [s.event for s in store.list_events()] == [OUTAGE]
