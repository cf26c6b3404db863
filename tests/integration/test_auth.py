"""API keys over HTTP: every route in the OpenAPI schema is protected by its scope."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from forecast.settings import Settings
from forecast.store import API_KEY_SCOPES, Store
from jobs.cli import main as cli_main
from tests.integration.conftest_api import TIMEZONE, publish_forecast

pytestmark = pytest.mark.integration

OPEN_PATHS = frozenset({"/healthz", "/metrics"})
DENIED = (401, 403)


def _settings(tmp_path: Path, **changes: Any) -> Settings:
    base: dict[str, Any] = {"database_url": f"sqlite:///{tmp_path / 'db' / 'vocast.db'}",
                            "timezone": TIMEZONE, "auth_cache_seconds": 0}
    return Settings(**(base | changes))


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return create_app(_settings(tmp_path))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def store(app: FastAPI, client: TestClient) -> Store:  # noqa: ARG001 - client opens it
    opened: Store = app.state.store
    return opened


def _token(store: Store, *scopes: str) -> str:
    return store.create_api_key("-".join(scopes) or "none", list(scopes))[1]


def _sample(schema: dict[str, Any]) -> str:
    if schema.get("type") == "integer":
        return str(schema.get("minimum", 1))
    return "x"


def _operations(app: FastAPI) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def _request(client: TestClient, method: str, path: str, operation: dict[str, Any],
             headers: dict[str, str]) -> int:
    """One request built from the operation's schema: path and required query parameters
    filled with plain values, a JSON body when it takes one."""
    url, query = path, {}
    for parameter in operation.get("parameters", []):
        value = _sample(parameter.get("schema", {}))
        if parameter["in"] == "path":
            url = url.replace("{" + parameter["name"] + "}", value)
        elif parameter["in"] == "query" and parameter.get("required"):
            query[parameter["name"]] = value
    content = operation.get("requestBody", {}).get("content", {})
    body = {"json": {}} if "application/json" in content else {}
    return client.request(method, url, params=query, headers=headers, **body).status_code


def _required_scope(method: str, path: str, operation: dict[str, Any]) -> str:
    security = operation.get("security")
    assert security, f"{method} {path} is not protected by an API key"
    scopes = {scope for requirement in security for names in requirement.values()
              for scope in names}
    assert {name for requirement in security for name in requirement} == {
        "HTTPBearer", "APIKeyHeader"}, f"{method} {path}: {security}"
    assert len(scopes) == 1 and scopes <= set(API_KEY_SCOPES), f"{method} {path}: {scopes}"
    return scopes.pop()


def test_every_route_is_open_until_the_first_key(app: FastAPI, client: TestClient) -> None:
    for method, path, operation in _operations(app):
        assert _request(client, method, path, operation, {}) not in DENIED, (method, path)


def test_every_protected_route_needs_a_key_with_its_scope(
    app: FastAPI, client: TestClient, store: Store
) -> None:
    publish_forecast(store, "run-1")
    tokens = {scope: _token(store, scope) for scope in API_KEY_SCOPES}
    others = {scope: _token(store, *(s for s in API_KEY_SCOPES if s not in (scope, "admin")))
              for scope in API_KEY_SCOPES}
    walked = 0
    for method, path, operation in _operations(app):
        if path in OPEN_PATHS:
            assert _request(client, method, path, operation, {}) not in DENIED, path
            continue
        scope = _required_scope(method, path, operation)
        where = f"{method} {path} ({scope})"
        assert _request(client, method, path, operation, {}) == 401, where
        wrong = {"Authorization": "Bearer vck_00000000_not-a-key"}
        assert _request(client, method, path, operation, wrong) == 401, where
        scoped_out = {"X-API-Key": others[scope]}
        assert _request(client, method, path, operation, scoped_out) == 403, where
        right = {"Authorization": f"Bearer {tokens[scope]}"}
        assert _request(client, method, path, operation, right) not in DENIED, where
        admin = {"X-API-Key": tokens["admin"]}
        assert _request(client, method, path, operation, admin) not in DENIED, where
        walked += 1
    assert walked >= 8


def test_auth_required_protects_routes_before_any_key(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path, auth_required=True))) as client:
        denied = client.get("/v1/series")
        assert denied.status_code == 401
        assert denied.headers["www-authenticate"] == "Bearer"
        assert denied.json()["error"]["type"] == "Unauthorized"
        assert "vocast keys create" in denied.json()["error"]["message"]
        assert client.get("/healthz").status_code == 200


def test_both_headers_work_and_a_revoked_key_stops(client: TestClient, store: Store) -> None:
    key, token = store.create_api_key("bi", ["read"])
    assert client.get("/v1/series", headers={"Authorization": f"Bearer {token}"}).is_success
    assert client.get("/v1/series", headers={"X-API-Key": token}).is_success
    assert client.get("/v1/series", headers={"Authorization": f"Basic {token}"}
                      ).status_code == 401
    store.revoke_api_key(key.id)
    revoked = client.get("/v1/series", headers={"X-API-Key": token})
    assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]["message"]


def test_wrong_scope_is_403_naming_what_is_missing(client: TestClient, store: Store) -> None:
    token = _token(store, "read")
    response = client.get("/v1/runs", headers={"X-API-Key": token})
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["type"] == "Forbidden" and "needs admin" in error["message"]


def test_keys_over_http_create_list_and_revoke(client: TestClient, store: Store) -> None:
    admin = {"X-API-Key": _token(store, "admin")}
    created = client.post("/v1/keys", json={"name": "tableau", "scopes": ["read"]},
                          headers=admin)
    assert created.status_code == 201
    token = created.json()["key"]
    assert client.get("/v1/series", headers={"X-API-Key": token}).is_success
    listed = client.get("/v1/keys", headers=admin).json()
    assert [k["name"] for k in listed] == ["admin", "tableau"]
    assert all("key" not in k and token not in str(k) for k in listed)
    revoked = client.delete(f"/v1/keys/{created.json()['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert client.get("/v1/series", headers={"X-API-Key": token}).status_code == 401
    bad = client.post("/v1/keys", json={"name": "x", "scopes": ["root"]}, headers=admin)
    assert bad.status_code == 422


def test_metrics_can_require_a_read_key(tmp_path: Path) -> None:
    with TestClient(create_app(_settings(tmp_path, metrics_public=False))) as client:
        token = _token(client.app.state.store, "read")  # type: ignore[attr-defined]
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"X-API-Key": token}).status_code == 200


def test_docs_stay_open_and_document_both_schemes(client: TestClient, store: Store) -> None:
    _token(store, "read")
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["HTTPBearer"] == {**schemes["HTTPBearer"], "type": "http",
                                     "scheme": "bearer"}
    assert schemes["APIKeyHeader"]["in"] == "header"
    assert schemes["APIKeyHeader"]["name"] == "X-API-Key"


def test_secrets_are_never_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slack_url = "https://hooks.slack.com/services/T0000/B0000/s3cr3tS3cr3tS3cr3t"
    settings = _settings(tmp_path, slack_webhook_url=slack_url)
    monkeypatch.setenv("VOCAST_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VOCAST_SLACK_WEBHOOK_URL", slack_url)
    caplog.set_level(logging.DEBUG)
    assert cli_main(["--log-level", "DEBUG", "keys", "create", "--name", "ops",
                     "--scope", "admin"]) == 0
    cli_output = capsys.readouterr()
    token = cli_output.out.strip()
    assert token.startswith("vck_") and "created key" in cli_output.err
    logging.getLogger().handlers[:] = [caplog.handler]  # the CLI configured its own
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/keys", headers={"X-API-Key": token}).is_success
        assert client.get("/v1/series", headers={"X-API-Key": token + "x"}).status_code == 401
        assert client.get("/v1/series", headers={"Authorization": f"Bearer {token[:-2]}"}
                          ).status_code == 401
        publish_forecast(client.app.state.store, "run-1")  # type: ignore[attr-defined]
        assert client.get("/v1/runs", headers={"X-API-Key": token}).is_success
    assert caplog.records, "nothing was logged, so the test would prove nothing"
    logged = (cli_output.err + caplog.text
              + "".join(str(record.__dict__) for record in caplog.records))
    assert token[len("vck_00000000_"):] not in logged
    assert "s3cr3tS3cr3tS3cr3t" not in logged
