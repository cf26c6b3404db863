"""Serving BI tools: prepared bytes, ETag/304, gzip, Parquet, and reads over real HTTP."""

from __future__ import annotations

import gzip
import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import duckdb
import duckdb_extension_httpfs
import httpx
import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from data.store import open_store
from forecast.settings import Settings
from forecast.store import Store
from tests.integration.conftest_api import TIMEZONE, forecast_frame, publish_forecast

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
VALIDATORS = ("etag", "last-modified", "cache-control", "vary")
FORMATS = ("json", "csv", "parquet")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'vocast.db'}", timezone=TIMEZONE)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def store(app: FastAPI, client: TestClient) -> Store:  # noqa: ARG001 - client opens it
    opened: Store = app.state.store
    return opened


@pytest.fixture
def published(store: Store) -> str:
    publish_forecast(store, "run-1")
    return "run-1"


def last_modified_ok(response: httpx.Response, store: Store) -> bool:
    """Last-Modified is when the run was published, or later when this process first saw
    the planner overrides now in force (they change the answers without a new run)."""
    run = store.published_run()
    assert run is not None and run.published_at is not None
    sent = parsedate_to_datetime(response.headers["last-modified"])
    return run.published_at.replace(microsecond=0) <= sent <= datetime.now(UTC)


def max_age(response: httpx.Response) -> int:
    control = response.headers["cache-control"]
    assert control.startswith("public, max-age="), control
    return int(control.removeprefix("public, max-age="))


def parquet_frame(content: bytes, folder: Path) -> pd.DataFrame:
    path = folder / "forecast.parquet"
    path.write_bytes(content)
    query = ("SELECT strftime(ts AT TIME ZONE 'Asia/Seoul', '%Y-%m-%dT%H:%M:%S+09:00') AS ts,"
             " * EXCLUDE (ts) FROM read_parquet(?)")
    return duckdb.execute(query, [str(path)]).df()


# --- conditional GET -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_answer_carries_validators(client: TestClient, store: Store, published: str,
                                         fmt: str) -> None:
    response = client.get("/v1/forecasts", params={"format": fmt})
    assert response.status_code == 200
    assert last_modified_ok(response, store)
    assert response.headers["etag"].startswith('W/"')
    assert response.headers["vary"] == "Accept, Accept-Encoding"
    assert 0 < max_age(response) <= 24 * 3600  # until the next 02:00 fit (settings.fit_cron)
    assert published in response.headers.get("content-disposition", published)


@pytest.mark.usefixtures("published")
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_matching_etag_or_date_answers_304(client: TestClient, method: str) -> None:
    first = client.get("/v1/forecasts", params={"freq": "D"})
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    for headers in ({"if-none-match": etag}, {"if-none-match": f'"other", {etag}'},
                    {"if-modified-since": modified}):
        again = client.request(method, "/v1/forecasts", params={"freq": "D"}, headers=headers)
        assert again.status_code == 304, headers
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert abs(max_age(again) - max_age(first)) <= 2
    stale = client.get("/v1/forecasts", params={"freq": "D"},
                       headers={"if-none-match": '"other"', "if-modified-since": modified})
    assert stale.status_code == 200  # If-None-Match decides when both are sent
    earlier = client.get("/v1/forecasts", params={"freq": "D"},
                         headers={"if-modified-since": "Sun, 01 Mar 2026 00:00:00 GMT"})
    assert earlier.status_code == 200 and earlier.json()["rows"]


@pytest.mark.usefixtures("published")
def test_etag_names_the_query_not_its_spelling(client: TestClient) -> None:
    def etag(params: str, **headers: str) -> str:
        return client.get(f"/v1/forecasts?{params}", headers=headers).headers["etag"]

    assert etag("freq=D&category=billing") == etag("category=billing&freq=daily")
    assert etag("format=csv") == etag("", accept="text/csv")
    tags = {etag(""), etag("format=csv"), etag("format=parquet"), etag("freq=D"),
            etag("category=billing"), etag("channel="), etag("start=2026-03-03")}
    assert len(tags) == 7


