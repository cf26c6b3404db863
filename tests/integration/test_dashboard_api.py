"""The routes the dashboard reads (GET /v1/observations, /v1/calendar) and the page's own
files, against a real SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.dashboard import CONTENT_SECURITY_POLICY, STATIC_DIR
from forecast.settings import Settings
from forecast.store import Store
from tests.integration.conftest_api import TIMEZONE

pytestmark = pytest.mark.integration

COUNTS_CSV = (
    "ts,category,channel,count\n"
    "2026-02-02T09:00:00,billing,phone,12\n"
    "2026-02-02T09:30:00,billing,phone,15\n"
    "2026-02-02T09:00:00,billing,chat,3\n"
    "2026-02-02T09:00:00,배송,,4\n"
    "2026-02-02T09:30:00,배송,,6\n"
)


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return create_app(Settings(database_url=f"sqlite:///{tmp_path / 'vocast.db'}",
                               timezone=TIMEZONE, holiday_country="KR", max_forecast_rows=4,
                               auth_cache_seconds=0))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        posted = test_client.post("/v1/observations", content=COUNTS_CSV.encode(),
                                  headers={"content-type": "text/csv"})
        assert posted.json()["inserted"] == 5
        yield test_client


def test_observations_of_a_category_every_channel_by_series_and_time(client: TestClient) -> None:
    rows = client.get("/v1/observations", params={"category": "billing"}).json()["rows"]
    assert [(r["channel"], r["ts"], r["count"]) for r in rows] == [
        ("chat", "2026-02-02T09:00:00+09:00", 3),
        ("phone", "2026-02-02T09:00:00+09:00", 12),
        ("phone", "2026-02-02T09:30:00+09:00", 15),
    ]
    assert {r["freq"] for r in rows} == {"30min"}


def test_observations_filter_by_channel_and_time(client: TestClient) -> None:
    rows = client.get("/v1/observations", params={
        "category": "billing", "channel": "phone", "start": "2026-02-02T09:30:00"}).json()["rows"]
    assert [(r["ts"], r["count"]) for r in rows] == [("2026-02-02T09:30:00+09:00", 15)]
    none = client.get("/v1/observations", params={"category": "billing", "freq": "D"})
    assert none.json() == {"rows": []}


def test_observations_csv_keeps_korean_names_and_empty_channel(client: TestClient) -> None:
    response = client.get("/v1/observations", params={"category": "배송", "channel": "",
                                                      "format": "csv"})
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.decode("utf-8").splitlines() == [
        "ts,category,channel,freq,count",
        "2026-02-02T09:00:00+09:00,배송,,30min,4",
        "2026-02-02T09:30:00+09:00,배송,,30min,6",
    ]
    json_rows = client.get("/v1/observations", params={"category": "배송"}).json()["rows"]
    assert {r["channel"] for r in json_rows} == {None}


def test_observations_past_the_row_limit_ask_to_narrow(client: TestClient) -> None:
    response = client.get("/v1/observations")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["parameter"] == "filters"
    assert "at most 4 rows" in error["message"]


def test_observations_reject_a_bad_time(client: TestClient) -> None:
    response = client.get("/v1/observations", params={"start": "yesterday"})
    assert response.status_code == 422
    assert response.json()["error"]["parameter"] == "start"


def test_calendar_names_korean_holidays_in_the_range(client: TestClient) -> None:
    body = client.get("/v1/calendar", params={"start": "2026-09-23", "end": "2026-10-04"}).json()
    assert body["country"] == "KR"
    assert body["start"] == "2026-09-23"
    assert [h["date"] for h in body["holidays"]] == [
        "2026-09-24", "2026-09-25", "2026-09-26", "2026-10-03"]
    assert all(h["name"] for h in body["holidays"])
    csv = client.get("/v1/calendar", params={"start": "2026-10-03", "end": "2026-10-04",
                                             "format": "csv"})
    assert csv.text.splitlines()[0] == "date,name"
    assert csv.text.splitlines()[1].startswith("2026-10-03,")


def test_calendar_end_is_exclusive_and_checked(client: TestClient) -> None:
    body = client.get("/v1/calendar", params={"start": "2026-10-01", "end": "2026-10-03"}).json()
    assert body["holidays"] == []
    for params, parameter in (({"start": "2026-10-03", "end": "2026-10-03"}, "end"),
                              ({"start": "2026-13-01", "end": "2026-12-01"}, "start"),
                              ({"start": "2020-01-01", "end": "2031-01-01"}, "end")):
        response = client.get("/v1/calendar", params=params)
        assert response.status_code == 422, params
        assert response.json()["error"]["parameter"] == parameter


def test_calendar_without_a_country_is_empty(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'v.db'}", timezone=TIMEZONE))
    with TestClient(app) as client:
        body = client.get("/v1/calendar", params={"start": "2026-01-01", "end": "2027-01-01"})
        assert body.json()["country"] is None
        assert body.json()["holidays"] == []


def test_page_and_files_are_served_without_a_key_while_data_needs_one(
    app: FastAPI, client: TestClient
) -> None:
    store: Store = app.state.store
    store.create_api_key("dashboard", ["read"])
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert '<script type="module" src="/static/dashboard.js">' in page.text
    for name, media in (("dashboard.js", "text/javascript"), ("dashboard.css", "text/css"),
                        ("dashboard-charts.js", "text/javascript")):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith(media)
        assert response.content == (STATIC_DIR / name).read_bytes()
    assert client.get("/v1/observations").status_code == 401
    assert client.get("/v1/calendar", params={"start": "2026-01-01",
                                              "end": "2026-01-02"}).status_code == 401


def test_only_shipped_files_are_served(client: TestClient) -> None:
    for name in ("missing.js", "..%2Fdashboard.py", "dashboard.html", "%2E%2E%2Fapp.py"):
        assert client.get(f"/static/{name}").status_code == 404, name
    assert client.get("/static/../app.py").status_code == 404


def test_page_loads_nothing_from_other_origins() -> None:
    for path in STATIC_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", ""), path.name
        assert "https://" not in text, path.name
