"""Spike alerts on the synthetic sample with injected spikes; prints figures, asserts nothing.

    python -m bench.alerts [--weeks 26] [--seed 7] [--model daily_split] [--workers 2]
                           [--years 1] [--cache DIR] [--alpha A] [--min-ratio R]

`--cache DIR` keeps the fitted forecasts in DIR (one file per seed, weeks and model) and
reuses them on the next run, so only detection is re-run when the rules change.
`--alpha` and `--min-ratio` replace the live rule's defaults (`VOCAST_ALERT_BREAKOUT_ALPHA`,
`VOCAST_ALERT_BREAKOUT_MIN_RATIO`), to read the trade-off between misses and false alarms.

Live rule: every Monday of the last `--weeks` weeks, each 30-minute series is forecast a
week ahead from its previous 16 weeks (`--model`, KR holidays and the known events), as a
published run would be. Each day's actuals are then scanned interval by interval with the
default `BreakoutParams`, as the 5-minute check would see them. An episode overlapping an
injected spike [onset, end) of the same series catches it, with delay = intervals from the
onset to the interval whose count confirmed it (0 = the onset interval itself); any other
episode is a false alarm. A spike is detectable when its observed count is improbable
(p < 0.001) given the generator's true mean without it: a spike drawn below that is lost
in the noise for any rule. False alarms where the true mean ran at least 1.3x the
forecast are counted apart: the forecast missed there, the counts are not noise.

Ahead rule: on the same Mondays each series' daily totals are forecast 14 days ahead
(`ets`, all history before the Monday: `--years` of sample) and compared with the
same-weekday median of the last 4 weeks of actuals (default `PeakParams`): by the chance
of reaching the peak threshold read from yhat and hi80 (the default rule), by yhat
itself, and by hi80 itself (VOCAST_ALERT_USE_UPPER). A true peak day is one whose actual
total clears the same thresholds against the actuals before it; days of series hit by an
injected (unforeseeable) intraday spike are left out. Lead time = days from the first
Monday whose forecast flagged the day to the day.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data.samples.generate import SampleData, daily_totals, generate
from data.samples.scenario import CELL_NOISE_SHAPE
from forecast.calendar import Event
from forecast.pipeline import SeriesRequest, forecast_series
from forecast.series import Freq, SeriesKey
from forecast.spikes import (
    BreakoutParams,
    PeakParams,
    episodes,
    find_peaks,
    normal_level,
    scan_breakouts,
    tail_probability,
)

COUNTRY = "KR"
HISTORY_WEEKS = 16
AHEAD_DAYS = 14
STEP = pd.Timedelta(minutes=30)
DETECTABLE_P = 1e-3
FORECAST_MISS = 1.3


@dataclass(frozen=True, slots=True)
class Task:
    key: SeriesKey
    counts: pd.Series
    start: pd.Timestamp
    freq: Freq
    horizon: int
    model: str
    events: tuple[Event, ...]


def _events(sample: SampleData) -> tuple[Event, ...]:
    return tuple(Event(r.name, r.kind, r.start.date(), r.end.date(),
                       tuple(c for c in r.categories.split(";") if c))
                 for r in sample.events.itertuples())


def _by_series(frame: pd.DataFrame) -> dict[SeriesKey, pd.Series]:
    return {SeriesKey(str(c), str(k)): part.set_index("ts")["count"].astype(float).sort_index()
            for (c, k), part in frame.groupby(["category", "channel"], sort=True)}


@dataclass(frozen=True, slots=True)
class FalseAlarm:
    """An episode overlapping no injected spike; `forecast_ratio` is the generator's true
    mean over its flagged intervals divided by the forecast's."""

    key: SeriesKey
    detected: pd.Timestamp
    forecast_ratio: float


@dataclass(frozen=True, slots=True)
class Visibility:
    """Inquiries over a spike's intervals: observed, forecast, the generator's mean without
    the spike, and the tail probability of the observed count given that mean (negative
    binomial with the generator's cell noise): a spike with a large p is lost in the noise
    for any rule."""

    observed: float
    forecast: float
    without: float
    p_value: float


