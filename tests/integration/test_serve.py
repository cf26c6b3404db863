"""`vocast serve` as operators run it: JSON log lines, metrics, keys kept out of logs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from data.store import open_store
from tests.integration.test_api_uvicorn import REPO_ROOT, STOP_TIMEOUT_SECONDS, _free_port

pytestmark = pytest.mark.integration

# `vocast serve` imports the whole CLI (models included) before uvicorn starts.
START_TIMEOUT_SECONDS = 120.0


def _wait_until_healthy(base_url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"vocast serve exited with {server.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"vocast serve was not healthy in {START_TIMEOUT_SECONDS}s:\n{log.read_text()}")


def test_vocast_serve_logs_json_lines_and_never_the_key(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'var' / 'vocast.db'}"
    store = open_store(database_url)
    _, token = store.create_api_key("grafana", ["read"])
    store.dispose()
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("VOCAST_")}
    env |= {"VOCAST_DATABASE_URL": database_url, "VOCAST_TIMEZONE": "Asia/Seoul",
            "PYTHONPATH": str(REPO_ROOT)}
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "jobs.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port)], cwd=tmp_path, env=env, stdout=sink, stderr=sink)
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(base_url, process, log)
        with httpx.Client(base_url=base_url, timeout=10.0) as client:
            assert client.get("/v1/series").status_code == 401
            assert client.get("/v1/series", headers={"X-API-Key": token}).status_code == 200
            metrics = client.get("/metrics").text
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(records[0])
    loggers = {record["logger"] for record in records}
    assert {"uvicorn.error", "uvicorn.access", "api.app"} <= loggers
    assert any("/v1/series" in r["message"] and "401" in r["message"] for r in records)
    assert token[len("vck_00000000_"):] not in log.read_text()
    assert 'vocast_http_requests_total{method="GET",route="/v1/series",status="401"} 1.0' \
        in metrics
