"""A real uvicorn server in a subprocess, configured through VOCAST_* variables."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from data.store import open_store
from tests.integration.conftest_api import COUNTS_CSV, TIMEZONE, publish_forecast

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 15.0
PUBLISH_VISIBLE_TIMEOUT_SECONDS = 10.0  # default run_check_seconds is 1


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_healthy(base_url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"uvicorn exited with {server.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"uvicorn did not become healthy in {START_TIMEOUT_SECONDS}s:\n"
                f"{log.read_text()}")


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'var' / 'vocast.db'}"


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[str]:
    """Start `uvicorn --factory api.app:create_app`; yield its base URL; stop it."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("VOCAST_")}
    env |= {"VOCAST_DATABASE_URL": database_url, "VOCAST_TIMEZONE": TIMEZONE,
            "PYTHONPATH": str(REPO_ROOT)}
    log = tmp_path / "uvicorn.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "info"],
            cwd=tmp_path, env=env, stdout=sink, stderr=subprocess.STDOUT,
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(base_url, process, log)
        yield base_url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
            pytest.fail(f"uvicorn did not stop on SIGINT:\n{log.read_text()}")
    output = log.read_text()
    assert process.returncode == 0, output
    assert "Application shutdown complete" in output


def _once_published(client: httpx.Client, *, params: dict[str, str]) -> Any:
    """The forecast once the server has seen the run published by another process: at
    most `run_check_seconds` (default settings) after the publish; 404 until then."""
    deadline = time.monotonic() + PUBLISH_VISIBLE_TIMEOUT_SECONDS
    while (response := client.get("/v1/forecasts", params=params)).status_code == 404:
        assert time.monotonic() < deadline, "the published run never showed"
        time.sleep(0.05)
    assert response.status_code == 200, response.text
    return response.json()


def test_real_server_ingests_and_serves(server: str, database_url: str) -> None:
    with httpx.Client(base_url=server, timeout=10.0) as client:
        assert client.get("/healthz").json() == {"status": "ok", "database": "ok",
                                                 "current_run": None}
        posted = client.post("/v1/observations", content=COUNTS_CSV,
                             headers={"content-type": "text/csv"})
        assert posted.json() == {"inserted": 5, "updated": 0, "unchanged": 0, "series": 2}
        uploaded = client.post("/v1/observations",
                               files={"file": ("log.csv", COUNTS_CSV.encode(), "text/csv")})
        assert uploaded.json() == {"inserted": 0, "updated": 0, "unchanged": 5, "series": 2}
        series = client.get("/v1/series").json()
        assert {(s["category"], s["channel"], s["observations"]) for s in series} == {
            ("billing", "phone", 3), ("delivery", None, 2)}
        assert {s["first_ts"] for s in series} == {"2026-02-02T09:00:00+09:00"}
        assert client.get("/v1/forecasts").status_code == 404

        store = open_store(database_url)  # what the fit job does, from another process
        try:
            publish_forecast(store, "run-uvicorn")
        finally:
            store.dispose()

        body = _once_published(client, params={"freq": "30min"})
        assert body["run_id"] == "run-uvicorn"
        assert body["rows"][0]["ts"] == "2026-03-02T09:00:00+09:00"
        csv = client.get("/v1/forecasts", headers={"accept": "text/csv"})
        assert csv.headers["content-type"].startswith("text/csv")
        assert csv.text.startswith("ts,category,channel,freq,yhat")
        assert client.get("/v1/runs").json()["current_run"] == "run-uvicorn"
