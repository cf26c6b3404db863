"""The HTTP API against a real SQLite store in a temporary directory."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import status_for
from api.export import local_iso
from forecast.errors import (
    InfeasibleStaffing,
    InsufficientHistory,
    InvalidInput,
    InvalidParameter,
    ModelNotFitted,
    NotFound,
    UnknownModel,
)
from forecast.settings import Settings
from forecast.store import Store
from tests.integration.conftest_api import (
    COUNTS_CSV,
    COUNTS_ROWS,
    FORECAST_DAYS,
    TIMEZONE,
    forecast_frame,
    publish_forecast,
)

pytestmark = pytest.mark.integration

ALL_FORECAST_ROWS = 3 * FORECAST_DAYS + 6
OUTPUT_COLUMNS = ["ts", "category", "channel", "freq", "yhat", "lo80", "hi80", "lo95", "hi95",
                  "model", "run_id"]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "db" / "vocast.db"


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{db_path}", timezone=TIMEZONE,
                    base_interval="30min")


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def store(app: FastAPI, client: TestClient) -> Store:  # noqa: ARG001 - client opens the store
    opened: Store = app.state.store
    return opened


@pytest.fixture
def published(store: Store) -> str:
    publish_forecast(store, "run-1")
    return "run-1"


def error_of(response: Any, status: int) -> dict[str, Any]:
    """Assert the status and the shared error envelope; return the error object."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"type", "message", "row", "column", "parameter"}
    assert "Traceback" not in error["message"]
    return error


def series_state(client: TestClient) -> list[dict[str, Any]]:
    response = client.get("/v1/series")
    assert response.status_code == 200
    return sorted(response.json(), key=lambda s: (s["category"], s["channel"] or "", s["freq"]))


# --- app, health, docs -----------------------------------------------------------------


def test_healthz_reports_database_and_current_run(client: TestClient, store: Store) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok",
                                             "current_run": None}
    publish_forecast(store, "run-1")
    assert client.get("/healthz").json()["current_run"] == "run-1"


def test_healthz_is_503_when_the_database_fails(client: TestClient, db_path: Path) -> None:
    with sqlite3.connect(db_path) as connection:
        connection.execute("DROP TABLE current_run")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable",
                               "current_run": None}