def _forecast(task: Task) -> tuple[SeriesKey, pd.Timestamp, pd.DataFrame]:
    request = SeriesRequest(task.key, task.counts, task.freq)
    result = forecast_series(request, horizon=task.horizon, start=task.start, model=task.model,
                             country=COUNTRY, events=task.events)
    return task.key, task.start, pd.DataFrame(
        {"yhat": result.mean, "hi80": result.bounds[80][1], "hi95": result.bounds[95][1]},
        index=result.ds)


def _run(tasks: list[Task], workers: int) -> list[tuple[SeriesKey, pd.Timestamp, pd.DataFrame]]:
    if workers <= 1:
        return [_forecast(t) for t in tasks]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_forecast, tasks, chunksize=4))


def _cached(tasks: list[Task], workers: int, path: Path | None
            ) -> list[tuple[SeriesKey, pd.Timestamp, pd.DataFrame]]:
    """`_run`, read from / written to `path` (a pickle of this bench's own output)."""
    if path is not None and path.exists():
        runs: list[tuple[SeriesKey, pd.Timestamp, pd.DataFrame]] = pd.read_pickle(path)
        return runs
    runs = _run(tasks, workers)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.to_pickle(runs, path)
    return runs


def _live_tasks(series: dict[SeriesKey, pd.Series], mondays: list[pd.Timestamp], model: str,
                events: tuple[Event, ...]) -> list[Task]:
    tasks = []
    for monday in mondays:
        for key, counts in series.items():
            history = counts[(counts.index < monday)
                             & (counts.index >= monday - pd.Timedelta(weeks=HISTORY_WEEKS))]
            tasks.append(Task(key, history, monday, Freq.M30, 7 * 48, model, events))
    return tasks


def _spike_slots(spikes: pd.DataFrame, key: SeriesKey, day_index: pd.DatetimeIndex
                 ) -> list[tuple[int, int, int]]:
    """(row id, onset position, end position) of the series' spikes on this day."""
    mine = spikes[(spikes["category"] == key.category) & (spikes["channel"] == key.channel)]
    out = []
    for row in mine.itertuples():
        if row.onset in day_index:
            onset = day_index.get_loc(row.onset)
            out.append((row.Index, onset, onset + int((row.end - row.onset) / STEP)))
    return out


def live_figures(runs: list[tuple[SeriesKey, pd.Timestamp, pd.DataFrame]],
                 series: dict[SeriesKey, pd.Series], means: dict[SeriesKey, pd.Series],
                 spikes: pd.DataFrame, params: BreakoutParams
                 ) -> tuple[dict[int, int], list[FalseAlarm]]:
    """Delay per caught spike (by spike row) and the false alarms."""
    caught: dict[int, int] = {}
    false: list[FalseAlarm] = []
    for key, _start, frame in runs:
        observed = series[key].reindex(frame.index).fillna(0.0)
        truth = means[key].reindex(frame.index).fillna(0.0)
        for _day, part in frame.groupby(frame.index.normalize()):
            obs = observed.loc[part.index].to_numpy()
            scan = scan_breakouts(obs, part["yhat"].to_numpy(), params,
                                  upper=part["hi95"].to_numpy())
            found = episodes(scan.flagged, hot=scan.hot, window_start=scan.window_start,
                             consecutive=params.consecutive, clear_after=params.clear_after)
            slots = _spike_slots(spikes, key, pd.DatetimeIndex(part.index))
            for episode in found:
                stop = len(obs) if episode.stop is None else episode.stop
                hits = [(i, on) for i, on, end in slots if episode.start < end and stop > on]
                for row, onset in hits:
                    delay = max(0, episode.detected - onset)
                    caught[row] = min(delay, caught.get(row, delay))
                if not hits:
                    span = slice(episode.start, episode.detected + 1)
                    ratio = truth.loc[part.index].to_numpy()[span].sum() / max(
                        part["yhat"].to_numpy()[span].sum(), 1e-9)
                    false.append(FalseAlarm(key, part.index[episode.detected], float(ratio)))
    return caught, false


