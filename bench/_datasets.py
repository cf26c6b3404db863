"""Datasets for the accuracy benchmark: the real inquiry files and the synthetic sample.

Every dataset is a set of series of observed counts (naive local time; a missing
interval is simply absent) at one frequency, with the country whose holidays apply.
The synthetic sample also carries the true expected count of every interval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.calendar import Event
from forecast.events import parse_events
from forecast.series import Freq, SeriesKey

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
SYNTHETIC_SEED = 7


def overdispersed_counts(rng: np.random.Generator, mean: np.ndarray, *, size: float
                         ) -> np.ndarray:
    """Negative-binomial counts around `mean` (variance mean + mean^2 / size), as real
    queues are; 0 where the mean is 0."""
    prob = size / (size + np.maximum(mean, 1e-9))
    return np.where(mean > 0, rng.negative_binomial(size, prob), 0).astype(float)


@dataclass(frozen=True, slots=True)
class Dataset:
    """Series of one source at one frequency, ready to backtest."""

    name: str
    freq: Freq
    country: str | None
    series: dict[SeriesKey, pd.Series]
    truth: dict[SeriesKey, pd.Series] | None = None
    available: int = 0  # series in the source before any cap
    events: tuple[Event, ...] = ()
    sparse_input: bool = False  # forecast from the non-zero rows only; score every interval
    days_ahead: int = 0  # forecast length in days; 0: 28 daily, 7 intraday

    @property
    def horizon_days(self) -> int:
        return self.days_ahead or (28 if self.freq is Freq.DAILY else 7)

    @property
    def horizon(self) -> int:
        """Forecast length in intervals."""
        return self.horizon_days * self.freq.per_day


@dataclass(frozen=True, slots=True)
class RealSource:
    name: str
    file: str
    freq: Freq
    country: str | None
    resample: bool = False  # aggregate finer rows up to `freq`


REAL_SOURCES = (
    RealSource("casestudy_daily", "casestudy_daily_calls_2013_2016.csv", Freq.DAILY, "NL"),
    # As sent without --holidays: no country is read from it (it works its holidays).
    RealSource("casestudy_no_country", "casestudy_daily_calls_2013_2016.csv", Freq.DAILY,
               None),
    RealSource("na_bank_60min", "na_bank_calls_2003.csv", Freq.H60, "US"),
    RealSource("na_bank_15min", "na_bank_calls_2003_5min.csv", Freq.M15, "US", resample=True),
    RealSource("anon_bank_60min", "anon_bank_feb1999_by_type.csv", Freq.H60, "IL"),
    RealSource("anon_bank_15min", "anon_bank_feb1999_by_type_15min.csv", Freq.M15, "IL"),
    RealSource("itsm_60min", "itsm_incidents_2016_by_category.csv", Freq.H60, None),
    # The intraday files' daily totals, as a planner forecasting days would send them.
    RealSource("na_bank_daily", "na_bank_calls_2003.csv", Freq.DAILY, "US", resample=True),
    RealSource("itsm_daily", "itsm_incidents_2016_by_category.csv", Freq.DAILY, None,
               resample=True),
)
SYNTHETIC_NAMES = ("synthetic_daily", "synthetic_30min")
# The sample with its event calendar, as the service forecasts it (the file contract
# takes no events); run on request only.
EVENT_NAMES = ("synthetic_daily_events", "synthetic_30min_events")
ALL_NAMES = tuple(s.name for s in REAL_SOURCES) + SYNTHETIC_NAMES
KNOWN_NAMES = ALL_NAMES + EVENT_NAMES


def select_names(patterns: list[str] | None) -> list[str]:
    """Dataset names matching any pattern (exact name or prefix, e.g. `na_bank`)."""
    if not patterns:
        return list(ALL_NAMES)
    chosen = [n for n in ALL_NAMES if any(n == p or n.startswith(p) for p in patterns)]
    chosen += [n for n in EVENT_NAMES if n in patterns]
    unknown = [p for p in patterns if not any(n == p or n.startswith(p) for n in KNOWN_NAMES)]
    if unknown:
        raise ValueError(f"--datasets {unknown} match none of {list(KNOWN_NAMES)}")
    return chosen


def _by_series(frame: pd.DataFrame, column: str) -> dict[SeriesKey, pd.Series]:
    """Split ts/category[/channel]/<column> rows into one sorted float series per key."""
    channel = frame["channel"] if "channel" in frame.columns else pd.Series("", index=frame.index)
    keyed = frame.assign(channel=channel.fillna("").astype(str))
    out = {}
    for (category, chan), part in keyed.groupby(["category", "channel"], sort=True):
        values = part.groupby("ts")[column].sum().sort_index().astype(float)
        values.index = pd.DatetimeIndex(values.index)
        out[SeriesKey(str(category), str(chan))] = values
    return out


def _largest(series: dict[SeriesKey, pd.Series], limit: int | None) -> list[SeriesKey]:
    ranked = sorted(series, key=lambda k: (-float(series[k].sum()), k))
    return ranked if limit is None else ranked[:limit]


def load_real(source: RealSource, data_dir: Path, max_series: int | None) -> Dataset | None:
    """The source's series (the largest `max_series` by volume), or None if the file is absent."""
    path = data_dir / source.file
    if not path.is_file():
        return None
    frame = pd.read_csv(path, parse_dates=["ts"])
    frame["category"] = frame["category"].astype(str)
    if source.resample:
        frame["ts"] = frame["ts"].dt.floor(source.freq.offset)
    series = _by_series(frame, "count")
    keys = _largest(series, max_series)
    return Dataset(source.name, source.freq, source.country,
                   {k: series[k] for k in keys}, available=len(series))


