"""GET /v1/staffing, POST /v1/shift-plans and /v1/overrides against a real SQLite store."""

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
from forecast.store import FORECAST_COLUMNS, Store
from tests.integration.conftest_api import empty_accuracy
from tests.integration.test_api import error_of

pytestmark = pytest.mark.integration

TZ = "Asia/Seoul"
OPEN = (9, 18)  # 18 half-hours with 100 inquiries each, then closed
# Two future days starting on a Monday: overrides must not expire before they are made.
MONDAY = (pd.Timestamp.now(tz=TZ).normalize() + pd.offsets.Week(weekday=0)).tz_localize(None)
DAY1, DAY2 = MONDAY.date().isoformat(), (MONDAY + pd.Timedelta(days=1)).date().isoformat()


def _rows(category: str, channel: str, volume: float, freq: str = "30min") -> pd.DataFrame:
    ts = pd.date_range(MONDAY, periods=2 * 48, freq=freq, tz=TZ)
    hour = ts.hour.to_numpy()
    yhat = np.where((hour >= OPEN[0]) & (hour < OPEN[1]), volume, 0.0)
    return pd.DataFrame({"ts": ts, "category": category, "channel": channel, "freq": freq,
                         "yhat": yhat, "lo80": yhat * 0.9, "hi80": yhat * 1.1,
                         "lo95": yhat * 0.8, "hi95": yhat * 1.2, "model": "mstl"})


def _forecast() -> pd.DataFrame:
    days = pd.date_range(MONDAY, periods=2, freq="D", tz=TZ)
    daily = pd.DataFrame({"ts": days, "category": "billing", "channel": "", "freq": "D",
                          "yhat": 3600.0, "lo80": 3000.0, "hi80": 4000.0, "lo95": 2800.0,
                          "hi95": 4400.0, "model": "ets"})
    parts = [_rows("billing", "phone", 100.0), _rows("billing", "chat", 60.0),
             _rows("billing", "", 160.0), daily]
    return pd.concat(parts, ignore_index=True).loc[:, list(FORECAST_COLUMNS)]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'db' / 'vocast.db'}", timezone=TZ,
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
    store.save_run("run-1", _forecast(), empty_accuracy(), note="test")
    store.publish_run("run-1")
    return "run-1"


def _staffing(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/staffing", params={"category": "billing", "channel": "phone",
                                                  **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _override(client: TestClient, **changes: Any) -> dict[str, Any]:
    payload = {"category": "billing", "channel": "phone", "start": f"{DAY1}T09:00:00",
               "end": f"{DAY1}T10:00:00", "kind": "multiply", "value": 2.0,
               "reason": "mailing to 200k customers", "created_by": "ann", **changes}
    response = client.post("/v1/overrides", json=payload)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# --- staffing ----------------------------------------------------------------------------


def test_staffing_404_before_a_run_is_published(client: TestClient) -> None:
    assert "no forecast run" in error_of(client.get("/v1/staffing"), 404)["message"]


def test_staffing_per_interval_with_the_settings_defaults(client: TestClient,
                                                          published: str) -> None:
    body = _staffing(client, aht_seconds=180)
    assert (body["run_id"], body["freq"]) == (published, "30min")
    rows = body["rows"]
    assert len(rows) == 96
    busy = [r for r in rows if r["volume"] > 0]
    assert len(busy) == 2 * 18
    # 100 contacts / 30 min, 180 s, 80/20, 85% occupancy, 30% shrinkage: 14 and 20
    assert {(r["agents"], r["agents_scheduled"]) for r in busy} == {(14, 20)}
    assert all(r["service_level"] >= 0.8 and r["occupancy"] <= 0.85 for r in busy)
    assert {r["agents"] for r in rows if r["volume"] == 0} == {0}
    first = busy[0]
    assert first["ts"] == f"{DAY1}T09:00:00+09:00"
    assert first["volume_model"] == 100.0 and first["override_id"] is None
    assert first["aht_seconds"] == 180.0 and first["channel"] == "phone"


@pytest.mark.usefixtures("published")
def test_staffing_targets_from_parameters_and_erlang_a(client: TestClient) -> None:
    strict = _staffing(client, aht_seconds=180, sl=0.95, answer_seconds=10, shrinkage=0)
    assert {r["agents"] for r in strict["rows"] if r["volume"]} == {
        r["agents_scheduled"] for r in strict["rows"] if r["volume"]}
    assert min(r["agents"] for r in strict["rows"] if r["volume"]) > 14
    patient = _staffing(client, aht_seconds=180, patience_seconds=120)
    assert all(0 < r["abandon_rate"] < 0.2 for r in patient["rows"] if r["volume"])
    chats = _staffing(client, aht_seconds=180, concurrency=2)
    assert max(r["agents"] for r in chats["rows"]) < 14


@pytest.mark.usefixtures("published")
def test_staffing_csv_has_a_header_and_every_row(client: TestClient) -> None:
    response = client.get("/v1/staffing", params={"category": "billing", "format": "csv",
                                                  "aht_seconds": 200})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.StringIO(response.text), keep_default_na=False)
    assert list(frame.columns)[:5] == ["ts", "category", "channel", "freq", "volume"]
    assert len(frame) == 3 * 96 and set(frame["channel"]) == {"", "phone", "chat"}


