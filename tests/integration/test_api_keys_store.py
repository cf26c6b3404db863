"""API keys and monitoring figures in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from data.api_keys import hash_token
from data.store import SqlStore
from data.tables import api_keys
from forecast.errors import InvalidParameter, NotFound
from tests.integration.test_alert_store import T0, alert, check

pytestmark = pytest.mark.integration


def test_no_keys_until_one_is_created(store: SqlStore) -> None:
    assert not store.api_keys_exist() and store.list_api_keys() == []
    key, token = store.create_api_key("power-bi", ["read"])
    assert store.api_keys_exist()
    assert key.name == "power-bi" and key.scopes == ("read",) and key.revoked_at is None
    assert token.startswith(key.prefix + "_") and len(token) > 40
    assert store.list_api_keys() == [key]


def test_only_a_hash_of_the_token_is_stored(store: SqlStore) -> None:
    _, token = store.create_api_key("ingest", ["write"])
    with store.engine.connect() as connection:
        stored = connection.execute(sa.select(api_keys)).one()
    assert token not in [str(value) for value in stored]
    assert stored.key_hash == hash_token(token)


def test_find_accepts_the_token_and_nothing_else(store: SqlStore) -> None:
    key, token = store.create_api_key("ops", ["admin", "read"])
    other, _ = store.create_api_key("bi", ["read"])
    assert store.find_api_key(token) == key
    assert key.scopes == ("read", "admin")  # canonical order
    assert key.allows("write") and key.allows("read")
    almost = token[:-1] + ("A" if token[-1] != "A" else "B")
    for wrong in (almost, token + "x", "", "Bearer " + token, key.prefix, "vck_zz_zz",
                  other.prefix + token[len(key.prefix):], "x" * 5000):
        assert store.find_api_key(wrong) is None, wrong


def test_revoked_keys_no_longer_authenticate_but_still_count(store: SqlStore) -> None:
    key, token = store.create_api_key("old", ["read"])
    revoked = store.revoke_api_key(key.id)
    assert revoked.revoked_at is not None and not revoked.allows("read")
    assert store.find_api_key(token) is None
    assert store.api_keys_exist()  # revoking the last key does not open the API
    assert store.revoke_api_key(key.id).revoked_at == revoked.revoked_at
    with pytest.raises(NotFound, match="no API key with id 999"):
        store.revoke_api_key(999)


@pytest.mark.parametrize(("name", "scopes", "parameter"), [
    ("", ["read"], "name"), ("x" * 101, ["read"], "name"),
    ("bi", [], "scope"), ("bi", ["read", "root"], "scope"),
])
def test_invalid_names_and_scopes_are_rejected(
    store: SqlStore, name: str, scopes: list[str], parameter: str
) -> None:
    with pytest.raises(InvalidParameter, match=f"^{parameter} must be"):
        store.create_api_key(name, scopes)
    assert not store.api_keys_exist()


def test_job_stats_count_and_time_runs_by_job_and_status(store: SqlStore) -> None:
    for status in ("success", "failed", "success"):
        store.finish_job(store.start_job("fit"), status)
    store.start_job("notify")  # still running
    stats = {(s.job, s.status): s for s in store.job_stats()}
    assert set(stats) == {("fit", "failed"), ("fit", "success"), ("notify", "running")}
    assert stats[("fit", "success")].runs == 2 and stats[("fit", "failed")].runs == 1
    assert stats[("fit", "success")].total_seconds >= 0.0
    assert stats[("fit", "success")].last_seconds is not None
    assert stats[("notify", "running")].last_seconds is None
    assert stats[("notify", "running")].total_seconds == 0.0


def test_backlog_counts_firing_alerts_and_outbox_by_status(store: SqlStore) -> None:
    empty = store.backlog_counts()
    assert (empty.firing_alerts, empty.outbox, empty.oldest_pending_at) == (0, {}, None)
    check(store, [alert("refund"), alert("delivery")], T0)
    batch = store.claim_outbox("slack", now=T0, lease_seconds=60, limit=10)
    assert batch is not None
    store.mark_delivered(batch.batch_id, now=T0)
    counts = store.backlog_counts()
    assert counts.firing_alerts == 2
    assert counts.outbox == {"pending": 2, "delivered": 2}
    assert counts.oldest_pending_at == T0
