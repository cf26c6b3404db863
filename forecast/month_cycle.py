"""The day-of-month cycle of a daily queue: bills landing on the 1st, salaries on the
25th, statements mid-month; a rush on the same days of every month that the weekly
season and the holidays do not explain.

Each ordinary day with contacts is read against its own weekday one and two weeks
either side (the median of those ordinary days; three and four weeks where there are
none): the log of that ratio. Over the last `MONTHS` months, each day of the month
takes the median of its days (`MIN_MONTHS` or more). The cycle counts only where those
medians, taken together, stand beyond what the day-to-day noise gives by chance (a
chi-square test over the days of the month at `GATE_Z` standard deviations); each
day's effect is then its median moved `KEEP_Z` standard errors towards none (soft
thresholding: a day without a rush of its own stays at 1, a clear one keeps most of
it; a larger effect read on the NA bank's month starts cost it more than it gained).
A queue gets none without such a cycle, or without 28 x `MIN_MONTHS` days read (three
months of a queue open every day, four of one closed at weekends).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.calendar import ratio_to_neighbouring_weeks
from forecast.models.base import MEDIAN_EFFICIENCY, robust_sd

MONTHS = 12
MIN_MONTHS = 3
MIN_REFERENCE = 5.0  # a day read against fewer contacts is too noisy to read (or closed)
GATE_Z = 3.0
KEEP_Z = 2.0
MAX_EFFECT = 1.5  # |log|: no day of the month reads as more than 4.5x or under 0.22x


@dataclass(frozen=True, slots=True)
class MonthCycle:
    """A multiplier per day of the month (index 0 = the 1st)."""

    factors: tuple[float, ...]

    def factor(self, days: pd.DatetimeIndex) -> np.ndarray:
        """The multiplier of each of `days`."""
        factors = np.asarray(self.factors, dtype=float)
        return np.asarray(factors[np.asarray(days.day, dtype=int) - 1], dtype=float)


def month_cycle(daily: pd.Series, ordinary: pd.Series) -> MonthCycle | None:
    """The day-of-month cycle of `daily` totals (a regular daily index), read on days where
    `ordinary` is true (no holiday, event or outage: a lone surge may be the cycle's own
    rush, and one in a day's twelve barely moves its median); None when there is none."""
    if len(daily) == 0:
        return None
    last = pd.Timestamp(daily.index[-1])
    start = last - pd.DateOffset(months=MONTHS)
    if pd.Timestamp(daily.index[0]) > last - pd.DateOffset(months=MIN_MONTHS):
        return None
    ratio, reference = ratio_to_neighbouring_weeks(daily, ordinary)
    # An empty day where five or more were due is a closure or a broken export, not a cycle.
    readable = (ordinary & (reference >= MIN_REFERENCE) & (daily > 0)
                & (daily.index > start)).to_numpy()
    logs = np.log(ratio.to_numpy(dtype=float)[readable])
    day = np.asarray(pd.DatetimeIndex(daily.index).day)[readable]
    if len(logs) < 28 * MIN_MONTHS:
        return None
    centred = logs - np.median(logs)
    noise = robust_sd(logs)
    if noise <= 0:
        return None
    medians = np.zeros(31)
    errors = np.full(31, np.inf)
    for d in range(1, 32):
        own = centred[day == d]
        if len(own) >= MIN_MONTHS:
            medians[d - 1] = float(np.median(own))
            errors[d - 1] = MEDIAN_EFFICIENCY * noise / np.sqrt(len(own))
    read = np.isfinite(errors)
    tested = int(read.sum())
    if tested == 0:
        return None
    chi2 = float(np.sum((medians[read] / errors[read]) ** 2))
    if chi2 < tested + GATE_Z * np.sqrt(2 * tested):
        return None
    kept = np.where(read, np.sign(medians) * np.maximum(np.abs(medians) - KEEP_Z * errors, 0.0),
                    0.0)
    if not kept.any():
        return None
    kept = np.clip(kept, -MAX_EFFECT, MAX_EFFECT)
    return MonthCycle(tuple(float(f) for f in np.exp(kept)))
