"""`/v1/events` and `/v1/accuracy` against a real SQLite store in a temporary directory."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from forecast.settings import Settings
from forecast.store import ACCURACY_COLUMNS, Store
from tests.integration.conftest_api import TIMEZONE, forecast_frame

pytestmark = pytest.mark.integration

SAMPLE_EVENTS = Path(__file__).resolve().parents[2] / "data" / "samples" / "seoul_events.csv"
EVENTS_CSV = (
    "name,kind,start,end,categories\n"
    "summer-sale,campaign,2026-07-13,2026-07-19,refund;delivery\n"
    "login-outage,outage,2026-10-14,2026-10-14,\n"
)
SALE_ROW = {"name": "summer-sale", "kind": "campaign", "start": "2026-07-13",
            "end": "2026-07-19", "categories": ["refund", "delivery"]}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db' / 'vocast.db'}",
                        timezone=TIMEZONE)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def store(client: TestClient) -> Store:
    app: FastAPI = client.app  # type: ignore[assignment]
    opened: Store = app.state.store
    return opened


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"type", "message", "row", "column", "parameter"}
    return error


# --- events ----------------------------------------------------------------------------


def test_post_csv_then_list_and_repost_changes_nothing(client: TestClient) -> None:
    assert client.get("/v1/events").json() == []
    first = client.post("/v1/events", content=EVENTS_CSV, headers={"content-type": "text/csv"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["inserted"], body["updated"], body["unchanged"]) == (2, 0, 0)
    assert [e["name"] for e in body["events"]] == ["summer-sale", "login-outage"]
    listed = client.get("/v1/events").json()
    assert [e["name"] for e in listed] == ["summer-sale", "login-outage"]
    sale = listed[0]
    assert {k: sale[k] for k in ("kind", "start", "end", "categories")} == {
        "kind": "campaign", "start": "2026-07-13", "end": "2026-07-19",
        "categories": ["delivery", "refund"]}
    assert sale["created_at"].endswith("+09:00")
    assert listed[1]["categories"] == []
    again = client.post("/v1/events", files={"file": ("ev.csv", EVENTS_CSV.encode(), "text/csv")})
    assert {k: again.json()[k] for k in ("inserted", "updated", "unchanged")} == {
        "inserted": 0, "updated": 0, "unchanged": 2}


def test_post_json_rows_updates_by_name_and_dates(client: TestClient) -> None:
    created = client.post("/v1/events", json={"rows": [SALE_ROW]}).json()
    assert created["inserted"] == 1
    changed = dict(SALE_ROW, kind="other", categories="payment; refund")
    updated = client.post("/v1/events", json={"rows": [changed]}).json()
    assert (updated["inserted"], updated["updated"]) == (0, 1)
    [event] = updated["events"]
    assert event["id"] == created["events"][0]["id"]
    assert (event["kind"], event["categories"]) == ("other", ["payment", "refund"])
    everywhere = dict(SALE_ROW, name="all-hands", categories=None)
    assert client.post("/v1/events", json={"rows": [everywhere]}).json()["events"][0][
        "categories"] == []


def test_list_filters_by_category(client: TestClient) -> None:
    client.post("/v1/events", content=EVENTS_CSV, headers={"content-type": "text/csv"})
    names = [e["name"] for e in client.get("/v1/events", params={"category": "refund"}).json()]
    assert names == ["summer-sale", "login-outage"]
    names = [e["name"] for e in client.get("/v1/events", params={"category": "app"}).json()]
    assert names == ["login-outage"]


def test_delete_removes_the_event_and_unknown_ids_are_404(client: TestClient) -> None:
    posted = client.post("/v1/events", content=EVENTS_CSV,
                         headers={"content-type": "text/csv"}).json()
    sale_id = posted["events"][0]["id"]
    response = client.delete(f"/v1/events/{sale_id}")
    assert response.status_code == 204 and response.content == b""
    assert [e["name"] for e in client.get("/v1/events").json()] == ["login-outage"]
    error = error_of(client.delete(f"/v1/events/{sale_id}"), 404)
    assert error["type"] == "NotFound" and str(sale_id) in error["message"]
    assert error_of(client.delete("/v1/events/abc"), 422)["parameter"] == "event_id"


@pytest.mark.parametrize(("body", "row", "column", "text"), [
    ({"rows": [SALE_ROW, dict(SALE_ROW, name="b", kind="promo")]}, 2, "kind", "unknown kind"),
    ({"rows": [dict(SALE_ROW, end="2026-07-01")]}, 1, "end", "before start"),
    ({"rows": [dict(SALE_ROW, start="July 13")]}, 1, "start", "cannot parse date"),
    ({"rows": [dict(SALE_ROW, name=" ")]}, 1, "name", "empty name"),
    ({"rows": [dict(SALE_ROW, categories=[1, 2])]}, 1, "categories", "list of names"),
    ({"rows": [dict(SALE_ROW, colour="red")]}, None, "colour", "unknown column"),
    ({"rows": []}, None, "rows", "at least one"),
    ({"events": []}, None, "rows", "must be an object"),
])
def test_invalid_json_events_name_row_and_column_and_store_nothing(
    client: TestClient, body: dict[str, Any], row: int | None, column: str, text: str
) -> None:
    error = error_of(client.post("/v1/events", json=body), 422)
    assert (error["type"], error["row"], error["column"]) == ("InvalidInput", row, column)
    assert text in error["message"]
    assert client.get("/v1/events").json() == []


def test_invalid_csv_counts_the_header_as_row_one(client: TestClient) -> None:
    bad = EVENTS_CSV + "refund-rule,policy,2026-09-07,2026-09-01,refund\n"
    error = error_of(client.post("/v1/events", content=bad,
                                 headers={"content-type": "text/csv"}), 422)
    assert (error["row"], error["column"]) == (4, "end")
    assert client.get("/v1/events").json() == []


def test_unreadable_bodies_are_rejected(client: TestClient) -> None:
    assert error_of(client.post("/v1/events", content=b"{", headers={
        "content-type": "application/json"}), 400)["type"] == "MalformedBody"
    assert error_of(client.post("/v1/events", content=b"<x/>", headers={
        "content-type": "application/xml"}), 415)["type"] == "UnsupportedMediaType"


def test_the_bundled_sample_loads(client: TestClient) -> None:
    response = client.post("/v1/events", content=SAMPLE_EVENTS.read_bytes(),
                           headers={"content-type": "text/csv"})
    assert response.json()["inserted"] == 11


# --- accuracy --------------------------------------------------------------------------


def _board() -> pd.DataFrame:
    rows = [
        # category, channel, freq, model, wape, rank, selected
        ("billing", "", "D", "ets", 0.10, 1, True),
        ("billing", "", "D", "mstl", 0.125, 2, False),
        ("billing", "", "D", "seasonal_naive_cal", 0.20, 3, False),
        ("billing", "phone", "D", "week_average_cal", 0.16, 1, True),
        ("billing", "phone", "D", "seasonal_naive_cal", 0.20, 2, False),
        ("delivery", "", "D", "week_average_cal", 0.08, 1, True),
    ]
    frame = pd.DataFrame(rows, columns=["category", "channel", "freq", "model", "wape", "rank",
                                        "selected"])
    frame["folds"] = 3
    frame["mase"], frame["bias"] = frame["wape"] * 5, -0.01
    frame["coverage80"], frame["coverage95"] = 0.8, np.nan
    return frame[list(ACCURACY_COLUMNS)]


@pytest.fixture
def with_accuracy(store: Store) -> str:
    store.save_run("run-acc", forecast_frame(), _board(), note="test")
    store.publish_run("run-acc")
    return "run-acc"


def test_accuracy_is_404_before_any_run(client: TestClient) -> None:
    assert error_of(client.get("/v1/accuracy"), 404)["type"] == "NotFound"


def test_accuracy_json_summarises_each_series(client: TestClient, with_accuracy: str) -> None:
    response = client.get("/v1/accuracy")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["run_id"] == with_accuracy
    keys = [(s["category"], s["channel"], s["freq"]) for s in body["series"]]
    assert keys == [("billing", None, "D"), ("billing", "phone", "D"), ("delivery", None, "D")]
    billing = body["series"][0]
    assert (billing["model"], billing["folds"], billing["wape"]) == ("ets", 3, 0.1)
    assert (billing["runner_up"], billing["runner_up_wape"]) == ("mstl", 0.125)
    assert billing["improvement_vs_runner_up"] == pytest.approx(0.2)
    assert billing["seasonal_naive"] == "seasonal_naive_cal"
    assert billing["improvement_vs_seasonal_naive"] == pytest.approx(0.5)
    assert billing["coverage95"] is None and billing["models"] == 3
    assert [m["model"] for m in billing["leaderboard"]] == ["ets", "mstl", "seasonal_naive_cal"]
    assert [m["selected"] for m in billing["leaderboard"]] == [True, False, False]
    alone = body["series"][2]
    assert alone["runner_up"] is None and alone["improvement_vs_runner_up"] is None


def test_accuracy_filters(client: TestClient, with_accuracy: str) -> None:  # noqa: ARG001
    def keys(**params: str) -> list[tuple[str, Any]]:
        series = client.get("/v1/accuracy", params=params).json()["series"]
        return [(s["category"], s["channel"]) for s in series]

    assert keys(category="billing") == [("billing", None), ("billing", "phone")]
    assert keys(channel="phone") == [("billing", "phone")]
    assert keys(channel="") == [("billing", None), ("delivery", None)]
    assert keys(freq="30min") == []
    assert error_of(client.get("/v1/accuracy", params={"freq": "W"}), 422)["type"] == (
        "InvalidParameter")


def test_accuracy_csv_has_one_row_per_series(client: TestClient, with_accuracy: str) -> None:
    response = client.get("/v1/accuracy", headers={"accept": "text/csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "vocast-accuracy-run-acc.csv" in response.headers["content-disposition"]
    frame = pd.read_csv(io.StringIO(response.text), keep_default_na=False, dtype=str)
    assert list(frame.columns)[:4] == ["category", "channel", "freq", "model"]
    assert list(frame.columns)[-1] == "run_id"
    assert frame["model"].tolist() == ["ets", "week_average_cal", "week_average_cal"]
    assert frame["channel"].tolist() == ["", "phone", ""]
    assert frame["improvement_vs_seasonal_naive"].tolist() == ["0.5", "0.2", ""]
    assert set(frame["run_id"]) == {with_accuracy}
    same = client.get("/v1/accuracy", params={"format": "csv", "category": "delivery"})
    assert len(pd.read_csv(io.StringIO(same.text))) == 1


def test_openapi_documents_events_and_accuracy(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/v1/events", "/v1/events/{event_id}", "/v1/accuracy"} <= set(spec["paths"])
    upload = spec["paths"]["/v1/events"]["post"]["requestBody"]["content"]
    assert set(upload) == {"application/json", "multipart/form-data", "text/csv"}
    assert "text/csv" in spec["paths"]["/v1/accuracy"]["get"]["responses"]["200"]["content"]
