"""Parent-level accuracy and interval coverage of the reconciled hierarchy.

    python -m bench.hierarchy [--data-dir DIR] [--datasets NAME ...] [--origins N]
                              [--max-categories N] [--workers N]

At each origin (as in `bench.accuracy`) every series of a dataset is forecast with
`auto` from the history before it; the hierarchy is reconciled bottom-up (category
totals, channel totals, the total) twice: with parent bands in quadrature of the
children's (as if their errors were independent), and with bands set by the children's
shared backtest, as the fit job publishes them. Prints WAPE and 80%/95% coverage per
level of the hierarchy; intervals empty and forecast closed are left out of coverage.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from bench import _datasets as ds
from bench.accuracy import load as load_datasets
from forecast.backtest import backtest_window
from forecast.hierarchy import TOTAL, SharedBacktests, parent_keys, reconcile_bottom_up
from forecast.metrics import coverage, wape
from forecast.pipeline import forecast_with_backtests

DEFAULT_DATASETS = ("anon_bank_60min", "anon_bank_15min", "itsm_60min", "synthetic_daily",
                    "synthetic_30min")
LEVEL_ORDER = ("bottom", "category", "channel", "total")


def evaluate(dataset: ds.Dataset, origin: pd.Timestamp) -> pd.DataFrame:
    """Forecast rows of every level at one origin, both ways, beside their actuals."""
    history = pd.concat([
        pd.DataFrame({"ts": counts.index[counts.index < origin], "category": key.category,
                      "channel": key.channel, "count": counts[counts.index < origin]})
        for key, counts in dataset.series.items()], ignore_index=True)
    bottom, backtests = forecast_with_backtests(
        history, freq=dataset.freq, horizon=dataset.horizon, start=origin,
        country=dataset.country, events=dataset.events)
    window = backtest_window(dataset.freq)
    actual = _actuals(dataset)
    ways = {"quadrature": reconcile_bottom_up(bottom),
            "shared backtest": reconcile_bottom_up(bottom, SharedBacktests.from_frame(backtests),
                                                   window=window)}
    frames = [frame.assign(way=way) for way, frame in ways.items()]
    return pd.concat(frames, ignore_index=True).merge(actual, on=["ts", "category", "channel"])


def _actuals(dataset: ds.Dataset) -> pd.DataFrame:
    """Every series' counts and every parent's sums, as ts, category, channel, actual."""
    bottom = pd.concat([pd.DataFrame({"ts": c.index, "category": k.category,
                                      "channel": k.channel, "actual": c.to_numpy(dtype=float)})
                        for k, c in dataset.series.items()], ignore_index=True)
    parents = [rows.assign(category=parent[0], channel=parent[1])
               for (category, channel), rows in bottom.groupby(["category", "channel"])
               for parent in parent_keys(str(category), str(channel))]
    summed = (pd.concat(parents).groupby(["ts", "category", "channel"], as_index=False)
              ["actual"].sum())
    return pd.concat([bottom, summed], ignore_index=True)


def level_of(rows: pd.DataFrame) -> pd.Series:
    """bottom, category (a category's total), channel (a channel's total) or total."""
    parent = rows["model"] == "bottom_up"
    total = rows["category"] == TOTAL
    level = np.where(~parent, "bottom", np.where(~total, "category",
                                                 np.where(rows["channel"] == "", "total",
                                                          "channel")))
    return pd.Series(level, index=rows.index)


def table(rows: pd.DataFrame) -> pd.DataFrame:
    """WAPE and coverage per way and level."""
    rows = rows[(rows["actual"] > 0) | (rows["yhat"] > 0)].assign(level=level_of)
    out = []
    for (way, level), part in rows.groupby(["way", "level"]):
        actual = part["actual"].to_numpy(dtype=float)
        out.append({"way": way, "level": level, "intervals": len(part),
                    "wape": wape(actual, part["yhat"].to_numpy(dtype=float)),
                    "cover80": coverage(actual, part["lo80"].to_numpy(dtype=float),
                                        part["hi80"].to_numpy(dtype=float)),
                    "cover95": coverage(actual, part["lo95"].to_numpy(dtype=float),
                                        part["hi95"].to_numpy(dtype=float))})
    frame = pd.DataFrame(out)
    frame["order"] = frame["level"].map(LEVEL_ORDER.index)
    return frame.sort_values(["order", "way"]).drop(columns="order")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ds.DEFAULT_DATA_DIR)
    parser.add_argument("--datasets", nargs="+", default=list(DEFAULT_DATASETS))
    parser.add_argument("--origins", type=int, default=3)
    parser.add_argument("--max-categories", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    try:
        args.datasets = ds.select_names(args.datasets)
    except ValueError as exc:
        parser.error(str(exc))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    loaded, notes = load_datasets(argparse.Namespace(
        datasets=args.datasets, data_dir=args.data_dir,
        max_categories=args.max_categories, horizon_days=0))
    for note in notes:
        print(note)
    datasets = [d for d in loaded if len(d.series) > 1 and ds.origins(d, count=args.origins)]
    jobs = [(d, o) for d in datasets for o in ds.origins(d, count=args.origins)]
    with ProcessPoolExecutor(max_workers=max(args.workers, 1)) as pool:
        results = list(pool.map(evaluate, *zip(*jobs, strict=True))) if jobs else []
    for dataset in datasets:
        mine = [r for (d, _), r in zip(jobs, results, strict=True) if d.name == dataset.name]
        rows = pd.concat(mine, ignore_index=True)
        print(f"\n{dataset.name}: {len(dataset.series)} series, freq {dataset.freq.value}, "
              f"{len(mine)} origins")
        print(table(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\ntotal wall time {time.perf_counter() - started:.0f} s ({args.workers} workers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