def visibility(runs: list[tuple[SeriesKey, pd.Timestamp, pd.DataFrame]],
               series: dict[SeriesKey, pd.Series], means: dict[SeriesKey, pd.Series],
               spike: Any) -> Visibility:
    """How visible a spike really was in the drawn counts (see `Visibility`)."""
    key = SeriesKey(spike.category, spike.channel)
    stamps = pd.date_range(spike.onset, spike.end, freq=STEP, inclusive="left")
    observed = float(series[key].reindex(stamps).fillna(0.0).sum())
    without = means[key].reindex(stamps).fillna(0.0).to_numpy() / spike.factor
    variance = without.sum() + float(np.sum(without**2)) / CELL_NOISE_SHAPE
    p_value = float(tail_probability(observed, without.sum(), variance))
    forecast = float("nan")
    for run_key, _start, frame in runs:
        if run_key == key and stamps[0] in frame.index:
            forecast = float(frame["yhat"].reindex(stamps).sum())
    return Visibility(observed, forecast, float(without.sum()), p_value)


def _print_live(caught: dict[int, int], false: list[FalseAlarm], spikes: pd.DataFrame,
                weeks: int, categories: int, visible: Callable[[Any], Visibility]) -> None:
    big = spikes[spikes["factor"] >= 1.5]
    delays = [caught[i] for i in big.index if i in caught]
    seen = {row.Index: visible(row) for row in big.itertuples()}
    detectable = [i for i, v in seen.items() if v.p_value < DETECTABLE_P]
    print(f"live rule: {len(delays)}/{len(big)} injected spikes of 1.5x or more caught "
          f"({len(delays) / max(1, len(big)):.0%}); median detection delay "
          f"{np.median(delays) if delays else float('nan'):.1f} intervals "
          f"(delays {sorted(delays)})")
    print(f"  detectable in the drawn counts (p < {DETECTABLE_P:g} against the mean without "
          f"the spike): {len(detectable)}, caught {sum(i in caught for i in detectable)}")
    missed_forecast = sum(alarm.forecast_ratio >= FORECAST_MISS for alarm in false)
    print(f"  false alarms: {len(false)} over {weeks} weeks = "
          f"{len(false) / (weeks * categories):.2f} per category per week "
          f"({len(false) / (weeks * 7):.2f} per day over all series); {missed_forecast} of them "
          f"where the true mean ran >= {FORECAST_MISS}x the forecast (forecast misses)")
    for row in big.itertuples():
        if row.Index not in caught:
            v = seen[row.Index]
            print(f"  missed: {row.name} {row.category}/{row.channel} {row.onset:%Y-%m-%d %H:%M}"
                  f" x{row.factor} for {int((row.end - row.onset) / STEP)} intervals: observed "
                  f"{v.observed:.0f} vs forecast {v.forecast:.1f} over them ({v.without:.1f} "
                  f"expected without the spike: p = {v.p_value:.1g})")


def _ahead_tasks(daily: dict[SeriesKey, pd.Series], mondays: list[pd.Timestamp],
                 events: tuple[Event, ...]) -> list[Task]:
    return [Task(key, counts[counts.index < monday], monday, Freq.DAILY, AHEAD_DAYS, "ets",
                 events) for monday in mondays for key, counts in daily.items()]


def _true_peaks(daily: dict[SeriesKey, pd.Series], days: pd.DatetimeIndex,
                spikes: pd.DataFrame, params: PeakParams) -> set[tuple[SeriesKey, pd.Timestamp]]:
    spiked = {(SeriesKey(r.category, r.channel), r.onset.normalize())
              for r in spikes.itertuples()}
    peaks = set()
    for key, counts in daily.items():
        for day in days:
            normal = normal_level(counts[counts.index < day], pd.DatetimeIndex([day]),
                                  weeks=params.normal_weeks)
            value = counts.get(day, 0.0)
            if find_peaks([value], normal, params) and (key, day) not in spiked:
                peaks.add((key, day))
    return peaks


