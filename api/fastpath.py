"""The short road for BI refreshes: prepared forecast reads answered before routing.

BI tools pull the same few `/v1/forecasts` URLs over and over. Once a view of the
published run is prepared (api/caching.py), its answer needs no routing, no dependency
injection and no database, yet those cost several times more than sending the bytes.
`FastReadMiddleware`, a pure ASGI middleware in front of the app, answers a GET or HEAD
of `/v1/forecasts` from memory when memory alone proves the route would give the same
answer:

- auth is off, or the request's key is in the verified-key cache and allows `read`
  (`allowed_from_memory`: the same rules as `authorize`);
- the query parses (the route's own parser) and sends no body;
- the run pointer is fresh, or is read now exactly as the route reads it;
- the answer is a 304 for a matching validator, or the view's bytes are cached.

Under steady traffic the key and the run pointer are re-read in the background before
they go stale (`refresh_ahead`, `prefetch`), so these requests never wait for the store.

The answer is built by the route's own functions (`remembered_answer`), so status,
headers and body are the same byte for byte, and is counted in the HTTP metrics under
the route's template. Everything else, every refusal (missing, unknown, revoked or
under-scoped keys, bad queries) and every first read of a view included, goes to the app
unchanged.
"""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers, State
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import READ, allowed_from_memory, request_token
from api.caching import PublishedResponses, remembered_answer
from api.metrics import ApiMetrics
from api.routes.forecasts import forecast_query
from api.run_pointer import PublishedRun
from forecast.errors import ForecastError
from forecast.settings import Settings
from forecast.store import Store

logger = logging.getLogger(__name__)

FORECASTS_PATH = "/v1/forecasts"  # the route's template too: one label in the metrics
FAST_METHODS = frozenset({"GET", "HEAD"})


class FastReadMiddleware:
    """Answer prepared forecast reads from memory; pass every other request on."""

    def __init__(self, app: ASGIApp, *, state: State, path: str = FORECASTS_PATH) -> None:
        self.app = app
        self.state = state  # the app's state: settings, caches, metrics, the store
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in FAST_METHODS
                or _route_path(scope) != self.path):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        response = await self._answer(scope)
        if response is None:
            await self.app(scope, receive, send)
            return
        try:
            await response(scope, receive, send)
        finally:
            metrics: ApiMetrics = self.state.metrics
            metrics.observe(scope["method"], self.path, response.status_code,
                            time.perf_counter() - started)

    async def _answer(self, scope: Scope) -> Response | None:
        """The route's answer when memory has it, else None."""
        headers = Headers(scope=scope)
        settings: Settings = self.state.settings
        if _has_body(headers) or not allowed_from_memory(
                self.state.key_cache, headers, scope=READ, required=settings.auth_required):
            return None
        store = getattr(self.state, "store", None)  # None until the lifespan opens it
        if store is None:
            return None
        token = request_token(headers)
        if token:
            self.state.key_cache.refresh_ahead(store, token)
        try:
            query = forecast_query(scope["query_string"], headers.get("accept"),
                                   timezone=settings.timezone,
                                   max_rows=settings.max_forecast_rows)
        except ForecastError:
            return None  # the route answers with the error
        if not query.cacheable and not _conditional(headers):
            return None  # only a 304 could come from memory
        published: PublishedResponses = self.state.published_responses
        run = await self._current_run(published, store)
        if run is None:
            return None
        return remembered_answer(published, run, headers, view=query.view,
                                 cacheable=query.cacheable)

    async def _current_run(self, published: PublishedResponses, store: Store
                           ) -> PublishedRun | None:
        """The published run as the route would see it now; None to leave it to the route
        (no run yet, or the read failed)."""
        fresh, run = published.pointer.peek()
        if fresh:
            published.pointer.prefetch(store)
            return run
        try:
            return await published.pointer.current(store)
        except Exception as exc:  # the route reads again and reports the failure
            logger.debug("fast path: run pointer read failed (%s)", type(exc).__name__)
            return None


def _route_path(scope: Scope) -> str:
    """The path the router matches: without the `root_path` a proxy mounts the app at."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root):len(root) + 1] in ("/", ""):
        return path[len(root):]
    return path


def _conditional(headers: Headers) -> bool:
    return "if-none-match" in headers or "if-modified-since" in headers


def _has_body(headers: Headers) -> bool:
    """A body is left to the app's limits (api/limits.py), however unusual on a GET."""
    return headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
