"""GET /v1/alerts, and silences over HTTP, against a real SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from data.store import SqlStore
from forecast.alerts import Alert, AlertState, Rule, plan_changes
from forecast.series import Freq, SeriesKey
from forecast.settings import Settings

pytestmark = pytest.mark.integration

TZ = "Asia/Seoul"
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'vocast.db'}", timezone=TZ)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _store(client: TestClient) -> SqlStore:
    store: SqlStore = client.app.state.store  # type: ignore[attr-defined]
    return store


def _seed(store: SqlStore) -> None:
    start = T0 + timedelta(days=4)
    found = [Alert(Rule.AHEAD, SeriesKey(c, "phone"), Freq.DAILY, start,
                   start + timedelta(days=1), start, volume=400.0, baseline=200.0,
                   agents_needed=12, explanation=("holiday: Seollal",))
             for c in ("refund", "delivery")]
    changes = plan_changes(found, [], now=T0, rules=(Rule.AHEAD,))
    store.apply_alert_changes(changes, destinations=[], now=T0)
    firing = [r for r in store.list_alerts(state=AlertState.FIRING)
              if r.alert.key.category == "delivery"]
    resolve = plan_changes([], firing, now=T0 + timedelta(hours=1), rules=(Rule.AHEAD,))
    store.apply_alert_changes(resolve, destinations=[], now=T0 + timedelta(hours=1))


def test_alerts_listing_and_filters(client: TestClient) -> None:
    _seed(_store(client))
    body = client.get("/v1/alerts").json()
    assert [a["category"] for a in body["alerts"]] == ["delivery", "refund"]
    refund = client.get("/v1/alerts", params={"state": "firing"}).json()["alerts"]
    assert len(refund) == 1
    alert = refund[0]
    assert alert["category"] == "refund" and alert["channel"] == "phone"
    assert alert["window_start"] == "2026-03-06T09:00:00+09:00"
    assert alert["ratio"] == 2.0 and alert["agents_needed"] == 12
    assert alert["summary"].startswith("expected 400 vs normal 200 (2.0x) from Fri 2026-03-06")
    assert alert["explanation"] == ["holiday: Seollal"] and alert["resolved_at"] is None
    resolved = client.get("/v1/alerts", params={"state": "resolved"}).json()["alerts"]
    assert resolved[0]["resolved_at"] == "2026-03-02T10:00:00+09:00"
    later = client.get("/v1/alerts", params={"start": "2026-03-02T11:00:00"}).json()
    assert [a["category"] for a in later["alerts"]] == ["refund"]
    assert client.get("/v1/alerts", params={"category": "nope"}).json() == {"alerts": []}


@pytest.mark.parametrize("params", [{"state": "loud"}, {"rule": "x"}, {"start": "soon"},
                                    {"start": "2026-03-03", "end": "2026-03-02"}])
def test_bad_alert_filters_are_422(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/v1/alerts", params=params)
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "InvalidParameter"


def test_silences_create_list_delete(client: TestClient) -> None:
    until = (datetime.now(UTC) + timedelta(hours=2)).astimezone().replace(microsecond=0)
    created = client.post("/v1/silences", json={
        "until": until.isoformat(), "category": "refund", "rule": "ahead_peak",
        "comment": "campaign we know about"})
    assert created.status_code == 201, created.text
    silence = created.json()
    assert silence["category"] == "refund" and silence["channel"] is None
    assert silence["until"].endswith("+09:00")
    listed = client.get("/v1/silences").json()["silences"]
    assert [s["id"] for s in listed] == [silence["id"]]
    assert client.delete(f"/v1/silences/{silence['id']}").status_code == 204
    assert client.get("/v1/silences").json() == {"silences": []}
    missing = client.delete(f"/v1/silences/{silence['id']}")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "NotFound"


@pytest.mark.parametrize("body", [
    {"until": "2020-01-01T00:00:00"},
    {"until": "tomorrow"},
    {"until": "2099-01-01T00:00:00", "rule": "sometimes"},
    {"until": "2099-01-01T00:00:00", "colour": "red"},
])
def test_bad_silences_are_422(client: TestClient, body: dict[str, str]) -> None:
    response = client.post("/v1/silences", json=body)
    assert response.status_code == 422, response.text
