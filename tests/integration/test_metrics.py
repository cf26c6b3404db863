"""Prometheus /metrics: HTTP traffic by route template, and figures read from the store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from forecast.settings import Settings
from forecast.store import Store
from tests.integration.conftest_api import TIMEZONE, forecast_frame, publish_forecast
from tests.integration.test_alert_store import T0, alert, check

pytestmark = pytest.mark.integration


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return create_app(Settings(database_url=f"sqlite:///{tmp_path / 'db' / 'vocast.db'}",
                               timezone=TIMEZONE))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def _value(text: str, sample: str) -> float:
    """The value of one sample line, e.g. `vocast_store_up` or `name{label="x"}`."""
    match = re.search("^" + re.escape(sample) + r" (\S+)$", text, flags=re.MULTILINE)
    assert match, f"{sample} not in:\n{text}"
    return float(match.group(1))


def test_requests_are_counted_by_route_template_and_status(client: TestClient) -> None:
    client.get("/v1/series")
    client.get("/v1/series")
    client.delete("/v1/keys/41")
    client.get("/no/such/path")
    text = client.get("/metrics").text
    assert client.get("/metrics").headers["content-type"].startswith("text/plain")
    series = 'vocast_http_requests_total{method="GET",route="/v1/series",status="200"}'
    assert _value(text, series) == 2
    by_template = 'vocast_http_requests_total{method="DELETE",route="/v1/keys/{key_id}",' \
                  'status="404"}'
    assert _value(text, by_template) == 1
    assert _value(text, 'vocast_http_requests_total{method="GET",route="unmatched",'
                        'status="404"}') == 1
    assert _value(text, 'vocast_http_request_duration_seconds_count{method="GET",'
                        'route="/v1/series"}') == 2
    assert "/v1/keys/41" not in text


def test_job_runs_and_the_published_run_come_from_the_store(
    app: FastAPI, client: TestClient
) -> None:
    store: Store = app.state.store
    store.finish_job(store.start_job("fit"), "success")
    store.finish_job(store.start_job("fit"), "failed", error="boom")
    store.start_job("notify")
    publish_forecast(store, "run-1")
    text = client.get("/metrics").text
    assert _value(text, 'vocast_job_runs_total{job="fit",status="success"}') == 1
    assert _value(text, 'vocast_job_runs_total{job="fit",status="failed"}') == 1
    assert _value(text, 'vocast_job_runs_total{job="notify",status="running"}') == 1
    assert _value(text, 'vocast_job_duration_seconds_count{job="fit",status="success"}') == 1
    assert _value(text, 'vocast_job_duration_seconds_sum{job="fit",status="success"}') >= 0
    assert 'vocast_job_duration_seconds_count{job="notify"' not in text
    assert _value(text, "vocast_series_fitted") == 4  # 3 daily series and 1 at 30 minutes
    assert _value(text, "vocast_published_run_rows") == len(forecast_frame())
    assert _value(text, "vocast_published_run_timestamp_seconds") > 1.7e9
    assert _value(text, "vocast_store_up") == 1


def test_a_failing_store_does_not_fail_the_scrape(app: FastAPI, client: TestClient) -> None:
    class Unreachable:
        def job_stats(self) -> list[object]:
            raise OSError("database is gone")

    store = app.state.store
    app.state.store = Unreachable()
    try:
        response = client.get("/metrics")
    finally:
        app.state.store = store
    assert response.status_code == 200
    assert _value(response.text, "vocast_store_up") == 0
    assert _value(client.get("/metrics").text, "vocast_store_up") == 1


def test_alerts_and_the_outbox_backlog_are_exported(app: FastAPI, client: TestClient) -> None:
    store = app.state.store
    check(store, [alert("refund")], T0)
    text = client.get("/metrics").text
    assert _value(text, "vocast_alerts_firing") == 1
    assert _value(text, 'vocast_outbox_messages{status="pending"}') == 2
    assert _value(text, 'vocast_outbox_messages{status="dead"}') == 0
    assert _value(text, "vocast_outbox_oldest_pending_timestamp_seconds") == T0.timestamp()


def test_reads_answered_from_memory_are_counted_like_routed_ones(
    app: FastAPI, client: TestClient
) -> None:
    publish_forecast(app.state.store, "run-1")
    etag = client.get("/v1/forecasts").headers["etag"]  # routed: prepares the view
    for _ in range(3):  # answered from memory before routing (api/fastpath.py)
        assert client.get("/v1/forecasts").status_code == 200
    assert client.get("/v1/forecasts", headers={"if-none-match": etag}).status_code == 304
    assert client.head("/v1/forecasts").status_code == 200
    text = client.get("/metrics").text
    route = 'method="GET",route="/v1/forecasts"'
    assert _value(text, f'vocast_http_requests_total{{{route},status="200"}}') == 4
    assert _value(text, f'vocast_http_requests_total{{{route},status="304"}}') == 1
    assert _value(text, f"vocast_http_request_duration_seconds_count{{{route}}}") == 5
    assert _value(text, 'vocast_http_requests_total{method="HEAD",route="/v1/forecasts",'
                        'status="200"}') == 1
