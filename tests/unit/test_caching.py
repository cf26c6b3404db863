"""The serving helpers: validators, the response cache, the run pointer, max-age."""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.caching import (
    ENTRY_OVERHEAD_BYTES,
    GZIP_MIN_BYTES,
    Prepared,
    PublishedRun,
    RefreshSchedule,
    ResponseCache,
    RunPointer,
    Validators,
    accepts_gzip,
    etag_for,
    is_not_modified,
)
from api.deps import choose_table_format
from forecast.errors import InvalidParameter
from forecast.store import ForecastRun

PUBLISHED = datetime(2026, 3, 1, 17, 5, 30, 123456, tzinfo=UTC)


def validators(etag: str = 'W/"abc"', last_modified: datetime | None = PUBLISHED) -> Validators:
    return Validators(etag, last_modified, 60)


def body(size: int, run_id: str = "run-1", **kwargs: Any) -> Prepared:
    return Prepared(b"x" * size, "application/json", run_id, **kwargs)


# --- conditional requests ----------------------------------------------------------------


@pytest.mark.parametrize(("header", "matches"), [
    ('W/"abc"', True),
    ('"abc"', True),  # weak comparison: the W/ prefix does not matter
    ('"other", W/"abc"', True),
    ("*", True),
    ('"abcd"', False),
    ("", False),
])
def test_if_none_match_uses_weak_comparison(header: str, matches: bool) -> None:
    assert is_not_modified({"if-none-match": header}, validators()) is matches


@pytest.mark.parametrize(("since", "matches"), [
    ("Sun, 01 Mar 2026 17:05:30 GMT", True),  # the header has whole seconds
    ("Sun, 01 Mar 2026 18:00:00 GMT", True),
    ("Sun, 01 Mar 2026 17:05:29 GMT", False),
    ("not a date", False),
])
def test_if_modified_since_compares_whole_seconds(since: str, matches: bool) -> None:
    assert is_not_modified({"if-modified-since": since}, validators()) is matches


def test_if_none_match_wins_over_if_modified_since() -> None:
    headers = {"if-none-match": '"stale"', "if-modified-since": "Sun, 01 Mar 2026 18:00:00 GMT"}
    assert not is_not_modified(headers, validators())


def test_if_modified_since_needs_a_known_date() -> None:
    headers = {"if-modified-since": "Sun, 01 Mar 2026 18:00:00 GMT"}
    assert not is_not_modified(headers, validators(last_modified=None))


def test_validator_headers() -> None:
    headers = validators().headers()
    assert headers == {"ETag": 'W/"abc"', "Vary": "Accept, Accept-Encoding",
                       "Cache-Control": "public, max-age=60",
                       "Last-Modified": "Sun, 01 Mar 2026 17:05:30 GMT"}


def test_etag_depends_on_run_and_view() -> None:
    tags = {etag_for(run, view) for run in ("run-1", "run-2") for view in ("a", "b")}
    assert len(tags) == 4
    assert etag_for("run-1", "a") == etag_for("run-1", "a")
    assert all(tag.startswith('W/"') and tag.endswith('"') for tag in tags)


@pytest.mark.parametrize(("accept_encoding", "ok"), [
    ("gzip, deflate, br", True),
    ("br;q=1.0, gzip;q=0.5", True),
    ("*", True),
    ("gzip;q=0, *", False),
    ("identity", False),
    (None, False),
])
def test_accepts_gzip(accept_encoding: str | None, ok: bool) -> None:
    assert accepts_gzip(accept_encoding) is ok


def test_compressed_only_when_large_and_compressible() -> None:
    large = body(GZIP_MIN_BYTES).compressed()
    assert large.gzipped is not None and gzip.decompress(large.gzipped) == large.body
    assert body(GZIP_MIN_BYTES - 1).compressed().gzipped is None
    assert body(GZIP_MIN_BYTES, compressible=False).compressed().gzipped is None


@pytest.mark.parametrize(("fmt", "accept", "chosen"), [
    (None, None, "json"),
    (None, "application/vnd.apache.parquet", "parquet"),
    (None, "text/csv;q=0.9, application/vnd.apache.parquet", "parquet"),
    (None, "text/csv, */*;q=0.1", "csv"),
    ("csv", "application/vnd.apache.parquet", "csv"),
    ("parquet", None, "parquet"),
])
def test_table_format_negotiation(fmt: str | None, accept: str | None, chosen: str) -> None:
    assert choose_table_format(fmt, accept) == chosen


