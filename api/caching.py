"""Serve the published run from bytes prepared once, with HTTP validators.

A published run never changes, so read routes answer from bytes built once per view:
`RunPointer` (which run is published: api/run_pointer.py), `ResponseCache` (bodies by
(run id, view), LRU within a byte budget, one build per view), `RefreshSchedule`
(clients may keep a run until the next scheduled fit) and `serve_published`, the read
path: 404 before any run, 304 for a matching If-None-Match/If-Modified-Since, gzip when
accepted, and ETag, Last-Modified, Cache-Control and Vary on every answer.
`remembered_answer` is that path's answer when memory alone has it (api/fastpath.py).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache

from apscheduler.triggers.cron import CronTrigger
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from api.deps import accept_weights
from api.run_pointer import PublishedRun, RunPointer
from forecast.errors import InvalidParameter, NotFound
from forecast.settings import Settings
from forecast.store import Store

GZIP_MIN_BYTES = 1024
GZIP_LEVEL = 6
ENTRY_OVERHEAD_BYTES = 512  # keys and bookkeeping, so tiny entries still count
PENDING_FIT_MAX_AGE_SECONDS = 60
VARY = "Accept, Accept-Encoding"

CacheKey = tuple[str, str]  # (run id, view)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A response body ready to send, with the run its rows belong to.

    `empty` marks a body without rows (e.g. an unknown category): it is served but not
    kept, so arbitrary filters cannot fill the cache.
    """

    body: bytes
    media_type: str
    run_id: str
    headers: tuple[tuple[str, str], ...] = ()
    gzipped: bytes | None = None
    empty: bool = False
    compressible: bool = True  # False for formats that compress themselves (Parquet)

    @property
    def size_bytes(self) -> int:
        return len(self.body) + len(self.gzipped or b"") + ENTRY_OVERHEAD_BYTES

    def compressed(self) -> Prepared:
        """A copy carrying the gzip encoding too, when the body is large enough to gain."""
        if (self.gzipped is not None or not self.compressible
                or len(self.body) < GZIP_MIN_BYTES):
            return self
        return replace(self, gzipped=gzip.compress(self.body, GZIP_LEVEL, mtime=0))


@dataclass(frozen=True, slots=True)
class Validators:
    """What a response says about its freshness; `last_modified` None when unknown."""

    etag: str
    last_modified: datetime | None
    max_age_seconds: int

    def headers(self) -> dict[str, str]:
        headers = {"ETag": self.etag, "Vary": VARY,
                   "Cache-Control": f"public, max-age={self.max_age_seconds}"}
        if self.last_modified is not None:
            headers["Last-Modified"] = http_date(self.last_modified)
        return headers


@lru_cache(maxsize=4096)
def etag_for(run_id: str, view: str) -> str:
    """A weak ETag of the run and the view: the gzip and identity encodings share it."""
    digest = hashlib.blake2b(f"{run_id}\x00{view}".encode(), digest_size=12).hexdigest()
    return f'W/"{digest}"'


@lru_cache(maxsize=256)
def http_date(value: datetime) -> str:
    return format_datetime(value.astimezone(UTC), usegmt=True)


def is_not_modified(headers: Mapping[str, str], validators: Validators) -> bool:
    """RFC 9110: If-None-Match decides when present, else If-Modified-Since."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        return _etag_matches(if_none_match, validators.etag)
    since = _parse_http_date(headers.get("if-modified-since"))
    if since is None or validators.last_modified is None:
        return False
    return validators.last_modified.replace(microsecond=0) <= since


@lru_cache(maxsize=256)
def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether Accept-Encoding allows gzip (explicitly or through `*`)."""
    weights = accept_weights(accept_encoding or "")
    quality = weights.get("gzip", weights.get("x-gzip", weights.get("*", (0.0, 0))))[0]
    return quality > 0


def not_modified(validators: Validators) -> Response:
    return Response(status_code=304, headers=validators.headers())


def full_response(prepared: Prepared, validators: Validators, *, gzip_ok: bool) -> Response:
    headers = {**dict(prepared.headers), **validators.headers()}
    body = prepared.body
    if gzip_ok and prepared.gzipped is not None:
        body = prepared.gzipped
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type=prepared.media_type, headers=headers)


