"""Time staffing with per-interval handle times and daily reconciliation; prints figures.

    python bench/interval_staffing.py

1. `staff_rows`: 14 days of 30-minute intervals, open 08:00-20:00, a handle time per
   weekly slot (168 distinct values per series), for 1 and for 36 series.
2. `reconcile_to_daily`: 100 series x 14 days x 96 fifteen-minute intervals.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from forecast.interval_staffing import StaffingTargets, staff_rows
from forecast.temporal import reconcile_to_daily

TZ = "Europe/Berlin"
TARGETS = StaffingTargets(service_level=0.8, answer_seconds=20.0, shrinkage=0.3,
                          max_occupancy=0.85)


def _best(run: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _series(count: int, freq: str, days: int, rng: np.random.Generator) -> pd.DataFrame:
    ts = pd.date_range("2026-10-19", periods=days * 1440 // int(freq[:2]), freq=freq, tz=TZ)
    hour = ts.hour.to_numpy()
    open_ = (hour >= 8) & (hour < 20)
    parts = [pd.DataFrame({"ts": ts, "category": f"c{k}", "channel": "", "freq": freq,
                           "yhat": np.where(open_, rng.uniform(5, 150, len(ts)), 0.0)})
             for k in range(count)]
    return pd.concat(parts, ignore_index=True)


def bench_staffing(rng: np.random.Generator) -> None:
    for count in (1, 36):
        rows = _series(count, "30min", 14, rng)
        ts = pd.DatetimeIndex(rows["ts"])
        slot = ts.day_of_week * 48 + ts.hour * 2 + ts.minute // 30
        aht = rng.uniform(150, 400, (count, 336))[np.repeat(np.arange(count), 14 * 48), slot]
        seconds = _best(lambda r=rows, a=aht: staff_rows(r, a, TARGETS, interval_minutes=30))
        print(f"staff_rows, {count:>2} series x {14 * 48} intervals, per-slot AHT: "
              f"{seconds * 1000:7.1f} ms")


def bench_reconcile(rng: np.random.Generator) -> None:
    intraday = _series(100, "15min", 14, rng)
    days = intraday.assign(ts=intraday["ts"].dt.normalize())
    daily = days.groupby(["category", "channel", "ts"], as_index=False)["yhat"].sum()
    daily["yhat"] *= 1.1
    seconds = _best(lambda: reconcile_to_daily(intraday, daily))
    print(f"reconcile_to_daily, {len(intraday):,} interval rows: {seconds * 1000:7.1f} ms")


if __name__ == "__main__":
    generator = np.random.default_rng(7)
    bench_staffing(generator)
    bench_reconcile(generator)
