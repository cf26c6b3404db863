"""The delivery job: send due outbox batches, one per destination per run, with retries.

Each run claims at most one batch per destination (a storm of notices becomes one
message per destination per run; the scheduler runs this every minute), sends it, and
records the outcome: delivered, or due again after an exponential backoff (or the
server's Retry-After), or dead after `max_attempts`. A run that dies between sending and
recording leaves the batch leased; once the lease expires the same batch is sent again
under the same idempotency key, so delivery is at least once and, for a receiver that
drops repeated keys, exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from forecast.alerts import OutboxBatch
from forecast.errors import InvalidParameter
from forecast.store import Store
from jobs.notifiers import Sender, SendOutcome

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """Retry and grouping limits; the lease must outlast one request (timeout)."""

    backoff_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    max_attempts: int = 20
    lease_seconds: float = 120.0
    batch_size: int = 50

    def __post_init__(self) -> None:
        for name in ("backoff_seconds", "backoff_max_seconds", "lease_seconds"):
            if not getattr(self, name) > 0:
                raise InvalidParameter(name, getattr(self, name), "a positive number of seconds")
        for name in ("max_attempts", "batch_size"):
            if getattr(self, name) < 1:
                raise InvalidParameter(name, getattr(self, name), "a positive whole number")

    def backoff(self, attempt: int) -> float:
        """Seconds before retry number `attempt` (1-based): base x 2^(attempt-1), capped."""
        return float(min(self.backoff_max_seconds,
                         self.backoff_seconds * 2.0 ** max(0, attempt - 1)))


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    batches: int = 0
    delivered: int = 0  # messages
    failed: int = 0  # batches that will be retried
    dead: int = 0  # batches given up on


def deliver_due(store: Store, senders: Mapping[str, Sender], policy: DeliveryPolicy, *,
                clock: Clock = utc_now) -> DeliveryReport:
    """One delivery pass: at most one batch per destination."""
    report = DeliveryReport()
    for name, sender in senders.items():
        batch = store.claim_outbox(name, now=clock(), lease_seconds=policy.lease_seconds,
                                   limit=policy.batch_size)
        if batch is None:
            continue
        outcome = sender.send(batch)
        report = _record(store, batch, outcome, policy, clock(), report)
    return report


def _record(store: Store, batch: OutboxBatch, outcome: SendOutcome, policy: DeliveryPolicy,
            now: datetime, report: DeliveryReport) -> DeliveryReport:
    size = len(batch.messages)
    if outcome.ok:
        store.mark_delivered(batch.batch_id, now=now)
        logger.info("delivered batch %s (%d notices) to %s", batch.batch_id, size,
                    batch.destination)
        return DeliveryReport(report.batches + 1, report.delivered + size, report.failed,
                              report.dead)
    attempt = batch.attempts + 1
    give_up = attempt >= policy.max_attempts
    wait = policy.backoff(attempt)
    if outcome.retry_after_seconds is not None:
        wait = min(max(outcome.retry_after_seconds, 0.0), policy.backoff_max_seconds)
    store.mark_failed(batch.batch_id, error=outcome.error,
                      retry_at=now + timedelta(seconds=wait), give_up=give_up)
    if give_up:
        logger.error("gave up on batch %s to %s after %d attempts: %s", batch.batch_id,
                     batch.destination, attempt, outcome.error)
        return DeliveryReport(report.batches + 1, report.delivered, report.failed,
                              report.dead + 1)
    logger.warning("batch %s to %s failed (%s); attempt %d, retry in %.0f s", batch.batch_id,
                   batch.destination, outcome.error, attempt, wait)
    return DeliveryReport(report.batches + 1, report.delivered, report.failed + 1, report.dead)


def run_notify_job(store: Store, senders: Mapping[str, Sender], policy: DeliveryPolicy, *,
                   clock: Clock = utc_now) -> DeliveryReport:
    """`deliver_due`, recorded in the job-run log when it sent something or failed (an
    idle pass every minute would only fill the log)."""
    try:
        report = deliver_due(store, senders, policy, clock=clock)
    except Exception as exc:
        store.finish_job(store.start_job("notify"), "failed",
                         error=f"{type(exc).__name__}: {exc}")
        raise
    if report.batches:
        store.finish_job(store.start_job("notify"), "success", detail=(
            f"{report.batches} batches, {report.delivered} notices delivered, "
            f"{report.failed} to retry, {report.dead} given up"))
    return report