@pytest.mark.usefixtures("published")
def test_head_sends_the_headers_of_get_without_a_body(client: TestClient) -> None:
    get = client.get("/v1/forecasts", params={"format": "parquet"})
    head = client.head("/v1/forecasts", params={"format": "parquet"})
    assert head.status_code == 200 and head.content == b""
    for name in ("etag", "content-length", "content-type", "last-modified"):
        assert head.headers[name] == get.headers[name]


def test_no_run_is_404_without_validators(client: TestClient) -> None:
    response = client.get("/v1/forecasts")
    assert response.status_code == 404
    assert not set(VALIDATORS) & set(response.headers)


def test_accuracy_answers_304_until_the_next_run(client: TestClient, store: Store,
                                                 published: str) -> None:
    first = client.get("/v1/accuracy", params={"format": "csv"})
    assert first.status_code == 200 and last_modified_ok(first, store)
    etag = first.headers["etag"]
    again = client.get("/v1/accuracy", params={"format": "csv"}, headers={"if-none-match": etag})
    assert again.status_code == 304
    publish_forecast(store, "run-2")
    after = client.get("/v1/accuracy", params={"format": "csv"}, headers={"if-none-match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    assert published not in after.headers["content-disposition"]


# --- prepared bytes and invalidation -------------------------------------------------


def count_reads(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    read = store.latest_forecast

    def counted(**kwargs: Any) -> pd.DataFrame:
        calls.append(kwargs)
        return read(**kwargs)

    monkeypatch.setattr(store, "latest_forecast", counted)
    return calls


@pytest.mark.usefixtures("published")
def test_published_views_are_serialised_once(client: TestClient, store: Store,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    reads = count_reads(store, monkeypatch)
    for params in ({"category": "billing"}, {"category": "billing", "format": "csv"}):
        bodies = {client.get("/v1/forecasts", params=params).content for _ in range(3)}
        assert len(bodies) == 1
    assert len(reads) == 2
    window = {"freq": "D", "start": "2026-03-03"}  # arbitrary windows: read every time
    for _ in range(2):
        assert len(client.get("/v1/forecasts", params=window).json()["rows"]) == 9
    assert len(reads) == 4
    for _ in range(2):  # no rows: served, not kept
        assert client.get("/v1/forecasts", params={"category": "nobody"}).json()["rows"] == []
    assert len(reads) == 6


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_new_run_is_served_never_the_old(client: TestClient, store: Store, published: str,
                                           fmt: str, tmp_path: Path) -> None:
    def rows() -> tuple[pd.DataFrame, Any]:
        response = client.get("/v1/forecasts", params={"format": fmt, "freq": "D"})
        if fmt == "json":
            return pd.DataFrame(response.json()["rows"]), response
        if fmt == "csv":
            return pd.read_csv(io.StringIO(response.text)), response
        return parquet_frame(response.content, tmp_path), response

    old, first = rows()
    assert set(old["run_id"]) == {published} and set(old["model"]) == {"seasonal_naive"}
    publish_forecast(store, "run-2", forecast_frame().assign(model="ets"))
    new, second = rows()
    assert set(new["run_id"]) == {"run-2"} and set(new["model"]) == {"ets"}
    assert second.headers["etag"] != first.headers["etag"]
    refused = client.get("/v1/forecasts", params={"format": fmt, "freq": "D"},
                         headers={"if-none-match": first.headers["etag"]})
    assert refused.status_code == 200
    store.publish_run(published)  # back to the first run: its bytes, a later date
    back, third = rows()
    assert set(back["run_id"]) == {published}
    assert third.headers["etag"] == first.headers["etag"]
    assert (parsedate_to_datetime(third.headers["last-modified"])
            >= parsedate_to_datetime(first.headers["last-modified"]))


@pytest.mark.usefixtures("published")
def test_an_override_changes_the_rows_and_the_etag(client: TestClient) -> None:
    before = client.get("/v1/forecasts", params={"category": "delivery", "freq": "D"})
    created = client.post("/v1/overrides", json={
        "category": "delivery", "start": "2026-03-02", "end": "2026-03-10",
        "kind": "multiply", "value": 2.0, "reason": "campaign", "created_by": "planner",
        "expires_at": "2099-01-01"})
    assert created.status_code == 201, created.text
    after = client.get("/v1/forecasts", params={"category": "delivery", "freq": "D"},
                       headers={"if-none-match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    old = [row["yhat"] for row in before.json()["rows"]]
    assert [row["yhat"] for row in after.json()["rows"]] == pytest.approx(
        [2 * value for value in old], abs=1e-3)


# --- gzip and Parquet ----------------------------------------------------------------


@pytest.mark.usefixtures("published")
def test_large_bodies_are_gzipped_when_accepted(client: TestClient) -> None:
    plain = client.get("/v1/forecasts", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    zipped = client.get("/v1/forecasts", headers={"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3
    assert zipped.content == plain.content  # decoded by the client
    assert zipped.headers["etag"] == plain.headers["etag"]
    small = client.get("/v1/forecasts", params={"category": "nobody"},
                       headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in small.headers
    window = client.get("/v1/forecasts", params={"start": "2026-03-03"},
                        headers={"accept-encoding": "gzip"})
    assert window.headers["content-encoding"] == "gzip"
    parquet = client.get("/v1/forecasts", params={"format": "parquet"},
                         headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in parquet.headers  # compressed inside already


@pytest.mark.usefixtures("published")
def test_parquet_has_the_rows_of_json(client: TestClient, tmp_path: Path) -> None:
    response = client.get("/v1/forecasts", headers={"accept": "application/vnd.apache.parquet"})
    assert response.headers["content-type"] == "application/vnd.apache.parquet"
    table = parquet_frame(response.content, tmp_path)
    expected = pd.DataFrame(client.get("/v1/forecasts").json()["rows"])
    assert list(table.columns) == list(expected.columns)
    assert table["channel"].isna().sum() == expected["channel"].isna().sum() == 8
    pd.testing.assert_frame_equal(table.fillna({"channel": ""}),
                                  expected.fillna({"channel": ""}), check_dtype=False)
    described = duckdb.execute("DESCRIBE SELECT * FROM read_parquet(?)",
                               [str(tmp_path / "forecast.parquet")]).fetchall()
    assert {row[0]: row[1] for row in described}["ts"] == "TIMESTAMP WITH TIME ZONE"


# --- a real server -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def uvicorn_server(tmp_path: Path, database_url: str, **settings: str) -> Iterator[str]:
    """`uvicorn --factory api.app:create_app` on loopback; yields its base URL."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("VOCAST_")}
    env |= {"VOCAST_DATABASE_URL": database_url, "VOCAST_TIMEZONE": TIMEZONE,
            "PYTHONPATH": str(REPO_ROOT), **{f"VOCAST_{k.upper()}": v for k, v in settings.items()}}
    log = tmp_path / f"uvicorn-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app",
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"no answer in 30 s:\n{log.read_text()}"
            try:
                httpx.get(f"{base}/healthz", timeout=1.0)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    publish_elsewhere(url, "run-1", forecast_frame())
    return url


def publish_elsewhere(database_url: str, run_id: str, frame: pd.DataFrame) -> None:
    """Publish as the fit job does: from another process's store."""
    store = open_store(database_url)
    try:
        publish_forecast(store, run_id, frame)
    finally:
        store.dispose()


def duckdb_with_httpfs() -> duckdb.DuckDBPyConnection:
    """DuckDB with its httpfs extension from the `duckdb-extension-httpfs` wheel: the
    usual `INSTALL httpfs` downloads it from the internet, which tests must not need."""
    package = Path(duckdb_extension_httpfs.__file__).parent
    binary = next(package.glob("extensions/v*/httpfs.duckdb_extension"))
    connection = duckdb.connect()
    connection.execute(f"LOAD '{binary}'")
    return connection


def test_pandas_and_duckdb_read_the_api_over_http(tmp_path: Path, database_url: str) -> None:
    with uvicorn_server(tmp_path, database_url) as base:
        url = f"{base}/v1/forecasts?freq=D"
        expected = pd.DataFrame(httpx.get(url).json()["rows"])
        frame = pd.read_csv(f"{url}&format=csv", dtype={"channel": str}, keep_default_na=False)
        assert len(frame) == len(expected) == 12
        assert frame["yhat"].tolist() == expected["yhat"].tolist()
        connection = duckdb_with_httpfs()
        csv_rows = connection.execute(
            f"SELECT count(*), sum(yhat) FROM read_csv_auto('{url}&format=csv')").fetchone()
        parquet_rows = connection.execute(
            "SELECT count(*), sum(yhat), count(DISTINCT run_id), min(ts)::VARCHAR "
            f"FROM read_parquet('{url}&format=parquet')").fetchone()
        assert csv_rows is not None and parquet_rows is not None
        assert csv_rows[0] == parquet_rows[0] == 12
        assert csv_rows[1] == pytest.approx(expected["yhat"].sum())
        assert parquet_rows[1] == pytest.approx(expected["yhat"].sum())
        assert parquet_rows[2] == 1 and parquet_rows[3] == "2026-03-01 15:00:00+00"


def test_a_strict_server_revalidates_gzips_and_follows_publishes_at_once(
    tmp_path: Path, database_url: str,
) -> None:
    with uvicorn_server(tmp_path, database_url, run_check_seconds="0") as base, \
            httpx.Client(base_url=base) as client:
        first = client.get("/v1/forecasts", headers={"accept-encoding": "gzip"})
        assert first.headers["content-encoding"] == "gzip"
        raw = client.get("/v1/forecasts", headers={"accept-encoding": "gzip"}).read()
        assert first.json()["run_id"] == "run-1" and len(raw) == len(first.content)
        with client.stream("GET", "/v1/forecasts", headers={"accept-encoding": "gzip"}) as wire:
            assert gzip.decompress(b"".join(wire.iter_raw())) == first.content
        etag = first.headers["etag"]
        assert client.get("/v1/forecasts", headers={"if-none-match": etag}).status_code == 304
        publish_elsewhere(database_url, "run-2", forecast_frame().assign(model="ets"))
        after = client.get("/v1/forecasts", headers={"if-none-match": etag})
        assert after.status_code == 200 and after.json()["run_id"] == "run-2"
        assert {row["model"] for row in after.json()["rows"]} == {"ets"}


def test_with_default_settings_a_new_run_shows_within_the_check_window(
    tmp_path: Path, database_url: str,
) -> None:
    """Default `run_check_seconds`: 304 (the old run) until the window has passed."""
    with uvicorn_server(tmp_path, database_url) as base, httpx.Client(base_url=base) as client:
        etag = client.get("/v1/forecasts").headers["etag"]
        publish_elsewhere(database_url, "run-2", forecast_frame().assign(model="ets"))
        deadline = time.monotonic() + 10 * Settings.model_fields["run_check_seconds"].default
        while (after := client.get("/v1/forecasts", headers={"if-none-match": etag})
               ).status_code == 304:
            assert time.monotonic() < deadline, "the new run never showed"
            time.sleep(0.05)
        assert after.status_code == 200 and after.json()["run_id"] == "run-2"
        assert {row["run_id"] for row in after.json()["rows"]} == {"run-2"}
        assert client.get("/v1/forecasts").content == after.content  # the prepared bytes
