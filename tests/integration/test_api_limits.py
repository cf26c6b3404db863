"""Limits and safety of the HTTP API: body sizes, row caps, pagination, CSV exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from forecast.settings import Settings
from tests.integration.conftest_api import (
    COUNTS_ROWS,
    TIMEZONE,
    forecast_frame,
    publish_forecast,
)

pytestmark = pytest.mark.integration

ALL_ROWS = len(forecast_frame())
BOM = b"\xef\xbb\xbf"


def _client(tmp_path: Path, **changes: Any) -> TestClient:
    settings = Settings(**({"database_url": f"sqlite:///{tmp_path / 'db' / 'vocast.db'}",
                            "timezone": TIMEZONE, "run_check_seconds": 0} | changes))
    return TestClient(create_app(settings))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path, max_forecast_rows=10) as test_client:
        publish_forecast(test_client.app.state.store, "run-1")  # type: ignore[attr-defined]
        yield test_client


def _pages(client: TestClient, params: dict[str, str]) -> Iterator[Any]:
    cursor = None
    while True:
        response = client.get("/v1/forecasts", params=params | ({"cursor": cursor} if cursor
                                                               else {}))
        assert response.status_code == 200, response.text
        yield response
        cursor = response.headers.get("x-next-cursor")
        if cursor is None:
            assert "link" not in response.headers
            return
        assert response.headers["link"].startswith("</v1/forecasts?")
        assert response.headers["link"].endswith('>; rel="next"')


def test_reads_over_the_row_cap_are_refused_with_what_to_do(client: TestClient) -> None:
    response = client.get("/v1/forecasts")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["parameter"] == "limit"
    assert f"{ALL_ROWS} do" in error["message"] and "cursor" in error["message"]
    assert client.get("/v1/forecasts", params={"freq": "30min"}).status_code == 200


def test_pages_cover_every_row_once(tmp_path: Path) -> None:
    with _client(tmp_path) as whole:
        publish_forecast(whole.app.state.store, "run-1")  # type: ignore[attr-defined]
        expected = whole.get("/v1/forecasts").json()["rows"]
        pages = list(_pages(whole, {"limit": "4"}))
    assert len(pages) == -(-ALL_ROWS // 4)
    assert [row for page in pages for row in page.json()["rows"]] == expected
    assert all(len(page.json()["rows"]) == 4 for page in pages[:-1])


def test_csv_pages_have_a_header_each(client: TestClient) -> None:
    pages = list(_pages(client, {"limit": "7", "format": "csv"}))
    rows = [row for page in pages for row in list(csv.reader(io.StringIO(page.text)))[1:]]
    assert len(rows) == ALL_ROWS
    assert all(page.text.startswith("ts,category,") for page in pages)


@pytest.mark.parametrize(("params", "parameter"), [
    ({"limit": "0"}, "limit"), ({"limit": "11"}, "limit"), ({"limit": "x"}, "limit"),
    ({"limit": "5", "cursor": "not-a-cursor"}, "cursor"), ({"bom": "maybe"}, "bom"),
])
def test_bad_paging_parameters_are_422(client: TestClient, params: dict[str, str],
                                       parameter: str) -> None:
    response = client.get("/v1/forecasts", params=params | {"freq": "30min"})
    assert response.status_code == 422
    assert response.json()["error"]["parameter"] == parameter


def test_a_cursor_only_fits_its_query_and_run(client: TestClient) -> None:
    first = client.get("/v1/forecasts", params={"limit": "3", "freq": "D"})
    cursor = first.headers["x-next-cursor"]
    other_query = client.get("/v1/forecasts", params={"limit": "3", "freq": "30min",
                                                      "cursor": cursor})
    assert other_query.status_code == 422
    assert "same filters" in other_query.json()["error"]["message"]
    publish_forecast(client.app.state.store, "run-2")  # type: ignore[attr-defined]
    stale = client.get("/v1/forecasts", params={"limit": "3", "freq": "D", "cursor": cursor})
    assert stale.status_code == 422
    assert "start again without cursor" in stale.json()["error"]["message"]


def test_csv_neutralises_formulas_in_text_and_can_carry_a_bom(tmp_path: Path) -> None:
    frame = forecast_frame()
    frame.loc[frame["category"] == "delivery", "category"] = "=HYPERLINK(\"http://x\")"
    frame.loc[frame["category"] == "billing", "category"] = "결제 문의"
    frame.loc[frame["channel"] == "phone", "channel"] = "@phone"
    with _client(tmp_path) as client:
        publish_forecast(client.app.state.store, "run-1", frame)  # type: ignore[attr-defined]
        plain = client.get("/v1/forecasts", params={"format": "csv"}).content
        marked = client.get("/v1/forecasts", params={"format": "csv", "bom": "true"}).content
        as_json = client.get("/v1/forecasts").json()["rows"]
    assert not plain.startswith(BOM) and marked == BOM + plain
    rows = list(csv.DictReader(io.StringIO(plain.decode("utf-8"))))
    assert {row["category"] for row in rows} == {"'=HYPERLINK(\"http://x\")", "결제 문의"}
    assert {row["channel"] for row in rows} == {"", "'@phone"}
    assert {row["category"] for row in as_json} == {"=HYPERLINK(\"http://x\")", "결제 문의"}
    assert all(not row["yhat"].startswith("'") for row in rows)


def test_bodies_over_the_limit_are_413_before_any_route_code(tmp_path: Path) -> None:
    with _client(tmp_path, max_body_bytes=200, max_upload_bytes=5000) as client:
        big = client.post("/v1/keys", json={"name": "x" * 300, "scopes": ["read"]})
        assert big.status_code == 413
        assert big.json()["error"]["type"] == "PayloadTooLarge"

        def chunks() -> Iterator[bytes]:
            yield b'{"name": "'
            yield b"y" * 300
            yield b'", "scopes": ["read"]}'

        streamed = client.post("/v1/keys", content=chunks(),
                               headers={"content-type": "application/json"})
        assert streamed.status_code == 413
        assert streamed.json()["error"]["type"] == "PayloadTooLarge"
        upload = client.post("/v1/observations", json={"rows": COUNTS_ROWS})
        assert upload.status_code == 200  # over max_body_bytes, under max_upload_bytes


def test_uploads_over_the_row_limit_are_413(tmp_path: Path) -> None:
    with _client(tmp_path, max_upload_rows=2) as client:
        response = client.post("/v1/observations", json={"rows": COUNTS_ROWS})
        assert response.status_code == 413
        assert "3 rows; the limit is 2" in response.json()["error"]["message"]
        assert client.get("/v1/series").json() == []