def test_handle_time_from_settings_per_category(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'v.db'}", timezone=TZ,
                        default_aht_seconds=300, aht_seconds_by_category={"billing": 180})
    with TestClient(create_app(settings)) as client:
        store: Store = client.app.state.store  # type: ignore[attr-defined]
        store.save_run("run-1", _forecast(), empty_accuracy())
        store.publish_run("run-1")
        rows = _staffing(client)["rows"]
        assert {r["aht_seconds"] for r in rows} == {180.0}
        assert {r["agents"] for r in rows if r["volume"]} == {14}


@pytest.mark.usefixtures("published")
def test_handle_time_from_the_data_by_weekday_and_interval(client: TestClient) -> None:
    ts = pd.date_range(MONDAY - pd.Timedelta(weeks=3), MONDAY, freq="30min", inclusive="left")
    ts = ts[(ts.hour >= OPEN[0]) & (ts.hour < OPEN[1])]
    monday_nine = (ts.day_of_week == 0) & (ts.hour == 9) & (ts.minute == 0)
    log = pd.DataFrame({"ts": ts.strftime("%Y-%m-%dT%H:%M:%S"), "category": "billing",
                        "channel": "phone", "count": 10,
                        "aht_seconds": np.where(monday_nine, 400.0, 240.0)})
    upload = client.post("/v1/observations", content=log.to_csv(index=False),
                         headers={"content-type": "text/csv"})
    assert upload.status_code == 200, upload.text
    rows = _staffing(client)["rows"]
    by_ts = {r["ts"]: r["aht_seconds"] for r in rows}
    assert by_ts[f"{DAY1}T09:00:00+09:00"] == 400.0
    assert by_ts[f"{DAY1}T09:30:00+09:00"] == 240.0
    assert by_ts[f"{DAY2}T09:00:00+09:00"] == 240.0
    chat = client.get("/v1/staffing", params={"category": "billing", "channel": "chat"})
    error = error_of(chat, 422)  # no data, no settings for chat
    assert error["parameter"] == "aht_seconds" and "billing/chat" in error["message"]


@pytest.mark.parametrize(("params", "status", "parameter"), [
    ({"freq": "D", "aht_seconds": 180}, 422, "freq"),
    ({"freq": "15min", "aht_seconds": 180}, 404, None),
    ({"category": "nobody", "aht_seconds": 180}, 404, None),
    ({"sl": 1.5, "aht_seconds": 180}, 422, "sl"),
    ({"aht_seconds": 0}, 422, "aht_seconds"),
    ({"shrinkage": 1, "aht_seconds": 180}, 422, "shrinkage"),
    ({"start": "tomorrow", "aht_seconds": 180}, 422, "start"),
])
@pytest.mark.usefixtures("published")
def test_bad_staffing_requests_name_the_problem(
        client: TestClient, params: dict[str, Any], status: int, parameter: str | None
) -> None:
    error = error_of(client.get("/v1/staffing", params={"category": "billing", **params}),
                     status)
    assert error["parameter"] == parameter


