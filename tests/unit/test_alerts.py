"""Alert lifecycle: dedup, fire, repeat, resolve, silences, and the notice payload."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from forecast.alerts import (
    Alert,
    AlertRecord,
    AlertState,
    LifecyclePolicy,
    Notice,
    Rule,
    Silence,
    alert_summary,
    dedup_key,
    notice_payload,
    plan_changes,
)
from forecast.errors import InvalidParameter
from forecast.series import Freq, SeriesKey

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
POLICY = LifecyclePolicy(repeat_seconds=3600, timezone="Asia/Seoul",
                         public_url="https://vocast.example/")
RULES = (Rule.AHEAD, Rule.BREAKOUT)


def ahead(day: int = 5, days: int = 1, category: str = "refund") -> Alert:
    start = T0 + timedelta(days=day)
    return Alert(Rule.AHEAD, SeriesKey(category, "phone"), Freq.DAILY, start,
                 start + timedelta(days=days), start, volume=420.0, baseline=200.0,
                 agents_needed=14, agents_planned=10, explanation=("holiday: Seollal",))


def record(alert: Alert, *, notified: datetime | None = T0, record_id: int = 1) -> AlertRecord:
    return AlertRecord(record_id, alert.dedup_key, AlertState.FIRING, alert, started_at=T0,
                       last_seen_at=T0, last_notified_at=notified)


def test_dedup_key_names_rule_series_and_window() -> None:
    key = dedup_key(Rule.BREAKOUT, SeriesKey("refund", ""), Freq.M30,
                    datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
    assert key == "live_breakout|refund||30min|2026-03-02T09:30Z"


def test_a_new_alert_fires_with_a_payload() -> None:
    (change,) = plan_changes([ahead()], [], now=T0, rules=RULES, policy=POLICY)
    assert change.state is AlertState.FIRING and change.notice is Notice.FIRING
    assert change.previous is None
    payload = change.payload
    assert payload is not None
    assert payload["title"] == "Peak ahead: refund/phone"
    assert payload["window_start"] == "2026-03-07T09:00:00+09:00"
    assert payload["ratio"] == 2.1 and payload["agents_needed"] == 14
    assert payload["link"] == "https://vocast.example/v1/alerts?category=refund&channel=phone"


def test_a_firing_alert_is_refreshed_silently_then_repeated() -> None:
    alert = ahead()
    fresh = plan_changes([alert], [record(alert)], now=T0 + timedelta(minutes=30),
                         rules=RULES, policy=POLICY)
    assert [(c.state, c.notice, c.payload) for c in fresh] == [(AlertState.FIRING, None, None)]
    due = plan_changes([alert], [record(alert)], now=T0 + timedelta(hours=1), rules=RULES,
                       policy=POLICY)
    assert due[0].notice is Notice.REPEAT
    assert due[0].payload is not None and due[0].payload["title"].startswith("Still: ")


def test_an_alert_no_longer_found_resolves_only_for_evaluated_rules() -> None:
    stored = record(ahead())
    (change,) = plan_changes([], [stored], now=T0, rules=RULES, policy=POLICY)
    assert change.state is AlertState.RESOLVED and change.notice is Notice.RESOLVED
    assert change.previous == stored
    assert plan_changes([], [stored], now=T0, rules=(Rule.BREAKOUT,), policy=POLICY) == []


def test_a_moved_window_stays_the_same_alert() -> None:
    stored = record(ahead(day=5, days=3))
    moved = ahead(day=6, days=2)  # the same peak seen a day later
    (change,) = plan_changes([moved], [stored], now=T0, rules=RULES, policy=POLICY)
    assert change.dedup_key == stored.dedup_key
    assert change.alert.start == stored.alert.start
    other = ahead(day=20)
    keys = {c.dedup_key for c in plan_changes([other], [stored], now=T0, rules=RULES)}
    assert keys == {other.dedup_key, stored.dedup_key}  # new one fires, old one resolves


def test_silences_mute_firing_and_the_resolved_notice_of_a_muted_alert() -> None:
    alert = ahead()
    mute = Silence(1, until=T0 + timedelta(hours=2), created_at=T0, category="refund")
    (muted,) = plan_changes([alert], [], now=T0, rules=RULES, silences=[mute])
    assert muted.state is AlertState.FIRING and muted.notice is None and muted.payload is None
    stored = record(alert, notified=None)
    (resolved,) = plan_changes([], [stored], now=T0, rules=RULES)
    assert resolved.state is AlertState.RESOLVED and resolved.notice is None
    (later,) = plan_changes([alert], [stored], now=T0 + timedelta(hours=3), rules=RULES,
                            silences=[mute])
    assert later.notice is Notice.FIRING  # the silence ran out: tell people now


@pytest.mark.parametrize(("silence", "muted"), [
    (Silence(1, T0 + timedelta(hours=1), T0, channel="chat"), False),
    (Silence(1, T0 + timedelta(hours=1), T0, rule=Rule.BREAKOUT), False),
    (Silence(1, T0 + timedelta(hours=1), T0, rule=Rule.AHEAD, channel="phone"), True),
    (Silence(1, T0, T0 - timedelta(hours=1)), False),  # expired
    (Silence(1, T0 + timedelta(hours=1), T0), True),  # no matcher: everything
])
def test_silence_matching(silence: Silence, muted: bool) -> None:
    assert silence.matches(ahead(), T0) is muted


def test_duplicate_findings_keep_the_strongest() -> None:
    weak, strong = ahead(), replace(ahead(), volume=600.0)
    (change,) = plan_changes([weak, strong], [], now=T0, rules=RULES)
    assert change.alert.volume == 600.0


def test_summaries_read_like_a_sentence() -> None:
    text = alert_summary(ahead(), "Asia/Seoul")
    assert text == ("expected 420 vs normal 200 (2.1x) from Sat 2026-03-07; needs 14 agents "
                    "(planned 10); holiday: Seollal")
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    live = Alert(Rule.BREAKOUT, SeriesKey("delivery"), Freq.M30, start,
                 start + timedelta(hours=1), start, volume=90.0, baseline=30.0,
                 projected_total=1200.0, day_forecast=800.0)
    assert alert_summary(live, "Asia/Seoul") == (
        "observed 90 vs forecast 30 (3.0x) in 10:00-11:00; day heading to 1,200 vs 800 "
        "forecast")
    payload = notice_payload(live, Notice.RESOLVED, started_at=start, now=start,
                             policy=LifecyclePolicy())
    assert payload["title"] == "Resolved: Breakout now: delivery"
    assert payload["channel"] is None and payload["link"] is None


def test_policy_rejects_a_zero_repeat() -> None:
    with pytest.raises(InvalidParameter, match="repeat_seconds"):
        LifecyclePolicy(repeat_seconds=0)
