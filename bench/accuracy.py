"""Forecast accuracy: rolling-origin evaluation of `auto` against simple baselines.

    python -m bench.accuracy [--data-dir DIR] [--datasets NAME ...] [--models NAME ...]
                             [--max-categories N] [--origins N] [--horizon-days N]
                             [--origin-hour H]
                             [--quick] [--markdown]

For every dataset (the real files in --data-dir and the synthetic sample), a few
origins are placed at the end of the data, spaced by the horizon (28 days for daily
data, 7 days of intervals for intraday). At each origin every model forecasts every
series from the history strictly before it, exactly as `vocast forecast --cutoff`
would, and is scored on the intervals of the window that exist in the data (missing
intervals are not scored). `--origin-hour 12` puts intraday origins at noon, as a file
exported mid-day would end. WAPE pools every scored interval; MASE averages over
series and origins, scaled by the in-sample MAE of the weekly seasonal naive. Interval
coverage leaves out intervals that were empty and forecast closed (zero).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from bench import _datasets as ds
from forecast.calendar import Event
from forecast.metrics import bias, coverage, mase, seasonal_scale, wape
from forecast.models.registry import model_names
from forecast.openhours import regular_grid
from forecast.pipeline import forecast_frame
from forecast.series import Freq, SeriesKey

DEFAULT_MODELS = ("auto", "seasonal_naive", "week_average", "prophet_default")
_COST = {"auto": 20.0, "prophet": 4.0, "prophet_default": 3.0, "mstl": 4.0, "ets": 2.0}


@dataclass(frozen=True, slots=True)
class Row:
    """One model's line in a dataset's table."""

    model: str
    wape: float
    mase: float
    bias: float
    coverage80: float
    coverage95: float
    fails: int
    seconds: float
    forecasts: int


def render(title: str, rows: list[Row], notes: list[str], *, markdown: bool) -> str:
    """A dataset's table, plain text or markdown, followed by its notes."""
    head = ["model", "WAPE", "MASE", "bias", "cover80", "cover95", "failed", "total s"]
    cells = [[r.model, f"{r.wape:.3f}", f"{r.mase:.3f}", f"{r.bias:+.3f}",
              f"{r.coverage80:.2f}", f"{r.coverage95:.2f}", str(r.fails),
              f"{r.seconds:.1f}"] for r in rows]
    if markdown:
        lines = [f"### {title}", "", "| " + " | ".join(head) + " |",
                 "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
        lines += ["| " + " | ".join(c) + " |" for c in cells]
        return "\n".join([*lines, "", *(f"- {n}" for n in notes), ""])
    widths = [max(len(x) for x in col) for col in zip(head, *cells, strict=True)]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    lines = [title, fmt.format(*head), *(fmt.format(*c) for c in cells)]
    return "\n".join([*lines, *(f"  {n}" for n in notes), ""])


@dataclass(frozen=True, slots=True)
class Task:
    """One call of the evaluation contract: a model, every series of a dataset, an origin.

    All series go through `forecast_frame` together, as `vocast forecast` sends them, so
    `auto` ranks its candidates over the whole dataset as it does for a user's file.
    """

    dataset: str
    origin: pd.Timestamp
    model: str
    freq: Freq
    horizon: int
    country: str | None
    series: tuple[tuple[SeriesKey, pd.Series, pd.Series | None], ...]  # key, counts, truth
    sparse_input: bool = False  # zero rows left out of the input, as raw events would
    events: tuple[Event, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    """A scored forecast: arrays over the window's observed intervals only."""

    dataset: str
    key: SeriesKey
    origin: pd.Timestamp
    model: str
    picked: str
    actual: np.ndarray
    mean: np.ndarray
    bounds: dict[int, tuple[np.ndarray, np.ndarray]]
    truth: np.ndarray | None
    scale: float
    seconds: float
    error: str = ""


def evaluate(task: Task) -> list[Outcome]:
    """Forecast every series from the history before the origin; score each window."""
    observations = pd.concat([
        pd.DataFrame({"ts": counts.index[counts.index < task.origin], "category": key.category,
                      "channel": key.channel, "count": counts[counts.index < task.origin]})
        for key, counts, _ in task.series], ignore_index=True)
    if task.sparse_input:
        observations = observations[observations["count"] > 0]
    started = time.perf_counter()
    try:
        frame = forecast_frame(observations, freq=task.freq, horizon=task.horizon,
                               start=task.origin, model=task.model, country=task.country,
                               events=task.events)
        error = ""
    except Exception as exc:  # a failing model is reported in the table, never fatal
        frame, error = pd.DataFrame(columns=["ts", "category", "channel"]), \
            f"{type(exc).__name__}: {exc}"
    seconds = (time.perf_counter() - started) / len(task.series)
    by_key = dict(iter(frame.groupby(["category", "channel"])))
    return [_score_series(task, key, counts, truth, by_key.get((key.category, key.channel)),
                          seconds, error)
            for key, counts, truth in task.series]


def _score_series(task: Task, key: SeriesKey, counts: pd.Series, truth: pd.Series | None,
                  rows: pd.DataFrame | None, seconds: float, error: str) -> Outcome:
    history = counts[counts.index < task.origin]
    end = task.origin + task.horizon * task.freq.offset
    window = counts[(counts.index >= task.origin) & (counts.index < end)]
    scale = seasonal_scale(regular_grid(history, task.freq).to_numpy(dtype=float),
                           task.freq.season_length)
    empty = np.array([])
    if rows is None or rows.empty:
        return Outcome(task.dataset, key, task.origin, task.model, "", empty, empty, {},
                       None, scale, seconds, error or "no forecast rows")
    ds_index = pd.DatetimeIndex(rows["ts"])
    position = ds_index.get_indexer(pd.DatetimeIndex(window.index))
    inside = position >= 0
    position = position[inside]
    truth_values = (truth.reindex(window.index[inside]).to_numpy(dtype=float)
                    if truth is not None else None)
    bounds = {lvl: (rows[f"lo{lvl}"].to_numpy(dtype=float)[position],
                    rows[f"hi{lvl}"].to_numpy(dtype=float)[position]) for lvl in (80, 95)}
    return Outcome(task.dataset, key, task.origin, task.model, str(rows["model"].iloc[0]),
                   window.to_numpy(dtype=float)[inside],
                   rows["yhat"].to_numpy(dtype=float)[position], bounds, truth_values, scale,
                   seconds)


def build_tasks(dataset: ds.Dataset, models: Sequence[str], origins: int,
                origin_hour: int = 0) -> list[Task]:
    series = tuple((key, counts, dataset.truth[key] if dataset.truth is not None else None)
                   for key, counts in dataset.series.items())
    return [Task(dataset.name, origin, model, dataset.freq, dataset.horizon, dataset.country,
                 series, dataset.sparse_input, dataset.events)
            for origin in ds.origins(dataset, count=origins, hour=origin_hour)
            for model in models]


def _pooled(outcomes: list[Outcome]) -> tuple[np.ndarray, np.ndarray]:
    return (np.concatenate([o.actual for o in outcomes]),
            np.concatenate([o.mean for o in outcomes]))


def summarise(outcomes: list[Outcome], models: Sequence[str]) -> tuple[list[Row], set[tuple]]:
    """One row per model, over the (series, origin) pairs where every model succeeded."""
    failed = {(o.key, o.origin) for o in outcomes if o.error}
    common = {(o.key, o.origin) for o in outcomes} - failed
    rows = []
    for model in models:
        mine = [o for o in outcomes if o.model == model]
        ok = [o for o in mine if (o.key, o.origin) in common]
        fails = sum(1 for o in mine if o.error)
        seconds = sum(o.seconds for o in mine)
        if not ok:
            rows.append(Row(model, *([float("nan")] * 5), fails, seconds, len(mine)))
            continue
        actual, mean = _pooled(ok)
        bounds = {lvl: (np.concatenate([o.bounds[lvl][0] for o in ok]),
                        np.concatenate([o.bounds[lvl][1] for o in ok])) for lvl in (80, 95)}
        # An interval forecast closed (zero) and empty is covered by any band and says
        # nothing about the bands: coverage reads the others.
        read = (actual > 0) | (mean > 0)
        cover = {lvl: coverage(actual[read], lo[read], hi[read])
                 for lvl, (lo, hi) in bounds.items()}
        mases = [m for m in (mase(o.actual, o.mean, o.scale) for o in ok) if np.isfinite(m)]
        rows.append(Row(model, wape(actual, mean), float(np.mean(mases)) if mases else np.nan,
                        bias(actual, mean), cover[80], cover[95], fails, seconds, len(mine)))
    return rows, common


def _notes(outcomes: list[Outcome], rows: list[Row], common: set[tuple]) -> list[str]:
    notes = []
    by_model = {r.model: r for r in rows}
    baselines = [r for r in rows if r.model != "auto" and np.isfinite(r.wape)]
    if "auto" in by_model and baselines:
        best = min(baselines, key=lambda r: r.wape)
        change = (best.wape - by_model["auto"].wape) / best.wape * 100
        word = "lower" if change >= 0 else "higher"
        notes.append(f"auto vs best baseline ({best.model}): {abs(change):.1f}% {word} WAPE")
    picks = Counter(o.picked for o in outcomes if o.model == "auto" and not o.error)
    if picks:
        notes.append("auto picked: " + ", ".join(f"{m} x{n}" for m, n in picks.most_common()))
    truthful = [o for o in outcomes if o.model == outcomes[0].model and o.truth is not None
                and (o.key, o.origin) in common]
    if truthful:
        actual = np.concatenate([o.actual for o in truthful])
        floor = wape(actual, np.concatenate([o.truth for o in truthful]))
        line = f"noise floor (WAPE of the true mean): {floor:.3f}"
        if "auto" in by_model:
            line += f"; auto / floor = {by_model['auto'].wape / floor:.2f}"
        notes.append(line)
    notes.extend(f"failed: {o.model} {o.key.label()} @ {o.origin.date()}: {o.error[:120]}"
                 for o in outcomes if o.error)
    return notes


def detail_lines(outcomes: list[Outcome], models: Sequence[str]) -> list[str]:
    """WAPE per series (pooled over origins) and per origin (pooled over series)."""
    lines = ["  per series / per origin WAPE: " + "  ".join(models)]
    groups: dict[str, dict[str, list[Outcome]]] = {}
    for by_origin in (False, True):
        for o in outcomes:
            if not o.error:
                label = f"@{o.origin.date()}" if by_origin else o.key.label()
                groups.setdefault(label, {}).setdefault(o.model, []).append(o)
    for label, per_model in groups.items():
        cells = []
        for model in models:
            parts = per_model.get(model, [])
            cells.append(f"{wape(*_pooled(parts)):.3f}" if parts else "  -  ")
        picks = Counter(o.picked for o in per_model.get("auto", []))
        chosen = ",".join(picks) if picks else ""
        volume = sum(float(o.actual.sum()) for o in per_model.get(models[0], []))
        lines.append(f"  {label:<28} {'  '.join(cells)}  n={volume:,.0f}  {chosen}")
    return lines


def header(dataset: ds.Dataset, origins: list[pd.Timestamp]) -> str:
    used = len(dataset.series)
    cap = f" (largest {used} of {dataset.available} by volume)" if used < dataset.available else ""
    country = dataset.country or "none"
    dates = ", ".join(str(o.date()) if o == o.normalize() else str(o) for o in origins)
    return (f"{dataset.name}: freq {dataset.freq.value}, horizon {dataset.horizon} intervals "
            f"({dataset.horizon_days} days), holidays {country}, {used} series{cap}, "
            f"origins {dates}")


def load(args: argparse.Namespace) -> tuple[list[ds.Dataset], list[str]]:
    """The requested datasets, and notes on those skipped."""
    names = args.datasets
    found, notes = [], []
    for source in ds.REAL_SOURCES:
        if source.name in names:
            dataset = ds.load_real(source, args.data_dir, args.max_categories)
            if dataset is None:
                notes.append(f"skipped {source.name}: {args.data_dir / source.file} not found")
            else:
                found.append(dataset)
    synthetic = [n for n in names if n in ds.SYNTHETIC_NAMES + ds.EVENT_NAMES]
    if synthetic:
        loaded = ds.load_synthetic(synthetic, args.max_categories)
        if loaded is None:
            notes.append("skipped the synthetic sample: data.samples.generate not importable")
        else:
            found.extend(loaded)
    if args.horizon_days:
        found = [replace(d, days_ahead=args.horizon_days) for d in found]
    return found, notes


def _cost(task: Task) -> float:
    return _COST.get(task.model, 0.2) * (1 + task.freq.per_day / 12) * len(task.series)


def run(datasets: list[ds.Dataset], args: argparse.Namespace) -> None:
    """Evaluate everything on a process pool; print each table in dataset order."""
    plans = [(d, ds.origins(d, count=args.origins, hour=args.origin_hour),
              build_tasks(d, args.models, args.origins, args.origin_hour)) for d in datasets]
    ordered = sorted((t for _, _, tasks in plans for t in tasks), key=_cost, reverse=True)
    results: dict[str, list[Outcome]] = {d.name: [] for d in datasets}
    pending = {d.name: len(tasks) for d, _, tasks in plans}
    printed = 0
    with ProcessPoolExecutor(max_workers=max(args.workers, 1)) as pool:
        outcomes = (map(evaluate, ordered) if args.workers <= 1 else
                    (f.result() for f in as_completed([pool.submit(evaluate, t)
                                                       for t in ordered])))
        for done, batch in enumerate(outcomes, start=1):
            results[batch[0].dataset].extend(batch)
            pending[batch[0].dataset] -= 1
            if done % max(1, len(ordered) // 20) == 0:
                print(f"{done}/{len(ordered)} forecasts done", file=sys.stderr, flush=True)
            while printed < len(plans) and pending[plans[printed][0].name] == 0:
                dataset, origins, _ = plans[printed]
                report(dataset, origins, results[dataset.name], args)
                printed += 1


def report(dataset: ds.Dataset, origins: list[pd.Timestamp], outcomes: list[Outcome],
           args: argparse.Namespace) -> None:
    outcomes.sort(key=lambda o: (o.key, o.origin, args.models.index(o.model)))
    rows, common = summarise(outcomes, args.models)
    scored = sum(len(o.actual) for o in outcomes if o.model == args.models[0])
    lines = [f"{scored:,} intervals scored per model over {len(common)} series-origins"]
    lines += _notes(outcomes, rows, common)
    if args.detail:
        lines += detail_lines(outcomes, args.models)
    print(render(header(dataset, origins), rows, lines, markdown=args.markdown), flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ds.DEFAULT_DATA_DIR)
    parser.add_argument("--datasets", nargs="+", help=f"names or prefixes of {ds.ALL_NAMES}, "
                        f"or exactly one of {ds.EVENT_NAMES}")
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS))
    parser.add_argument("--max-categories", type=int, default=12,
                        help="series per dataset, largest by volume (default 12)")
    parser.add_argument("--origins", type=int, default=3)
    parser.add_argument("--horizon-days", type=int, default=0, metavar="N",
                        help="forecast N days ahead (default 28 daily, 7 intraday); origins "
                        "are N days apart")
    parser.add_argument("--origin-hour", type=int, default=0, choices=range(24),
                        metavar="H", help="intraday origins at this hour (a file cut mid-day)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="1 origin, at most 4 series")
    parser.add_argument("--markdown", action="store_true", help="tables as markdown")
    parser.add_argument("--detail", action="store_true", help="WAPE per series and origin")
    args = parser.parse_args(argv)
    unknown = [m for m in args.models if m not in model_names()]
    if unknown:
        parser.error(f"--models {unknown}: choose from {model_names()}")
    try:
        args.datasets = ds.select_names(args.datasets)
    except ValueError as exc:
        parser.error(str(exc))
    if args.quick:
        args.origins = 1
        args.max_categories = min(args.max_categories, 4)
    return args


def run_timed(datasets: list[ds.Dataset], args: argparse.Namespace, notes: list[str]) -> int:
    """Print the notes, evaluate the datasets (see `run`), then the wall time taken."""
    for note in notes:
        print(note, flush=True)
    started = time.perf_counter()
    run(datasets, args)
    print(f"total wall time {time.perf_counter() - started:.0f} s ({args.workers} workers)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    datasets, notes = load(args)
    return run_timed(datasets, args, notes)


if __name__ == "__main__":
    sys.exit(main())