@pytest.mark.usefixtures("published")
def test_an_unreachable_target_is_422(client: TestClient) -> None:
    error = error_of(client.get("/v1/staffing", params={"aht_seconds": 1e9}), 422)
    assert error["type"] == "InfeasibleStaffing"


# --- overrides ---------------------------------------------------------------------------


@pytest.mark.usefixtures("published")
def test_overrides_adjust_forecasts_and_staffing_until_revoked(client: TestClient) -> None:
    before = client.get("/v1/forecasts", params={"category": "billing", "channel": "phone"})
    assert "yhat_model" not in before.json()["rows"][0]
    created = _override(client)
    assert created["status"] == "active" and created["created_by"] == "ann"
    assert created["expires_at"] == created["end"] == f"{DAY1}T10:00:00+09:00"
    after = client.get("/v1/forecasts", params={"category": "billing", "channel": "phone"})
    assert after.headers["etag"] != before.headers["etag"]
    rows = {r["ts"]: r for r in after.json()["rows"] if r["freq"] == "30min"}
    nine = rows[f"{DAY1}T09:00:00+09:00"]
    assert (nine["yhat"], nine["yhat_model"], nine["override_id"]) == (200.0, 100.0,
                                                                        created["id"])
    assert (nine["lo95"], nine["hi95"]) == (160.0, 240.0)
    ten = rows[f"{DAY1}T10:00:00+09:00"]
    assert (ten["yhat"], ten["override_id"]) == (100.0, None)
    staffed = {r["ts"]: r for r in _staffing(client, aht_seconds=180)["rows"]}
    assert staffed[f"{DAY1}T09:00:00+09:00"]["volume"] == 200.0
    assert staffed[f"{DAY1}T09:00:00+09:00"]["agents"] > 14
    revoked = client.delete(f"/v1/overrides/{created['id']}", params={"revoked_by": "bob"})
    assert revoked.status_code == 200
    assert (revoked.json()["status"], revoked.json()["revoked_by"]) == ("revoked", "bob")
    restored = client.get("/v1/forecasts", params={"category": "billing", "channel": "phone"})
    assert "yhat_model" not in restored.json()["rows"][0]
    assert error_of(client.delete(f"/v1/overrides/{created['id']}",
                                  params={"revoked_by": "bob"}), 422)["parameter"] == \
        "override_id"
    assert error_of(client.delete("/v1/overrides/999", params={"revoked_by": "bob"}), 404)


@pytest.mark.usefixtures("published")
def test_overrides_survive_a_new_run_and_show_in_csv(client: TestClient, store: Store) -> None:
    created = _override(client, channel=None, kind="add", value=-30, freq="30min",
                        end=f"{DAY2}T00:00:00")
    store.save_run("run-2", _forecast(), empty_accuracy())
    store.publish_run("run-2")
    response = client.get("/v1/forecasts", params={"format": "csv", "freq": "30min"})
    frame = pd.read_csv(io.StringIO(response.text), keep_default_na=False)
    assert list(frame.columns)[-2:] == ["yhat_model", "override_id"]
    assert set(frame["run_id"]) == {"run-2"}
    nine = frame[frame["ts"] == f"{DAY1}T09:00:00+09:00"].set_index("channel")
    assert nine.loc["chat", "yhat"] == 30.0 and nine.loc["chat", "yhat_model"] == 60.0
    assert nine.loc["", "yhat"] == 130.0  # the all-channel series is a channel of billing
    assert nine.loc["phone", "override_id"] == str(created["id"])
    night = frame[frame["ts"] == f"{DAY1}T03:00:00+09:00"]
    assert (night["yhat"] == 0).all() and (night["override_id"] == "").all()  # closed


