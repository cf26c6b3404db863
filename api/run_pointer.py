"""Which run is published, as this API process sees it.

The fit job publishes from its own process, so the API learns of a new run only by
reading the store's pointer. `RunPointer` reads it at most once per `check_seconds`
(`run_check_seconds`, 1 s by default: a run published elsewhere shows up within it) and
shares one read between concurrent requests; `expire()` forgets the last read at once,
for writes made in this process (see api/notifying_store.py).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool

from forecast.store import Store

MAX_VERSIONS_REMEMBERED = 256


@dataclass(frozen=True, slots=True)
class PublishedRun:
    """The published run as readers see it.

    `version` names what else shapes the answers (e.g. planner overrides; "" when
    nothing does) and `changed_at` is when the answers last changed: `published_at`, or
    later when this process first saw the current `version`.
    """

    run_id: str
    published_at: datetime  # tz-aware
    version: str = ""
    changed_at: datetime | None = None

    @property
    def last_modified(self) -> datetime:
        return self.changed_at or self.published_at


class RunPointer:
    """The published run, read through the store.

    With `check_seconds` 0 every answer reflects a read that began after its request
    arrived, yet concurrent requests share reads: a request waits for the next read to
    start, and one read answers everyone who arrived while the previous one ran. With
    `check_seconds` > 0 a read is reused that long. A read that was under way when
    `expire()` was called answers its waiters but is not reused.
    """

    def __init__(self, check_seconds: float, *, version: Callable[[Store], str] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.check_seconds = check_seconds
        self._version = version
        self._clock = clock
        self._state: tuple[float, PublishedRun | None] | None = None
        self._generation = 0
        self._lock = threading.Lock()  # expire() may come from a route's worker thread
        self._first_seen: dict[tuple[str, str], datetime] = {}
        self._next: asyncio.Future[PublishedRun | None] | None = None
        self._reader: asyncio.Task[None] | None = None

    def peek(self) -> tuple[bool, PublishedRun | None]:
        """(still fresh?, the run last read) without touching the store."""
        state = self._state
        if state is None:
            return False, None
        return self._clock() - state[0] < self.check_seconds, state[1]

    def prefetch(self, store: Store) -> None:
        """Start the next read once half the window has passed, so that requests under
        steady traffic never wait for one (call from the event loop while still fresh;
        nothing happens while a read is under way)."""
        state = self._state
        if (state is None or self._reader is not None
                or self._clock() - state[0] < self.check_seconds / 2):
            return
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        self._reader = asyncio.ensure_future(self._read_while_waited(store))

    def read(self, store: Store) -> PublishedRun | None:
        """Read the pointer now (blocking: call from a worker thread)."""
        generation, started = self._generation, self._clock()
        record = store.published_run()
        run = None
        if record is not None and record.published_at is not None:
            run = PublishedRun(record.run_id, record.published_at)
            if self._version is not None:
                run = self._versioned(run, self._version(store))
        with self._lock:
            if generation == self._generation:  # not expired meanwhile
                self._state = (started, run)
        return run

    def _versioned(self, run: PublishedRun, version: str) -> PublishedRun:
        """`changed_at` is no earlier than this process first saw (run, version): safe for
        If-Modified-Since whichever worker answered before."""
        if len(self._first_seen) > MAX_VERSIONS_REMEMBERED:
            self._first_seen.clear()
        seen = self._first_seen.setdefault((run.run_id, version), datetime.now(UTC))
        return replace(run, version=version, changed_at=max(run.published_at, seen))

    def expire(self) -> None:
        """Forget the last read: the next request reads the pointer again."""
        with self._lock:
            self._generation += 1
            self._state = None

    async def current(self, store: Store) -> PublishedRun | None:
        fresh, run = self.peek()
        if fresh:
            return run
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        waiting = self._next
        if self._reader is None:
            self._reader = asyncio.ensure_future(self._read_while_waited(store))
        return await asyncio.shield(waiting)

    async def _read_while_waited(self, store: Store) -> None:
        try:
            while self._next is not None:
                waiting, self._next = self._next, None
                try:
                    waiting.set_result(await run_in_threadpool(self.read, store))
                except Exception as exc:  # every waiter of this read gets the error
                    waiting.set_exception(exc)
                    waiting.exception()  # mark it retrieved for waiters that hung up
        finally:
            self._reader = None
