"""Schemathesis fuzzes every operation in the OpenAPI schema: no answer may be a 5xx.

Requests carry an admin key (auth is on), so they reach the route code; the store holds
observations, a published run and an event, so reads have something to serve.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from api.app import create_app
from forecast.settings import Settings
from tests.integration.conftest_api import COUNTS_ROWS, TIMEZONE, publish_forecast

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MAX_EXAMPLES = int(os.environ.get("VOCAST_FUZZ_EXAMPLES", "25"))
# A fuzzed DELETE /v1/keys/{key_id} may revoke the fuzzer's own key; a lookup cache longer
# than the run keeps that key working, so later operations still reach their code.
KEY_CACHE_SECONDS = 3600.0


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> tuple[FastAPI, str]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    app = create_app(Settings(
        database_url=f"sqlite:///{folder / 'vocast.db'}", timezone=TIMEZONE,
        auth_required=True, auth_cache_seconds=KEY_CACHE_SECONDS, run_check_seconds=0,
        max_forecast_rows=50))
    with TestClient(app) as client:
        store = client.app.state.store  # type: ignore[attr-defined]
        _, token = store.create_api_key("fuzzer", ["admin"])
        headers = {"X-API-Key": token}
        assert client.post("/v1/observations", json={"rows": COUNTS_ROWS},
                           headers=headers).status_code == 200
        publish_forecast(store, "run-fuzz")
        event = {"rows": [{"name": "sale", "kind": "campaign", "start": "2026-03-02",
                           "end": "2026-03-04"}]}
        client.post("/v1/events", json=event, headers=headers)
    return app, token


def _operations() -> list[Any]:
    """(method, path, mode) of every operation, read from a schema that needs no database;
    negative cases only where there is something to get wrong (parameters, body, key)."""
    paths = create_app(Settings(database_url="sqlite:///:memory:")).openapi()["paths"]
    cases = []
    for path, item in paths.items():
        for method, operation in item.items():
            inputs = {"parameters", "requestBody", "security"}.intersection(operation)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)[:1 + bool(inputs)]:
                cases.append(pytest.param(method.upper(), path, mode,
                                          id=f"{mode.value} {method.upper()} {path}"))
    return cases


@pytest.fixture(scope="module")
def api_schema(fuzzed: tuple[FastAPI, str]) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed[0])


@pytest.mark.parametrize(("method", "path", "mode"), _operations())
def test_no_operation_answers_with_a_server_error(
    api_schema: Any, fuzzed: tuple[FastAPI, str], method: str, path: str,
    mode: GenerationMode,
) -> None:
    token = fuzzed[1]
    headers = {"X-API-Key": token, "Authorization": f"Bearer {token}"}

    @given(case=api_schema[path][method].as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def fuzz(case: Any) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])

    fuzz()
