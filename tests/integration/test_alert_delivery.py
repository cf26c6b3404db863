"""Delivery through a real local HTTP server standing in for Slack and a JSON webhook.

The server fails (500, 429 with Retry-After, a response slower than the client timeout)
and then recovers; the delivery job is "killed" once between sending and recording the
success and once between claiming and sending. Every notice must arrive exactly once in
effect (the receiver drops repeated idempotency keys), resolved notices after firing
ones, and nothing may be re-sent after a recorded success.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from data.store import SqlStore, open_store
from forecast.alerts import (
    Alert,
    AlertState,
    LifecyclePolicy,
    OutboxBatch,
    Rule,
    plan_changes,
)
from forecast.series import Freq, SeriesKey
from jobs.notifiers import Sender, SendOutcome, build_senders
from jobs.notify import DeliveryPolicy, deliver_due

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
CLIENT_TIMEOUT = 1.0
SLOW_SECONDS = 2.5
POLICY = DeliveryPolicy(backoff_seconds=30, backoff_max_seconds=600, max_attempts=10,
                        lease_seconds=60, batch_size=50)


@dataclass
class Receiver:
    """What the fake server got, and what it answers next per path."""

    script: dict[str, list[str]] = field(default_factory=dict)
    received: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_action(self, path: str) -> str:
        with self.lock:
            actions = self.script.get(path, [])
            return actions.pop(0) if actions else "ok"

    def unique(self, path: str) -> dict[str, dict[str, Any]]:
        """Bodies by idempotency key, first receipt wins (what a deduping receiver keeps)."""
        kept: dict[str, dict[str, Any]] = {}
        for got_path, key, body in self.received:
            if got_path == path:
                kept.setdefault(key, body)
        return kept

    def count(self, path: str) -> int:
        return sum(1 for got_path, _, _ in self.received if got_path == path)


def handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002, ARG002
            return

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            assert self.headers["Idempotency-Key"] == body["idempotency_key"]
            with receiver.lock:
                receiver.received.append((self.path, body["idempotency_key"], body))
            action = receiver.next_action(self.path)
            if action == "slow":
                time.sleep(SLOW_SECONDS)
            status, headers = {"500": (500, {}), "429": (429, {"Retry-After": "120"})}.get(
                action, (200, {}))
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    got = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(got))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield got, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: float) -> None:
        self.now = T0 + timedelta(seconds=seconds)


class SimulatedCrash(BaseException):
    """Stands for the process dying (not an Exception: nothing may catch it)."""


@dataclass
class CrashOnce:
    inner: Sender
    after_send: bool
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.inner.name

    def send(self, batch: OutboxBatch) -> SendOutcome:
        if self.after_send:
            self.inner.send(batch)
        raise SimulatedCrash(batch.batch_id)


def _alerts() -> list[Alert]:
    start = T0 + timedelta(days=4)
    peaks = [Alert(Rule.AHEAD, SeriesKey(c, "phone"), Freq.DAILY, start,
                   start + timedelta(days=1), start, volume=400.0, baseline=150.0,
                   agents_needed=12) for c in ("refund", "delivery")]
    live = Alert(Rule.BREAKOUT, SeriesKey("account", "chat"), Freq.M30, T0,
                 T0 + timedelta(hours=1), T0, volume=80.0, baseline=20.0,
                 projected_total=900.0, day_forecast=500.0)
    return [*peaks, live]


def _check(store: SqlStore, found: list[Alert], now: datetime) -> int:
    firing = store.list_alerts(state=AlertState.FIRING)
    changes = plan_changes(found, firing, now=now, rules=(Rule.AHEAD, Rule.BREAKOUT),
                           policy=LifecyclePolicy(timezone="Asia/Seoul"))
    return len(store.apply_alert_changes(changes, destinations=["slack", "webhook"], now=now))


def _pending(store: SqlStore, destination: str) -> list[Any]:
    return [m for m in store.list_outbox(status="pending") if m.destination == destination]


def test_every_notice_arrives_once_through_failures_and_restarts(
    database_url: str, receiver: tuple[Receiver, str]
) -> None:
    got, base = receiver
    got.script = {"/slack": ["500", "429", "slow"], "/hook": ["500"]}
    clock = Clock()
    store = open_store(database_url)
    client = httpx.Client(timeout=CLIENT_TIMEOUT)
    senders = build_senders(client, slack_url=f"{base}/slack", webhook_url=f"{base}/hook")
    try:
        assert _check(store, _alerts(), T0) == 6  # 3 firing notices x 2 destinations
        store = _firing_through_failures(store, database_url, senders, got, clock)
        clock.at(400)
        assert _check(store, [], clock()) == 6  # the three resolve
        store = _resolved_after_a_crash_before_send(store, database_url, senders, got, clock)
        _nothing_more(store, senders, got, clock)
    finally:
        client.close()
        store.dispose()


def _firing_through_failures(store: SqlStore, url: str, senders: dict[str, Sender],
                             got: Receiver, clock: Clock) -> SqlStore:
    report = deliver_due(store, senders, POLICY, clock=clock)  # slack 500, hook 500
    assert (report.batches, report.failed) == (2, 2)
    (first,) = {m.next_attempt_at for m in _pending(store, "slack")}
    assert first == T0 + timedelta(seconds=30)
    clock.at(10)
    assert deliver_due(store, senders, POLICY, clock=clock).batches == 0  # backing off
    clock.at(31)
    report = deliver_due(store, senders, POLICY, clock=clock)  # slack 429, hook 200
    assert (report.delivered, report.failed) == (3, 1)
    assert {m.next_attempt_at for m in _pending(store, "slack")} == {
        clock() + timedelta(seconds=120)}  # Retry-After honoured, not the 60 s backoff
    clock.at(100)
    assert deliver_due(store, senders, POLICY, clock=clock).batches == 0
    clock.at(152)
    started = time.monotonic()
    assert deliver_due(store, senders, POLICY, clock=clock).failed == 1  # client timed out
    assert time.monotonic() - started < SLOW_SECONDS
    assert got.count("/slack") == 3
    clock.at(400 - 120)  # third failure: 30 x 2^2 = 120 s later
    crash = {"slack": CrashOnce(senders["slack"], after_send=True)}
    with pytest.raises(SimulatedCrash):
        deliver_due(store, crash, POLICY, clock=clock)
    store.dispose()
    store = open_store(url)  # the restarted job
    clock.at(290)
    assert deliver_due(store, senders, POLICY, clock=clock).batches == 0  # still leased
    clock.at(345)
    assert deliver_due(store, senders, POLICY, clock=clock).delivered == 3
    keys = {key for path, key, _ in got.received if path == "/slack"}
    assert len(keys) == 1 and got.count("/slack") == 5  # one batch, re-sent under one key
    return store


def _resolved_after_a_crash_before_send(store: SqlStore, url: str, senders: dict[str, Sender],
                                        got: Receiver, clock: Clock) -> SqlStore:
    before = got.count("/slack")
    crash = {"slack": CrashOnce(senders["slack"], after_send=False)}
    with pytest.raises(SimulatedCrash):
        deliver_due(store, crash, POLICY, clock=clock)
    assert got.count("/slack") == before  # claimed, never sent
    store.dispose()
    store = open_store(url)
    clock.at(410)
    report = deliver_due(store, senders, POLICY, clock=clock)
    assert report.delivered == 3  # the webhook's resolved batch; slack's is leased
    clock.at(470)
    assert deliver_due(store, senders, POLICY, clock=clock).delivered == 3
    assert store.list_outbox(status="pending") == []
    for path in ("/slack", "/hook"):
        _assert_exactly_once(store, got, path)
    return store


def _assert_exactly_once(store: SqlStore, got: Receiver, path: str) -> None:
    destination = "slack" if path == "/slack" else "webhook"
    sent = [m for m in store.list_outbox() if m.destination == destination]
    batches = list(got.unique(path).values())
    assert len(batches) == 2  # the firing storm and the resolved storm: one message each
    notices = [_notice_keys(body, path) for body in batches]
    flat = [key for keys in notices for key in keys]
    assert sorted(flat) == sorted(m.idempotency_key for m in sent)  # all, none twice
    by_key = {m.idempotency_key: m.notice.value for m in sent}
    assert {by_key[k] for k in notices[0]} == {"firing"}
    assert {by_key[k] for k in notices[1]} == {"resolved"}  # and they came after


def _notice_keys(body: dict[str, Any], path: str) -> list[str]:
    if path == "/hook":
        return [n["idempotency_key"] for n in body["notifications"]]
    assert body["blocks"][0]["type"] == "header"
    sections = [b for b in body["blocks"] if b["type"] == "section"]
    assert len(sections) == 3
    return [_slack_notice(section) for section in sections]


def _slack_notice(section: dict[str, Any]) -> str:
    names = {f["text"].split("\n")[0] for f in section["fields"]}
    assert {"*Category*", "*Agents needed*"} <= names
    return str(section["block_id"])  # the notice's own idempotency key


def _nothing_more(store: SqlStore, senders: dict[str, Sender], got: Receiver,
                  clock: Clock) -> None:
    seen = len(got.received)
    for step in range(3):
        clock.at(10_000 + 1_000 * step)
        assert deliver_due(store, senders, POLICY, clock=clock).batches == 0
    assert len(got.received) == seen
    assert all(m.status == "delivered" for m in store.list_outbox())
