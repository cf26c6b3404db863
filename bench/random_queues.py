"""Random queues: how `auto` fares on queues nobody designed, against the two baselines.

    python -m bench.random_queues [--kind daily|intraday] [--count N] [--seed S] [--workers 2]

Each queue is drawn at random, as one file sent to `vocast forecast` would arrive: a
history of 5 weeks to 3 years (daily) or 3 to 26 weeks (60, 30 or 15 minutes), a level
from 0.3 to 3,000 a day, a random weekly shape (weekends quiet or closed), and at random:
a yearly wave, a trend, a level shift, the public holidays of one of a dozen countries
(closed or quieter; the country is detected from the data, as without `--holidays`), a
block of empty days, a surge, office or 24/7 hours, and a sparse or operating-hours-only
export. Counts are negative-binomial. One origin per queue: the last 28 days (7 days
intraday) are forecast and scored. Printed: mean WAPE of auto, seasonal naive and the
8-week average, the noise floor (WAPE of the true mean), auto's 80% coverage, and how
often auto beats the better of the two baselines picked after the fact, by history
length. Nothing is tuned to it; a fixed seed gives the same queues every run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bench import _datasets as ds
from forecast.calendar import holiday_names
from forecast.holiday_detect import detect_country
from forecast.metrics import coverage, wape
from forecast.pipeline import forecast_frame
from forecast.series import Freq

COUNTRIES = ("US", "GB", "DE", "FR", "BR", "JP", "KR", "IN", "MX", "AU", "ES", "PL", "ZA")
MODELS = ("auto", "seasonal_naive", "week_average")
DISPERSIONS = (20.0, 60.0, 1000.0)  # negative-binomial size: from noisy to near-Poisson


@dataclass(frozen=True, slots=True)
class Queue:
    """One random queue: its counts, true mean and the input a user would send."""

    freq: Freq
    index: pd.DatetimeIndex
    counts: np.ndarray
    mean: np.ndarray
    observed: np.ndarray  # which rows the export holds
    history_days: int
    horizon: int


@dataclass(frozen=True, slots=True)
class Score:
    history_days: int
    wape: dict[str, float]
    floor: float
    coverage80: float


def _calendar(rng: np.random.Generator, index: pd.DatetimeIndex, mean: np.ndarray,
              *, daily: bool) -> np.ndarray:
    """Yearly wave, trend, level shift and one country's holidays, each at random."""
    position = np.arange(len(index))
    if daily and rng.random() < 0.5:
        phase = rng.uniform(0, 365)
        mean = mean * (1 + rng.uniform(0.05, 0.4) * np.sin(
            2 * np.pi * (np.asarray(index.day_of_year) - phase) / 365.25))
    if daily and rng.random() < 0.3:
        years = np.asarray((index - index[-1]).days, dtype=float) / 365.25
        mean = mean * np.exp(np.log1p(rng.uniform(-0.4, 0.8)) * years)
    if rng.random() < 0.3:
        at = int(rng.integers(len(index) // 3, len(index) * 9 // 10))
        mean = np.where(position >= at, mean * rng.uniform(0.5, 1.8), mean)
    if rng.random() < 0.8:
        country = COUNTRIES[int(rng.integers(len(COUNTRIES)))]
        holiday = (holiday_names(index.normalize(), country) != "").to_numpy()
        mean = np.where(holiday, mean * rng.choice([0.0, 0.3, 0.7]), mean)
    return np.asarray(mean, dtype=float)


def daily_queue(seed: int) -> Queue:
    rng = np.random.default_rng(seed)
    days = int(rng.choice([35, 60, 120, 250, 400, 800, 1100]))
    end = pd.Timestamp("2025-01-01") + pd.Timedelta(days=int(rng.integers(0, 600)))
    index = pd.date_range(end=end, periods=days + 28, freq="D")
    shape = np.exp(rng.normal(0, 0.3, 7))
    if rng.random() < 0.4:
        shape[5:] *= rng.uniform(0, 0.5)
    level = float(np.exp(rng.uniform(np.log(3), np.log(3000))))
    mean = _calendar(rng, index, level * shape[index.day_of_week], daily=True)
    counts = ds.overdispersed_counts(rng, mean, size=float(rng.choice(DISPERSIONS)))
    if rng.random() < 0.2:  # a broken export: empty days
        start = int(rng.integers(0, days - 10))
        counts[start:start + int(rng.integers(1, 10))] = 0.0
    if rng.random() < 0.2:  # an outage storm
        counts[int(rng.integers(0, days))] *= rng.uniform(3, 6)
    observed = counts > 0 if rng.random() < 0.3 else np.ones(len(index), dtype=bool)
    return Queue(Freq.DAILY, index, counts, mean, observed, days, 28)


def intraday_queue(seed: int) -> Queue:
    rng = np.random.default_rng(seed)
    freq = (Freq.H60, Freq.M30, Freq.M15)[int(rng.integers(3))]
    weeks = int(rng.choice([3, 5, 8, 13, 26]))
    end = pd.Timestamp("2025-01-06") + pd.Timedelta(days=int(rng.integers(0, 600)))
    index = pd.date_range(end=end, periods=(weeks + 1) * 7 * freq.per_day, freq=freq.offset,
                          inclusive="left")
    hour = np.asarray(index.hour + index.minute / 60.0)
    weekday = np.asarray(index.day_of_week)
    if rng.random() < 1 / 3:  # 24/7
        is_open = np.ones(len(index), dtype=bool)
        shape = 0.15 + np.exp(-((hour - rng.uniform(10, 15)) / rng.uniform(3, 6)) ** 2)
    else:
        opens, closes = (9, 18) if rng.random() < 0.5 else (7, 22)
        last_day = 5 if rng.random() < 0.6 else 6
        is_open = (hour >= opens) & (hour < closes) & (weekday < last_day)
        lunch = (hour >= 12) & (hour < 13)
        shape = 1 + 0.5 * np.exp(-((hour - 10.5) / 1.5) ** 2) - 0.3 * lunch
    per_hour = float(np.exp(rng.uniform(np.log(0.3), np.log(80))))
    mean = np.where(is_open, per_hour * shape * np.exp(rng.normal(0, 0.2, 7))[weekday], 0.0)
    mean = _calendar(rng, index, mean * freq.minutes / 60, daily=False)
    counts = ds.overdispersed_counts(rng, mean, size=float(rng.choice(DISPERSIONS)))
    export = rng.integers(3)  # every row, open hours only, or only rows with contacts
    observed = (np.ones(len(index), dtype=bool), is_open, counts > 0)[int(export)]
    return Queue(freq, index, counts, mean, observed, weeks * 7, 7 * freq.per_day)


def score(queue: Queue) -> Score:
    """Forecast the queue's last `horizon` intervals from the rows before them."""
    history = np.arange(len(queue.index)) < len(queue.index) - queue.horizon
    rows = history & queue.observed
    observations = pd.DataFrame({"ts": queue.index[rows], "category": "queue", "channel": "",
                                 "count": queue.counts[rows]})
    daily = observations.groupby(observations["ts"].dt.normalize())["count"].sum()
    country = detect_country(daily) if len(daily) else None
    start = queue.index[~history][0]
    actual, truth = queue.counts[~history], queue.mean[~history]
    results, covered = {}, float("nan")
    for model in MODELS:
        frame = forecast_frame(observations, freq=queue.freq, horizon=queue.horizon,
                               start=start, model=model, country=country)
        results[model] = wape(actual, frame["yhat"].to_numpy())
        if model == "auto":
            open_ = truth > 0
            covered = coverage(actual[open_], frame["lo80"].to_numpy()[open_],
                               frame["hi80"].to_numpy()[open_])
    return Score(queue.history_days, results, wape(actual, truth), covered)


def _score_seed(task: tuple[str, int]) -> Score:
    kind, seed = task
    return score(daily_queue(seed) if kind == "daily" else intraday_queue(seed))


def report(scores: list[Score]) -> list[str]:
    """One line per history length and one for all queues."""
    lines = ["history days  queues   auto  s.naive  8wk avg  floor  auto/floor  beats best"
             "  cover80"]
    groups = sorted({s.history_days for s in scores})
    for label, members in [*((str(g), [s for s in scores if s.history_days == g])
                             for g in groups), ("all", scores)]:
        auto = np.array([s.wape["auto"] for s in members])
        naive = np.array([s.wape["seasonal_naive"] for s in members])
        average = np.array([s.wape["week_average"] for s in members])
        floor = np.array([s.floor for s in members])
        beats = np.mean(auto < np.minimum(naive, average))
        lines.append(f"{label:>12}  {len(members):6d}  {auto.mean():5.3f}  {naive.mean():7.3f}  "
                     f"{average.mean():7.3f}  {floor.mean():5.3f}  "
                     f"{auto.mean() / max(floor.mean(), 1e-9):10.2f}  {beats:10.0%}  "
                     f"{np.nanmean([s.coverage80 for s in members]):7.2f}")
    return lines


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kind", choices=("daily", "intraday"), default="daily")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0, help="first queue's seed")
    parser.add_argument("--workers", type=int, default=2)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    tasks = [(args.kind, args.seed + i) for i in range(args.count)]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        scores = list(pool.map(_score_seed, tasks))
    last = args.seed + args.count - 1
    print(f"{args.count} random {args.kind} queues (seeds {args.seed}-{last})")
    for line in report(scores):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
