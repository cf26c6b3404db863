"""Recent level shifts: a queue whose volume stepped up or down in its last weeks (a new
client, a product withdrawn, a category renamed away) and stays there.

Every day from one to eight weeks before the end is tried as the first day of a new
level. Each ordinary day after it is read against the median of its weekday over the
eight weeks before it; the shift is the ratio of the sums. The days' log ratios are
averaged weighted by each day's noise (the reference weeks' beyond a count's own, plus
a Poisson count's at its weekday's level), so a quiet Sunday's 2 against a typical 5
weighs less than a busy Monday's 60 against 70. It counts when it is:
- beyond the day-to-day noise of those reference weeks (`SHIFT_Z` standard errors of
  the mean log ratio, the noise no less than a Poisson count's) and large (`MIN_CHANGE`);
- on the same side on most days after it, in the later half of them at least half as
  far out as in the earlier, and in the last week at least half as far as over all (a
  campaign that ended, a monthly peak fading, is not a new level);
- not wearing off: neither the later half nor the last week or fortnight surely
  (`FADING_Z` standard errors) falling back (an incident's tickets, tripled and
  halving every few days, are still up half at the end, but go on falling);
- read against weeks of one level (their halves, and their last two weeks against the
  rest: a step further back, inside them, is not a new one).
A queue gone silent counts after two weeks, not one (a closure, a broken export); a step
the same days took a year before is the season (a Christmas lull), not a level. Of the
days that pass, the start is the one whose shift is surely the largest (mean log ratio
less two standard errors): an earlier day would mix old days into the new level, a
later one read it from fewer days.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from forecast.models.base import MAD_TO_SD

MIN_DAYS_AFTER = 7
MAX_DAYS_AFTER = 56
REFERENCE_WEEKS = 8
MIN_REFERENCE_DAYS = 14
SHIFT_Z = 4.5
MIN_CHANGE = 0.2  # |log ratio|: about +22% or -18%
FADING_Z = 3.0  # standard errors, on three readings: surely nearer the old level, wearing off
MIN_AGREEMENT = 0.8  # share of the days after on the side of the shift
COLLAPSE = 0.15  # a level this low (a category no longer used) needs two weeks to count
COLLAPSE_DAYS = 14
YEAR_DAYS = 364
CLOSED_FACTOR = COLLAPSE / 3  # a shut queue's factor (0) read as 0.05: its log stays finite


@dataclass(frozen=True, slots=True)
class LevelShift:
    """Volume from `start` on is `factor` x the level before it."""

    start: pd.Timestamp
    factor: float
    z: float


def recent_level_shift(daily: pd.Series, ordinary: pd.Series) -> LevelShift | None:
    """The clearest recent shift of `daily` totals (a regular daily index; NaN for days
    not observed), reading only days where `ordinary` is true (no holiday, event or
    outage); None when there is none."""
    index = pd.DatetimeIndex(daily.index)
    values = daily.to_numpy(dtype=float)
    usable = ordinary.reindex(index, fill_value=False).to_numpy(dtype=bool) & np.isfinite(values)
    n = len(values)
    starts = np.arange(max(n - MAX_DAYS_AFTER, MIN_REFERENCE_DAYS), n - MIN_DAYS_AFTER + 1)
    if not len(starts):
        return None
    read = np.where(usable, values, np.nan)
    tried = _Candidates(read, starts)
    passing = tried.passing()
    if not passing.any():
        return None
    best = int(np.argmax(np.where(passing, tried.surely, -np.inf)))
    factor = float(tried.factor[best])
    if seen_a_year_before(read, int(starts[best]), factor):
        return None
    return LevelShift(index[starts[best]], factor, float(tried.z[best]))


def seen_a_year_before(values: npt.NDArray[np.float64], start: int, factor: float) -> bool:
    """Whether the same days a year before (52 weeks) stepped the same way, at least half
    as far: the season (a Christmas lull, a tax-season rush), not a new level."""
    earlier = start - YEAR_DAYS
    if earlier < MIN_REFERENCE_DAYS:
        return False
    before = float(_Candidates(values[:len(values) - YEAR_DAYS], np.array([earlier])).factor[0])
    if not np.isfinite(before):
        return False
    now, then = np.log(max(factor, CLOSED_FACTOR)), np.log(max(before, CLOSED_FACTOR))
    return bool(now * then >= 0.5 * now**2)


class _Candidates:
    """Every start tried at once: row k reads the days from `starts[k]` on against the
    weekday medians of the `REFERENCE_WEEKS` weeks before it."""

    def __init__(self, values: npt.NDArray[np.float64], starts: npt.NDArray[np.int64]) -> None:
        n = len(values)
        typical, noise = reference_weeks(values, starts)
        self.reference_days = np.isfinite(noise).sum(axis=(1, 2))
        self.drift = np.fmax(_drift(noise, REFERENCE_WEEKS // 2),
                             _drift(noise, REFERENCE_WEEKS - 2))
        counting = np.sqrt(_nanmean(np.where(np.isfinite(noise), 1.0 / (
            typical[:, None, :] + 0.5), np.nan), (1, 2)))  # a Poisson count's own noise
        spread = np.fmax(MAD_TO_SD * _nanmedian(np.abs(noise), (1, 2)), counting)
        extra = _extra_noise(typical, noise)
        # The days after each start, on one grid: the last n - starts.min() days.
        tail = np.arange(starts.min(), n)
        position = tail[None, :] - starts[:, None]
        expected = np.take_along_axis(typical, np.mod(position, 7), axis=1)
        observed = np.broadcast_to(values[tail], expected.shape)
        after = (position >= 0) & np.isfinite(observed) & (np.nan_to_num(expected) > 0)
        obs, exp = np.where(after, observed, 0.0), np.where(after, expected, 0.0)
        change = np.where(after, _log_ratio(obs, exp), np.nan)
        self.days = after.sum(axis=1)
        # Each day weighs by its noise: a quiet Sunday's 3 against a typical 6 is no news
        # where Monday's 60 against 70 would be.
        weight = np.where(after, 1.0 / (extra[:, None] + 1.0 / (exp + 0.5)), 0.0)
        self.mean_change = _weighted_mean(change, weight, after)
        self.error = spread / np.sqrt(np.maximum(self.days, 1))
        self.z = self.mean_change / self.error
        self.surely = np.abs(self.mean_change) - 2 * self.error
        with np.errstate(all="ignore"):
            self.factor = obs.sum(axis=1) / exp.sum(axis=1)
        side = np.sign(self.mean_change)[:, None]
        self.agreement = _weighted_mean((np.sign(change) == side).astype(float), weight, after)
        outward = side * change  # how far out each day is, on the side of the shift
        last_week = after & (tail >= n - 7)[None, :]
        later = after & (np.cumsum(after, axis=1) > self.days[:, None] // 2)
        self.last_week_change = _weighted_mean(outward, weight, last_week)
        self.later_change = _weighted_mean(outward, weight, later)
        self.earlier_change = _weighted_mean(outward, weight, after & ~later)
        fortnight = after & (tail >= n - COLLAPSE_DAYS)[None, :]
        # How surely the days after fall back, in standard errors: later half against
        # earlier, and the slope over the last week and over the last fortnight.
        halves = np.sqrt(1.0 / np.maximum(self.days // 2, 1)
                         + 1.0 / np.maximum(self.days - self.days // 2, 1))
        self.fading = np.fmax((self.earlier_change - self.later_change) / halves, -np.fmin(
            _slope_over(outward, last_week, tail), _slope_over(outward, fortnight, tail))) / spread
        self.silent_week = _ratio_over(obs, exp, last_week) < COLLAPSE
        self.silent_fortnight = (_ratio_over(obs, exp, fortnight) < COLLAPSE) & (
            n - starts >= COLLAPSE_DAYS)

    def passing(self) -> npt.NDArray[np.bool_]:
        """Starts whose shift counts (see the module docstring)."""
        size = np.abs(self.mean_change)
        with np.errstate(invalid="ignore"):
            return np.asarray(
                (self.days >= MIN_DAYS_AFTER) & (self.reference_days >= MIN_REFERENCE_DAYS)
                & (np.abs(np.nan_to_num(self.z)) >= SHIFT_Z)
                & (np.abs(np.log(np.fmax(np.nan_to_num(self.factor), 1e-9))) >= MIN_CHANGE)
                & (self.agreement >= MIN_AGREEMENT)
                & (np.nan_to_num(self.last_week_change) >= 0.5 * size)
                & (np.nan_to_num(self.later_change) >= 0.5 * np.nan_to_num(self.earlier_change))
                & ((np.nan_to_num(self.fading) < FADING_Z) | self.silent_week)
                & (np.nan_to_num(self.drift) <= 0.5 * size)
                & (~self.silent_week | self.silent_fortnight), dtype=bool)


def reference_weeks(values: npt.NDArray[np.float64], starts: npt.NDArray[np.int64]
                     ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per start: the median of each weekday position over the weeks before it (NaN with
    fewer than two days), shape (starts, 7); and each of those days' log ratio to it
    (NaN where not read), shape (starts, weeks, 7)."""
    width = 7 * REFERENCE_WEEKS
    padded = np.concatenate((np.full(width, np.nan), values))
    weeks = sliding_window_view(padded, width)[starts].reshape(len(starts), REFERENCE_WEEKS, 7)
    known = np.isfinite(weeks).sum(axis=1)
    typical = np.where(known >= 2, _nanmedian(weeks, axis=1), np.nan)
    reference = np.broadcast_to(typical[:, None, :], weeks.shape)
    read = np.isfinite(weeks) & (np.nan_to_num(reference) > 0)
    noise = np.where(read, _log_ratio(np.nan_to_num(weeks), np.nan_to_num(reference)), np.nan)
    return typical, noise


