"""Holidays at a level of their own: a holiday of a queue open every day often runs like a
Sunday, whatever weekday it falls on. Read as a share of its Monday, the same holiday
(Christmas, Chuseok) swings from year to year as its weekday moves; read as a share of
the week's mean day it stays put. Each queue's history says which reading holds: the one
under which the same holiday repeats itself more closely, by a clear margin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.calendar import is_holiday_kind, shrunk_effect

# The week-level reading must spread the same holidays' days at most this much of the
# weekday reading's spread (summed absolute log deviations from each holiday's median).
LEVEL_EDGE = 0.8
MIN_REPEATED_DAYS = 6  # days of holidays seen twice or more, to compare the readings on
SHARE_WEEKS = 8  # weeks of ordinary days that give each weekday's share of the week
MIN_WEEKDAY_SHARE = 0.05  # below this a weekday's holidays keep the weekday reading


@dataclass(frozen=True, slots=True)
class WeekLevelEffects:
    """Effects of holidays on the week's mean day (1.0 = a mean day), per holiday, the
    typical one for holidays not seen, and each weekday's share of the week's mean day
    at the end of the history (Monday first)."""

    by_kind: dict[str, float]
    unseen_holiday: float
    weekday_share: tuple[float, ...]

    def effect(self, kind: str) -> float | None:
        """A holiday's effect on the week's mean day; None for other kinds."""
        if not is_holiday_kind(kind):
            return None
        return self.by_kind.get(kind, self.unseen_holiday)

    def factor(self, effect: float, weekday: int) -> float | None:
        """The multiplier on a forecast of that weekday that puts the day at `effect` of the
        week's mean day; None on a weekday the queue barely works (no share to read)."""
        share = self.weekday_share[weekday]
        return effect / share if share >= MIN_WEEKDAY_SHARE else None


def week_level_effects(
    daily: pd.Series,
    kinds: pd.Series,
    ratio: pd.Series,
    reference: pd.Series,
    *,
    ordinary: pd.Series,
    closures: set[str],
) -> WeekLevelEffects | None:
    """The week-level effects of this queue's open holidays, or None where the weekday reading
    (`ratio`: each day over its own weekday's `reference`) holds as well.

    `daily` is gap-free; `ordinary` marks the normal days that are neither surges nor
    outages; `closures` are the holidays the queue closes (left to the weekday reading).
    """
    week = reference.rolling(7, center=True, min_periods=7).mean()
    level = (daily + 0.5) / (week + 0.5)
    text = kinds.astype(str)
    usable = (text.map(is_holiday_kind).astype(bool) & ~text.isin(closures)
              & (reference > 0) & week.notna() & ratio.notna())
    if not _reads_better(text[usable], np.log(ratio[usable]), np.log(level[usable])):
        return None
    share = _weekday_share(daily, ordinary)
    if share is None:
        return None
    values = level[usable]
    groups = text[usable]
    medians = values.groupby(groups).agg(["median", "size"])
    # A holiday seen once or twice leans on the typical holiday: the median of the
    # holidays' own medians, so a holiday of several days does not outweigh the rest.
    typical = float(medians["median"].median())
    by_kind = {str(kind): shrunk_effect(float(median), int(n), towards=typical)
               for kind, median, n in medians.itertuples()}
    unseen = float(np.median(list(by_kind.values())))
    return WeekLevelEffects(by_kind, unseen, share)


def _reads_better(kinds: pd.Series, by_weekday: pd.Series, by_week: pd.Series) -> bool:
    """Whether the same holidays repeat more closely on the week's level than on their
    weekday's, over the holidays seen twice or more."""
    repeated = kinds.groupby(kinds).transform("size") >= 2
    if int(repeated.sum()) < MIN_REPEATED_DAYS:
        return False
    spread = {}
    for name, logs in (("weekday", by_weekday[repeated]), ("week", by_week[repeated])):
        medians = logs.groupby(kinds[repeated]).transform("median")
        spread[name] = float((logs - medians).abs().sum())
    return spread["week"] < LEVEL_EDGE * spread["weekday"]


def _weekday_share(daily: pd.Series, ordinary: pd.Series) -> tuple[float, ...] | None:
    """Each weekday's median over the last SHARE_WEEKS weeks' ordinary days, over the mean
    of the seven (0 for a weekday without one); None when the queue had none."""
    index = pd.DatetimeIndex(daily.index)
    recent = index > index[-1] - pd.Timedelta(weeks=SHARE_WEEKS)
    chosen = ordinary.to_numpy(dtype=bool) & recent
    medians = (daily[chosen].groupby(index[chosen].day_of_week).median()
               .reindex(range(7), fill_value=0.0))
    mean_day = float(medians.mean())
    if not np.isfinite(mean_day) or mean_day <= 0:
        return None
    return tuple(float(m) / mean_day for m in medians)
