"""Fit-job throughput and memory for many series: local processes vs one process.

    .venv/bin/python bench/fit_many.py                       # the full matrix below
    .venv/bin/python bench/fit_many.py --scenarios daily100 --executors local

Scenarios: `daily100` and `daily1000` (synthetic daily series, 3 years) and `m30_100`
(half-hourly series, 12 weeks; each also gets a daily fit, so 2 fits per series). Each
(scenario, executor) runs the real fit job (`fit_and_publish`) on a SQLite store in a
fresh Python process: `main` is the fit process's peak RSS (VmHWM) and `worker` the
largest peak any worker process reported; `CPU s/fit` counts the fit process and
its workers, and so stays meaningful when other work shares the machine. Every run
starts from a fresh copy of the scenario's store (no earlier leaderboard to start from).

`auto` backtests several candidates per series (about 2 CPU s per 3-year daily
series), so `daily1000` with `auto` takes about 17 minutes with two processes on 2
cores; it also runs with `ets` alone as a cheaper reference. `--big-models ets`
skips the long runs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data.store import open_store
from jobs.executors import InProcessExecutor, LocalProcessExecutor, SeriesExecutor
from jobs.fit import FitConfig, fit_and_publish

WEEKLY_SHAPE = np.array([1.3, 1.15, 1.05, 1.0, 0.95, 0.5, 0.35])
TIMEZONE = "Asia/Seoul"
SEED = 11


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    series: int
    freq: str  # D or 30min
    periods: int


SCENARIOS = {
    "daily100": Scenario("daily100", 100, "D", 3 * 365),
    "daily1000": Scenario("daily1000", 1000, "D", 3 * 365),
    "m30_100": Scenario("m30_100", 100, "30min", 12 * 7 * 48),
}


def synthetic_observations(scenario: Scenario, seed: int = SEED) -> pd.DataFrame:
    """Poisson counts with a weekly (and for 30 min, an intraday) shape per series."""
    rng = np.random.default_rng(seed)
    end = pd.Timestamp("2026-11-16", tz=TIMEZONE)
    index = pd.date_range(end=end, periods=scenario.periods, freq=scenario.freq,
                          inclusive="left")
    shape = WEEKLY_SHAPE[index.day_of_week]
    if scenario.freq != "D":
        hour = index.hour.to_numpy() + index.minute.to_numpy() / 60
        shape = shape * np.where((hour >= 8) & (hour < 20), np.sin((hour - 8) / 12 * np.pi),
                                 0.0) / 4
    frames = []
    for number in range(scenario.series):
        level = rng.uniform(20, 400)
        frames.append(pd.DataFrame({
            "ts": index, "category": f"cat-{number:04d}", "channel": "",
            "freq": scenario.freq, "count": rng.poisson(level * shape).astype(float)}))
    return pd.concat(frames, ignore_index=True)


def build_store(scenario: Scenario, folder: Path) -> Path:
    path = folder / f"{scenario.name}.db"
    store = open_store(f"sqlite:///{path}")
    store.upsert_observations(synthetic_observations(scenario))
    store.dispose()
    return path


class PeakTracking:
    """Wraps an executor to record the largest peak RSS any worker reported."""

    def __init__(self, inner: SeriesExecutor) -> None:
        self.inner = inner
        self.worker_mib = 0.0

    def __enter__(self) -> PeakTracking:
        self.inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.inner.__exit__(*exc)

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        for result, peak_mib in self.inner.map(partial(_with_peak, fn), items):
            self.worker_mib = max(self.worker_mib, peak_mib)
            yield result


def _with_peak(fn: Callable[[Any], Any], item: Any) -> tuple[Any, float]:
    return fn(item), peak_rss_mib()


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from
    the parent across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fresh_copy(path: Path, label: str) -> str:
    """A URL of a copy of the store at `path`, for one run."""
    copy = path.with_name(f"{path.stem}-{label}.db")
    shutil.copyfile(path, copy)
    return f"sqlite:///{copy}"


def measure(url: str, executor_name: str, model: str, workers: int) -> dict[str, float]:
    """Run one fit job in this process; seconds, fits and peak RSS (MiB)."""
    logging.getLogger("cmdstanpy").disabled = True
    config = FitConfig(timezone=TIMEZONE, country="KR", model=model, workers=workers)
    serial = executor_name == "serial"
    executor = PeakTracking(InProcessExecutor() if serial else LocalProcessExecutor(workers))
    store = open_store(url)
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    report = fit_and_publish(store, config, executor=executor)
    seconds = time.perf_counter() - started
    store.dispose()
    return {
        "seconds": seconds, "fits": report.series, "cpu_seconds": _cpu_seconds() - cpu_before,
        "main_mib": peak_rss_mib(), "worker_mib": 0.0 if serial else executor.worker_mib,
    }


def _cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children."""
    return sum(usage.ru_utime + usage.ru_stime for usage in (
        resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)))


def _run_child(url: str, executor: str, model: str, workers: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--measure", url, "--executors", executor,
               "--model", model, "--workers", str(workers)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default="daily100,m30_100,daily1000")
    parser.add_argument("--executors", default="local,serial")
    parser.add_argument("--model", default="auto")
    parser.add_argument("--big-models", default="auto,ets", help="models for daily1000")
    parser.add_argument("--workers", type=int, default=0, help="local processes (0 = cores)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.executors, args.model, args.workers)))
        return
    print(f"{'scenario':<10} {'model':<14} {'executor':<9} {'series':>6} {'fits':>5} "
          f"{'seconds':>8} {'series/s':>9} {'fits/s':>7} {'CPU s/fit':>9} {'main MiB':>9} "
          f"{'worker MiB':>10}")
    with tempfile.TemporaryDirectory(prefix="vocast-bench-") as folder:
        for name in args.scenarios.split(","):
            scenario = SCENARIOS[name]
            models = args.big_models.split(",") if scenario.series >= 1000 else [args.model]
            built = build_store(scenario, Path(folder))
            for model, executor in itertools.product(models, args.executors.split(",")):
                r = _run_child(_fresh_copy(built, f"{model}-{executor}"), executor, model,
                               args.workers)
                print(f"{name:<10} {model:<14} {executor:<9} {scenario.series:>6} "
                      f"{int(r['fits']):>5} {r['seconds']:>8.1f} "
                      f"{scenario.series / r['seconds']:>9.2f} {r['fits'] / r['seconds']:>7.2f} "
                      f"{r['cpu_seconds'] / r['fits']:>9.3f} "
                      f"{r['main_mib']:>9.0f} {r['worker_mib']:>10.0f}", flush=True)


if __name__ == "__main__":
    main()
