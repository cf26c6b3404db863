"""Calendar adjustment: learn one multiplicative effect per day kind (holiday, days around
a break, event kind), give the inner model a history with those days made normal, and
apply the effects to future days of the same kind. A lone surge on an ordinary day (an
outage storm) and a run of empty days in a busy queue (a broken export) are made normal
too, and never repeated. Any model gains holiday awareness this way, and last week's
holiday no longer repeats into next week's forecast.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

import numpy as np
import pandas as pd

from forecast.calendar import (
    EVENT,
    MAKE_UP_WORKDAY,
    MAX_DAY_EFFECT,
    NORMAL,
    Event,
    day_kinds,
    day_runs,
    holidays_inside_other_breaks,
    is_holiday_kind,
    kind_family,
    normalise_day,
    ratio_to_neighbouring_weeks,
    same_weekday_median,
    short_break_family,
    shrunk_effect,
)
from forecast.holiday_level import WeekLevelEffects, week_level_effects
from forecast.level_shift import recent_level_shift
from forecast.models.base import Fitted, Forecaster
from forecast.month_cycle import MonthCycle, month_cycle
from forecast.series import LEVELS, Forecast, History, make_forecast
from forecast.weekday_shift import at_current_weekday_levels, recent_weekday_shifts

_MIN_RATIO_TO_RESCALE = 0.15
_OPEN_AS_USUAL = 0.8
_SURGE_RATIO = 2.0
_SURGE_WEEKS = (-4, -3, -2, -1, 1, 2, 3, 4)
_MAX_SURGE_DAYS = 2
_MIN_OUTAGE_REFERENCE = 10.0  # a day usually this busy is empty only when something broke
_YEAR, _YEAR_SLACK = 364, 3
T = TypeVar("T")


class LastUsed(Generic[T]):
    """The `size` values last stored or asked for, by key; safe across threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._values: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> T | None:
        with self._lock:
            found = self._values.get(key)
            if found is not None:
                self._values.move_to_end(key)
            return found

    def put(self, key: Hashable, value: T) -> None:
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._size:
                self._values.popitem(last=False)


@dataclass(frozen=True, slots=True)
class DayEffects:
    """Multiplicative effect per day kind and per family, and the pooled effect of unseen
    holidays."""

    by_kind: dict[str, float]
    unseen_holiday: float
    # Where this queue's open holidays run at a level of their own whatever the weekday
    # (forecast.holiday_level), their effects on the week's mean day.
    week_level: WeekLevelEffects | None = None

    def factor(self, kind: str, weekday: int | None = None) -> float:
        """The multiplier on a normal day's forecast for a day of `kind` (on `weekday`,
        Monday = 0, where holidays are read on the week's level)."""
        if weekday is not None and self.week_level is not None:
            effect = self._week_level_effect(self.week_level, kind)
            factor = self.week_level.factor(effect, weekday) if effect is not None else None
            if factor is not None:
                return float(min(factor, MAX_DAY_EFFECT))
        if kind == NORMAL:
            return 1.0
        if kind in self.by_kind:
            return self.by_kind[kind]
        if is_holiday_kind(kind):
            return self.unseen_holiday
        family, _, holiday = kind.partition(":")
        if family == MAKE_UP_WORKDAY:
            return self.by_kind.get(family, 1.0)
        if family == EVENT or self.factor(holiday) >= _OPEN_AS_USUAL:
            return 1.0  # no break around a holiday the queue works through as usual
        if family in self.by_kind:
            return self.by_kind[family]
        fallback = short_break_family(family)
        return self.by_kind.get(fallback, 1.0) if fallback else 1.0

    def _week_level_effect(self, levels: WeekLevelEffects, kind: str) -> float | None:
        if kind in self.by_kind and kind not in levels.by_kind:
            return None  # a closure, or a holiday the week's level could not read
        return levels.effect(kind)