def test_unknown_table_format_names_the_parameter() -> None:
    with pytest.raises(InvalidParameter, match="format must be json, csv or parquet; got 'xml'"):
        choose_table_format("xml", None)


# --- response cache ----------------------------------------------------------------------


def test_cache_evicts_least_recently_used_by_bytes() -> None:
    cache = ResponseCache(max_bytes=3 * (100 + ENTRY_OVERHEAD_BYTES))
    for view in ("a", "b", "c"):
        assert cache.put(("run-1", view), body(100))
    assert cache.get(("run-1", "a")) is not None  # "a" is now the most recent
    cache.put(("run-1", "d"), body(100))
    assert cache.get(("run-1", "b")) is None
    assert [cache.get(("run-1", v)) is not None for v in ("a", "c", "d")] == [True] * 3
    assert cache.size_bytes == 3 * (100 + ENTRY_OVERHEAD_BYTES)


def test_cache_refuses_other_runs_empty_bodies_and_oversize() -> None:
    cache = ResponseCache(max_bytes=1000)
    assert not cache.put(("run-2", "a"), body(10, run_id="run-1"))
    assert not cache.put(("run-1", "a"), body(10, empty=True))
    assert not cache.put(("run-1", "a"), body(1000))
    assert len(cache) == 0 and cache.size_bytes == 0


def test_replacing_an_entry_keeps_the_size_right() -> None:
    cache = ResponseCache(max_bytes=10_000)
    cache.put(("run-1", "a"), body(100))
    cache.put(("run-1", "a"), body(300))
    assert len(cache) == 1 and cache.size_bytes == 300 + ENTRY_OVERHEAD_BYTES


def test_concurrent_first_reads_share_one_build() -> None:
    cache = ResponseCache(max_bytes=1_000_000)
    builds = 0
    lock = threading.Lock()

    def build() -> Prepared:
        nonlocal builds
        with lock:
            builds += 1
        time.sleep(0.05)
        return body(2000)

    async def readers() -> list[Prepared]:
        return await asyncio.gather(*(cache.get_or_build(("run-1", "v"), build)
                                      for _ in range(10)))

    results = asyncio.run(readers())
    assert builds == 1
    assert all(result is results[0] for result in results)
    assert results[0].gzipped is not None  # kept bodies carry their gzip encoding
    assert asyncio.run(cache.get_or_build(("run-1", "v"), build)) is results[0]
    assert builds == 1


def test_a_failed_build_reaches_every_reader_and_is_not_kept() -> None:
    cache = ResponseCache(max_bytes=1_000_000)

    def build() -> Prepared:
        time.sleep(0.02)
        raise InvalidParameter("freq", "W", "D or 30min")

    async def readers() -> list[BaseException | Prepared]:
        return await asyncio.gather(*(cache.get_or_build(("run-1", "v"), build)
                                      for _ in range(3)), return_exceptions=True)

    assert all(isinstance(result, InvalidParameter) for result in asyncio.run(readers()))
    assert len(cache) == 0


# --- run pointer -------------------------------------------------------------------------


class PointerStore:
    """Just what RunPointer reads; `delay` makes reads overlap."""

    def __init__(self, run_id: str = "run-1", delay: float = 0.0) -> None:
        self.run_id: str | None = run_id
        self.published_at = PUBLISHED
        self.delay = delay
        self.reads = 0

    def published_run(self) -> ForecastRun | None:
        self.reads += 1
        run_id = self.run_id
        time.sleep(self.delay)
        if run_id is None:
            return None
        return ForecastRun(run_id, PUBLISHED, self.published_at, 1, 1, "")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_pointer_reuses_a_read_for_check_seconds() -> None:
    store, clock = PointerStore(), FakeClock()
    pointer = RunPointer(1.0, clock=clock)

    async def current() -> PublishedRun | None:
        return await pointer.current(store)

    assert asyncio.run(current()) == PublishedRun("run-1", PUBLISHED)
    store.run_id = "run-2"
    clock.now += 0.9
    assert asyncio.run(current()) == PublishedRun("run-1", PUBLISHED)
    clock.now += 0.2
    assert asyncio.run(current()) == PublishedRun("run-2", PUBLISHED)
    assert store.reads == 2
    pointer.expire()
    asyncio.run(current())
    assert store.reads == 3


