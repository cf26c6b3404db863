"""Seeded generator of the bundled Seoul contact-center sample, and its CLI.

    python -m data.samples.generate --out-dir data/samples [--seed 7]

The true mean of each (30-minute interval, category, channel) comes from the fixed scenario
(`scenario.py`): volumes with growth, weekday and yearly shape, Korean holidays with
Seollal/Chuseok breaks and rebounds, campaigns, a launch, a policy change, an outage and
seeded random spikes. Counts are gamma-Poisson draws around it, seeded per day, so a given
day gets the same counts whatever window is generated.
"""

from __future__ import annotations

import argparse
import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from data.samples import scenario as sc
from data.samples.calendar_kr import build_calendar
from data.samples.levels import daily_levels
from data.samples.profiles import INTERVAL_MINUTES, intraday_profiles
from data.samples.spikes import apply_spikes, spike_table
from forecast.errors import InvalidParameter

DEFAULT_END = "2026-11-15"
INTRADAY_FILE_DAYS = 56
KEY_COLUMNS = ("ts", "category", "channel")
EVENT_COLUMNS = ("name", "kind", "start", "end", "categories")
DAILY_FILE = "seoul_daily.csv.gz"
INTRADAY_FILE = "seoul_30min.csv.gz"
EVENTS_FILE = "seoul_events.csv"


@dataclass(frozen=True, slots=True)
class SampleData:
    """A generated sample; 30-minute frames hold open intervals only (naive local time).

    counts_30min: ts, category, channel, count (int64)
    mean_30min:   ts, category, channel, mean (the true expected count, spikes included)
    events:       name, kind, start, end, categories (start/end midnights, end inclusive;
                  categories ';'-separated, '' = all); includes known future events
    spikes:       name, category, channel, onset, end, factor (mean x factor over
                  [onset, end)); the random spikes and the outage's rows
    """

    counts_30min: pd.DataFrame
    mean_30min: pd.DataFrame
    events: pd.DataFrame
    spikes: pd.DataFrame


def generate(
    seed: int = 7, *, end: str = DEFAULT_END, years: int = 3, days: int | None = None
) -> SampleData:
    """Generate `years` years (or `days` days when given) of data ending on `end` inclusive."""
    window = _window(seed, end, years, days)
    cal = build_calendar(window)
    shape = intraday_profiles(sc.CHANNELS)[cal.day_type]  # (days, slots, channels)
    mean = daily_levels(cal)[:, None, :, :] * shape[:, :, None, :]
    spikes = spike_table(seed, window[0], window[-1])
    apply_spikes(mean, window, spikes)
    counts = _draw_counts(seed, window, mean)
    is_open = np.broadcast_to((shape > 0)[:, :, None, :], mean.shape)
    positions = np.flatnonzero(is_open.reshape(-1))
    keys = _grid_keys(window, positions, mean.shape)
    return SampleData(
        counts_30min=keys.assign(count=counts.reshape(-1)[positions]),
        mean_30min=keys.assign(mean=mean.reshape(-1)[positions]),
        events=_events_frame(window[0], window[-1]),
        spikes=spikes,
    )


