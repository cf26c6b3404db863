"""Intraday shapes of special days: a holiday's eve that shuts at 14:00, a holiday the
queue opens for the morning only. Day effects (forecast.day_effects) set such a day's
total; its shape comes from the same kind of day before, where that clearly differs from
a normal day of its weekday. Each family of kinds (every first working day before a
holiday, every open holiday) has one shape: per slot of the day, its contacts over what
its days' totals split as normal days would have given, shrunk towards 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.calendar import NORMAL, is_holiday_kind, kind_family
from forecast.models.split import PROFILE_WEEKS
from forecast.openhours import weekly_slot
from forecast.series import Freq

SHAPE_PSEUDO_COUNT = 5.0  # contacts lent to each slot at a normal day's share
SHAPE_CHI2_Z = 4.0  # how far beyond chance a family's shape must be to be kept
MIN_SHAPE_CONTACTS = 50.0  # a family's days must hold this many contacts to be read
HOLIDAY_FAMILY = "holiday"
RECENT = pd.Timedelta(weeks=PROFILE_WEEKS)  # the weeks an intraday profile reads


@dataclass(frozen=True, slots=True)
class DayShapes:
    """Per family of day kinds, a multiplier per slot of the day (the day's total kept)."""

    freq: Freq
    by_family: dict[str, np.ndarray]
    recent_shares: np.ndarray  # per weekday, a normal day's share per slot, recent weeks

    def multipliers(self, days: pd.DatetimeIndex, kinds: pd.Series
                    ) -> dict[pd.Timestamp, np.ndarray]:
        """The slot multipliers of each of `days` (with their `kinds`) of a shaped family."""
        found = {}
        for day, kind in zip(days, kinds.reindex(days).astype(str), strict=True):
            multiplier = self.by_family.get(shape_family(kind))
            if multiplier is not None:
                found[pd.Timestamp(day)] = multiplier
        return found

    def reshape(self, values: np.ndarray, stamps: pd.DatetimeIndex, *,
                day_of: pd.DatetimeIndex, multipliers: dict[pd.Timestamp, np.ndarray]
                ) -> np.ndarray:
        """`values` with each day of `multipliers` multiplied slot by slot, its whole
        day's total kept: weighed on a recent normal day's shares of its weekday, so a
        horizon that starts or ends part-way through the day shapes its slots alike."""
        out = np.array(values, dtype=float, copy=True)
        slot = weekly_slot(stamps, self.freq) % self.freq.per_day
        for day, multiplier in multipliers.items():
            weight = float((self.recent_shares[day.day_of_week] * multiplier).sum())
            if weight > 0:
                at = np.flatnonzero(day_of == day)
                out[at] = out[at] * multiplier[slot[at]] / weight
        return out

    def as_normal_days(self, values: np.ndarray, stamps: pd.DatetimeIndex, *,
                       day_of: pd.DatetimeIndex, days: list[pd.Timestamp]) -> np.ndarray:
        """`values` with each of `days` spread over its slots as a recent normal day of
        its weekday, its total kept (so a short eve does not bend the weekday's profile)."""
        out = np.array(values, dtype=float, copy=True)
        slot = weekly_slot(stamps, self.freq) % self.freq.per_day
        for day in days:
            at = np.flatnonzero(day_of == day)
            share = self.recent_shares[day.day_of_week][slot[at]]
            if share.sum() > 0:
                out[at] = out[at].sum() * share / share.sum()
        return out


def shape_family(kind: str) -> str:
    """Open holidays share one shape; other kinds, their family's (`pre_holiday_1`)."""
    return HOLIDAY_FAMILY if is_holiday_kind(kind) else kind_family(kind)


def learn_day_shapes(y: pd.Series, freq: Freq, *, day_of: pd.DatetimeIndex, kinds: pd.Series,
                     whole: pd.Series) -> DayShapes:
    """The shapes of the special-day families in intraday counts `y` (`day_of` each
    stamp's day; `kinds` and `whole` per day) that differ from their days' weekday shape
    beyond chance (Pearson's chi-square, widened by the queue's own overdispersion)."""
    if not freq.is_intraday or y.empty:
        return DayShapes(freq, {}, np.zeros((7, 1)))
    grid = _DayGrid(y, freq, day_of)
    kind_of_day = kinds.reindex(grid.days).astype(str).to_numpy()
    usable = whole.reindex(grid.days, fill_value=False).to_numpy(dtype=bool) & (grid.totals > 0)
    normal = usable & (kind_of_day == NORMAL)
    shares = grid.weekday_shares(normal)
    recent = grid.weekday_shares(normal & (grid.days > grid.days[-1] - RECENT))
    recent = np.where(recent.sum(axis=1, keepdims=True) > 0, recent, shares)
    expected = grid.totals[:, None] * shares[grid.weekdays]
    dispersion = _dispersion(grid.counts[normal], expected[normal])
    families = np.array([shape_family(k) for k in kind_of_day])
    by_family = {}
    for family in sorted(set(families[usable & (kind_of_day != NORMAL)])):
        rows = np.flatnonzero(usable & (families == family))
        observed, wanted = grid.counts[rows].sum(axis=0), expected[rows].sum(axis=0)
        # The shape must show on either half of the family's days (every other one), so
        # one burst of calls on one day is no shape.
        halves = (rows[::2], rows[1::2])
        if wanted.sum() < MIN_SHAPE_CONTACTS or not _differs(observed, wanted, dispersion) \
                or not all(_differs(grid.counts[half].sum(axis=0), expected[half].sum(axis=0),
                                    dispersion) for half in halves):
            continue
        by_family[family] = (observed + SHAPE_PSEUDO_COUNT) / (wanted + SHAPE_PSEUDO_COUNT)
    return DayShapes(freq, by_family, recent)


@dataclass(frozen=True, slots=True)
class _DayGrid:
    """Counts as days x slots of the day."""

    counts: np.ndarray
    totals: np.ndarray
    days: pd.DatetimeIndex
    weekdays: np.ndarray

    def __init__(self, y: pd.Series, freq: Freq, day_of: pd.DatetimeIndex) -> None:
        days, row = np.unique(day_of.to_numpy(), return_inverse=True)
        counts = np.zeros((len(days), freq.per_day))
        slot = weekly_slot(pd.DatetimeIndex(y.index), freq) % freq.per_day
        np.add.at(counts, (row, slot), np.nan_to_num(y.to_numpy(dtype=float)))
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "totals", counts.sum(axis=1))
        object.__setattr__(self, "days", pd.DatetimeIndex(days))
        object.__setattr__(self, "weekdays", np.asarray(pd.DatetimeIndex(days).day_of_week))

    def weekday_shares(self, rows: np.ndarray) -> np.ndarray:
        """Per weekday, each slot's share of the day over the `rows` days (7 x slots)."""
        sums = np.zeros((7, self.counts.shape[1]))
        np.add.at(sums, self.weekdays[rows], self.counts[rows])
        total = sums.sum(axis=1, keepdims=True)
        return np.asarray(np.divide(sums, total, out=np.zeros_like(sums), where=total > 0))


def _dispersion(counts: np.ndarray, expected: np.ndarray) -> float:
    """Pearson's dispersion of normal days' slots around their weekday shape (at least 1)."""
    busy = expected > 1.0
    if busy.sum() < 10:
        return 1.0
    pearson = (counts[busy] - expected[busy]) ** 2 / expected[busy]
    return max(float(np.mean(pearson)), 1.0)


def _differs(observed: np.ndarray, expected: np.ndarray, dispersion: float) -> bool:
    """Whether `observed` slots stray from `expected` beyond chance."""
    read = expected > 0
    slots = int(read.sum())
    if slots < 2:
        return False
    chi2 = float(((observed[read] - expected[read]) ** 2 / expected[read]).sum()) / dispersion
    freedom = slots - 1
    return bool(chi2 > freedom + SHAPE_CHI2_Z * np.sqrt(2.0 * freedom))