def off_weekdays(daily: pd.Series) -> tuple[int, ...]:
    """Weekdays this series is closed or quiet on (under 2/3 of the typical weekday): the
    weekend of its customers, which joins holidays next to it into one break."""
    means = daily.groupby(pd.DatetimeIndex(daily.index).day_of_week).mean()
    if means.empty or means.max() <= 0:
        return (5, 6)
    return tuple(int(d) for d in means.index if means[d] < means.median() * 2 / 3)


# Day kinds by window: every candidate of a backtest asks for those of the same windows.
_KINDS: LastUsed[pd.Series] = LastUsed(size=256)


def history_day_kinds(history: History, days: pd.DatetimeIndex, off: tuple[int, ...]
                      ) -> pd.Series:
    """The kind of each of `days` for this series: its country's holidays, the events of
    its category, breaks joined over its `off` weekdays. Shared, so never modified."""
    events = tuple(e for e in history.events if isinstance(e, Event))
    key = (days.asi8.tobytes(), str(days.tz), history.country, events, history.key.category, off)
    kinds = _KINDS.get(key)
    if kinds is None:
        kinds = day_kinds(days, history.country, events=events,
                          category=history.key.category, off_weekdays=off)
        _KINDS.put(key, kinds)
    return kinds


def _daily_totals(history: History) -> tuple[pd.Series, pd.DatetimeIndex]:
    """The history's total per calendar day, and the day of each of its stamps."""
    day_of = normalise_day(pd.DatetimeIndex(history.y.index))
    daily = history.y.groupby(day_of).sum()
    daily.index = pd.DatetimeIndex(daily.index)
    return daily, day_of


def special_days(history: History, stamps: pd.DatetimeIndex) -> np.ndarray:
    """True for stamps on a day that is not a normal day (holiday, break, event)."""
    days = normalise_day(stamps)
    kinds = history_day_kinds(history, pd.DatetimeIndex(days.unique()),
                              off_weekdays(_daily_totals(history)[0]))
    return np.asarray((kinds != NORMAL).reindex(days).to_numpy(), dtype=bool)


def learn_day_effects(daily: pd.Series, kinds: pd.Series) -> tuple[DayEffects, pd.Series]:
    """Effects per kind from daily totals, and each special day's (and lone surge's or
    outage's) own ratio to a normal day (NaN on ordinary days).

    A family's effect (all `post_holiday_1` days) is shrunk towards normal by its count of
    days, n/(n+1); a kind of that family (`post_holiday_1:Chuseok`) is shrunk towards the
    family's effect the same way. A holiday is shrunk towards normal, except a closure.
    """
    ratio, reference = ratio_to_neighbouring_weeks(daily, kinds == NORMAL)
    outages = _outages(daily, ratio, reference)
    if outages.any():  # an empty day is no yardstick for the days around it
        ratio, reference = ratio_to_neighbouring_weeks(daily, (kinds == NORMAL) & ~outages)
    # A surge stands out from its weekday over four weeks either side, not only from the
    # nearest: one empty neighbour (a holiday, a broken export) is no yardstick.
    normal_days = (kinds == NORMAL) & ~outages
    wide = same_weekday_median(daily, normal_days, _SURGE_WEEKS)
    surge_reference = np.fmax(reference, wide)
    surge_ratio = (daily + 0.5) / (surge_reference + 0.5)
    surges = _surges(daily, surge_ratio, surge_reference)
    ratio[surges] = surge_ratio[surges]
    lone = surges | outages
    ratio[(kinds == NORMAL) & ~lone] = np.nan
    own = _without_days_lent_to_breaks(ratio, kinds)
    known = own.dropna()
    known_kinds = kinds.reindex(known.index).astype(str)
    grouped = known_kinds.str.contains(":") & ~known_kinds.str.startswith(f"{EVENT}:")
    by_kind: dict[str, float] = {}
    families = known[grouped].groupby(known_kinds[grouped].map(kind_family)).agg(["median", "size"])
    for family, median, n in families.itertuples():
        by_kind[str(family)] = shrunk_effect(median, n, towards=1.0)
    raw: dict[str, float] = {}
    for kind, median, n in known.groupby(known_kinds).agg(["median", "size"]).itertuples():
        kind = str(kind)
        raw[kind] = float(median)
        closure = raw[kind] < _MIN_RATIO_TO_RESCALE
        prior = by_kind.get(kind_family(kind), 1.0) if kind_family(kind) != kind else 1.0
        by_kind[kind] = raw[kind] if closure else shrunk_effect(median, n, towards=prior)
    # Closing on a holiday is a decision per holiday and does not carry over to others
    # (a bank's call center closes on Labor Day and works Columbus Day); the dip on
    # holidays the queue stayed open does.
    open_holidays = [by_kind[k] for k, r in raw.items()
                     if is_holiday_kind(k) and r >= _MIN_RATIO_TO_RESCALE]
    pooled = float(np.median(open_holidays)) if open_holidays else 1.0
    closures = {k for k, r in raw.items() if r < _MIN_RATIO_TO_RESCALE}
    week_level = week_level_effects(daily, kinds, own, reference,
                                    ordinary=(kinds == NORMAL) & ~lone, closures=closures)
    return DayEffects(by_kind=by_kind, unseen_holiday=pooled, week_level=week_level), ratio


