"""Dates a queue runs differently on every year, whatever its country: Christmas Eve at
half a day, New Year's Day of a queue whose country nobody named (and the data could not
tell: it works its holidays, only quieter). Read from ordinary days' ratios to the same
weekdays around them; a date counts where, in every year it was read (two or more), it
ran low beyond the day-to-day noise (`BEYOND_Z` standard deviations of the log ratio)
and its median year `CLEAR_Z` beyond: counts' low tails are heavier than a normal's, and
two years at 2.6-3.0 each had read three dates in eight queues of two years that no
year had made low. Each keeps its median ratio, moved towards 1 as a holiday seen that
often is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.calendar import shrunk_effect

MIN_YEARS = 2
BEYOND_Z = 2.5
CLEAR_Z = 4.0
_PRIOR_YEARS = 0.25  # as a holiday's: a date recurs much as it was
DAYS_KEYED = 32  # (month, day) keyed as month * 32 + day


def date_keys(days: pd.DatetimeIndex) -> np.ndarray:
    """A number per (month, day), the same every year."""
    return np.asarray(days.month * DAYS_KEYED + days.day, dtype=np.int64)


def on_dates(days: pd.DatetimeIndex, dates: frozenset[tuple[int, int]]) -> np.ndarray:
    """True for each of `days` whose (month, day) is one of `dates`."""
    wanted = [month * DAYS_KEYED + day for month, day in dates]
    return np.isin(date_keys(days), wanted)


def yearly_date_effects(ratio: pd.Series, ordinary: pd.Series, noise: float
                        ) -> dict[tuple[int, int], float]:
    """The multiplier of each (month, day) an `ordinary` day ran off its usual level in
    every year it was read; `ratio` is each day's to its neighbouring weeks and `noise`
    the spread of ordinary days' log ratios."""
    if noise <= 0:
        return {}
    read = ratio[ordinary.reindex(ratio.index, fill_value=False).to_numpy(dtype=bool)]
    read = read[read > 0].dropna()
    if read.empty:
        return {}
    logs = pd.Series(np.log(read.to_numpy(dtype=float)),
                     index=date_keys(pd.DatetimeIndex(read.index)))
    by_date = logs.groupby(level=0).agg(["max", "median", "size"])
    kept = by_date[(by_date["size"] >= MIN_YEARS) & (by_date["max"] < -BEYOND_Z * noise)
                   & (by_date["median"] < -CLEAR_Z * noise)]
    return {(int(key) // DAYS_KEYED, int(key) % DAYS_KEYED):
            shrunk_effect(float(np.exp(median)), int(years), towards=1.0,
                          prior_days=_PRIOR_YEARS)
            for key, median, years in zip(kept.index, kept["median"], kept["size"],
                                          strict=True)}


def date_factors(days: pd.DatetimeIndex, effects: dict[tuple[int, int], float]
                 ) -> np.ndarray:
    """Each of `days`' multiplier from `effects` (1 on other dates)."""
    table = np.ones(13 * DAYS_KEYED)
    for (month, day), factor in effects.items():
        table[month * DAYS_KEYED + day] = factor
    return np.asarray(table[date_keys(days)], dtype=float)