def test_pointer_without_a_published_run_is_none() -> None:
    store = PointerStore()
    store.run_id = None
    assert asyncio.run(RunPointer(0).current(store)) is None


def test_strict_pointer_shares_reads_but_never_answers_from_an_older_read() -> None:
    store = PointerStore(delay=0.05)
    pointer = RunPointer(0.0)

    async def scenario() -> tuple[list[PublishedRun | None], list[PublishedRun | None]]:
        early = [asyncio.ensure_future(pointer.current(store))
                 for _ in range(8)]
        await asyncio.sleep(0.02)  # the first read is under way
        store.run_id = "run-2"  # published after that read began
        late = [asyncio.ensure_future(pointer.current(store))
                for _ in range(8)]
        return list(await asyncio.gather(*early)), list(await asyncio.gather(*late))

    early, late = asyncio.run(scenario())
    assert {run.run_id for run in early if run} == {"run-1"}
    assert {run.run_id for run in late if run} == {"run-2"}
    assert store.reads == 2  # sixteen requests, two reads


def test_a_read_under_way_when_the_pointer_expires_is_not_reused() -> None:
    store = PointerStore(delay=0.1)
    pointer = RunPointer(60.0)
    reader = threading.Thread(target=pointer.read, args=(store,))
    reader.start()
    time.sleep(0.03)  # the read has begun
    store.run_id = "run-2"  # published in this process...
    pointer.expire()  # ...which expires the pointer
    reader.join()
    assert pointer.peek() == (False, None)
    assert pointer.read(store) == PublishedRun("run-2", PUBLISHED)
    assert pointer.peek() == (True, PublishedRun("run-2", PUBLISHED))


def test_prefetch_reads_ahead_once_half_the_window_has_passed() -> None:
    store, clock = PointerStore(), FakeClock()
    pointer = RunPointer(1.0, clock=clock)

    async def scenario() -> list[tuple[bool, PublishedRun | None]]:
        await pointer.current(store)
        store.run_id = "run-2"
        clock.now += 0.4
        pointer.prefetch(store)  # too early: nothing read
        await asyncio.sleep(0.05)
        seen = [pointer.peek()]
        clock.now += 0.2
        pointer.prefetch(store)
        pointer.prefetch(store)  # one read at a time
        await asyncio.sleep(0.2)
        return [*seen, pointer.peek()]

    early, late = asyncio.run(scenario())
    assert early == (True, PublishedRun("run-1", PUBLISHED))
    assert late == (True, PublishedRun("run-2", PUBLISHED))
    assert store.reads == 2


def test_pointer_version_moves_last_modified_forward() -> None:
    store = PointerStore()
    versions = iter(["v1", "v1", "v2"])
    pointer = RunPointer(0.0, version=lambda _store: next(versions))
    first = pointer.read(store)
    again = pointer.read(store)
    changed = pointer.read(store)
    assert first is not None and again is not None and changed is not None
    assert first.version == "v1" and changed.version == "v2"
    assert again.last_modified == first.last_modified >= PUBLISHED
    assert changed.last_modified >= first.last_modified


# --- refresh schedule --------------------------------------------------------------------


def test_max_age_lasts_until_the_next_scheduled_fit() -> None:
    schedule = RefreshSchedule("0 2 * * *", "Asia/Seoul")  # 02:00 Seoul = 17:00 UTC
    published = datetime(2026, 3, 1, 17, 5, tzinfo=UTC)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert schedule.max_age_seconds(published, now) == 8 * 3600


def test_max_age_is_short_once_the_next_fit_is_due() -> None:
    schedule = RefreshSchedule("0 2 * * *", "Asia/Seoul", pending_seconds=60)
    published = datetime(2026, 3, 1, 17, 5, tzinfo=UTC)
    now = published + timedelta(days=1)  # the 17:00 UTC fit has fired, no new run yet
    assert schedule.max_age_seconds(published, now) == 60


def test_a_bad_cron_names_the_setting() -> None:
    with pytest.raises(InvalidParameter, match="fit_cron"):
        RefreshSchedule("every night", "UTC")

