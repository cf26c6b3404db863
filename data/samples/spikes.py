"""Injected spikes: seeded random ones (one per 21-day block) plus the scripted outage."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from data.samples import scenario as sc
from data.samples.calendar_kr import korean_holidays
from data.samples.profiles import INTERVAL_MINUTES

SPIKE_COLUMNS = ("name", "category", "channel", "onset", "end", "factor")
_EPOCH = date(2020, 1, 6)  # a Monday; blocks are fixed in time so windows agree
_BLOCK_DAYS = 21
_CATEGORIES = ("delivery", "refund", "payment", "account", "product")
_CHANNEL_PROBS = {"phone": 0.4, "chat": 0.45, "email": 0.15}
# Onset slot range [first, last) and the slot a spike must end by, per channel.
_ONSET_SLOTS = {"phone": (18, 32, 36), "chat": (18, 38, 44), "email": (16, 36, 48)}
_DURATION_SLOTS = (3, 10)
_FACTOR_RANGE = (2.0, 4.0)


def spike_table(seed: int, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Spikes with onset on a day in [start, end]: random ones and the outage's rows."""
    first = (start.date() - _EPOCH).days // _BLOCK_DAYS
    last = (end.date() - _EPOCH).days // _BLOCK_DAYS
    table = korean_holidays(start.year - 1, end.year + 1)
    rows = [_random_spike(seed, block, table) for block in range(first, last + 1)]
    rows.extend(_outage_rows())
    frame = pd.DataFrame(rows, columns=list(SPIKE_COLUMNS))
    day = frame["onset"].dt.normalize()
    frame = frame[(day >= start) & (day <= end)]
    return frame.sort_values(["onset", "category", "channel"], ignore_index=True)


def apply_spikes(mean: np.ndarray, days: pd.DatetimeIndex, spikes: pd.DataFrame) -> None:
    """Multiply `mean` (days, slots, categories, channels) in place over each spike."""
    step = pd.Timedelta(minutes=INTERVAL_MINUTES)
    for row in spikes.itertuples(index=False):
        day = row.onset.normalize()
        d = (day - days[0]).days
        first = int((row.onset - day) / step)
        stop = first + int((row.end - row.onset) / step)
        j = sc.CATEGORIES.index(row.category)
        k = sc.CHANNELS.index(row.channel)
        mean[d, first:stop, j, k] *= row.factor


def _random_spike(seed: int, block: int, table: dict[date, str]) -> tuple[object, ...]:
    rng = np.random.default_rng([seed, 2, block % 2**32])
    block_start = pd.Timestamp(_EPOCH) + pd.Timedelta(days=block * _BLOCK_DAYS)
    days = pd.date_range(block_start, periods=_BLOCK_DAYS, freq="D")
    outage_day = pd.Timestamp(sc.OUTAGE_ONSET).normalize()
    working = [d for d in days if d.day_of_week < 5 and d.date() not in table and d != outage_day]
    day = working[int(rng.integers(len(working)))]
    category = _CATEGORIES[int(rng.integers(len(_CATEGORIES)))]
    channel = str(rng.choice(list(_CHANNEL_PROBS), p=list(_CHANNEL_PROBS.values())))
    lo, hi, close = _ONSET_SLOTS[channel]
    onset_slot = int(rng.integers(lo, hi))
    length = min(int(rng.integers(_DURATION_SLOTS[0], _DURATION_SLOTS[1] + 1)), close - onset_slot)
    factor = round(float(rng.uniform(*_FACTOR_RANGE)), 2)
    step = pd.Timedelta(minutes=INTERVAL_MINUTES)
    onset = day + onset_slot * step
    return (f"spike-{day:%Y%m%d}", category, channel, onset, onset + length * step, factor)


def _outage_rows() -> list[tuple[object, ...]]:
    onset = pd.Timestamp(sc.OUTAGE_ONSET)
    end = onset + sc.OUTAGE_INTERVALS * pd.Timedelta(minutes=INTERVAL_MINUTES)
    return [
        (sc.OUTAGE_NAME, category, channel, onset, end, factor)
        for (category, channel), factor in sc.OUTAGE_FACTORS.items()
    ]
