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

The days of the month are counted two ways: by calendar day (the 1st, the 25th), and by
working day of the country from the month's first or to its last (bills issued on the
first working day, payments due on the last move to the Friday or the Monday when their
day falls on a weekend or a holiday; the days off keep no cycle of their own). The count
that stands further beyond the noise (the chi-square's z) is the queue's cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.calendar import ratio_to_neighbouring_weeks, working_days
from forecast.models.base import MEDIAN_EFFICIENCY, robust_sd

MONTHS = 12
MIN_MONTHS = 3
MIN_REFERENCE = 5.0  # a day read against fewer contacts is too noisy to read (or closed)
GATE_Z = 3.0
KEEP_Z = 2.0
MAX_EFFECT = 1.5  # |log|: no day of the month reads as more than 4.5x or under 0.22x


# Working days are counted from the month's first up to its middle, and from its last
# after it: at most 13 of a month's up to 25 working days from either end.
_FROM_END = 16
_WORKING_SLOTS = 2 * _FROM_END


@dataclass(frozen=True, slots=True)
class MonthCycle:
    """A multiplier per day of the month: per calendar day (index 0 = the 1st) or, when
    `by_working_day`, per working day of `country` (index k - 1 = the k-th working day,
    `_FROM_END` + k - 1 = the k-th from last; days off keep 1)."""

    factors: tuple[float, ...]
    by_working_day: bool = False
    country: str | None = None

    def factor(self, days: pd.DatetimeIndex) -> np.ndarray:
        """The multiplier of each of `days`."""
        factors = np.asarray(self.factors, dtype=float)
        if not self.by_working_day:
            return np.asarray(factors[np.asarray(days.day, dtype=int) - 1], dtype=float)
        slots = working_day_slots(days, self.country)
        return np.where(slots >= 0, factors[np.maximum(slots, 0)], 1.0)


def working_day_slots(days: pd.DatetimeIndex, country: str | None) -> np.ndarray:
    """Each day's place among its month's working days of `country`: k - 1 for the k-th
    from the first, `_FROM_END` + k - 1 for the k-th from the last (the nearer end counts);
    -1 for a day off."""
    if len(days) == 0:
        return np.zeros(0, dtype=int)
    day = pd.DatetimeIndex(days).normalize()
    first, last = day.min(), day.max()
    span = pd.date_range(first - pd.Timedelta(days=first.day - 1),
                         last + pd.offsets.MonthEnd(0), freq="D")
    working = working_days(span, country)
    month = np.asarray(span.year * 12 + span.month)
    counted = pd.Series(working.astype(int)).groupby(month)
    from_start = counted.cumsum().to_numpy()
    from_end = counted.transform("sum").to_numpy() - from_start + 1
    slots = np.where(from_start <= from_end, from_start - 1, _FROM_END + from_end - 1)
    slots = np.where(working, np.minimum(slots, _WORKING_SLOTS - 1), -1)
    return np.asarray(slots[np.asarray((day - span[0]).days)], dtype=int)


def month_cycle(daily: pd.Series, ordinary: pd.Series, country: str | None = None
                ) -> MonthCycle | None:
    """The day-of-month cycle of `daily` totals (a regular daily index), read on days where
    `ordinary` is true (no holiday, event or outage: a lone surge may be the cycle's own
    rush, and one in a day's twelve barely moves its median), by calendar day or by working
    day of `country`; None when there is none."""
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
    if len(logs) < 28 * MIN_MONTHS:
        return None
    centred = logs - np.median(logs)
    noise = robust_sd(logs)
    if noise <= 0:
        return None
    index = pd.DatetimeIndex(daily.index)[readable]
    by_day = _cycle_beyond_noise(centred, np.asarray(index.day) - 1, 31, noise)
    by_working_day = _cycle_beyond_noise(centred, working_day_slots(index, country),
                                         _WORKING_SLOTS, noise)
    if by_working_day is not None and (by_day is None or by_working_day[0] > by_day[0]):
        return MonthCycle(by_working_day[1], by_working_day=True, country=country)
    return None if by_day is None else MonthCycle(by_day[1])


def _cycle_beyond_noise(centred: np.ndarray, slots: np.ndarray, size: int, noise: float
                        ) -> tuple[float, tuple[float, ...]] | None:
    """The chi-square's z of the slots' medians of `centred` log ratios (slot -1 unread)
    and each slot's factor, soft-thresholded; None when they do not stand beyond the
    noise."""
    medians = np.zeros(size)
    errors = np.full(size, np.inf)
    for slot in range(size):
        own = centred[slots == slot]
        if len(own) >= MIN_MONTHS:
            medians[slot] = float(np.median(own))
            errors[slot] = MEDIAN_EFFICIENCY * noise / np.sqrt(len(own))
    read = np.isfinite(errors)
    tested = int(read.sum())
    if tested == 0:
        return None
    chi2 = float(np.sum((medians[read] / errors[read]) ** 2))
    z = (chi2 - tested) / np.sqrt(2 * tested)
    if z < GATE_Z:
        return None
    kept = np.where(read, np.sign(medians) * np.maximum(np.abs(medians) - KEEP_Z * errors, 0.0),
                    0.0)
    if not kept.any():
        return None
    kept = np.clip(kept, -MAX_EFFECT, MAX_EFFECT)
    return z, tuple(float(f) for f in np.exp(kept))
