"""Notice bodies (Block Kit, JSON), Retry-After parsing, backoff and log redaction."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from forecast.alerts import (
    Alert,
    LifecyclePolicy,
    Notice,
    OutboxBatch,
    OutboxMessage,
    Rule,
    notice_payload,
)
from forecast.errors import InvalidParameter
from forecast.series import Freq, SeriesKey
from jobs.notifiers import (
    SLACK_MAX_ALERTS,
    RedactUrlPaths,
    parse_retry_after,
    slack_body,
    webhook_body,
)
from jobs.notify import DeliveryPolicy

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def batch(count: int) -> OutboxBatch:
    messages = []
    for i in range(count):
        alert = Alert(Rule.AHEAD, SeriesKey(f"c{i}", "chat"), Freq.DAILY, T0,
                      T0 + timedelta(days=1), T0, volume=300.0, baseline=100.0,
                      agents_needed=7, explanation=("holiday: Chuseok",))
        payload = {**notice_payload(alert, Notice.FIRING, started_at=T0, now=T0,
                                    policy=LifecyclePolicy(public_url="https://v.example")),
                   "idempotency_key": f"n-{i}"}
        messages.append(OutboxMessage(i, i, "slack", Notice.FIRING, f"n-{i}", payload, T0,
                                      "pending", 0, T0, "b-1"))
    return OutboxBatch("b-1", "slack", tuple(messages), 0)


def test_slack_body_is_block_kit_with_the_alert_fields() -> None:
    body = slack_body(batch(1))
    assert body["idempotency_key"] == "b-1" and body["text"] == "Peak ahead: c0/chat"
    header, section, context, divider, footer = body["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text",
                                                 "text": "Peak ahead: c0/chat"}}
    fields = [f["text"] for f in section["fields"]]
    assert fields[:2] == ["*Category*\nc0 / chat", "*Expected vs normal*\n300 vs 100 (3.0x)"]
    assert fields[3] == "*Agents needed*\n7" and fields[-1] == "*Why*\nholiday: Chuseok"
    assert section["block_id"] == "n-0"
    assert "https://v.example/v1/alerts?category=c0&channel=chat" in \
        context["elements"][0]["text"]
    assert divider == {"type": "divider"} and footer["type"] == "context"


def test_a_storm_is_one_message_within_slack_limits() -> None:
    body = slack_body(batch(40))
    assert body["text"] == "vocast: 40 alerts"
    assert len(body["blocks"]) <= 50
    assert sum(b["type"] == "section" for b in body["blocks"]) == SLACK_MAX_ALERTS
    assert body["blocks"][-1]["elements"][0]["text"].startswith("25 more alerts")
    assert len(webhook_body(batch(40))["notifications"]) == 40


def test_retry_after_takes_seconds_or_a_date() -> None:
    assert parse_retry_after("120") == 120.0
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert parse_retry_after("Mon, 02 Mar 2026 09:01:30 GMT", now=now) == 90.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_backoff_doubles_up_to_the_cap() -> None:
    policy = DeliveryPolicy(backoff_seconds=30, backoff_max_seconds=100)
    assert [policy.backoff(n) for n in (1, 2, 3, 4)] == [30, 60, 100, 100]
    with pytest.raises(InvalidParameter, match="max_attempts"):
        DeliveryPolicy(max_attempts=0)


def test_url_paths_are_redacted_from_log_records() -> None:
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "HTTP Request: %s %s",
                               ("POST", "https://hooks.slack.com/services/T1/B2/secret"), None)
    assert RedactUrlPaths().filter(record)
    assert record.getMessage() == "HTTP Request: POST https://hooks.slack.com/<redacted>"
