"""API keys: who may call which route.

Auth is on once any key exists in the store (revoked keys count, so revoking the last
key does not open the API) or when `auth_required` is set; before that every route is
open, so a fresh install works without keys. A key is sent as `Authorization: Bearer
KEY` or `X-API-Key: KEY`. Scopes: `read` (GET routes), `write` (uploads), `admin` (keys,
silences, runs; implies the other two). Routers get their scope at registration
(`include_protected`), and the OpenAPI schema lists it in each operation's `security`.

Lookups are cached for `auth_cache_seconds` per process (api/key_cache.py), so a key
revoked by another process may still work for that long (one revoked or created through
this process's store clears the cache at once); the "auth is on" state, once seen, is
kept for the process lifetime. `allowed_from_memory` answers the same question as
`authorize` from the cache alone, for the fast read path (api/fastpath.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Security
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from fastapi.security.utils import get_authorization_scheme_param
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from api.key_cache import KeyCache
from forecast.settings import Settings
from forecast.store import ApiKey, Store

READ, WRITE, ADMIN = "read", "write", "admin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer_scheme = HTTPBearer(
    auto_error=False, scheme_name="HTTPBearer", bearerFormat="vck_...",
    description="An API key from `vocast keys create`, as `Authorization: Bearer KEY`.")
api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, scheme_name="APIKeyHeader",
    description="The same API key in an `X-API-Key` header.")


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


def request_token(headers: Mapping[str, str]) -> str | None:
    """The key a request sends, read as `authorize`'s two schemes read it: `X-API-Key`
    first, else the credentials of an `Authorization: Bearer` header."""
    header_key = headers.get("x-api-key")
    if header_key:
        return header_key
    authorization = headers.get("authorization")
    scheme, credentials = get_authorization_scheme_param(authorization)
    if authorization and credentials and scheme.lower() == "bearer":
        return credentials
    return None


def allowed_from_memory(cache: KeyCache, headers: Mapping[str, str], *, scope: str,
                        required: bool) -> bool:
    """True when memory alone shows that `authorize` lets this request use `scope`: auth
    is off, or its key is cached and allows it. False means "ask `authorize`" (it looks
    the key up, or refuses it), never "refused"."""
    enabled = cache.known_enabled(required=required)
    if not enabled:
        return enabled is False
    token = request_token(headers)
    if not token:
        return False
    hit, key = cache.cached(token)
    return hit and key is not None and key.allows(scope)


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


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, detail=message, headers={"WWW-Authenticate": "Bearer"})