def _slope_over(change: npt.NDArray[np.float64], mask: npt.NDArray[np.bool_],
                day: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """Per row, the least-squares slope of `change` over the days in `mask`, in standard
    errors of a slope through days of unit noise (negative: falling)."""
    when = np.where(mask, day[None, :].astype(float), np.nan)
    centred = np.nan_to_num(when - _nanmean(when, 1)[:, None])
    with np.errstate(all="ignore"):
        return np.asarray((centred * np.where(mask, change, 0.0)).sum(axis=1)
                          / np.sqrt((centred**2).sum(axis=1)), dtype=float)


def _drift(noise: npt.NDArray[np.float64], weeks: int) -> npt.NDArray[np.float64]:
    """How far the reference's weeks from `weeks` on sit from its weeks before them."""
    return np.asarray(np.abs(_nanmean(noise[:, weeks:], (1, 2))
                             - _nanmean(noise[:, :weeks], (1, 2))), dtype=float)


def _ratio_over(observed: npt.NDArray[np.float64], expected: npt.NDArray[np.float64],
                mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    total = np.where(mask, expected, 0.0).sum(axis=1)
    with np.errstate(all="ignore"):
        return np.asarray(np.where(total > 0, np.where(mask, observed, 0.0).sum(axis=1) / total,
                                   np.inf), dtype=float)


def _extra_noise(typical: npt.NDArray[np.float64], noise: npt.NDArray[np.float64]
                 ) -> npt.NDArray[np.float64]:
    """Per start, the variance of the reference days' log ratios beyond a Poisson count's
    own, read on its busier weekdays (at least its median weekday's level), where the
    count's own noise is least: a quiet Sunday's would swamp it."""
    busy = typical >= _nanmedian(typical, 1)[:, None]
    read = np.isfinite(noise) & busy[:, None, :]
    spread = MAD_TO_SD * _nanmedian(np.where(read, np.abs(noise), np.nan), (1, 2))
    counting = _nanmean(np.where(read, 1.0 / (typical[:, None, :] + 0.5), np.nan), (1, 2))
    return np.asarray(np.fmax(spread**2 - counting, 0.0), dtype=float)


def _weighted_mean(values: npt.NDArray[np.float64], weight: npt.NDArray[np.float64],
                   mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """Per row, the mean of `values` over `mask` weighted by `weight` (NaN: none)."""
    used = np.where(mask, weight, 0.0)
    with np.errstate(all="ignore"):
        return np.asarray(np.where(mask, np.nan_to_num(values) * used, 0.0).sum(axis=1)
                          / used.sum(axis=1), dtype=float)


def _nanmedian(values: npt.NDArray[np.float64], axis: int | tuple[int, ...]
               ) -> npt.NDArray[np.float64]:
    with np.errstate(all="ignore"), _quiet():
        return np.asarray(np.nanmedian(values, axis=axis), dtype=float)


def _nanmean(values: npt.NDArray[np.float64], axis: int | tuple[int, ...]
             ) -> npt.NDArray[np.float64]:
    with np.errstate(all="ignore"), _quiet():
        return np.asarray(np.nanmean(values, axis=axis), dtype=float)


@contextmanager
def _quiet() -> Iterator[None]:
    """All-NaN rows (a start with nothing to read) are expected, not worth a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _log_ratio(observed: npt.NDArray[np.float64],
               expected: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    with np.errstate(all="ignore"):
        return np.asarray(np.log((observed + 0.5) / (expected + 0.5)), dtype=float)
