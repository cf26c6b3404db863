"""Destinations for alert notices: Slack incoming webhooks (Block Kit) and JSON webhooks.

A sender posts one batch as one request with a timeout and reports what happened; it
never raises for network or HTTP errors and never puts the URL (a secret) in an error.
Every request carries the batch id as `idempotency_key` in the body and as the
`Idempotency-Key` header, so a receiver can drop a batch it has seen (the same batch is
re-sent after a crash between sending and recording the success).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx

from forecast.alerts import OutboxBatch

logger = logging.getLogger(__name__)

SLACK = "slack"
WEBHOOK = "webhook"
SLACK_MAX_ALERTS = 15  # 3 blocks each + header + footer stays under Slack's 50 blocks
USER_AGENT = "vocast-notifier"
_RETRY_AFTER_STATUSES = (429, 503)
_URL_PATH = re.compile(r"(https?://[^/\s\"']+)/[^\s\"']*")


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """`ok` after a 2xx; else `error` (no secrets) and the server's Retry-After if any."""

    ok: bool
    error: str = ""
    retry_after_seconds: float | None = None


class Sender(Protocol):
    name: str

    def send(self, batch: OutboxBatch) -> SendOutcome: ...


class HttpSender:
    """POST a JSON body built from the batch to one URL."""

    def __init__(self, name: str, url: str, build: Callable[[OutboxBatch], dict[str, Any]],
                 client: httpx.Client) -> None:
        self.name = name
        self._url = url
        self._build = build
        self._client = client

    def __repr__(self) -> str:  # the URL is a secret: keep it out of reprs and logs
        return f"HttpSender(name={self.name!r})"

    def send(self, batch: OutboxBatch) -> SendOutcome:
        headers = {"Idempotency-Key": batch.batch_id, "User-Agent": USER_AGENT}
        try:
            response = self._client.post(self._url, json=self._build(batch), headers=headers)
        except httpx.TimeoutException as exc:
            return SendOutcome(False, f"timeout ({type(exc).__name__})")
        except httpx.HTTPError as exc:
            return SendOutcome(False, f"network error ({type(exc).__name__})")
        if response.is_success:
            return SendOutcome(True)
        retry_after = None
        if response.status_code in _RETRY_AFTER_STATUSES:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return SendOutcome(False, f"HTTP {response.status_code}", retry_after)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def webhook_body(batch: OutboxBatch) -> dict[str, Any]:
    """The generic JSON webhook body: the batch id and every notice in full."""
    return {"idempotency_key": batch.batch_id, "source": "vocast",
            "notifications": [dict(m.payload) for m in batch.messages]}


def slack_body(batch: OutboxBatch) -> dict[str, Any]:
    """A Block Kit message: one section per alert (up to SLACK_MAX_ALERTS), then a count."""
    payloads = [m.payload for m in batch.messages]
    title = str(payloads[0]["title"]) if len(payloads) == 1 else f"vocast: {len(payloads)} alerts"
    blocks: list[dict[str, Any]] = [_plain("header", title[:150])]
    for payload in payloads[:SLACK_MAX_ALERTS]:
        blocks.extend(_alert_blocks(payload, many=len(payloads) > 1))
    hidden = len(payloads) - SLACK_MAX_ALERTS
    footer = f"ref {batch.batch_id}"
    if hidden > 0:
        footer = f"{hidden} more alerts in this batch; {footer}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
    return {"text": title, "blocks": blocks, "idempotency_key": batch.batch_id}


def _plain(kind: str, text: str) -> dict[str, Any]:
    return {"type": kind, "text": {"type": "plain_text", "text": text}}


def _alert_blocks(payload: Mapping[str, Any], *, many: bool) -> list[dict[str, Any]]:
    ahead = payload.get("rule") == "ahead_peak"
    series = str(payload["category"]) + (f" / {payload['channel']}" if payload.get("channel")
                                         else "")
    ratio = f" ({payload['ratio']}x)" if payload.get("ratio") is not None else ""
    volumes = f"{payload['volume']:,.0f} vs {payload['baseline']:,.0f}{ratio}"
    fields = [
        ("Category", series),
        ("Expected vs normal" if ahead else "Observed vs forecast", volumes),
        ("Peak window" if ahead else "Breakout window",
         f"{payload['window_start']} to {payload['window_end']}"),
        ("Agents needed", _agents(payload)),
    ]
    if payload.get("projected_total") is not None:
        fields.append(("Day heading to", f"{payload['projected_total']:,.0f} "
                                         f"(forecast {payload.get('day_forecast') or 0:,.0f})"))
    if payload.get("explanation"):
        fields.append(("Why", ", ".join(payload["explanation"])))
    heading = f"*{payload['title']}*\n" if many else ""
    section = {"type": "section", "block_id": str(payload.get("idempotency_key", ""))[:255],
               "text": {"type": "mrkdwn", "text": f"{heading}{payload['summary']}"[:3000]},
               "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{value}"[:2000]}
                          for name, value in fields]}
    link = payload.get("link")
    context = f"<{link}|Open in the vocast API>" if link else "vocast API: GET /v1/alerts"
    return [section, {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
            {"type": "divider"}]


def _agents(payload: Mapping[str, Any]) -> str:
    needed = payload.get("agents_needed")
    if needed is None:
        return "n/a"
    planned = payload.get("agents_planned")
    return f"{needed}" + (f" (planned {planned})" if planned is not None else "")


def build_senders(client: httpx.Client, *, slack_url: str | None,
                  webhook_url: str | None) -> dict[str, Sender]:
    """The configured destinations by name (slack, webhook)."""
    senders: dict[str, Sender] = {}
    if slack_url:
        senders[SLACK] = HttpSender(SLACK, slack_url, slack_body, client)
    if webhook_url:
        senders[WEBHOOK] = HttpSender(WEBHOOK, webhook_url, webhook_body, client)
    return senders


class RedactUrlPaths(logging.Filter):
    """Cut the path and query off every URL in a record's message: a webhook URL's path is
    its secret, and httpx logs each request's full URL at INFO."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _URL_PATH.sub(r"\1/<redacted>", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact_http_logs() -> None:
    """Install `RedactUrlPaths` on httpx's logger once (entry points and jobs call this)."""
    target = logging.getLogger("httpx")
    if not any(isinstance(f, RedactUrlPaths) for f in target.filters):
        target.addFilter(RedactUrlPaths())