def _without_days_lent_to_breaks(ratio: pd.Series, kinds: pd.Series) -> pd.Series:
    """`ratio` without the holidays that fell inside another holiday's long break, where
    the same holiday was also seen on its own: those days tell of the break, not of it."""
    inside = holidays_inside_other_breaks(kinds)
    text = kinds.astype(str)
    alone = set(text[~inside & text.map(is_holiday_kind).astype(bool) & ratio.notna()])
    return ratio.mask(inside & text.isin(alone))


def _surges(daily: pd.Series, ratio: pd.Series, reference: pd.Series) -> pd.Series:
    """Ordinary days far above `reference` (`ratio` = daily over it), beyond chance for
    counts of that size (an outage storm, a viral post): rescaled like special days so
    that one day does not lift the weeks after it."""
    high = (ratio > _SURGE_RATIO) & (daily - reference > 4 * np.sqrt(reference.clip(lower=1)) + 10)
    index = pd.DatetimeIndex(daily.index)
    surge_days = index[high.to_numpy(dtype=bool)]
    out = np.zeros(len(index), dtype=bool)
    for first, last in day_runs(high.to_numpy(dtype=bool)):
        # A rise that lasts (or runs to the end) is a new level; a surge every year at that
        # time is a season of its own.
        lasting = last - first + 1 > _MAX_SURGE_DAYS or last == len(index) - 1
        if not lasting and not _recurs_yearly(index[first:last + 1], surge_days):
            out[first:last + 1] = True
    return pd.Series(out, index=daily.index)


def _outages(daily: pd.Series, ratio: pd.Series, reference: pd.Series) -> pd.Series:
    """Two or more ordinary days in a row of a busy queue that fell to (almost) nothing
    and came back (a broken export, an unannounced closure): made normal, so the level
    and the weekly shape after them are learnt from the days the queue worked. A closure
    still going on at the end or a week later (a weekday no longer served), or one every
    year, is left as it is."""
    low = (ratio < _MIN_RATIO_TO_RESCALE) & (reference >= _MIN_OUTAGE_REFERENCE)
    index = pd.DatetimeIndex(daily.index)
    low_days = index[low.to_numpy(dtype=bool)]
    values = daily.to_numpy(dtype=float)
    expected = reference.to_numpy(dtype=float)
    out = np.zeros(len(index), dtype=bool)
    for first, last in day_runs(low.to_numpy(dtype=bool)):
        week_later = [i + 7 for i in range(first, last + 1) if i + 7 > last]
        lasting = week_later[-1] >= len(index) or any(
            values[j] < _MIN_RATIO_TO_RESCALE * expected[j - 7] for j in week_later)
        # One empty day is most often a holiday the calendar does not know: left to the
        # models, which it barely moves; a run of them drags levels and weekly shapes.
        if last > first and not lasting and not _recurs_yearly(index[first:last + 1], low_days):
            out[first:last + 1] = True
    return pd.Series(out, index=daily.index)


