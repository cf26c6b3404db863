"""Time staffing and shift planning on realistic sizes; prints figures, asserts nothing.

    python bench/staffing.py                 # synthetic intraday curves
    python bench/staffing.py --csv FILE.csv  # shift plan on a real ts,category,count file

1. Staffing: 7 days x 96 fifteen-minute intervals x 100 queues (67,200 intervals) in one
   vectorised call, Erlang C and Erlang A, and through `staff_forecast` (a DataFrame).
2. Shift plan: 4 weeks of 15-minute requirements for one large queue, 20 templates.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from forecast.shifts import ShiftTemplate, plan_shifts
from forecast.staffing import required_agents
from forecast.staffing_table import staff_forecast

T = TypeVar("T")
INTERVAL_MINUTES = 15
TARGETS = {"aht_seconds": 300.0, "target_service_level": 0.8, "answer_seconds": 20.0,
           "max_occupancy": 0.85, "shrinkage": 0.3}


def intraday_curve(index: pd.DatetimeIndex, peak: float, rng: np.random.Generator) -> np.ndarray:
    """Calls per interval: open 07:00-22:00, morning and afternoon peaks, quieter weekends."""
    hour = (index.hour + index.minute / 60).to_numpy()
    shape = (np.exp(-((hour - 10.5) ** 2) / 4.0) + 0.8 * np.exp(-((hour - 14.5) ** 2) / 6.0)
             + 0.25 * np.exp(-((hour - 19.5) ** 2) / 3.0))
    weekday = index.day_of_week.to_numpy()
    level = np.where(weekday == 5, 0.6, np.where(weekday == 6, 0.35, 1.0))
    mean = peak * shape / shape.max() * level * ((hour >= 7) & (hour < 22))
    return np.asarray(rng.poisson(mean), dtype=np.float64)


def best_of(runs: int, work: Callable[[], T]) -> tuple[float, T]:
    """Median wall time over `runs` calls, and the last result."""
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings), result


def bench_staffing(rng: np.random.Generator) -> None:
    index = pd.date_range("2024-03-04", periods=7 * 96, freq=f"{INTERVAL_MINUTES}min")
    peaks = rng.lognormal(mean=np.log(30), sigma=1.0, size=100)
    volume = np.concatenate([intraday_curve(index, p, rng) for p in peaks])
    print(f"staffing: {volume.size:,} intervals (7 days x 96 x 100 queues), "
          f"peak {volume.max():.0f} calls/15 min, AHT {TARGETS['aht_seconds']:.0f} s, 80/20")
    for label, patience in (("Erlang C", None), ("Erlang A (patience 120 s)", 120.0)):
        seconds, result = best_of(5, partial(
            required_agents, volume, interval_minutes=INTERVAL_MINUTES,
            patience_seconds=patience, **TARGETS))
        agents = result.agents
        print(f"  {label:<27} {seconds * 1000:8.1f} ms   max {agents.max()} agents, "
              f"sum {agents.sum():,} agent-intervals")
    frame = pd.DataFrame({
        "ts": np.tile(index, 100), "category": np.repeat([f"q{k:03d}" for k in range(100)],
                                                          len(index)), "yhat": volume})
    seconds, _ = best_of(3, lambda: staff_forecast(frame, **TARGETS))
    print(f"  {'staff_forecast (DataFrame)':<27} {seconds * 1000:8.1f} ms   "
          "incl. validation and interval inference")


def templates() -> list[ShiftTemplate]:
    """15 full-time (8 h + 30 min unpaid-in-coverage break) and 5 weekday part-time shifts."""
    full = ["00:00", "06:00", "07:00", "07:30", "08:00", "08:30", "09:00", "10:00", "11:00",
            "12:00", "13:00", "14:00", "15:00", "16:00", "22:00"]
    part = ["09:00", "11:00", "13:00", "17:00", "19:00"]
    return ([ShiftTemplate(f"full-{s}", s, 510, 240, 30) for s in full]
            + [ShiftTemplate(f"part-{s}", s, 240, days=(0, 1, 2, 3, 4)) for s in part])


def requirement_curve(csv: Path | None, rng: np.random.Generator) -> pd.Series:
    """Scheduled agents per 15 minutes over 28 days, staffed from a volume curve."""
    if csv is None:
        index = pd.date_range("2024-03-04", periods=28 * 96, freq="15min")
        volume = pd.Series(intraday_curve(index, 150.0, rng), index=index)
    else:
        rows = pd.read_csv(csv, parse_dates=["ts"])
        totals = rows.groupby("ts")["count"].sum().resample("15min").sum()
        volume = totals.iloc[: 28 * 96].astype(float)
    staffed = required_agents(volume.to_numpy(), interval_minutes=15, **TARGETS)
    return pd.Series(staffed.agents_scheduled, index=volume.index)


def bench_shifts(csv: Path | None, rng: np.random.Generator) -> None:
    need = requirement_curve(csv, rng)
    plans = templates()
    source = csv.name if csv else "synthetic curve"
    print(f"shift plan: {len(need):,} intervals ({len(need) // 96} days, {source}), "
          f"{len(plans)} templates, peak {need.max()} scheduled agents")
    seconds, plan = best_of(3, lambda: plan_shifts(need, plans))
    over, under = plan.coverage["over"].sum() / 4, plan.coverage["under"].sum()
    print(f"  plan_shifts {seconds:8.2f} s   optimal={plan.optimal}, {len(plan.shifts):,} shift "
          f"rows, {plan.paid_hours:,.0f} paid h for {need.sum() / 4:,.0f} required agent-h "
          f"(over-cover {over:,.0f} h, under-cover {under} agent-intervals)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, help="ts,category,count file at 15-min or finer")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    bench_staffing(rng)
    bench_shifts(args.csv, rng)


if __name__ == "__main__":
    main()