def test_openapi_documents_versioned_routes_and_models(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["info"]["title"] == "vocast"
    assert {"/healthz", "/v1/series", "/v1/forecasts", "/v1/observations", "/v1/runs"} <= set(
        spec["paths"])
    assert {"ForecastOut", "ForecastRowOut", "SeriesOut", "UpsertOut", "RunsOut",
            "ErrorOut"} <= set(spec["components"]["schemas"])
    forecasts = spec["paths"]["/v1/forecasts"]["get"]
    assert "text/csv" in forecasts["responses"]["200"]["content"]
    assert {p["name"] for p in forecasts["parameters"]} >= {
        "category", "channel", "freq", "start", "end", "format"}
    upload = spec["paths"]["/v1/observations"]["post"]["requestBody"]["content"]
    assert set(upload) == {"application/json", "multipart/form-data", "text/csv"}
    assert client.get("/docs").status_code == 200


def test_creating_the_app_makes_the_sqlite_folder(db_path: Path, client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    assert db_path.exists()


def test_unknown_route_uses_the_error_envelope(client: TestClient) -> None:
    assert error_of(client.get("/v1/nothing"), 404)["type"] == "NotFound"
    assert error_of(client.delete("/v1/series"), 405)["type"] == "MethodNotAllowed"


@pytest.mark.parametrize(("error", "status"), [
    (InvalidInput("bad", row=2, column="ts"), 422),
    (InvalidParameter("freq", "W", "one of D"), 422),
    (UnknownModel("magic", ["ets"]), 422),
    (InsufficientHistory("ets", 14, 3), 422),
    (NotFound("no run"), 404),
    (ModelNotFitted("predict before fit"), 400),
    (InfeasibleStaffing("cannot meet target"), 422),
])
def test_domain_errors_map_to_http_status(error: Exception, status: int) -> None:
    assert status_for(error) == status  # type: ignore[arg-type]


# --- series and observations -----------------------------------------------------------


def test_series_is_empty_then_lists_uploaded_series_in_local_time(client: TestClient) -> None:
    assert client.get("/v1/series").json() == []
    client.post("/v1/observations", content=COUNTS_CSV, headers={"content-type": "text/csv"})
    assert series_state(client) == [
        {"category": "billing", "channel": "phone", "freq": "30min",
         "first_ts": "2026-02-02T09:00:00+09:00", "last_ts": "2026-02-02T10:00:00+09:00",
         "observations": 3},
        {"category": "delivery", "channel": None, "freq": "30min",
         "first_ts": "2026-02-02T09:00:00+09:00", "last_ts": "2026-02-02T09:30:00+09:00",
         "observations": 2},
    ]


def test_post_json_rows_is_idempotent(client: TestClient) -> None:
    first = client.post("/v1/observations", json={"rows": COUNTS_ROWS})
    assert first.status_code == 200, first.text
    assert first.json() == {"inserted": 3, "updated": 0, "unchanged": 0, "series": 1}
    again = client.post("/v1/observations", json={"rows": COUNTS_ROWS})
    assert again.json() == {"inserted": 0, "updated": 0, "unchanged": 3, "series": 1}
    changed = [dict(COUNTS_ROWS[0], count=7), *COUNTS_ROWS[1:]]
    assert client.post("/v1/observations", json={"rows": changed}).json() == {
        "inserted": 0, "updated": 1, "unchanged": 2, "series": 1}
    [chat] = series_state(client)
    assert (chat["channel"], chat["observations"]) == ("chat", 3)


def test_post_json_raw_events_are_bucketed_to_the_base_interval(client: TestClient) -> None:
    events = [{"ts": ts, "category": "returns"} for ts in
              ("2026-02-04T09:05:00", "2026-02-04T09:20:00", "2026-02-04T09:40:00")]
    response = client.post("/v1/observations", json={"rows": events})
    assert response.json() == {"inserted": 2, "updated": 0, "unchanged": 0, "series": 1}
    [returns] = series_state(client)
    assert returns["freq"] == "30min"
    assert (returns["first_ts"], returns["last_ts"]) == (
        "2026-02-04T09:00:00+09:00", "2026-02-04T09:30:00+09:00")


def test_multipart_and_raw_csv_uploads_store_the_same_rows(client: TestClient) -> None:
    upload = client.post("/v1/observations",
                         files={"file": ("log.csv", COUNTS_CSV.encode(), "text/csv")})
    assert upload.json() == {"inserted": 5, "updated": 0, "unchanged": 0, "series": 2}
    raw = client.post("/v1/observations", content=COUNTS_CSV.encode(),
                      headers={"content-type": "text/csv; charset=utf-8"})
    assert raw.json() == {"inserted": 0, "updated": 0, "unchanged": 5, "series": 2}
    assert [s["observations"] for s in series_state(client)] == [3, 2]


def test_a_conflicting_re_post_is_all_or_nothing(client: TestClient) -> None:
    client.post("/v1/observations", json={"rows": COUNTS_ROWS})
    before = series_state(client)
    bad = [*COUNTS_ROWS, {"ts": "2026-02-03T11:00:00", "category": "billing", "count": -1}]
    error = error_of(client.post("/v1/observations", json={"rows": bad}), 422)
    assert (error["row"], error["column"]) == (4, "count")
    assert series_state(client) == before


BAD_CSV = {
    "malformed quoting": (b'ts,category,count\n"2026-02-02T09:00:00,new,3\n', None, None),
    "ragged row": (b"ts,category,count\n2026-02-02T09:00:00,new,3\n"
                   b"2026-02-02T09:30:00,new,3,4\n", None, None),
    "unknown column": (b"ts,category,cnt\n2026-02-02T09:00:00,new,3\n", 1, "cnt"),
    "missing column": (b"ts,count\n2026-02-02T09:00:00,3\n", 1, None),
    "negative count": (b"ts,category,count\n2026-02-02T09:00:00,new,3\n"
                       b"2026-02-02T09:30:00,new,-1\n", 3, "count"),
    "non-numeric count": (b"ts,category,count\n2026-02-02T09:00:00,new,many\n", 2, "count"),
    "fractional count": (b"ts,category,count\n2026-02-02T09:00:00,new,2.5\n", 2, "count"),
    "unparseable ts": (b"ts,category,count\n2026-02-02T09:00:00,new,3\n"
                       b"2026-02-30T09:00:00,new,3\n", 3, "ts"),
    "empty category": (b"ts,category,count\n2026-02-02T09:00:00,,3\n", 2, "category"),
    "empty file": (b"", None, None),
    "header only": (b"ts,category,count\n", None, None),
    "conflicting duplicates": (b"ts,category,count\n2026-02-02T09:00:00,new,3\n"
                               b"2026-02-02T09:00:00,new,4\n", 3, "ts"),
    "not utf-8": ("ts,category,count\n2026-02-02T09:00:00,문의,3\n".encode("utf-16"), None,
                  None),
}


@pytest.mark.parametrize("case", sorted(BAD_CSV))
@pytest.mark.parametrize("transport", ["raw", "multipart"])
def test_bad_csv_is_rejected_naming_row_and_column(
    client: TestClient, case: str, transport: str
) -> None:
    client.post("/v1/observations", content=COUNTS_CSV, headers={"content-type": "text/csv"})
    before = series_state(client)
    body, row, column = BAD_CSV[case]
    if transport == "raw":
        response = client.post("/v1/observations", content=body,
                               headers={"content-type": "text/csv"})
    else:
        response = client.post("/v1/observations", files={"file": ("bad.csv", body)})
    error = error_of(response, 422)
    assert error["type"] == "InvalidInput"
    assert (error["row"], error["column"]) == (row, column)
    if row is not None:
        assert error["message"].startswith(f"row {row}")
    assert series_state(client) == before


def test_error_message_names_row_column_and_value(client: TestClient) -> None:
    body = b"ts,category,count\n2026-02-02T09:00:00,a,1\n2026-02-02T09:30:00,a,-1\n"
    error = error_of(client.post("/v1/observations", content=body,
                                 headers={"content-type": "text/csv"}), 422)
    assert error["message"] == "row 3, column 'count': count must be >= 0; got '-1'"


@pytest.mark.parametrize(("payload", "status", "row", "column"), [
    (b'{"rows": [', 400, None, None),
    (b'[{"ts": "2026-02-02T09:00:00", "category": "a"}]', 422, None, "rows"),
    (b'{"rows": "ts,category"}', 422, None, "rows"),
    (b'{"rows": []}', 422, None, "rows"),
    (b'{"rows": [{"ts": "2026-02-02T09:00:00", "category": "a", "count": 1}, 5]}', 422, 2,
     None),
    (b'{"rows": [{"ts": "2026-02-02T09:00:00", "category": "a", "count": 1},'
     b' {"ts": "2026-02-02T09:30:00", "category": "a", "count": -3}]}', 422, 2, "count"),
    (b'{"rows": [{"ts": "2026-02-02T09:00:00", "category": "a", "count": 1},'
     b' {"ts": "2026-02-02T09:30:00", "category": "a", "count": "x"}]}', 422, 2, "count"),
    (b'{"rows": [{"ts": "2026-02-02T09:00:00", "category": "a", "count": 1},'
     b' {"ts": "2026-02-02T09:30:00", "category": "a"}]}', 422, 2, "count"),
    (b'{"rows": [{"ts": "soon", "category": "a", "count": 1}]}', 422, 1, "ts"),
    (b'{"rows": [{"ts": "2026-02-02T09:00:00", "category": null, "count": 1}]}', 422, 1,
     "category"),
    (b'{"rows": [{"ts": "2026-02-02T09:00:00", "category": "a", "cnt": 1}]}', 422, None, "cnt"),
])
def test_bad_json_is_rejected_and_nothing_is_written(
    client: TestClient, payload: bytes, status: int, row: int | None, column: str | None
) -> None:
    client.post("/v1/observations", json={"rows": COUNTS_ROWS})
    before = series_state(client)
    response = client.post("/v1/observations", content=payload,
                           headers={"content-type": "application/json"})
    error = error_of(response, status)
    assert (error["row"], error["column"]) == (row, column)
    assert series_state(client) == before


def test_multipart_without_a_file_field_is_rejected(client: TestClient) -> None:
    response = client.post("/v1/observations", files={"upload": ("a.csv", COUNTS_CSV)})
    assert error_of(response, 422)["column"] == "file"
    broken = client.post("/v1/observations", content=b"--x\r\nnot a part",
                         headers={"content-type": "multipart/form-data"})
    assert error_of(broken, 400)["type"] == "MalformedBody"
    assert series_state(client) == []


def test_unsupported_content_type_is_415(client: TestClient) -> None:
    response = client.post("/v1/observations", content=b"<rows/>",
                           headers={"content-type": "application/xml"})
    assert error_of(response, 415)["type"] == "UnsupportedMediaType"


def test_body_over_the_limit_is_413(settings: Settings) -> None:
    with TestClient(create_app(settings, max_upload_bytes=64)) as small:
        declared = small.post("/v1/observations", content=COUNTS_CSV,
                              headers={"content-type": "text/csv"})
        assert error_of(declared, 413)["type"] == "PayloadTooLarge"
        chunked = small.post("/v1/observations", content=iter([b"ts,category\n"] * 10),
                             headers={"content-type": "text/csv"})
        assert error_of(chunked, 413)["type"] == "PayloadTooLarge"
        assert small.get("/v1/series").json() == []


# --- forecasts -------------------------------------------------------------------------


def test_forecasts_404_before_any_run_is_published(client: TestClient) -> None:
    error = error_of(client.get("/v1/forecasts"), 404)
    assert error["type"] == "NotFound"
    assert "no forecast run is published" in error["message"]
    assert error_of(client.get("/v1/forecasts", params={"format": "csv"}), 404)


def test_forecasts_json_rows_in_local_time(client: TestClient, published: str) -> None:
    response = client.get("/v1/forecasts")
    assert response.status_code == 200
    body = response.json()
    assert body["run_id"] == published
    assert len(body["rows"]) == ALL_FORECAST_ROWS
    first = body["rows"][0]
    assert list(first) == OUTPUT_COLUMNS
    assert first == {
        "ts": "2026-03-02T00:00:00+09:00", "category": "billing", "channel": None,
        "freq": "D", "yhat": 100.1235, "lo80": 90.1111, "hi80": 110.1358, "lo95": 80.0988,
        "hi95": 120.1481, "model": "seasonal_naive", "run_id": "run-1",
    }
    intraday = [r for r in body["rows"] if r["freq"] == "30min"]
    assert [r["ts"][11:] for r in intraday[:2]] == ["09:00:00+09:00", "09:30:00+09:00"]
    assert {r["channel"] for r in intraday} == {"phone"}


@pytest.mark.parametrize(("params", "expected"), [
    ({"category": "billing"}, 2 * FORECAST_DAYS + 6),
    ({"category": "nobody"}, 0),
    ({"channel": "phone"}, FORECAST_DAYS + 6),
    ({"channel": ""}, 2 * FORECAST_DAYS),
    ({"freq": "30min"}, 6),
    ({"freq": "daily"}, 3 * FORECAST_DAYS),
    ({"freq": "D", "start": "2026-03-03"}, 3 * (FORECAST_DAYS - 1)),
    ({"freq": "D", "start": "2026-03-03", "end": "2026-03-04"}, 3),
    ({"freq": "D", "end": "2026-03-02T00:00:00"}, 0),
    ({"freq": "30min", "start": "2026-03-02T09:30:00+09:00"}, 5),
    ({"freq": "30min", "start": "2026-03-02T00:30:00Z", "end": "2026-03-02T10:30"}, 2),
    ({"category": "billing", "channel": "phone", "freq": "D", "start": "2026-03-05"}, 1),
])
def test_forecast_filters(
    client: TestClient, published: str, params: dict[str, str], expected: int
) -> None:
    body = client.get("/v1/forecasts", params=params).json()
    assert body["run_id"] == published
    assert len(body["rows"]) == expected


@pytest.mark.usefixtures("published")
def test_an_unencoded_plus_in_the_offset_still_parses(client: TestClient) -> None:
    response = client.get("/v1/forecasts?freq=30min&start=2026-03-02T09:30:00+09:00")
    assert response.status_code == 200, response.text
    assert len(response.json()["rows"]) == 5


def test_forecasts_csv_via_format_matches_json(client: TestClient, published: str) -> None:
    response = client.get("/v1/forecasts", params={"format": "csv", "category": "billing"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="vocast-forecast-{published}.csv"')
    assert response.text.splitlines()[0] == ",".join(OUTPUT_COLUMNS)
    table = pd.read_csv(io.StringIO(response.text), dtype={"channel": str},
                        keep_default_na=False)
    rows = client.get("/v1/forecasts", params={"category": "billing"}).json()["rows"]
    expected = pd.DataFrame(rows).fillna({"channel": ""})
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)


@pytest.mark.parametrize(("accept", "params", "csv"), [
    ("text/csv", {}, True),
    ("text/csv, application/json", {}, True),
    ("application/json, text/csv", {}, False),
    ("text/csv;q=0.5, application/json", {}, False),
    ("text/html,application/xhtml+xml,*/*;q=0.8", {}, False),
    ("text/csv", {"format": "json"}, False),
    ("application/json", {"format": "csv"}, True),
])
def test_forecasts_csv_via_accept_header(
    client: TestClient, published: str, accept: str, params: dict[str, str], csv: bool
) -> None:
    response = client.get("/v1/forecasts", params=params, headers={"accept": accept})
    assert response.status_code == 200
    if csv:
        table = pd.read_csv(io.StringIO(response.text))
        assert list(table.columns) == OUTPUT_COLUMNS
        assert len(table) == ALL_FORECAST_ROWS
        assert set(table["run_id"]) == {published}
    else:
        assert response.json()["run_id"] == published


@pytest.mark.parametrize(("params", "parameter", "value"), [
    ({"start": "tomorrow"}, "start", "tomorrow"),
    ({"end": "2026-13-01"}, "end", "2026-13-01"),
    ({"start": "2026-03-03", "end": "2026-03-02"}, "end", "2026-03-02"),
    ({"freq": "weekly"}, "freq", "weekly"),
    ({"format": "xml"}, "format", "xml"),
])
@pytest.mark.usefixtures("published")
def test_bad_forecast_parameters_are_422_naming_the_parameter(
    client: TestClient, params: dict[str, str], parameter: str, value: str
) -> None:
    error = error_of(client.get("/v1/forecasts", params=params), 422)
    assert error["parameter"] == parameter
    assert parameter in error["message"] and value in error["message"]


def test_forecasts_follow_the_published_run(client: TestClient, store: Store,
                                            published: str) -> None:
    newer = forecast_frame().assign(model="ets")
    store.save_run("run-2", newer, pd.DataFrame(), note="unpublished")
    assert client.get("/v1/forecasts").json()["run_id"] == published
    store.publish_run("run-2")
    body = client.get("/v1/forecasts").json()
    assert body["run_id"] == "run-2"
    assert {r["model"] for r in body["rows"]} == {"ets"}


def test_local_iso_keeps_the_offset_across_dst() -> None:
    ts = pd.Series(pd.to_datetime(["2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z"]))
    assert local_iso(ts, "America/New_York").tolist() == [
        "2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00"]
    assert local_iso(ts, "Asia/Kolkata").tolist() == [
        "2026-03-08T11:30:00+05:30", "2026-03-08T12:30:00+05:30"]


# --- runs ------------------------------------------------------------------------------


def test_runs_lists_forecast_and_job_runs_newest_first(client: TestClient, store: Store) -> None:
    assert client.get("/v1/runs").json() == {"forecast_runs": [], "job_runs": [],
                                             "current_run": None}
    publish_forecast(store, "run-1")
    store.save_run("run-2", forecast_frame(), pd.DataFrame())
    fit = store.start_job("fit")
    store.finish_job(fit, "success", detail="4 series")
    store.start_job("alerts")
    body = client.get("/v1/runs").json()
    assert body["current_run"] == "run-1"
    assert [r["run_id"] for r in body["forecast_runs"]] == ["run-2", "run-1"]
    assert body["forecast_runs"][0]["published_at"] is None
    assert body["forecast_runs"][1]["published_at"].endswith("+09:00")
    assert body["forecast_runs"][1]["rows"] == ALL_FORECAST_ROWS
    assert [(j["job"], j["status"]) for j in body["job_runs"]] == [
        ("alerts", "running"), ("fit", "success")]
    assert body["job_runs"][1]["detail"] == "4 series"
    assert body["job_runs"][1]["finished_at"].endswith("+09:00")
    limited = client.get("/v1/runs", params={"limit": 1}).json()
    assert (len(limited["forecast_runs"]), len(limited["job_runs"])) == (1, 1)


@pytest.mark.parametrize("limit", ["0", "501", "ten"])
def test_runs_limit_is_validated(client: TestClient, limit: str) -> None:
    error = error_of(client.get("/v1/runs", params={"limit": limit}), 422)
    assert error["parameter"] == "limit"
    assert repr(limit) in error["message"]