def daily_totals(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum every value column of a 30-minute frame per (day, category, channel).

    Works for `counts_30min` and `mean_30min`; `ts` becomes the day's midnight; rows are
    sorted by ts, category, channel.
    """
    missing = [c for c in KEY_COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidParameter("frame columns", list(frame.columns), f"to include {missing}")
    values = [c for c in frame.columns if c not in KEY_COLUMNS]
    by_day = frame.assign(ts=frame["ts"].dt.normalize())
    return by_day.groupby(list(KEY_COLUMNS), sort=True, as_index=False)[values].sum()


def write_samples(
    data: SampleData, out_dir: Path, *, intraday_days: int = INTRADAY_FILE_DAYS
) -> list[Path]:
    """Write the daily file, the last `intraday_days` days at 30 minutes, and the events."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = data.counts_30min
    daily = daily_totals(counts)
    first_recent = counts["ts"].max().normalize() - pd.Timedelta(days=intraday_days - 1)
    recent = counts[counts["ts"] >= first_recent]
    events = data.events.assign(
        start=data.events["start"].dt.strftime("%Y-%m-%d"),
        end=data.events["end"].dt.strftime("%Y-%m-%d"),
    )
    paths = [out_dir / DAILY_FILE, out_dir / INTRADAY_FILE, out_dir / EVENTS_FILE]
    _write_gzip(paths[0], _csv(daily, "%Y-%m-%d"))
    _write_gzip(paths[1], _csv(recent, "%Y-%m-%dT%H:%M:%S"))
    paths[2].write_text(events.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point: generate the sample and write its files."""
    parser = argparse.ArgumentParser(description="Generate the Seoul contact-center sample.")
    parser.add_argument("--out-dir", type=Path, default=Path("data/samples"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end", default=DEFAULT_END, help="last day, inclusive (YYYY-MM-DD)")
    parser.add_argument("--years", type=int, default=3)
    args = parser.parse_args(argv)
    data = generate(args.seed, end=args.end, years=args.years)
    for path in write_samples(data, args.out_dir):
        print(f"{path}  {path.stat().st_size:,} bytes")
    return 0


def _window(seed: int, end: str, years: int, days: int | None) -> pd.DatetimeIndex:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InvalidParameter("seed", seed, "a non-negative integer")
    try:
        last = pd.Timestamp(end)
    except (TypeError, ValueError) as exc:
        raise InvalidParameter("end", end, "an ISO date like 2026-11-15") from exc
    if pd.isna(last) or last != last.normalize() or last.tzinfo is not None:
        raise InvalidParameter("end", end, "a naive ISO date like 2026-11-15")
    if days is not None:
        if days < 1:
            raise InvalidParameter("days", days, "a positive number of days")
        return pd.date_range(end=last, periods=days, freq="D")
    if years < 1:
        raise InvalidParameter("years", years, "a positive number of years")
    first = last - pd.DateOffset(years=years) + pd.Timedelta(days=1)
    return pd.date_range(first, last, freq="D")


def _draw_counts(seed: int, window: pd.DatetimeIndex, mean: np.ndarray) -> np.ndarray:
    """Gamma-Poisson counts; each day's draws come from its own (seed, day) stream."""
    counts = np.empty(mean.shape, dtype=np.int64)
    series_shape = mean.shape[2:]
    for d, day in enumerate(window):
        rng = np.random.default_rng([seed, 0, day.toordinal()])
        day_noise = rng.gamma(sc.DAY_NOISE_SHAPE, 1 / sc.DAY_NOISE_SHAPE, size=series_shape)
        cell_noise = rng.gamma(sc.CELL_NOISE_SHAPE, 1 / sc.CELL_NOISE_SHAPE, size=mean.shape[1:])
        counts[d] = rng.poisson(mean[d] * day_noise * cell_noise)
    return counts


def _grid_keys(
    window: pd.DatetimeIndex, positions: np.ndarray, shape: tuple[int, ...]
) -> pd.DataFrame:
    d, slot, c, k = np.unravel_index(positions, shape)
    step = np.timedelta64(INTERVAL_MINUTES, "m")
    ts = window.to_numpy()[d] + slot * step
    return pd.DataFrame(
        {
            "ts": ts.astype("datetime64[ns]"),
            "category": pd.array(np.asarray(sc.CATEGORIES, dtype=object)[c], dtype="str"),
            "channel": pd.array(np.asarray(sc.CHANNELS, dtype=object)[k], dtype="str"),
        }
    )


def _events_frame(start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Events overlapping the window, plus those starting soon after it (known future)."""
    horizon = end + pd.Timedelta(days=sc.FUTURE_EVENT_DAYS)
    rows = [
        (e.name, e.kind, pd.Timestamp(e.start), pd.Timestamp(e.end), e.scope)
        for e in sc.EVENTS
        if pd.Timestamp(e.end) >= start and pd.Timestamp(e.start) <= horizon
    ]
    frame = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
    frame["start"] = pd.to_datetime(frame["start"]).astype("datetime64[ns]")
    frame["end"] = pd.to_datetime(frame["end"]).astype("datetime64[ns]")
    return frame.astype({"name": "str", "kind": "str", "categories": "str"})


def _csv(frame: pd.DataFrame, ts_format: str) -> str:
    out = frame.assign(ts=frame["ts"].dt.strftime(ts_format))
    return out.to_csv(index=False, lineterminator="\n")


def _write_gzip(path: Path, text: str) -> None:
    """gzip with mtime=0 and no file name, so the same text gives the same bytes."""
    path.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))


if __name__ == "__main__":
    raise SystemExit(main())
