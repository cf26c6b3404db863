"""Overrides and handle times in the store, on SQLite and PostgreSQL (`store` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from data.store import SqlStore
from forecast.errors import InvalidInput, InvalidParameter, NotFound
from forecast.overrides import OverrideKind, OverrideRequest
from forecast.series import Freq, SeriesKey

pytestmark = pytest.mark.integration

TZ = "Asia/Seoul"


def _observations(aht: list[float | None] | None, counts: list[float] | None = None
                  ) -> pd.DataFrame:
    counts = counts or [4.0, 0.0, 6.0, 8.0]
    ts = pd.date_range("2026-03-02 09:00", periods=len(counts), freq="30min", tz=TZ)
    frame = pd.DataFrame({"ts": ts, "category": "billing", "channel": "phone",
                          "freq": "30min", "count": counts})
    if aht is not None:
        frame["aht_seconds"] = [np.nan if v is None else v for v in aht]
    return frame


def _request(**changes: object) -> OverrideRequest:
    now = datetime.now(UTC)
    fields: dict[str, object] = {
        "category": "billing", "channel": "phone", "freq": Freq.M30,
        "start": now - timedelta(hours=1), "end": now + timedelta(days=3),
        "kind": OverrideKind.MULTIPLY, "value": 1.25, "reason": "mailing on Tuesday",
        "created_by": "planner@example.com",
    }
    fields.update(changes)
    return OverrideRequest(**fields)  # type: ignore[arg-type]


# --- handle times ------------------------------------------------------------------------


def test_handle_times_round_trip_and_unknown_series_is_empty(store: SqlStore) -> None:
    store.upsert_observations(_observations([180.0, None, 240.5, 300.0]))
    found = store.load_handle_times(SeriesKey("billing", "phone"), Freq.M30)
    assert list(found.columns) == ["ts", "count", "aht_seconds"]
    assert found["aht_seconds"].tolist() == [180.0, 240.5, 300.0]
    assert found["count"].tolist() == [4.0, 6.0, 8.0]
    assert str(found["ts"].dt.tz) == "UTC"
    assert found["ts"].iloc[0] == pd.Timestamp("2026-03-02 00:00", tz="UTC")
    assert store.load_handle_times(SeriesKey("billing", "chat"), Freq.M30).empty


def test_resending_handle_times_is_idempotent_and_changes_count_as_updates(
        store: SqlStore) -> None:
    first = store.upsert_observations(_observations([180.0, None, 240.0, 300.0]))
    assert (first.inserted, first.updated) == (4, 0)
    again = store.upsert_observations(_observations([180.0, None, 240.0, 300.0]))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    changed = store.upsert_observations(
        _observations([200.0, 90.0, 240.0, 300.0], counts=[4.0, 0.0, 6.0, 9.0]))
    assert (changed.inserted, changed.updated, changed.unchanged) == (0, 3, 1)
    stored = store.load_handle_times(SeriesKey("billing", "phone"), Freq.M30)
    assert stored["aht_seconds"].tolist() == [200.0, 90.0, 240.0, 300.0]


def test_rows_without_aht_keep_the_stored_one_and_counts_still_load(store: SqlStore) -> None:
    store.upsert_observations(_observations([180.0, None, 240.0, 300.0]))
    store.upsert_observations(_observations(None, counts=[5.0, 0.0, 6.0, 8.0]))
    stored = store.load_handle_times(SeriesKey("billing", "phone"), Freq.M30)
    assert stored["aht_seconds"].tolist() == [180.0, 240.0, 300.0]
    assert stored["count"].tolist() == [5.0, 6.0, 8.0]
    history = store.load_history(SeriesKey("billing", "phone"), Freq.M30)
    assert history.tolist() == [5.0, 0.0, 6.0, 8.0]


def test_negative_aht_is_rejected_and_nothing_is_written(store: SqlStore) -> None:
    with pytest.raises(InvalidInput, match="aht_seconds"):
        store.upsert_observations(_observations([180.0, -1.0, 240.0, 300.0]))
    assert store.list_series() == []


# --- overrides ---------------------------------------------------------------------------


def test_create_list_and_revoke_keep_the_audit_trail(store: SqlStore) -> None:
    created = store.create_override(_request())
    assert created.id >= 1 and created.kind is OverrideKind.MULTIPLY
    assert created.created_by == "planner@example.com"
    assert created.expires_at == created.end
    assert created.created_at.tzinfo is not None and created.revoked_at is None
    assert [o.id for o in store.list_overrides(active_at=datetime.now(UTC))] == [created.id]
    revoked = store.revoke_override(created.id, "lead@example.com")
    assert revoked.revoked_by == "lead@example.com" and revoked.revoked_at is not None
    assert store.list_overrides(active_at=datetime.now(UTC)) == []
    assert store.list_overrides() == [revoked]
    with pytest.raises(InvalidParameter, match="not revoked yet"):
        store.revoke_override(created.id, "someone")
    with pytest.raises(NotFound, match="999"):
        store.revoke_override(999, "someone")


def test_round_trip_of_every_field(store: SqlStore) -> None:
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    created = store.create_override(_request(
        channel=None, freq=None, start=start, end=start + timedelta(hours=3),
        kind=OverrideKind.ADD, value=-2.5, expires_at=start + timedelta(days=30)))
    (listed,) = store.list_overrides()
    assert listed == created
    assert (listed.channel, listed.freq, listed.value) == (None, None, -2.5)
    assert listed.start == start and listed.end == start + timedelta(hours=3)


def test_expired_overrides_are_not_active_and_past_expiry_is_rejected(store: SqlStore) -> None:
    created = store.create_override(_request(expires_at=datetime.now(UTC) + timedelta(hours=1)))
    later = datetime.now(UTC) + timedelta(hours=2)
    assert store.list_overrides(active_at=later) == []
    assert created.status(later) == "expired"
    with pytest.raises(InvalidParameter, match="expires_at"):
        store.create_override(_request(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    with pytest.raises(InvalidParameter, match="revoked_by"):
        store.revoke_override(created.id, " ")


def test_version_changes_on_create_revoke_and_expiry(store: SqlStore) -> None:
    now = datetime.now(UTC)
    empty = store.overrides_version(now)
    assert store.overrides_version(now) == empty
    first = store.create_override(_request(expires_at=now + timedelta(hours=1)))
    created = store.overrides_version(now)
    assert created != empty
    assert store.overrides_version(now + timedelta(hours=2)) != created  # expired by then
    store.create_override(_request())
    two = store.overrides_version(now)
    store.revoke_override(first.id, "lead")
    assert store.overrides_version(now) not in {empty, created, two}


def test_overrides_table_and_column_exist_after_migration(store: SqlStore) -> None:
    inspector = sa.inspect(store.engine)
    assert "overrides" in inspector.get_table_names()
    assert "aht_seconds" in {c["name"] for c in inspector.get_columns("observations")}