def _recurs_yearly(run: pd.DatetimeIndex, marked_days: pd.DatetimeIndex) -> bool:
    """Whether another such day falls about a year before or after any day of `run`."""
    return any(np.abs((marked_days - day).days - sign * _YEAR).min() <= _YEAR_SLACK
               for day in run for sign in (-1, 1))


@dataclass(frozen=True, slots=True)
class _FittedAdjusted:
    inner: Fitted
    history: History
    effects: DayEffects
    off: tuple[int, ...]
    cycle: MonthCycle | None
    name: str

    def predict(self, horizon: int, levels: tuple[int, ...] = LEVELS) -> Forecast:
        base = self.inner.predict(horizon, levels)
        days = normalise_day(base.ds)
        unique_days = pd.DatetimeIndex(days.unique())
        kinds = history_day_kinds(self.history, unique_days, self.off)
        weekdays = unique_days.day_of_week
        factor_by_day = pd.Series([self.effects.factor(k, int(w)) for k, w in
                                   zip(kinds, weekdays, strict=True)], index=unique_days)
        factor = factor_by_day.reindex(days).to_numpy()
        if self.cycle is not None:
            factor = factor * self.cycle.factor(days)
        bounds = {lvl: (lo * factor, hi * factor) for lvl, (lo, hi) in base.bounds.items()}
        return make_forecast(base.ds, base.mean * factor, bounds, self.name)


@dataclass(frozen=True, slots=True)
class CalendarAdjusted:
    """Wrap any forecaster with learnt holiday and event effects."""

    inner: Forecaster
    name: str = ""
    # Move the days before a recent level shift to the new level. Off for models of the
    # yearly season: a shift read against the weeks before it holds the season's own
    # rise or fall too, and they follow a new level their own way.
    follow_level_shifts: bool = True

    def fit(self, history: History) -> _FittedAdjusted:
        read = _read_calendar(history)
        cleaned = read.at_recent_level if self.follow_level_shifts else read.normalised
        inner = self.inner.fit(replace(history, y=cleaned))
        return _FittedAdjusted(inner, history, read.effects, read.off, read.cycle,
                               self.name or self.inner.name)


@dataclass(frozen=True, slots=True)
class _CalendarReading:
    """What the calendar makes of one history: the day effects and day-of-month cycle
    learnt from it, and the history with special days made normal and the cycle taken
    out, before and after a recent level shift and a weekday's own shift."""

    effects: DayEffects
    off: tuple[int, ...]
    cycle: MonthCycle | None
    normalised: pd.Series
    at_recent_level: pd.Series


# Every candidate of a backtest fits the same fold histories: reading their calendar is
# most of a simple model's fit time. 16 folds and the final fit, with room.
_READINGS: LastUsed[_CalendarReading] = LastUsed(size=64)