def ahead_figures(runs: list[tuple[SeriesKey, pd.Timestamp, pd.DataFrame]],
                  daily: dict[SeriesKey, pd.Series], spikes: pd.DataFrame,
                  params: PeakParams, *, how: str = "chance") -> None:
    """`how`: 'chance' (the default rule: yhat and hi80 give the chance of a peak), 'yhat'
    or 'hi80' (that column itself must reach the threshold)."""
    first_alert: dict[tuple[SeriesKey, pd.Timestamp], pd.Timestamp] = {}
    for key, monday, frame in runs:
        actuals = daily[key][daily[key].index < monday]
        normal = normal_level(actuals, pd.DatetimeIndex(frame.index), weeks=params.normal_weeks)
        value = frame["hi80" if how == "hi80" else "yhat"].to_numpy()
        upper = frame["hi80"].to_numpy() if how == "chance" else None
        for peak in find_peaks(value, normal, params, upper=upper):
            for day in frame.index[peak.start:peak.stop]:
                first_alert.setdefault((key, pd.Timestamp(day)), monday)
    mondays = sorted({monday for _, monday, _ in runs})
    span = pd.date_range(mondays[0], mondays[-1] + pd.Timedelta(days=6), freq="D")
    truth = _true_peaks(daily, span, spikes, params)
    leads = [(day - first_alert[(key, day)]).days for key, day in truth
             if (key, day) in first_alert]
    alerted = {k for k in first_alert if k[1] in span}
    rule = f"chance >= {params.probability:g}" if how == "chance" else how
    print(f"ahead rule ({rule} vs normal): {len(truth)} true peak days (series x day, "
          f"ratio {params.ratio}, floor {params.min_excess:.0f}); {len(leads)} flagged in advance "
          f"({len(leads) / max(1, len(truth)):.0%}); median lead time "
          f"{np.median(leads) if leads else float('nan'):.1f} days (leads {sorted(leads)})")
    print(f"  alerted series-days in the span: {len(alerted)}, of which true peaks "
          f"{len(alerted & truth)} ({len(alerted & truth) / max(1, len(alerted)):.0%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weeks", type=int, default=26)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--years", type=int, default=1,
                        help="years of sample history (the ahead rule's daily models see all)")
    parser.add_argument("--model", default="daily_split")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=None,
                        help="directory to keep and reuse the fitted forecasts in")
    defaults = BreakoutParams()
    parser.add_argument("--alpha", type=float, default=defaults.alpha,
                        help="the live rule's tail probability")
    parser.add_argument("--min-ratio", type=float, default=defaults.min_ratio,
                        help="the live rule's least observed/expected ratio")
    args = parser.parse_args()
    params = BreakoutParams(alpha=args.alpha, min_ratio=args.min_ratio)
    stem = f"alerts-seed{args.seed}-weeks{args.weeks}-years{args.years}"
    cache = (None if args.cache is None
             else {kind: args.cache / f"{stem}-{kind}.pkl" for kind in (args.model, "ets")})
    sample = generate(args.seed, years=args.years)
    events = _events(sample)
    series = _by_series(sample.counts_30min)
    end = sample.counts_30min["ts"].max().normalize() + pd.Timedelta(days=1)
    last_monday = end - pd.Timedelta(days=end.day_of_week)
    mondays = [last_monday - pd.Timedelta(weeks=w) for w in range(args.weeks, 0, -1)]
    spikes = sample.spikes[(sample.spikes["onset"] >= mondays[0])
                           & (sample.spikes["onset"] < last_monday)]
    started = time.perf_counter()
    runs = _cached(_live_tasks(series, mondays, args.model, events), args.workers,
                   None if cache is None else cache[args.model])
    print(f"{len(runs)} weekly 30-minute forecasts ({args.model}) in "
          f"{time.perf_counter() - started:.0f} s; {len(series)} series, "
          f"{mondays[0]:%Y-%m-%d} to {last_monday - pd.Timedelta(days=1):%Y-%m-%d}; "
          f"live rule alpha {params.alpha:g}, min ratio {params.min_ratio:g}")
    means = _by_series(sample.mean_30min.rename(columns={"mean": "count"}))
    caught, false = live_figures(runs, series, means, spikes, params)
    categories = len({k.category for k in series})
    _print_live(caught, false, spikes, args.weeks, categories,
                lambda row: visibility(runs, series, means, row))
    daily = _by_series(daily_totals(sample.counts_30min))
    started = time.perf_counter()
    ahead_runs = _cached(_ahead_tasks(daily, mondays, events), args.workers,
                         None if cache is None else cache["ets"])
    print(f"{len(ahead_runs)} daily forecasts (ets) in {time.perf_counter() - started:.0f} s")
    for how in ("chance", "yhat", "hi80"):
        ahead_figures(ahead_runs, daily, sample.spikes, PeakParams(), how=how)


if __name__ == "__main__":
    main()