class ResponseCache:
    """Prepared responses by (run id, view), bounded by bytes, least recently used first out.

    Only bodies whose rows belong to the keyed run are kept, so a run's bytes are never
    served for another run.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[CacheKey, Prepared] = OrderedDict()
        self._size_bytes = 0
        self._lock = threading.Lock()
        self._building: dict[CacheKey, asyncio.Task[Prepared]] = {}

    @property
    def size_bytes(self) -> int:
        return self._size_bytes

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: CacheKey) -> Prepared | None:
        with self._lock:
            prepared = self._entries.get(key)
            if prepared is not None:
                self._entries.move_to_end(key)
            return prepared

    def put(self, key: CacheKey, prepared: Prepared) -> bool:
        """Keep `prepared` unless it is empty, of another run, or over the whole budget."""
        size = prepared.size_bytes
        if prepared.empty or prepared.run_id != key[0] or size > self.max_bytes:
            return False
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size_bytes -= old.size_bytes
            self._entries[key] = prepared
            self._size_bytes += size
            while self._size_bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._size_bytes -= evicted.size_bytes
        return True

    async def get_or_build(self, key: CacheKey, build: Callable[[], Prepared]) -> Prepared:
        """The cached body, or one build (in a worker thread) shared by concurrent readers."""
        hit = self.get(key)
        if hit is not None:
            return hit
        task = self._building.get(key)
        if task is None:
            task = asyncio.ensure_future(self._build(key, build))
            self._building[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(task)  # a reader that hangs up does not cancel the build

    async def _build(self, key: CacheKey, build: Callable[[], Prepared]) -> Prepared:
        prepared = await run_in_threadpool(lambda: build().compressed())
        self.put(key, prepared)
        return prepared

    def _finished(self, key: CacheKey, task: asyncio.Task[Prepared]) -> None:
        self._building.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved here too, so a failed build is never "unretrieved"


class RefreshSchedule:
    """Seconds a client may keep a run: until the first scheduled fit after it was published.

    Once that fit has fired and its run is not yet published, clients revalidate every
    `pending_seconds` until it is.
    """

    def __init__(self, fit_cron: str, timezone: str, *,
                 pending_seconds: int = PENDING_FIT_MAX_AGE_SECONDS) -> None:
        try:
            self._trigger = CronTrigger.from_crontab(fit_cron, timezone=timezone)
        except ValueError as exc:
            raise InvalidParameter("fit_cron", fit_cron,
                                   "a 5-field crontab expression like '0 2 * * *'") from exc
        self.pending_seconds = pending_seconds
        self._memo: tuple[datetime, datetime | None] | None = None

    def next_fit_after(self, instant: datetime) -> datetime | None:
        memo = self._memo
        if memo is None or memo[0] != instant:
            memo = (instant, self._trigger.get_next_fire_time(None, instant))
            self._memo = memo
        return memo[1]

    def max_age_seconds(self, published_at: datetime, now: datetime) -> int:
        next_fit = self.next_fit_after(published_at)
        if next_fit is None:
            return self.pending_seconds
        remaining = int((next_fit - now).total_seconds())
        return remaining if remaining > 0 else self.pending_seconds


class PublishedResponses:
    """What the read routes share: the run pointer, the response cache, the fit schedule."""

    def __init__(self, *, check_seconds: float, cache_bytes: int, fit_cron: str,
                 timezone: str, version: Callable[[Store], str] | None = None) -> None:
        self.pointer = RunPointer(check_seconds, version=version)
        self.cache = ResponseCache(cache_bytes)
        self.schedule = RefreshSchedule(fit_cron, timezone)

    @classmethod
    def from_settings(cls, settings: Settings, *,
                      version: Callable[[Store], str] | None = None) -> PublishedResponses:
        """`version(store)`: read with the run pointer; part of every ETag and cache key."""
        return cls(check_seconds=settings.run_check_seconds,
                   cache_bytes=settings.response_cache_mb * 1024 * 1024,
                   fit_cron=settings.fit_cron, timezone=settings.timezone, version=version)

    def validators(self, run: PublishedRun, view: str) -> Validators:
        """`view` already carries the run's version (see `serve_published`)."""
        max_age = self.schedule.max_age_seconds(run.published_at, datetime.now(UTC))
        return Validators(etag_for(run.run_id, view), run.last_modified, max_age)


async def serve_published(
    request: Request, store: Store, *, view: str, build: Callable[[str], Prepared],
    cacheable: bool, missing: str,
) -> Response:
    """Answer a read of the published run; `build(run_id)` reads and serialises it.

    `view` names the representation (filters and format, normalised); `cacheable`
    keeps its bytes for later reads of the same run. Raises NotFound(`missing`) when
    no run is published.
    """
    published: PublishedResponses = request.app.state.published_responses
    run = await published.pointer.current(store)
    if run is None:
        raise NotFound(missing)
    remembered = remembered_answer(published, run, request.headers, view=view,
                                   cacheable=cacheable)
    if remembered is not None:
        return remembered
    view = versioned_view(view, run)
    validators = published.validators(run, view)
    gzip_ok = accepts_gzip(request.headers.get("accept-encoding"))
    if cacheable:
        prepared = await published.cache.get_or_build((run.run_id, view),
                                                      lambda: build(run.run_id))
    else:
        prepared = await run_in_threadpool(_build_once, build, run.run_id, gzip_ok)
    if prepared.run_id != run.run_id:  # another run was published while we read
        published.pointer.expire()
        validators = Validators(etag_for(prepared.run_id, view), None, 0)
    return full_response(prepared, validators, gzip_ok=gzip_ok)


def remembered_answer(
    published: PublishedResponses, run: PublishedRun, headers: Mapping[str, str], *,
    view: str, cacheable: bool,
) -> Response | None:
    """`serve_published`'s answer for `run` when memory alone has it: 304 for a matching
    validator, else the view's prepared bytes if cached; None when it must be built."""
    view = versioned_view(view, run)
    validators = published.validators(run, view)
    if is_not_modified(headers, validators):
        return not_modified(validators)
    prepared = published.cache.get((run.run_id, view)) if cacheable else None
    if prepared is None:
        return None
    return full_response(prepared, validators,
                         gzip_ok=accepts_gzip(headers.get("accept-encoding")))


def versioned_view(view: str, run: PublishedRun) -> str:
    """The view key with the run's version (e.g. the overrides in force) in it."""
    return f"{view}\x00{run.version}" if run.version else view


def _build_once(build: Callable[[str], Prepared], run_id: str, compress: bool) -> Prepared:
    prepared = build(run_id)
    return prepared.compressed() if compress else prepared


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in header.split(","))


def _parse_http_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
