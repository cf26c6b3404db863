"""Alerts, silences and the outbox in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from data.store import SqlStore
from forecast.alerts import (
    Alert,
    AlertChange,
    AlertState,
    LifecyclePolicy,
    Notice,
    Rule,
    plan_changes,
)
from forecast.errors import InvalidParameter, NotFound
from forecast.series import Freq, SeriesKey

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
RULES = (Rule.AHEAD, Rule.BREAKOUT)
TARGETS = ["slack", "webhook"]


def alert(category: str = "refund", *, day: int = 3, rule: Rule = Rule.AHEAD) -> Alert:
    start = T0 + timedelta(days=day)
    return Alert(rule, SeriesKey(category, "phone"), Freq.DAILY, start,
                 start + timedelta(days=1), start, volume=300.0, baseline=100.0,
                 agents_needed=9, explanation=("holiday: Seollal", "event: sale (campaign)"))


def check(store: SqlStore, found: list[Alert], now: datetime) -> list[AlertChange]:
    changes = plan_changes(found, store.list_alerts(state=AlertState.FIRING), now=now,
                           rules=RULES, silences=store.list_silences(active_at=now),
                           policy=LifecyclePolicy(repeat_seconds=3600))
    store.apply_alert_changes(changes, destinations=TARGETS, now=now)
    return changes


def test_lifecycle_round_trip_with_outbox_rows(store: SqlStore) -> None:
    check(store, [alert("refund"), alert("delivery")], T0)
    (record, _) = sorted(store.list_alerts(), key=lambda r: r.alert.key.category, reverse=True)
    assert record.state is AlertState.FIRING and record.alert == alert("refund")
    assert record.started_at == T0 and record.last_notified_at == T0
    assert [(m.destination, m.notice) for m in store.list_outbox()].count(
        ("slack", Notice.FIRING)) == 2
    check(store, [alert("refund"), alert("delivery")], T0 + timedelta(minutes=5))
    assert len(store.list_outbox()) == 4  # refreshed, not re-notified
    check(store, [alert("delivery")], T0 + timedelta(minutes=10))
    resolved = store.list_alerts(state=AlertState.RESOLVED)
    assert [r.alert.key.category for r in resolved] == ["refund"]
    assert resolved[0].resolved_at == T0 + timedelta(minutes=10)
    assert [m.notice for m in store.list_outbox()][-2:] == [Notice.RESOLVED] * 2
    check(store, [alert("refund"), alert("delivery")], T0 + timedelta(hours=2))
    again = store.list_alerts(category="refund")[0]
    assert again.state is AlertState.FIRING and again.resolved_at is None
    assert again.started_at == T0 + timedelta(hours=2)  # a new episode of the same key
    notices = [m.notice for m in store.list_outbox() if m.destination == "slack"]
    assert notices[-2:] in ([Notice.FIRING, Notice.REPEAT], [Notice.REPEAT, Notice.FIRING])


def test_changes_and_outbox_rows_commit_together(store: SqlStore) -> None:
    good = plan_changes([alert("refund")], [], now=T0, rules=RULES)
    bad = plan_changes([replace(alert("delivery"), start=datetime(2026, 3, 5))], [], now=T0,
                       rules=RULES)  # a naive timestamp fails inside the transaction
    with pytest.raises(InvalidParameter, match="alert start must be a timezone-aware"):
        store.apply_alert_changes([*good, *bad], destinations=TARGETS, now=T0)
    assert store.list_alerts() == [] and store.list_outbox() == []


def test_a_racing_check_does_not_notify_twice(store: SqlStore) -> None:
    first = plan_changes([alert()], [], now=T0, rules=RULES)
    second = plan_changes([alert()], [], now=T0, rules=RULES)  # planned from the same state
    assert len(store.apply_alert_changes(first, destinations=TARGETS, now=T0)) == 2
    assert store.apply_alert_changes(second, destinations=TARGETS, now=T0) == []
    firing = store.list_alerts(state=AlertState.FIRING)
    resolve = plan_changes([], firing, now=T0, rules=RULES)
    assert len(store.apply_alert_changes(resolve, destinations=TARGETS, now=T0)) == 2
    assert store.apply_alert_changes(resolve, destinations=TARGETS, now=T0) == []


def test_list_alerts_filters(store: SqlStore) -> None:
    check(store, [alert("refund"), alert("delivery", rule=Rule.BREAKOUT)], T0)
    check(store, [alert("delivery", rule=Rule.BREAKOUT)], T0 + timedelta(hours=1))
    assert [r.alert.key.category for r in store.list_alerts(rule=Rule.BREAKOUT)] == [
        "delivery"]
    assert store.list_alerts(channel="chat") == []
    assert len(store.list_alerts(start=T0 + timedelta(minutes=30))) == 2
    assert len(store.list_alerts(start=T0 + timedelta(hours=2))) == 1  # refund resolved
    assert store.list_alerts(end=T0) == []
    assert len(store.list_alerts(limit=1)) == 1
    with pytest.raises(InvalidParameter, match="limit"):
        store.list_alerts(limit=0)


def test_silences_crud_and_muting(store: SqlStore) -> None:
    now = datetime.now(UTC)
    kept = store.add_silence(until=now + timedelta(hours=1), category="refund",
                             rule=Rule.AHEAD, comment="known campaign")
    gone = store.add_silence(until=now + timedelta(minutes=1), channel="chat")
    assert [s.id for s in store.list_silences()] == [kept.id, gone.id]
    assert [s.id for s in store.list_silences(active_at=now + timedelta(minutes=5))] == [
        kept.id]
    store.delete_silence(gone.id)
    with pytest.raises(NotFound, match=str(gone.id)):
        store.delete_silence(gone.id)
    with pytest.raises(InvalidParameter, match="until"):
        store.add_silence(until=now - timedelta(minutes=1))
    check(store, [alert("refund"), alert("delivery")], now)
    muted = {m.payload["category"] for m in store.list_outbox()}
    assert muted == {"delivery"} and len(store.list_alerts(state=AlertState.FIRING)) == 2


def test_outbox_batches_leases_and_outcomes(store: SqlStore) -> None:
    check(store, [alert(c) for c in ("a", "b", "c")], T0)
    batch = store.claim_outbox("slack", now=T0, lease_seconds=60, limit=2)
    assert batch is not None and len(batch.messages) == 2 and batch.attempts == 0
    assert store.claim_outbox("slack", now=T0 + timedelta(seconds=1), lease_seconds=60,
                              limit=2).messages[0].payload["category"] == "c"
    assert store.claim_outbox("slack", now=T0 + timedelta(seconds=2), lease_seconds=60,
                              limit=5) is None  # everything is leased
    again = store.claim_outbox("slack", now=T0 + timedelta(seconds=61), lease_seconds=60,
                               limit=5)
    assert again is not None and again.batch_id == batch.batch_id  # same batch, same key
    assert [m.id for m in again.messages] == [m.id for m in batch.messages]
    retry_at = T0 + timedelta(minutes=5)
    assert store.mark_failed(batch.batch_id, error="HTTP 500", retry_at=retry_at) == 2
    other = store.claim_outbox("slack", now=retry_at - timedelta(seconds=1), lease_seconds=60,
                               limit=5)  # the second batch's lease ran out; the first waits
    assert other is not None and other.batch_id != batch.batch_id
    retried = store.claim_outbox("slack", now=retry_at, lease_seconds=60, limit=5)
    assert retried is not None and retried.batch_id == batch.batch_id
    assert retried.attempts == 1 and retried.messages[0].last_error == "HTTP 500"
    assert store.mark_delivered(batch.batch_id, now=retry_at) == 2
    assert store.mark_delivered(batch.batch_id, now=retry_at) == 0  # idempotent
    later = retry_at + timedelta(days=1)
    final = store.claim_outbox("slack", now=later, lease_seconds=60, limit=5)
    assert final is not None and final.batch_id == other.batch_id  # never the delivered one
    dead = store.claim_outbox("webhook", now=later, lease_seconds=60, limit=5)
    store.mark_failed(dead.batch_id, error="HTTP 404", retry_at=later, give_up=True)
    assert {m.status for m in store.list_outbox() if m.destination == "webhook"} == {"dead"}
    assert len(store.list_outbox(status="delivered")) == 2
    with pytest.raises(NotFound, match="nope"):
        store.mark_delivered("nope", now=later)
