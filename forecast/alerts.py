"""Alert rules, the alert and silence records, dedup keys and the alert lifecycle.

A check finds `Alert`s (what is wrong now, or will be). `plan_changes` compares them with
the firing records in the store and returns the `AlertChange`s to apply in one
transaction: a new alert fires, a firing one is refreshed (and re-notified once per
repeat interval), one no longer found is resolved. An alert matches a firing record by
its dedup key (rule, series, window start) or, when the window moved, by the same rule
and series with an overlapping window, so a peak that is re-estimated stays one alert.
Silenced alerts are still recorded but notify nobody; a resolved notice goes out only
for an alert whose firing was notified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from forecast.errors import InvalidParameter
from forecast.series import Freq, SeriesKey


class Rule(StrEnum):
    AHEAD = "ahead_peak"
    BREAKOUT = "live_breakout"


class AlertState(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class Notice(StrEnum):
    FIRING = "firing"
    REPEAT = "repeat"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Alert:
    """One finding. `volume` is the forecast (ahead) or the observed count (breakout) over
    the peak interval or window; `baseline` is the normal level (ahead) or the forecast
    (breakout) for the same span. Times are tz-aware; [start, end) is the window."""

    rule: Rule
    key: SeriesKey
    freq: Freq
    start: datetime
    end: datetime
    peak_ts: datetime
    volume: float
    baseline: float
    agents_needed: int | None = None
    agents_planned: int | None = None
    explanation: tuple[str, ...] = ()
    projected_total: float | None = None
    day_forecast: float | None = None

    @property
    def ratio(self) -> float:
        return self.volume / self.baseline if self.baseline > 0 else float("inf")

    @property
    def dedup_key(self) -> str:
        return dedup_key(self.rule, self.key, self.freq, self.start)

    def overlaps(self, other: Alert) -> bool:
        return (self.rule is other.rule and self.key == other.key and self.freq is other.freq
                and self.start < other.end and other.start < self.end)


def dedup_key(rule: Rule, key: SeriesKey, freq: Freq, start: datetime) -> str:
    """`rule|category|channel|freq|window start (UTC)`: one alert per rule, series, window."""
    stamp = start.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%MZ")
    return f"{rule.value}|{key.category}|{key.channel}|{freq.value}|{stamp}"


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """A stored alert: its latest finding and its lifecycle times (UTC)."""

    id: int
    dedup_key: str
    state: AlertState
    alert: Alert
    started_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None = None
    last_notified_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Silence:
    """Mutes alerts until `until`; a None matcher matches anything."""

    id: int
    until: datetime
    created_at: datetime
    category: str | None = None
    channel: str | None = None
    rule: Rule | None = None
    comment: str = ""

    def matches(self, alert: Alert, now: datetime) -> bool:
        return (now < self.until
                and (self.category is None or self.category == alert.key.category)
                and (self.channel is None or self.channel == alert.key.channel)
                and (self.rule is None or self.rule is alert.rule))


@dataclass(frozen=True, slots=True)
class AlertChange:
    """Set the alert stored under `dedup_key` to `state` with `alert`'s figures.

    `previous` is the record the plan saw (None for a new alert); the store skips the
    change when the row changed since, so two racing checks never notify twice.
    `payload` is the notification to queue, None when nobody is to be told.
    """

    dedup_key: str
    state: AlertState
    alert: Alert
    notice: Notice | None
    previous: AlertRecord | None
    payload: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """A queued notification to one destination; `status` pending, delivered or dead."""

    id: int
    alert_id: int
    destination: str
    notice: Notice
    idempotency_key: str
    payload: Mapping[str, Any]
    created_at: datetime
    status: str
    attempts: int
    next_attempt_at: datetime
    batch_id: str | None = None
    delivered_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxBatch:
    """Messages to one destination sent together under one idempotency key (`batch_id`);
    a batch keeps its id and members across retries and restarts."""

    batch_id: str
    destination: str
    messages: tuple[OutboxMessage, ...]
    attempts: int


@dataclass(frozen=True, slots=True)
class LifecyclePolicy:
    """How often a firing alert is repeated, and how notices render their times."""

    repeat_seconds: float = 4 * 3600
    timezone: str = "UTC"
    public_url: str | None = None

    def __post_init__(self) -> None:
        if not self.repeat_seconds > 0:
            raise InvalidParameter("repeat_seconds", self.repeat_seconds, "a positive number")


def plan_changes(
    found: Sequence[Alert],
    firing: Sequence[AlertRecord],
    *,
    now: datetime,
    rules: Sequence[Rule],
    silences: Sequence[Silence] = (),
    policy: LifecyclePolicy | None = None,
) -> list[AlertChange]:
    """The changes that bring the firing records in line with this check's findings.

    Only records of `rules` (the rules this check evaluated) can be resolved.
    """
    policy = policy or LifecyclePolicy()
    by_key = {r.dedup_key: r for r in firing if r.state is AlertState.FIRING}
    matched: set[str] = set()
    changes = []
    for alert in _strongest(found):
        record = by_key.get(alert.dedup_key) or _overlapping(alert, by_key, matched)
        if record is not None:
            matched.add(record.dedup_key)
        changes.append(_fire(alert, record, now, silences, policy))
    for key, record in by_key.items():
        if key not in matched and record.alert.rule in rules:
            changes.append(_resolve(record, now, silences, policy))
    return changes


def _strongest(found: Sequence[Alert]) -> list[Alert]:
    best: dict[str, Alert] = {}
    for alert in found:
        kept = best.get(alert.dedup_key)
        if kept is None or alert.ratio > kept.ratio:
            best[alert.dedup_key] = alert
    return list(best.values())


def _overlapping(alert: Alert, by_key: Mapping[str, AlertRecord], matched: set[str]
                 ) -> AlertRecord | None:
    for key, record in by_key.items():
        if key not in matched and record.alert.overlaps(alert):
            return record
    return None


def _fire(alert: Alert, record: AlertRecord | None, now: datetime,
          silences: Sequence[Silence], policy: LifecyclePolicy) -> AlertChange:
    silenced = any(s.matches(alert, now) for s in silences)
    if record is None:
        key, notice, started = alert.dedup_key, None if silenced else Notice.FIRING, now
    else:
        key, started = record.dedup_key, record.started_at
        alert = replace(alert, start=min(alert.start, record.alert.start))
        notice = None if silenced else _due_notice(record, now, policy)
    payload = None if notice is None else notice_payload(
        alert, notice, started_at=started, now=now, policy=policy)
    return AlertChange(key, AlertState.FIRING, alert, notice, record, payload)


def _due_notice(record: AlertRecord, now: datetime, policy: LifecyclePolicy) -> Notice | None:
    if record.last_notified_at is None:
        return Notice.FIRING
    if now - record.last_notified_at >= timedelta(seconds=policy.repeat_seconds):
        return Notice.REPEAT
    return None


def _resolve(record: AlertRecord, now: datetime, silences: Sequence[Silence],
             policy: LifecyclePolicy) -> AlertChange:
    silenced = any(s.matches(record.alert, now) for s in silences)
    notify = record.last_notified_at is not None and not silenced
    notice = Notice.RESOLVED if notify else None
    payload = None if notice is None else notice_payload(
        record.alert, notice, started_at=record.started_at, now=now, policy=policy)
    return AlertChange(record.dedup_key, AlertState.RESOLVED, record.alert, notice, record,
                       payload)


def notice_payload(alert: Alert, notice: Notice, *, started_at: datetime, now: datetime,
                   policy: LifecyclePolicy) -> dict[str, Any]:
    """The destination-neutral notification: plain JSON values, times in local ISO form."""
    zone = ZoneInfo(policy.timezone)

    def local(value: datetime) -> str:
        return value.astimezone(zone).isoformat()

    return {
        "notice": notice.value, "rule": alert.rule.value, "dedup_key": alert.dedup_key,
        "title": alert_title(alert, notice), "summary": alert_summary(alert, policy.timezone),
        "category": alert.key.category, "channel": alert.key.channel or None,
        "freq": alert.freq.value, "window_start": local(alert.start),
        "window_end": local(alert.end), "peak_ts": local(alert.peak_ts),
        "volume": round(alert.volume, 1), "baseline": round(alert.baseline, 1),
        "ratio": None if alert.baseline <= 0 else round(alert.ratio, 2),
        "agents_needed": alert.agents_needed, "agents_planned": alert.agents_planned,
        "explanation": list(alert.explanation),
        "projected_total": _rounded(alert.projected_total),
        "day_forecast": _rounded(alert.day_forecast),
        "started_at": local(started_at), "at": local(now), "link": alert_link(alert, policy),
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def alert_link(alert: Alert, policy: LifecyclePolicy) -> str | None:
    """The API listing of this series' alerts, when a public URL is configured."""
    if not policy.public_url:
        return None
    base = policy.public_url.rstrip("/")
    query = f"category={_quote(alert.key.category)}"
    if alert.key.channel:
        query += f"&channel={_quote(alert.key.channel)}"
    return f"{base}/v1/alerts?{query}"