def _read_calendar(history: History) -> _CalendarReading:
    index = pd.DatetimeIndex(history.y.index)
    key = (history.key, history.freq, history.country, history.events, index[0], index[-1],
           str(index.tz), len(index), history.y.to_numpy(dtype=float).tobytes())
    reading = _READINGS.get(key)
    if reading is None:
        daily, day_of = _daily_totals(history)
        off = off_weekdays(daily)
        kinds = history_day_kinds(history, pd.DatetimeIndex(daily.index), off)
        effects, ratio = learn_day_effects(daily, kinds)
        # A month's rush on the same day every month reads as a lone surge where it is
        # twice its neighbours; the cycle reads those days too (not outages).
        cycle = _month_cycle(daily, (kinds == NORMAL) & ~(ratio < 1))
        normalised = _normalised_history(history, day_of, ratio, cycle)
        ordinary = (kinds == NORMAL) & ratio.isna()
        at_level = _at_recent_level(normalised, day_of, ordinary)
        if not history.freq.is_intraday:  # intraday, opening hours read their own changes
            at_level = _at_weekday_levels(at_level, day_of, ordinary)
        reading = _CalendarReading(effects, off, cycle, normalised, at_level)
        _READINGS.put(key, reading)
    return reading


def _month_cycle(daily: pd.Series, ordinary: pd.Series) -> MonthCycle | None:
    """The day-of-month cycle of the daily totals, read on a regular daily index."""
    days = pd.date_range(daily.index.min(), daily.index.max(), freq="D")
    return month_cycle(daily.reindex(days, fill_value=0.0),
                       ordinary.reindex(days, fill_value=False))


def _daily_measure(values: pd.Series, day_of: pd.DatetimeIndex, ordinary: pd.Series
                   ) -> tuple[pd.Series, pd.Series]:
    """The daily totals of `values` on a regular daily index, and the ordinary days among
    them that are whole (a day cut short, a file exported at noon, measures no level)."""
    by_day = values.groupby(day_of)
    daily = by_day.sum(min_count=1)
    daily.index = pd.DatetimeIndex(daily.index)
    daily = daily.reindex(pd.date_range(daily.index.min(), daily.index.max(), freq="D"))
    stamps = by_day.size()
    whole = pd.Series(stamps.to_numpy() == stamps.max(), index=pd.DatetimeIndex(stamps.index))
    return daily, ordinary & whole.reindex(ordinary.index, fill_value=False)


def _at_weekday_levels(values: pd.Series, day_of: pd.DatetimeIndex, ordinary: pd.Series
                       ) -> pd.Series:
    """`values` with a weekday whose own level moved against the rest of its week
    (forecast.weekday_shift) at its new level. Models of the yearly season keep their own
    reading of it (the harmonic regression's weekday shifts)."""
    daily, measured = _daily_measure(values, day_of, ordinary)
    return at_current_weekday_levels(values, day_of, recent_weekday_shifts(daily, measured))


def _at_recent_level(values: pd.Series, day_of: pd.DatetimeIndex, ordinary: pd.Series
                     ) -> pd.Series:
    """`values` with the days before a recent level shift moved to the new level, so every
    model (an 8-week average too) forecasts from where the queue is now."""
    daily, measured = _daily_measure(values, day_of, ordinary)
    shift = recent_level_shift(daily, measured)
    if shift is None:
        return values
    return values.where(np.asarray(day_of >= shift.start), values * shift.factor)


def _normalised_history(history: History, day_of: pd.DatetimeIndex, ratio: pd.Series,
                        cycle: MonthCycle | None) -> pd.Series:
    """Divide special days by their own ratio (read against weeks around them, so
    already without the month's cycle) and the other days by the cycle; days too low to
    rescale copy last week."""
    per_stamp = ratio.reindex(day_of).to_numpy()
    values = history.y.to_numpy(dtype=float, copy=True)
    if cycle is not None:
        plain = ~np.isfinite(per_stamp)
        values[plain] = values[plain] / cycle.factor(day_of)[plain]
    rescale = np.isfinite(per_stamp) & (per_stamp >= _MIN_RATIO_TO_RESCALE)
    values[rescale] = values[rescale] / per_stamp[rescale]
    season = history.freq.season_length
    for i in np.flatnonzero(np.isfinite(per_stamp) & ~rescale):
        if i >= season:
            values[i] = values[i - season]
    return pd.Series(values, index=history.y.index, name=history.y.name)
