"""Fit work on each executor: streamed with a bounded number in flight, same results."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from data.store import open_store
from forecast.errors import InvalidParameter
from forecast.ingest import ingest_into, read_inquiry_csv
from forecast.series import Freq
from forecast.settings import Settings
from jobs.executors import (
    DaskExecutor,
    InProcessExecutor,
    LocalProcessExecutor,
    SeriesExecutor,
    executor_for,
)
from jobs.fit import FitConfig, fit_and_publish, run_fit_job
from jobs.scheduler import fit_config
from tests.conftest import daily_counts

pytestmark = pytest.mark.integration

SERIES = (("refund", "phone", 60.0), ("refund", "chat", 40.0), ("delivery", "phone", 150.0),
          ("delivery", "chat", 90.0), ("billing", "email", 30.0))


def _slow_square(value: int) -> int:
    time.sleep(0.01 * (value % 3))
    return value * value


def _fail_on_three(value: int) -> int:
    if value == 3:
        raise ValueError("three is not allowed")
    return value


@pytest.fixture
def loaded_url(tmp_path: Path) -> str:
    frames = []
    for category, channel, level in SERIES:
        counts = daily_counts(63, level=level, seed=int(level))
        frames.append(pd.DataFrame({"ts": counts.index.strftime("%Y-%m-%d"),
                                    "category": category, "channel": channel,
                                    "count": counts.astype(int)}))
    path = tmp_path / "in.csv"
    pd.concat(frames).to_csv(path, index=False)
    url = f"sqlite:///{tmp_path / 'var' / 'fit.db'}"
    store = open_store(url)
    ingest_into(store, read_inquiry_csv(path), timezone="Asia/Seoul", base_interval=Freq.M30)
    store.dispose()
    return url


def _config(**changes: object) -> FitConfig:
    base = {"timezone": "Asia/Seoul", "country": None, "model": "week_average",
            "daily_horizon_days": 7, "intraday_horizon_days": 1, "workers": 1}
    return FitConfig(**(base | changes))  # type: ignore[arg-type]


def _published_rows(url: str, executor: SeriesExecutor | None, config: FitConfig
                    ) -> pd.DataFrame:
    store = open_store(url)
    try:
        fit_and_publish(store, config, executor=executor)
        return store.latest_forecast().drop(columns="run_id")
    finally:
        store.dispose()


@pytest.mark.parametrize("executor", [InProcessExecutor(),
                                      LocalProcessExecutor(2, max_in_flight=3)],
                         ids=["in-process", "processes"])
def test_executors_stream_with_a_bounded_number_in_flight(executor: SeriesExecutor) -> None:
    pulled, yielded, most_ahead = 0, 0, 0

    def items() -> Iterator[int]:
        nonlocal pulled, most_ahead
        for value in range(20):
            pulled += 1
            most_ahead = max(most_ahead, pulled - yielded)
            yield value

    with executor:
        results = []
        for result in executor.map(_slow_square, items()):
            yielded += 1
            results.append(result)
    assert sorted(results) == [v * v for v in range(20)]
    limit = executor.max_in_flight if isinstance(executor, LocalProcessExecutor) else 1
    assert most_ahead <= limit


def test_a_failing_task_raises_from_the_pool() -> None:
    with pytest.raises(ValueError, match="three"), LocalProcessExecutor(2) as executor:
        list(executor.map(_fail_on_three, range(6)))


def test_map_outside_a_with_block_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="context manager"):
        LocalProcessExecutor(2).map(_slow_square, [1])


def test_executor_for_picks_by_settings() -> None:
    assert isinstance(executor_for(workers=1, dask_address=None), InProcessExecutor)
    assert isinstance(executor_for(workers=4, dask_address=None, tasks=1), InProcessExecutor)
    local = executor_for(workers=4, dask_address=None, tasks=3)
    assert isinstance(local, LocalProcessExecutor) and local.workers == 3
    every_core = executor_for(workers=0, dask_address=None)
    assert isinstance(every_core, LocalProcessExecutor | InProcessExecutor)
    if (os.cpu_count() or 1) > 1:
        assert isinstance(every_core, LocalProcessExecutor)
        assert every_core.workers == os.cpu_count()
    dask = executor_for(workers=0, dask_address="tcp://127.0.0.1:8786")
    assert isinstance(dask, DaskExecutor) and dask.address == "tcp://127.0.0.1:8786"
    with pytest.raises(InvalidParameter, match="workers"):
        LocalProcessExecutor(-1)


def test_settings_carry_the_dask_address_into_the_fit_config() -> None:
    settings = Settings(dask_address="tcp://10.0.0.5:8786", fit_workers=3)
    config = fit_config(settings)
    assert config.dask_address == "tcp://10.0.0.5:8786" and config.workers == 3


def test_local_processes_publish_the_same_run_as_one_process(loaded_url: str) -> None:
    serial = _published_rows(loaded_url, InProcessExecutor(), _config())
    parallel = _published_rows(loaded_url, LocalProcessExecutor(2, max_in_flight=2), _config())
    assert len(serial) == 7 * (len(SERIES) + 2 + 2 + 1)  # series, category and channel totals
    pd.testing.assert_frame_equal(serial, parallel)


@pytest.mark.slow
def test_fit_job_on_a_local_dask_cluster(loaded_url: str) -> None:
    distributed = pytest.importorskip("distributed")
    serial = _published_rows(loaded_url, InProcessExecutor(), _config())
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        config = _config(workers=0, dask_address=cluster.scheduler_address)
        store = open_store(loaded_url)
        try:
            report = run_fit_job(store, config)
            on_dask = store.latest_forecast().drop(columns="run_id")
            job = store.list_job_runs()[0]
        finally:
            store.dispose()
    assert report.series == len(SERIES) and job.status == "success"
    pd.testing.assert_frame_equal(serial, on_dask)
