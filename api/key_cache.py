"""Per-process memory of API key lookups and of whether auth is on (see api/auth.py).

An answer from the store is trusted for `ttl_seconds` (`auth_cache_seconds`): a key
revoked by another process may work that long. `clear()` forgets everything at once,
after a key is created or revoked in this process. A key in steady use is re-read in
the background shortly before its entry expires (`refresh_ahead`), so its requests never
wait for a lookup; the entry still expires on time when that read is slow or fails.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time

from starlette.concurrency import run_in_threadpool

from forecast.store import ApiKey, Store

logger = logging.getLogger(__name__)

CACHE_MAX_ENTRIES = 4096
REFRESH_AHEAD_SHARE = 0.25  # of the entry's life: when a key in use is re-read


class KeyCache:
    """Key lookups by token digest, each trusted for `ttl_seconds`."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._keys: dict[str, tuple[float, ApiKey | None]] = {}
        self._enabled_until = 0.0
        self._enabled = False
        self._generation = 0  # moved on by clear(): lookups begun before are not kept
        self._lock = threading.Lock()  # clear() may come from a route's worker thread
        self._refreshing: dict[str, asyncio.Task[ApiKey | None]] = {}

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

    def clear(self) -> None:
        """Forget every lookup and the "auth is on" check (after a key is created or
        revoked in this process)."""
        with self._lock:
            self._generation += 1
            self._keys.clear()
            self._enabled_until = 0.0

    def cached(self, token: str) -> tuple[bool, ApiKey | None]:
        """(hit, key) from memory alone, without touching the store."""
        entry = self._keys.get(_digest(token))
        if entry is not None and entry[0] > time.monotonic():
            return True, entry[1]
        return False, None

    def find(self, store: Store, token: str) -> ApiKey | None:
        """The cached answer, else the store's (blocking: call from a worker thread)."""
        hit, key = self.cached(token)
        return key if hit else self._load(store, token)

    def refresh_ahead(self, store: Store, token: str) -> None:
        """Re-read a key whose entry is in the last part of its life, in a worker thread,
        one read per key at a time (call from the event loop)."""
        digest = _digest(token)
        entry = self._keys.get(digest)
        if (entry is None or digest in self._refreshing
                or entry[0] - time.monotonic() > self.ttl_seconds * REFRESH_AHEAD_SHARE):
            return
        task = asyncio.ensure_future(run_in_threadpool(self._load, store, token))
        self._refreshing[digest] = task
        task.add_done_callback(lambda done: self._refreshed(digest, done))

    def _load(self, store: Store, token: str) -> ApiKey | None:
        generation, now = self._generation, time.monotonic()
        key = store.find_api_key(token)
        with self._lock:
            if self.ttl_seconds > 0 and generation == self._generation:
                if len(self._keys) >= CACHE_MAX_ENTRIES:
                    self._keys.clear()
                self._keys[_digest(token)] = (now + self.ttl_seconds, key)
        return key

    def _refreshed(self, digest: str, task: asyncio.Task[ApiKey | None]) -> None:
        self._refreshing.pop(digest, None)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("API key refresh failed (%s); the next request looks it up",
                           type(task.exception()).__name__)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
