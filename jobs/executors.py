"""Where per-series fit work runs: this process, local processes, or a Dask cluster.

Every executor maps a function over a stream of items with a bounded number of items
in flight and yields results as they complete (not in input order), so the caller holds
at most `max_in_flight` inputs at a time however many series there are:

    with executor_for(workers=0, dask_address=None) as executor:
        for result in executor.map(fit_one, tasks):
            ...
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from functools import partial
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from forecast.errors import InvalidParameter

T = TypeVar("T")
R = TypeVar("R")
logger = logging.getLogger(__name__)

IN_FLIGHT_PER_WORKER = 2
DASK_CONNECT_TIMEOUT_SECONDS = 30


class SeriesExecutor(Protocol):
    """Runs `fn` over `items`; a context manager that owns its workers."""

    def __enter__(self) -> Self: ...

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None: ...

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """Results of `fn(item)`, in completion order."""
        ...


class InProcessExecutor:
    """One item at a time in the calling process (tests, one core, one series)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        return (fn(item) for item in items)


class LocalProcessExecutor:
    """A pool of `workers` local processes (0 = one per core)."""

    def __init__(self, workers: int = 0, *, max_in_flight: int | None = None) -> None:
        if workers < 0:
            raise InvalidParameter("workers", workers, "0 (all cores) or a positive count")
        self.workers = workers or os.cpu_count() or 1
        self.max_in_flight = max_in_flight or self.workers * IN_FLIGHT_PER_WORKER
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Self:
        self._pool = ProcessPoolExecutor(max_workers=self.workers)
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=kind is not None)
            self._pool = None

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        pool = _entered(self._pool, "LocalProcessExecutor")
        return _stream(lambda item: pool.submit(fn, item), _first_completed, items,
                       self.max_in_flight)


class DaskExecutor:
    """Tasks on a Dask distributed cluster at `address` (needs the `dask` extra)."""

    def __init__(self, address: str, *, max_in_flight: int | None = None) -> None:
        self.address = address
        self.max_in_flight = max_in_flight
        self._client: Any = None

    def __enter__(self) -> Self:
        distributed = _import_distributed(self.address)
        self._client = distributed.Client(self.address, timeout=DASK_CONNECT_TIMEOUT_SECONDS,
                                          set_as_default=False)
        threads = sum(self._client.nthreads().values()) or 1
        self.max_in_flight = self.max_in_flight or threads * IN_FLIGHT_PER_WORKER
        logger.info("fitting on the Dask cluster at %s (%d threads)", self.address, threads)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        client = _entered(self._client, "DaskExecutor")
        distributed = _import_distributed(self.address)

        def wait_first(pending: set[Any]) -> tuple[set[Any], set[Any]]:
            with client.as_current():
                done, not_done = distributed.wait(list(pending), return_when="FIRST_COMPLETED")
            return set(done), set(not_done)

        return _stream(lambda item: client.submit(fn, item, pure=False), wait_first, items,
                       self.max_in_flight or IN_FLIGHT_PER_WORKER)


def executor_for(*, workers: int, dask_address: str | None, tasks: int | None = None
                 ) -> SeriesExecutor:
    """Dask when an address is given, else local processes (in-process for one worker
    or one task)."""
    if dask_address:
        return DaskExecutor(dask_address)
    if workers < 0:
        raise InvalidParameter("workers", workers, "0 (all cores) or a positive count")
    count = workers or os.cpu_count() or 1
    if tasks is not None:
        count = min(count, tasks)
    return InProcessExecutor() if count <= 1 else LocalProcessExecutor(count)


def in_input_order(executor: SeriesExecutor) -> Callable[[Callable[[T], R], Iterable[T]],
                                                          list[R]]:
    """A `map` over `executor` that returns results in input order (as the built-in does)."""

    def mapper(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        results: dict[int, R] = dict(executor.map(partial(_numbered, fn), enumerate(items)))
        return [results[i] for i in range(len(results))]

    return mapper


def _numbered(fn: Callable[[T], R], item: tuple[int, T]) -> tuple[int, R]:
    return item[0], fn(item[1])


def _stream(submit: Callable[[T], Any], wait_first: Callable[[set[Any]], tuple[set[Any],
            set[Any]]], items: Iterable[T], limit: int) -> Iterator[Any]:
    """Submit items as earlier ones finish, never more than `limit` at once."""
    pending: set[Any] = set()
    for item in items:
        pending.add(submit(item))
        while len(pending) >= limit:
            done, pending = wait_first(pending)
            yield from (future.result() for future in done)
    while pending:
        done, pending = wait_first(pending)
        yield from (future.result() for future in done)


def _first_completed(pending: set[Any]) -> tuple[set[Any], set[Any]]:
    done, not_done = wait_futures(pending, return_when=FIRST_COMPLETED)
    return set(done), set(not_done)


def _entered(resource: Any, name: str) -> Any:
    if resource is None:
        raise RuntimeError(f"use {name} as a context manager (`with {name}(...) as ex:`)")
    return resource


def _import_distributed(address: str) -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise InvalidParameter(
            "dask_address", address,
            "unset, or used with the dask extra installed (pip install 'vocast[dask]')",
        ) from exc
    return distributed
