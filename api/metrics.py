"""Prometheus metrics at `/metrics`.

HTTP traffic is counted by this process (by route template, so `/v1/keys/7` is
`/v1/keys/{key_id}`, and unknown paths are one `unmatched` label). Job, run, alert and
outbox figures are read from the store at scrape time, so they are right whichever
process (scheduler, CLI, another API worker) did the work. With several API workers each
keeps its own HTTP counters; scrape each worker or run one per container.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator

from fastapi import APIRouter, FastAPI, Request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import READ, include_protected
from forecast.store import Store

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
UNMATCHED_ROUTE = "unmatched"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
FINISHED_STATUSES = frozenset({"success", "failed"})
ROUTES_REMEMBERED = 4096  # paths -> route template; forgotten all at once when full
OUTBOX_STATUSES = ("pending", "delivered", "dead")

router = APIRouter(tags=["monitoring"])


class ApiMetrics:
    """One registry per app: HTTP counters plus the store collector."""

    def __init__(self, store: Callable[[], Store | None],
                 templates: Callable[[], Iterable[str]] = tuple) -> None:
        self._templates = templates
        self._patterns: list[tuple[re.Pattern[str], str]] | None = None
        self._routes: dict[str, str] = {}
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "vocast_http_requests", "HTTP requests by method, route template and status.",
            ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram(
            "vocast_http_request_duration_seconds", "Time to the last response byte.",
            ["method", "route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.registry.register(StoreCollector(store))

    def route_of(self, scope: Scope) -> str:
        """The route template a request's path matches, e.g. `/v1/keys/{key_id}`."""
        path = scope["path"]
        known = self._routes.get(path)
        if known is not None:
            return known
        if self._patterns is None:
            self._patterns = [(compile_path(t)[0], t) for t in self._templates()]
        for pattern, template in self._patterns:
            if pattern.match(path):
                if len(self._routes) >= ROUTES_REMEMBERED:
                    self._routes.clear()
                self._routes[path] = template
                return template
        route = scope.get("route")
        return getattr(route, "path", None) or UNMATCHED_ROUTE

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one request (the labelled series are looked up once, then kept)."""
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(method, route, str(status)),
                        self.latency.labels(method, route))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Times every HTTP request and counts it by the route template it matched."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self.metrics.observe(scope["method"], self.metrics.route_of(scope), status,
                                 time.perf_counter() - started)


class StoreCollector(Collector):
    """Figures read from the store on each scrape; `vocast_store_up` 0 when it fails."""

    def __init__(self, store: Callable[[], Store | None]) -> None:
        self._store = store

    def describe(self) -> list[Metric]:
        return []  # collected live; nothing to check for duplicates up front

    def collect(self) -> Iterator[Metric]:
        store = self._store()
        up = GaugeMetricFamily("vocast_store_up", "1 when the store answered this scrape.")
        if store is None:
            up.add_metric([], 0)
            yield up
            return
        try:
            families = [*_job_families(store), *_run_families(store), *_backlog_families(store)]
        except Exception as exc:  # a scrape must not fail because the database is down
            logger.warning("metrics: store unavailable (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families


def _job_families(store: Store) -> list[Metric]:
    labels = ["job", "status"]
    runs = CounterMetricFamily("vocast_job_runs", "Job runs by job and status "
                               "(running = started, not finished).", labels=labels)
    durations = SummaryMetricFamily("vocast_job_duration_seconds",
                                    "Duration of finished job runs.", labels=labels)
    last = GaugeMetricFamily("vocast_job_last_duration_seconds",
                             "Duration of the latest finished run.", labels=labels)
    started = GaugeMetricFamily("vocast_job_last_start_timestamp_seconds",
                                "When the latest run started (Unix time).", labels=labels)
    for stats in store.job_stats():
        key = [stats.job, stats.status]
        runs.add_metric(key, stats.runs)
        started.add_metric(key, stats.last_started_at.timestamp())
        if stats.status in FINISHED_STATUSES:
            durations.add_metric(key, count_value=stats.runs, sum_value=stats.total_seconds)
        if stats.last_seconds is not None:
            last.add_metric(key, stats.last_seconds)
    return [runs, durations, last, started]


def _run_families(store: Store) -> list[Metric]:
    run = store.published_run()
    fitted = GaugeMetricFamily("vocast_series_fitted",
                               "Series (hierarchy levels included) in the published run.")
    rows = GaugeMetricFamily("vocast_published_run_rows", "Forecast rows in the published run.")
    published = GaugeMetricFamily("vocast_published_run_timestamp_seconds",
                                  "When the published run was published (Unix time).")
    if run is not None:
        fitted.add_metric([], run.series)
        rows.add_metric([], run.rows)
        if run.published_at is not None:
            published.add_metric([], run.published_at.timestamp())
    return [fitted, rows, published]


def _backlog_families(store: Store) -> list[Metric]:
    """Alerts firing and the notification outbox."""
    counts = store.backlog_counts()
    firing = GaugeMetricFamily("vocast_alerts_firing", "Alerts currently firing.")
    firing.add_metric([], counts.firing_alerts)
    messages = GaugeMetricFamily("vocast_outbox_messages", "Outbox notifications by status "
                                 "(pending = the delivery backlog).", labels=["status"])
    for status in sorted({*OUTBOX_STATUSES, *counts.outbox}):
        messages.add_metric([status], counts.outbox.get(status, 0))
    oldest = GaugeMetricFamily("vocast_outbox_oldest_pending_timestamp_seconds",
                               "When the oldest undelivered notification was queued.")
    if counts.oldest_pending_at is not None:
        oldest.add_metric([], counts.oldest_pending_at.timestamp())
    return [firing, messages, oldest]


@router.get("/metrics", response_class=Response, responses={200: {
    "content": {"text/plain": {"schema": {"type": "string"}}},
    "description": "Prometheus text format: HTTP requests and latency, job runs and "
                   "durations, the published run, alerts firing, the outbox backlog."}})
async def get_metrics(request: Request) -> Response:
    """Current metrics (open unless `metrics_public` is false; then a `read` key)."""
    metrics: ApiMetrics = request.app.state.metrics
    return Response(await run_in_threadpool(metrics.exposition), media_type=CONTENT_TYPE)


def install_metrics(app: FastAPI, *, public: bool) -> None:
    """Count every request and serve `/metrics` (behind a `read` key unless `public`)."""
    app.state.metrics = ApiMetrics(lambda: getattr(app.state, "store", None),
                                   lambda: _templates(app))
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    if public:
        app.include_router(router)
    else:
        include_protected(app, router, read=READ)


def _templates(app: FastAPI) -> list[str]:
    return [path for path in (*app.openapi()["paths"], app.openapi_url, app.docs_url) if path]
