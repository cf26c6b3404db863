"""Calendar adjustment: give any inner model a history with its special days made normal
(their effects read by forecast.day_effects: holidays, days around a break, events, lone
surges and broken exports), the month's cycle and a surge wearing off taken out and a
recent level shift followed, then apply the effects, the cycle and what is left of the
surge to the future days. Any model gains
holiday awareness this way, and last week's holiday no longer repeats into next week's
forecast.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

import numpy as np
import pandas as pd

from forecast.calendar import NORMAL, Event, commonly_worked_holidays, day_kinds, normalise_day
from forecast.day_effects import (
    MIN_RATIO_TO_RESCALE,
    DayEffects,
    learn_day_effects,
    off_weekdays,
)
from forecast.day_shapes import DayShapes, learn_day_shapes
from forecast.fading_surge import FadingSurge, recent_fading_surge
from forecast.level_shift import COLLAPSE, LevelShift, recent_level_shift
from forecast.models.base import Fitted, Forecaster
from forecast.month_cycle import MonthCycle, month_cycle
from forecast.openhours import borrow_from_neighbouring_weeks, open_slots, weekly_slot
from forecast.series import LEVELS, Forecast, History, make_forecast
from forecast.weekday_shift import REOPENED, at_current_weekday_levels, recent_weekday_shifts
from forecast.yearly_dates import on_dates

T = TypeVar("T")
# Once a surge is taken out, a level shift starting within this many days of it is the
# step the surge settled on (a launch's rush settling higher).
SETTLED_STEP_DAYS = 7


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


def guessed_holidays(history: History, stamps: pd.DatetimeIndex) -> np.ndarray:
    """True for stamps on a holiday whose running is a guess (DayEffects.is_guess)."""
    reading = _read_calendar(history)
    days = normalise_day(stamps)
    kinds = history_day_kinds(history, pd.DatetimeIndex(days.unique()), reading.off)
    guess = kinds.map(reading.effects.is_guess).astype(bool)
    return np.asarray(guess.reindex(days).to_numpy(), dtype=bool)


def broken_days(history: History) -> np.ndarray:
    """True for stamps on a day the queue fell to (almost) nothing and came back (a broken
    export, read by forecast.day_effects): no yardstick for a backtest either."""
    days = normalise_day(pd.DatetimeIndex(history.y.index))
    return np.asarray(days.isin(_read_calendar(history).outage_days), dtype=bool)


def with_broken_days_missing(history: History) -> History:
    """`history` with its broken days (broken_days) unobserved and filled from the weeks
    around them, as a missing day is. A backtest fold trained up to such days cannot tell
    them from a closure (the days after them are its future) and forecasts the queue shut:
    its errors would speak of no forecast the whole history makes."""
    broken = broken_days(history)
    if not broken.any():
        return history
    values = history.y.to_numpy(dtype=float, copy=True)
    values[broken] = np.nan
    filled = borrow_from_neighbouring_weeks(values, history.freq.season_length)
    return replace(history, y=pd.Series(filled, index=history.y.index, name=history.y.name),
                   observed=history.observed_mask() & ~broken)


@dataclass(frozen=True, slots=True)
class _FittedAdjusted:
    inner: Fitted
    history: History
    effects: DayEffects
    off: tuple[int, ...]
    cycle: MonthCycle | None
    surge: FadingSurge | None
    shapes: DayShapes
    name: str

    def predict(self, horizon: int, levels: tuple[int, ...] = LEVELS) -> Forecast:
        base = self.inner.predict(horizon, levels)
        days = normalise_day(base.ds)
        unique_days = pd.DatetimeIndex(days.unique())
        kinds = history_day_kinds(self.history, unique_days, self.off)
        factor = self.effects.day_factors(unique_days, kinds).reindex(days).to_numpy()
        if self.cycle is not None:
            factor = factor * self.cycle.factor(days)
        if self.surge is not None:
            factor = factor * self.surge.factor(days)
        mean = base.mean * factor
        shaped = self.shapes.multipliers(unique_days, kinds)
        if shaped:  # a special day's own hours: the eve shut at 14:00
            reshaped = self.shapes.reshape(mean, base.ds, day_of=days, multipliers=shaped)
            factor = factor * np.divide(reshaped, mean, out=np.zeros_like(mean), where=mean > 0)
            mean = reshaped
        bounds = {lvl: (lo * factor, hi * factor) for lvl, (lo, hi) in base.bounds.items()}
        return make_forecast(base.ds, mean, bounds, self.name)


@dataclass(frozen=True, slots=True)
class CalendarAdjusted:
    """Wrap any forecaster with learnt holiday and event effects."""

    inner: Forecaster
    name: str = ""
    # Move the days before a recent level shift to the new level. Off for models of the
    # yearly season: a shift read against the weeks before it holds the season's own
    # rise or fall too, and they follow a new level their own way. A queue gone quiet
    # (no longer used, a category retired) is followed by every model.
    follow_level_shifts: bool = True

    def fit(self, history: History) -> _FittedAdjusted:
        read = _read_calendar(history)
        follows = self.follow_level_shifts or read.gone_quiet
        cleaned = read.at_recent_level if follows else read.normalised
        inner = self.inner.fit(replace(history, y=cleaned))
        return _FittedAdjusted(inner, history, read.effects, read.off, read.cycle, read.surge,
                               read.shapes, self.name or self.inner.name)


@dataclass(frozen=True, slots=True)
class _CalendarReading:
    """What the calendar makes of one history: the day effects and day-of-month cycle
    learnt from it, and the history with special days made normal and the cycle and a
    surge wearing off taken out, before and after a recent level shift and a weekday's own
    shift."""

    effects: DayEffects
    off: tuple[int, ...]
    cycle: MonthCycle | None
    surge: FadingSurge | None
    shapes: DayShapes
    normalised: pd.Series
    at_recent_level: pd.Series
    gone_quiet: bool  # the recent level shift is to (almost) nothing
    outage_days: pd.DatetimeIndex  # normal days read as broken exports (not yearly closures)


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
        whole = _whole_days(history, day_of)
        off = off_weekdays(daily)
        kinds = history_day_kinds(history, pd.DatetimeIndex(daily.index), off)
        effects, ratio = learn_day_effects(
            daily, kinds, whole, commonly_worked=commonly_worked_holidays(history.country),
            without_calendar=history.country is None)
        # A month's rush on the same day every month reads as a lone surge where it is
        # twice its neighbours; the cycle reads those days too (not outages).
        cycle = _month_cycle(daily, (kinds == NORMAL) & whole & ~(ratio < 1), history.country)
        shapes = learn_day_shapes(history.y, history.freq, day_of=day_of, kinds=kinds,
                                  whole=whole)
        normalised = _normalised_history(history, day_of, ratio, cycle)
        shaped_days = list(shapes.multipliers(pd.DatetimeIndex(daily.index), kinds))
        if shaped_days:
            normalised = pd.Series(shapes.as_normal_days(
                normalised.to_numpy(), pd.DatetimeIndex(history.y.index), day_of=day_of,
                days=shaped_days), index=normalised.index, name=normalised.name)
        ordinary = (kinds == NORMAL) & ratio.isna() & whole
        measured_daily, measured = _daily_measure(normalised, day_of, ordinary)
        # A surge wearing off reads as a step too, if a fading one: it goes first, and
        # the level shift is read on what is left (a rush's step to where it settles).
        surge = recent_fading_surge(measured_daily, measured)
        if surge is not None:  # no season: every model sees the history without it
            normalised = normalised / surge.factor(day_of)
            measured_daily = measured_daily / surge.factor(
                pd.DatetimeIndex(measured_daily.index))
        shift = _under_surge(recent_level_shift(measured_daily, measured), surge)
        at_level, gone_quiet = _at_level(normalised, day_of, shift)
        at_level = _at_weekday_levels(at_level, day_of, ordinary,
                                      only_reopened=history.freq.is_intraday)
        yearly = on_dates(pd.DatetimeIndex(daily.index), effects.annual_closures)
        outages = pd.DatetimeIndex(daily.index[((kinds == NORMAL) & ~yearly
                                                & (ratio < MIN_RATIO_TO_RESCALE)).to_numpy()])
        reading = _CalendarReading(effects, off, cycle, surge, shapes, normalised, at_level,
                                   gone_quiet, outages)
        _READINGS.put(key, reading)
    return reading


def _under_surge(shift: LevelShift | None, surge: FadingSurge | None) -> LevelShift | None:
    """The level shift read once a surge is taken out, where it is the step the surge
    settled on (starting within SETTLED_STEP_DAYS of it). A later jump is another surge
    or a step, which a week or two cannot tell apart: it is not read as a new level."""
    if shift is None or surge is None:
        return shift
    return shift if shift.start <= surge.start + pd.Timedelta(days=SETTLED_STEP_DAYS) else None


def _month_cycle(daily: pd.Series, ordinary: pd.Series, country: str | None
                 ) -> MonthCycle | None:
    """The day-of-month cycle of the daily totals, read on a regular daily index."""
    days = pd.date_range(daily.index.min(), daily.index.max(), freq="D")
    return month_cycle(daily.reindex(days, fill_value=0.0),
                       ordinary.reindex(days, fill_value=False), country)


def _daily_measure(values: pd.Series, day_of: pd.DatetimeIndex, ordinary: pd.Series
                   ) -> tuple[pd.Series, pd.Series]:
    """The daily totals of `values` on a regular daily index, and its `ordinary` days."""
    daily = values.groupby(day_of).sum(min_count=1)
    daily.index = pd.DatetimeIndex(daily.index)
    daily = daily.reindex(pd.date_range(daily.index.min(), daily.index.max(), freq="D"))
    return daily, ordinary.reindex(daily.index, fill_value=False)


def _whole_days(history: History, day_of: pd.DatetimeIndex) -> pd.Series:
    """Per day, whether it holds every slot its weekday is open in: an intraday history
    starts, and a backtest's fold may end, part-way through a day, and a day cut short
    measures no level and is no yardstick (a day ending once the queue shut is whole)."""
    index = pd.DatetimeIndex(history.y.index)
    days = pd.DatetimeIndex(day_of)
    if not history.freq.is_intraday:
        return pd.Series(True, index=days.unique())
    is_open = open_slots(history.y, history.freq)
    held = pd.Series(is_open[weekly_slot(index, history.freq)], index=days)
    held_open = held.groupby(level=0).sum()
    held_open.index = pd.DatetimeIndex(held_open.index)
    per_weekday = is_open.reshape(7, history.freq.per_day).sum(axis=1)
    return held_open >= per_weekday[held_open.index.day_of_week]


def _at_weekday_levels(values: pd.Series, day_of: pd.DatetimeIndex, ordinary: pd.Series,
                       *, only_reopened: bool) -> pd.Series:
    """`values` with a weekday whose own level moved against the rest of its week
    (forecast.weekday_shift) at its new level. Models of the yearly season keep their own
    reading of it (the harmonic regression's weekday shifts). Intraday, only a weekday
    opened after being shut (a Saturday service begun): its other changes show in the
    opening hours (forecast.openhours), and reading them here too measured worse on 100
    random intraday queues (0.735 -> 0.737 WAPE)."""
    daily, measured = _daily_measure(values, day_of, ordinary)
    shifts = recent_weekday_shifts(daily, measured)
    if only_reopened:
        shifts = [shift for shift in shifts if shift.factor >= REOPENED]
    return at_current_weekday_levels(values, day_of, shifts)


def _at_level(values: pd.Series, day_of: pd.DatetimeIndex, shift: LevelShift | None
              ) -> tuple[pd.Series, bool]:
    """`values` with the days before a recent level shift moved to the new level, so every
    model (an 8-week average too) forecasts from where the queue is now; and whether the
    new level is (almost) nothing."""
    if shift is None:
        return values, False
    moved = values.where(np.asarray(day_of >= shift.start), values * shift.factor)
    return moved, shift.factor < COLLAPSE


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
    rescale = np.isfinite(per_stamp) & (per_stamp >= MIN_RATIO_TO_RESCALE)
    values[rescale] = values[rescale] / per_stamp[rescale]
    season = history.freq.season_length
    for i in np.flatnonzero(np.isfinite(per_stamp) & ~rescale):
        if i >= season:
            values[i] = values[i - season]
    return pd.Series(values, index=history.y.index, name=history.y.name)
