"""API keys: who may call which route.

Auth is on once any key exists in the store (revoked keys count, so revoking the last
key does not open the API) or when `auth_required` is set; before that every route is
open, so a fresh install works without keys. A key is sent as `Authorization: Bearer
KEY` or `X-API-Key: KEY`. Scopes: `read` (GET routes), `write` (uploads), `admin` (keys,
silences, runs; implies the other two). Routers get their scope at registration
(`include_protected`), and the OpenAPI schema lists it in each operation's `security`.

Lookups are cached for `auth_cache_seconds` per process, so a revoked key may still work
for that long; the "auth is on" state, once seen, is kept for the process lifetime.
"""

from __future__ import annotations

import hashlib
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Security
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from forecast.settings import Settings
from forecast.store import ApiKey, Store

READ, WRITE, ADMIN = "read", "write", "admin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CACHE_MAX_ENTRIES = 4096

bearer_scheme = HTTPBearer(
    auto_error=False, scheme_name="HTTPBearer", bearerFormat="vck_...",
    description="An API key from `vocast keys create`, as `Authorization: Bearer KEY`.")
api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="APIKeyHeader",
    description="The same API key in an `X-API-Key` header.")


class KeyCache:
    """Per-process memory of key lookups and of whether auth is on."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._keys: dict[str, tuple[float, ApiKey | None]] = {}
        self._enabled_until = 0.0
        self._enabled = False

    def known_enabled(self, *, required: bool) -> bool | None:
        """Whether auth is on, from memory alone; None when the store must be asked."""
        if required or self._enabled:
            return True
        return False if time.monotonic() < self._enabled_until else None

    def auth_enabled(self, store: Store, *, required: bool) -> bool:
        known = self.known_enabled(required=required)
        if known is not None:
            return known
        self._enabled = store.api_keys_exist()
        self._enabled_until = time.monotonic() + self.ttl_seconds
        return self._enabled

    def cached(self, token: str) -> tuple[bool, ApiKey | None]:
        """(hit, key) from memory alone, without touching the store."""
        entry = self._keys.get(_digest(token))
        if entry is not None and entry[0] > time.monotonic():
            return True, entry[1]
        return False, None

    def find(self, store: Store, token: str) -> ApiKey | None:
        digest = _digest(token)
        now = time.monotonic()
        hit, key = self.cached(token)
        if hit:
            return key
        key = store.find_api_key(token)
        if self.ttl_seconds > 0:
            if len(self._keys) >= CACHE_MAX_ENTRIES:
                self._keys.clear()
            self._keys[digest] = (now + self.ttl_seconds, key)
        return key


async def authorize(
    request: Request,
    security_scopes: SecurityScopes,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    header_key: Annotated[str | None, Depends(api_key_scheme)],
) -> ApiKey | None:
    """The caller's key, checked against the route's scope; None while auth is off."""
    store: Store = request.app.state.store
    settings: Settings = request.app.state.settings
    cache: KeyCache = request.app.state.key_cache
    # Warm requests are answered from memory; only a cache miss goes to the thread pool.
    enabled = cache.known_enabled(required=settings.auth_required)
    if enabled is None:
        enabled = await run_in_threadpool(cache.auth_enabled, store,
                                          required=settings.auth_required)
    if not enabled:
        return None
    token = header_key or (bearer.credentials if bearer is not None else None)
    if not token:
        raise _unauthorized("this route needs an API key: send 'Authorization: Bearer KEY' "
                            "or 'X-API-Key: KEY' (create one with `vocast keys create`)")
    hit, key = cache.cached(token)
    if not hit:
        key = await run_in_threadpool(cache.find, store, token)
    if key is None:
        raise _unauthorized("the API key is not valid or was revoked")
    missing = [scope for scope in security_scopes.scopes if not key.allows(scope)]
    if missing:
        raise HTTPException(403, detail=(
            f"the API key {key.prefix} has scope {', '.join(key.scopes)}; "
            f"{request.method} {request.url.path} needs {' and '.join(missing)}"))
    request.state.api_key = key
    return key


def require(scope: str) -> Any:
    """A route dependency that needs an API key with `scope` (documented in OpenAPI)."""
    return Security(authorize, scopes=[scope])


def include_protected(app: FastAPI, router: APIRouter, *, prefix: str = "",
                      read: str = READ, write: str = WRITE) -> None:
    """Include `router`: GET/HEAD routes need `read`, every other method `write`."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"only API routes can be protected; got {route!r}")
        one = APIRouter()
        one.routes.append(route)
        scope = read if route.methods <= SAFE_METHODS else write
        app.include_router(one, prefix=prefix, dependencies=[require(scope)])


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, detail=message, headers={"WWW-Authenticate": "Bearer"})