def _quote(text: str) -> str:
    return quote(text, safe="")


def alert_title(alert: Alert, notice: Notice) -> str:
    what = ("Peak ahead" if alert.rule is Rule.AHEAD else "Breakout now")
    prefix = {Notice.FIRING: "", Notice.REPEAT: "Still: ", Notice.RESOLVED: "Resolved: "}[notice]
    return f"{prefix}{what}: {alert.key.label()}"


def alert_summary(alert: Alert, timezone: str) -> str:
    """One line a person reads first: how big, when, and what it needs."""
    zone = ZoneInfo(timezone)
    start = alert.start.astimezone(zone)
    times = ratio_text = ""
    if alert.baseline > 0:
        ratio_text = f" ({alert.ratio:.1f}x)"
    if alert.rule is Rule.AHEAD:
        when = start.strftime("%a %Y-%m-%d") if alert.freq is Freq.DAILY else \
            start.strftime("%a %Y-%m-%d %H:%M")
        text = (f"expected {alert.volume:,.0f} vs normal {alert.baseline:,.0f}{ratio_text} "
                f"from {when}")
    else:
        times = f"{start:%H:%M}-{alert.end.astimezone(zone):%H:%M}"
        text = (f"observed {alert.volume:,.0f} vs forecast {alert.baseline:,.0f}{ratio_text} "
                f"in {times}")
        if alert.projected_total is not None and alert.day_forecast is not None:
            text += (f"; day heading to {alert.projected_total:,.0f} "
                     f"vs {alert.day_forecast:,.0f} forecast")
    if alert.agents_needed is not None:
        text += f"; needs {alert.agents_needed} agents"
        if alert.agents_planned is not None:
            text += f" (planned {alert.agents_planned})"
    if alert.explanation:
        text += f"; {', '.join(alert.explanation)}"
    return text
