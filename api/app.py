"""The FastAPI application factory (`uvicorn --factory api.app:create_app`)."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI

from api import dashboard
from api.adjusted import overrides_view
from api.auth import ADMIN, READ, KeyCache, include_protected
from api.caching import PublishedResponses
from api.errors import install_error_handlers
from api.fastpath import FastReadMiddleware
from api.limits import BodyLimitMiddleware
from api.metrics import install_metrics
from api.notifying_store import NotifyingStore
from api.routes import (
    accuracy,
    actuals,
    alerts,
    calendar,
    events,
    forecasts,
    health,
    keys,
    observations,
    overrides,
    runs,
    series,
    staffing,
)
from data.store import open_store
from forecast.series import Freq
from forecast.settings import Settings

logger = logging.getLogger(__name__)

API_PREFIX = "/v1"

_DESCRIPTION = """\
Forecasts of contact-center inquiry volume per category and channel.

Timestamps are ISO 8601 in the configured local time zone with the offset. Errors are
`{"error": {"type", "message", "row", "column", "parameter"}}`.
"""


def create_app(
    settings: Settings | None = None, *, max_upload_bytes: int | None = None
) -> FastAPI:
    """Build the app; reads the environment (Settings()) only when no settings are given."""
    settings = settings if settings is not None else Settings()
    Freq.parse(settings.base_interval)  # fail at start-up, not on the first upload
    app = FastAPI(title="vocast", version=_package_version(), description=_DESCRIPTION,
                  docs_url="/docs", lifespan=_lifespan)
    app.state.settings = settings
    app.state.max_upload_bytes = max_upload_bytes or settings.max_upload_bytes
    app.state.key_cache = KeyCache(settings.auth_cache_seconds)
    app.state.published_responses = PublishedResponses.from_settings(settings,
                                                                     version=overrides_view)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes,
                       max_upload_bytes=app.state.max_upload_bytes,
                       upload_paths=[f"{API_PREFIX}/observations", f"{API_PREFIX}/events"])
    install_metrics(app, public=settings.metrics_public)
    app.add_middleware(FastReadMiddleware, state=app.state)  # outermost: before routing
    app.include_router(health.router)
    app.include_router(dashboard.router)  # the page is static; its data calls need keys
    for module in (actuals, calendar):  # GET /v1/observations and /v1/calendar: read
        include_protected(app, module.router, prefix=API_PREFIX)
    for module in (series, forecasts, observations, accuracy, events, overrides):  # GET read
        include_protected(app, module.router, prefix=API_PREFIX)
    include_protected(app, staffing.router, prefix=API_PREFIX, write=READ)  # plans only read
    include_protected(app, alerts.router, prefix=API_PREFIX, write=ADMIN)  # silences: admin
    for module in (runs, keys):
        include_protected(app, module.router, prefix=API_PREFIX, read=ADMIN, write=ADMIN)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the store once for the process and dispose of it on shutdown."""
    settings: Settings = app.state.settings
    store = open_store(settings.database_url)  # creates a SQLite file's folder as needed
    published: PublishedResponses = app.state.published_responses
    app.state.store = NotifyingStore(store, forecasts_changed=published.pointer.expire,
                                     keys_changed=app.state.key_cache.clear)
    _freeze_startup_objects()
    logger.info("API started with timezone %s", settings.timezone)
    try:
        yield
    finally:
        store.dispose()


@cache  # once per process
def _freeze_startup_objects() -> None:
    """Move what start-up loaded (pandas, SQLAlchemy, the app: some 200,000 objects) out
    of the cyclic garbage collector's view. Its full passes walk every tracked object and
    would otherwise stall all requests in flight for a tenth of a second now and then.
    Garbage is collected first, so none is kept for good."""
    gc.collect()
    gc.freeze()


def _package_version() -> str:
    try:
        return version("vocast")
    except PackageNotFoundError:
        return "0.0.0"