@pytest.mark.usefixtures("published")
def test_overrides_list_is_the_audit_trail(client: TestClient) -> None:
    first = _override(client)
    _override(client, category="refund", value=1.1)
    client.delete(f"/v1/overrides/{first['id']}", params={"revoked_by": "lead"})
    listed = client.get("/v1/overrides").json()["overrides"]
    assert [(o["id"], o["status"]) for o in listed] == [(first["id"], "revoked"),
                                                        (first["id"] + 1, "active")]
    assert listed[0]["reason"] == "mailing to 200k customers"
    assert listed[0]["revoked_by"] == "lead" and listed[0]["created_at"].endswith("+09:00")
    active = client.get("/v1/overrides", params={"status": "active"}).json()["overrides"]
    assert [o["category"] for o in active] == ["refund"]
    by_category = client.get("/v1/overrides", params={"category": "billing"}).json()
    assert len(by_category["overrides"]) == 1


@pytest.mark.parametrize(("changes", "parameter"), [
    ({"end": f"{DAY1}T08:00:00"}, "end"),
    ({"kind": "divide"}, "kind"),
    ({"value": -1}, "value"),
    ({"reason": " "}, "reason"),
    ({"created_by": None}, "created_by"),
    ({"freq": "weekly"}, "freq"),
    ({"expires_at": "2020-01-01"}, "expires_at"),
    ({"start": "soon"}, "start"),
])
def test_bad_overrides_are_422_naming_the_field(client: TestClient, changes: dict[str, Any],
                                                parameter: str) -> None:
    payload = {"category": "billing", "start": f"{DAY1}T09:00:00", "end": f"{DAY1}T10:00:00",
               "kind": "multiply", "value": 2.0, "reason": "why", "created_by": "ann",
               **changes}
    error = error_of(client.post("/v1/overrides", json=payload), 422)
    assert error["parameter"] is not None and error["parameter"].endswith(parameter)
    assert client.get("/v1/overrides").json()["overrides"] == []


# --- shift plans -------------------------------------------------------------------------


def _plan(client: TestClient, templates: list[dict[str, Any]], **requirement: Any) -> Any:
    need = {"category": "billing", "channel": "phone", "aht_seconds": 180, **requirement}
    return client.post("/v1/shift-plans", json={"templates": templates, "requirement": need})


@pytest.mark.usefixtures("published")
def test_a_shift_plan_covers_the_requirement(client: TestClient) -> None:
    templates = [
        {"name": "day", "start": "09:00", "length_minutes": 540},
        {"name": "early", "start": "09:00", "length_minutes": 300,
         "break_start_offset_minutes": 150, "break_minutes": 30},
        {"name": "late", "start": "13:00", "length_minutes": 300},
    ]
    response = _plan(client, templates)
    assert response.status_code == 200, response.text
    plan = response.json()
    assert (plan["run_id"], plan["freq"], plan["category"], plan["channel"]) == (
        "run-1", "30min", "billing", "phone")
    assert plan["under_agent_intervals"] == 0 and plan["optimal"] is True
    assert {s["day"] for s in plan["shifts"]} == {DAY1, DAY2}
    assert plan["paid_hours"] == pytest.approx(2 * 20 * 9)  # 20 scheduled, 9 hours, 2 days
    busy = [c for c in plan["coverage"] if c["required"]]
    assert len(busy) == 36 and {c["required"] for c in busy} == {20}
    assert all(c["scheduled"] >= c["required"] for c in plan["coverage"])
    assert plan["shifts"][0]["start"].endswith("+09:00")


@pytest.mark.usefixtures("published")
def test_shift_plan_errors(client: TestClient) -> None:
    evening = [{"name": "evening", "start": "18:00", "length_minutes": 240}]
    error = error_of(_plan(client, evening), 422)
    assert error["type"] == "InfeasibleStaffing" and "covered by no template" in error["message"]
    day = [{"name": "day", "start": "09:00", "length_minutes": 540}]
    assert error_of(_plan(client, day, channel="fax"), 404)
    bad = [{"name": "odd", "start": "09:10", "length_minutes": 540}]
    assert error_of(_plan(client, bad), 422)["parameter"] is not None
    missing = client.post("/v1/shift-plans", json={"templates": day, "requirement": {}})
    assert error_of(missing, 422)["parameter"].endswith("category")
    assert error_of(client.post("/v1/shift-plans", json={"templates": [], "requirement": {
        "category": "billing"}}), 422)["parameter"].endswith("templates")