def _synthetic_frames() -> tuple[pd.DataFrame, pd.DataFrame, Callable[..., pd.DataFrame],
                                 tuple[Event, ...]] | None:
    try:
        from data.samples.generate import daily_totals, generate
    except ImportError:
        return None
    sample = generate(seed=SYNTHETIC_SEED)
    events = sample.events.assign(start=sample.events["start"].dt.strftime("%Y-%m-%d"),
                                  end=sample.events["end"].dt.strftime("%Y-%m-%d"))
    return (sample.counts_30min, sample.mean_30min, daily_totals,
            tuple(parse_events(events.astype(str))))


def load_synthetic(names: list[str], max_series: int | None) -> list[Dataset] | None:
    """The synthetic sample at daily and 30-minute intervals, or None if not importable."""
    frames = _synthetic_frames()
    if frames is None:
        return None
    counts, means, daily_totals, events = frames
    out = []
    for name in names:
        if name.startswith("synthetic_daily"):
            counts_f, means_f, freq = daily_totals(counts), daily_totals(means), Freq.DAILY
        else:
            counts_f, means_f, freq = counts, means, Freq.M30
        series = _by_series(counts_f, "count")
        truth = _by_series(means_f, "mean")
        keys = _largest(series, max_series)
        out.append(Dataset(name, freq, "KR", {k: series[k] for k in keys},
                           {k: truth[k] for k in keys}, available=len(series),
                           events=events if name in EVENT_NAMES else ()))
    return out


def origins(dataset: Dataset, *, count: int, min_train_days: int = 14, hour: int = 0
            ) -> list[pd.Timestamp]:
    """Up to `count` midnights (intraday: or that `hour` of the day, a file cut mid-day)
    spaced by the horizon at the end of the data, oldest first, each leaving at least
    `min_train_days` of history before it."""
    first = min(s.index.min() for s in dataset.series.values())
    last = max(s.index.max() for s in dataset.series.values())
    end = last.normalize() + pd.Timedelta(days=1)
    step = pd.Timedelta(days=dataset.horizon_days)
    shift = pd.Timedelta(hours=hour if dataset.freq.is_intraday else 0)
    found = [end - k * step + shift for k in range(1, count + 1)]
    return sorted(o for o in found if o - first >= pd.Timedelta(days=min_train_days))
