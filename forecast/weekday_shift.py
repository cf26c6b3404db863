"""Recent weekday shifts: one weekday whose own level moved in the last weeks (Saturday
service stopped, Sunday volume doubled after a change of opening days) while the rest
of the week did not.

Each ordinary day is read as its share of its week: the log of its count over the median
of the other ordinary days of the same week (0.5 added to both, so an empty day stays
finite). A weekday's last `WEEKS` shares are split into the latest k (`MIN_RUN` or more)
and the ones before. A split counts when their medians differ by `SHIFT_Z` standard
errors of the shares' noise (robust, over all weekdays; no less than a Poisson
count's at the busier side's level) and by `MIN_CHANGE` or more;
of those, the one whose means differ most decides. The days of that weekday before it
are scaled by the change, so every model forecasts the weekday from where it is now.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.day_effects import MIN_RATIO_TO_RESCALE
from forecast.models.base import MAD_TO_SD

WEEKS = 12
MIN_RUN = 3
SHIFT_Z = 8.0
MIN_CHANGE = 0.2  # |log change|: about +22% or -18%
REOPENED = 1 / MIN_RATIO_TO_RESCALE  # this many times busier than before: it had been shut


@dataclass(frozen=True, slots=True)
class WeekdayShift:
    """Days of `weekday` (Monday = 0) from `start` on run at `factor` x their level before."""

    weekday: int
    start: pd.Timestamp
    factor: float


def recent_weekday_shifts(daily: pd.Series, ordinary: pd.Series) -> list[WeekdayShift]:
    """The weekdays of `daily` totals (a regular daily index) whose level moved in their
    last weeks against the rest of their week, reading only days where `ordinary` is
    true (no holiday, event or outage)."""
    if len(daily) == 0:
        return []
    recent = _log_share_of_week(daily, ordinary).dropna()
    if len(recent) < 7 * MIN_RUN:
        return []
    weekday = pd.DatetimeIndex(recent.index).day_of_week
    deviations = recent - recent.groupby(weekday).transform("median")
    noise = MAD_TO_SD * float(np.median(np.abs(deviations)))
    if noise <= 0:
        return []
    shifts = []
    for day in range(7):
        own = recent[weekday == day]
        found = _clearest_split(own.to_numpy(dtype=float),
                                daily.reindex(own.index).to_numpy(dtype=float), noise)
        if found is not None:
            k, gap = found
            shifts.append(WeekdayShift(day, pd.Timestamp(own.index[-k]), float(np.exp(gap))))
    return shifts


def at_current_weekday_levels(values: pd.Series, day_of: pd.DatetimeIndex,
                              shifts: list[WeekdayShift]) -> pd.Series:
    """`values` (stamped on `day_of` days) with each shifted weekday's earlier days scaled
    to its current level. A weekday opened after being shut (a factor of `REOPENED` or
    more: nothing to scale) takes, on each earlier day, the mean of its days since at the
    same time of day (intraday) or day (daily)."""
    scaled = values.to_numpy(dtype=float, copy=True)
    weekday = np.asarray(day_of.day_of_week)
    stamps = pd.DatetimeIndex(values.index)
    time_of_day = np.asarray(stamps.hour * 60 + stamps.minute)  # the clock's, on DST days too
    for shift in shifts:
        earlier = (weekday == shift.weekday) & np.asarray(day_of < shift.start)
        if shift.factor < REOPENED:
            scaled[earlier] *= shift.factor
            continue
        since = (weekday == shift.weekday) & np.asarray(day_of >= shift.start)
        usual = pd.Series(scaled[since]).groupby(time_of_day[since]).mean()
        scaled[earlier] = usual.reindex(time_of_day[earlier]).fillna(0.0).to_numpy()
    return pd.Series(scaled, index=values.index, name=values.name)


def _log_share_of_week(daily: pd.Series, ordinary: pd.Series) -> pd.Series:
    """Each ordinary day's log count over the median of the other ordinary days of its
    (Monday-first) week, over the last WEEKS weeks; NaN elsewhere, and over a week short
    of more than one of its usual ordinary days."""
    index = pd.DatetimeIndex(daily.index)
    first = index[index > index[-1] - pd.Timedelta(weeks=WEEKS)][0]
    monday = first - pd.Timedelta(days=int(first.day_of_week))
    weeks = index >= monday  # whole weeks: the first one's earlier days are its yardstick
    days = index[weeks]
    usable = ordinary.reindex(days, fill_value=False).to_numpy(dtype=bool)
    counts = np.where(usable, daily.to_numpy(dtype=float)[weeks], np.nan)
    offset = np.asarray((days - monday).days)
    week, weekday = offset // 7, offset % 7
    grid = np.full((int(week.max()) + 1, 7), np.nan)
    grid[week, weekday] = counts
    # A week missing more than one of its usual ordinary days (a holiday week: Easter's
    # Monday to Thursday) is no yardstick: the median of what is left may be a weekend's.
    held = np.isfinite(grid).sum(axis=1)
    present = np.bincount(week, minlength=len(grid))  # the last week may be cut short
    usual = float(np.median(held[present == 7])) if (present == 7).any() else 7.0
    grid[held < (usual - 1) * present / 7] = np.nan
    others = np.full_like(grid, np.nan)
    with warnings.catch_warnings():  # a week with no other ordinary day: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        for day in range(7):
            others[:, day] = np.nanmedian(np.delete(grid, day, axis=1), axis=1)
    share = pd.Series(np.log((grid + 0.5) / (others + 0.5))[week, weekday], index=days)
    return share[days >= first]


def _clearest_split(own: np.ndarray, counts: np.ndarray, noise: float
                    ) -> tuple[int, float] | None:
    """(k, log change) of the split of a weekday's shares (its days' `counts`) into its
    latest k and the ones before: of the splits whose medians differ by SHIFT_Z standard
    errors and MIN_CHANGE or more, the one whose means differ most (medians alone blur
    where the change was); None when no split is that clear. The noise is no less than
    a Poisson count's at the busier side's level: a Saturday of one or two calls swings
    its share far beyond the busy days' spread."""
    best: tuple[int, float] | None = None
    best_z = 0.0
    for k in range(MIN_RUN, len(own) - 1):
        latest, before = own[-k:], own[:-k]
        level = max(float(np.median(counts[-k:])), float(np.median(counts[:-k])))
        error = max(noise, np.sqrt(1.0 / (level + 0.5))) * np.sqrt(1 / k + 1 / len(before))
        gap = float(np.median(latest) - np.median(before))
        if abs(gap) < SHIFT_Z * error or abs(gap) < MIN_CHANGE:
            continue
        z = abs(float(latest.mean() - before.mean())) / error
        if z > best_z:
            best, best_z = (k, gap), z
    return best

