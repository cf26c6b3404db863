"""The fast read path (api/fastpath.py): the routes' answers, from memory, to the byte."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes import forecasts as forecasts_route
from data.store import open_store
from forecast.settings import Settings
from forecast.store import Store
from tests.integration.conftest_api import TIMEZONE, forecast_frame, publish_forecast

pytestmark = pytest.mark.integration

FROZEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # max-age counts down with the clock
WAIT_SECONDS = 10.0
Answer = tuple[int, list[tuple[str, str]], bytes]


def make_client(tmp_path: Path, **changes: Any) -> TestClient:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'vocast.db'}", timezone=TIMEZONE,
                        **changes)
    return TestClient(create_app(settings))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with time_machine.travel(FROZEN, tick=False), make_client(tmp_path) as test_client:
        publish_forecast(store_of(test_client), "run-1")
        yield test_client


@pytest.fixture
def routed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Reads of /v1/forecasts that reached the route (the fast path answers the rest)."""
    calls: list[str] = []
    real = forecasts_route.serve_published

    async def counted(request: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(request.url.query)
        return await real(request, *args, **kwargs)

    monkeypatch.setattr(forecasts_route, "serve_published", counted)
    return calls


def store_of(client: TestClient) -> Store:
    app: FastAPI = client.app  # type: ignore[assignment]
    store: Store = app.state.store
    return store


def read_key(client: TestClient, *scopes: str) -> dict[str, str]:
    return {"X-API-Key": store_of(client).create_api_key("bi", list(scopes or ["read"]))[1]}


def answer(client: TestClient, method: str, url: str, headers: dict[str, str]) -> Answer:
    """Status, every header in order, and the body as sent (still gzipped)."""
    with client.stream(method, url, headers=headers) as response:
        return response.status_code, response.headers.multi_items(), b"".join(
            response.iter_raw())


CASES = {  # name -> (method, query, headers)
    "json": ("GET", "freq=D", {"accept-encoding": "identity"}),
    "csv": ("GET", "freq=D&format=csv", {"accept-encoding": "identity"}),
    "csv by Accept": ("GET", "", {"accept": "text/csv", "accept-encoding": "identity"}),
    "gzip": ("GET", "category=billing", {"accept-encoding": "gzip"}),
    "page": ("GET", "limit=5", {"accept-encoding": "identity"}),
    "head": ("HEAD", "format=parquet", {}),
    "304": ("GET", "freq=D", {"accept-encoding": "gzip", "if-none-match": "<etag>"}),
    "304 by date": ("GET", "", {"if-modified-since": "<date>"}),
    "304 of a window": ("GET", "start=2026-03-03", {"if-none-match": "<etag>"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_fast_answers_equal_the_routes_to_the_byte(client: TestClient, routed: list[str],
                                                   case: str) -> None:
    method, query, headers = CASES[case]
    url = f"/v1/forecasts?{query}"
    warm = client.get(url, headers=read_key(client))
    headers = {name: value.replace("<etag>", warm.headers["etag"]).replace(
        "<date>", warm.headers["last-modified"]) for name, value in headers.items()}
    key = read_key(client)  # not yet in the key cache: the route answers first
    by_route = answer(client, method, url, headers | key)
    assert len(routed) == 2 or case.startswith("304")
    before = len(routed)
    by_fast_path = answer(client, method, url, headers | key)
    assert len(routed) == before, "the fast path did not answer"
    assert by_fast_path == by_route
    assert by_route[0] == (304 if case.startswith("304") else 200)
    if case == "gzip":
        assert ("content-encoding", "gzip") in by_route[1]


def test_auth_off_reads_are_fast_too(tmp_path: Path, routed: list[str]) -> None:
    with make_client(tmp_path) as client:
        publish_forecast(store_of(client), "run-1")
        first = client.get("/v1/forecasts")
        again = client.get("/v1/forecasts")
    assert again.content == first.content and len(routed) == 1


def test_the_fast_path_refuses_nothing_itself(client: TestClient, routed: list[str]) -> None:
    """Keys it cannot vouch for go to the route, which refuses them as always."""
    reader, writer = read_key(client), read_key(client, "write")
    wrong = {"X-API-Key": "vck_00000000_not-a-key"}
    for _ in range(2):  # the second read of the view comes from memory
        assert client.get("/v1/forecasts", headers=reader).status_code == 200
    assert len(routed) == 1
    for _ in range(2):  # the second time the key cache knows them
        assert client.get("/v1/forecasts").status_code == 401
        assert client.get("/v1/forecasts", headers=wrong).status_code == 401
        forbidden = client.get("/v1/forecasts", headers=writer)
        assert forbidden.status_code == 403 and "needs read" in forbidden.text
    basic = {"Authorization": f"Basic {reader['X-API-Key']}"}
    assert client.get("/v1/forecasts", headers=basic).status_code == 401
    bearer = {"Authorization": f"bearer {reader['X-API-Key']}"}
    assert client.get("/v1/forecasts", headers=bearer).status_code == 200
    key_id = next(key.id for key in store_of(client).list_api_keys() if key.scopes == ("read",))
    store_of(client).revoke_api_key(key_id)  # in this process: the cache forgets at once
    revoked = client.get("/v1/forecasts", headers=reader)
    assert revoked.status_code == 401 and "revoked" in revoked.text
    assert len(routed) == 1


def test_a_key_revoked_elsewhere_stops_when_its_cache_entry_expires(tmp_path: Path) -> None:
    with make_client(tmp_path, auth_cache_seconds=0.2) as client:
        publish_forecast(store_of(client), "run-1")
        key, token = store_of(client).create_api_key("bi", ["read"])
        assert client.get("/v1/forecasts", headers={"X-API-Key": token}).status_code == 200
        other = open_store(str(client.app.state.settings.database_url))  # type: ignore[attr-defined]
        try:
            other.revoke_api_key(key.id)  # e.g. `vocast keys revoke`: this process is not told
        finally:
            other.dispose()
        deadline = time.monotonic() + WAIT_SECONDS
        while (status := client.get("/v1/forecasts", headers={"X-API-Key": token}
                                    ).status_code) == 200:
            assert time.monotonic() < deadline, "the revoked key kept working"
            time.sleep(0.02)
        assert status == 401


def test_a_run_published_elsewhere_is_served_after_the_check_window(
    tmp_path: Path, routed: list[str],
) -> None:
    with make_client(tmp_path, run_check_seconds=0.2) as client:
        database_url = client.app.state.settings.database_url  # type: ignore[attr-defined]
        publish_forecast(store_of(client), "run-1")
        old = [client.get("/v1/forecasts").json() for _ in range(2)]
        assert old[0] == old[1] and old[0]["run_id"] == "run-1" and len(routed) == 1
        other = open_store(database_url)  # the fit job, in its own process
        try:
            publish_forecast(other, "run-2", forecast_frame().assign(model="ets"))
        finally:
            other.dispose()
        deadline = time.monotonic() + WAIT_SECONDS
        while (body := client.get("/v1/forecasts").json())["run_id"] == "run-1":
            assert body == old[0]  # the old run, whole, until the window has passed
            assert time.monotonic() < deadline, "the new run never showed"
            time.sleep(0.02)
        assert {row["run_id"] for row in body["rows"]} == {"run-2"}
        assert {row["model"] for row in body["rows"]} == {"ets"}
        before = len(routed)
        assert client.get("/v1/forecasts").json() == body
        assert len(routed) == before  # the new run's bytes, from memory


def test_a_run_published_in_this_process_is_served_at_once(
    tmp_path: Path, routed: list[str],
) -> None:
    with make_client(tmp_path, run_check_seconds=60) as client:
        publish_forecast(store_of(client), "run-1")
        assert client.get("/v1/forecasts").json()["run_id"] == "run-1"
        publish_forecast(store_of(client), "run-2")
        assert client.get("/v1/forecasts").json()["run_id"] == "run-2"
        created = client.post("/v1/overrides", json={
            "category": "delivery", "start": "2026-03-02", "end": "2026-03-10",
            "kind": "add", "value": 5.0, "reason": "campaign", "created_by": "planner",
            "expires_at": "2099-01-01"})
        assert created.status_code == 201, created.text
        rows = client.get("/v1/forecasts", params={"category": "delivery"}).json()["rows"]
        assert all(row["override_id"] == created.json()["id"] for row in rows)
    assert len(routed) == 3


def test_behind_a_proxy_prefix_reads_are_fast_too(tmp_path: Path, routed: list[str]) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'vocast.db'}", timezone=TIMEZONE)
    with TestClient(create_app(settings), root_path="/vocast") as client:
        publish_forecast(store_of(client), "run-1")
        first, again = (client.get("/vocast/v1/forecasts") for _ in range(2))
        assert first.status_code == 200 and again.content == first.content
        assert client.get("/vocast/forecasts").status_code == 404
    assert len(routed) == 1
