"""Opening hours and gaps: closed intervals forecast zero and never drag a model down.

History arrives with gaps: closed hours missing (operating-hours-only exports), whole
days missing (holidays, outages of the export). `prepare_history` puts it on a regular
grid and fills every gap so models see a complete series: closed slots and known
holidays get 0, missing open days are borrowed from the same slots a week earlier (or
later). Opening hours that changed lately are read from the day they changed: older
days are spread over the current hours. `OpenHours` remembers which weekly slots are
open so forecasts elsewhere are 0, with bands from how often such quiet slots still got
a contact the week after.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from forecast.calendar import Event, holiday_names
from forecast.series import Forecast, Freq, History, SeriesKey, make_forecast

OPEN_LOOKBACK_WEEKS = 8
CLOSED_EVIDENCE = 3.0  # expected contacts a weekday read as closed went without (P(0) < 5%)
_LATE_SHARE = 0.05
_BUSY_SLOT = 5.0  # mean contacts per week in a slot whose opening or closing marks new hours
_MIN_WEEKS_EACH_SIDE = 2
_MIN_SLOTS_CHANGED = 3  # within a week, on two weekdays or more


def weekly_slot(ts: pd.DatetimeIndex, freq: Freq) -> np.ndarray:
    """Position of each stamp within the week (0 = Monday's first interval)."""
    if freq is Freq.DAILY:
        return np.asarray(ts.day_of_week)
    minute_of_day = np.asarray(ts.hour * 60 + ts.minute)
    slots = np.asarray(ts.day_of_week) * freq.per_day + minute_of_day // freq.minutes
    return np.asarray(slots, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class OpenHours:
    """Which weekly slots had any demand in the recent weeks."""

    freq: Freq
    open_slots: np.ndarray  # bool, one per weekly slot
    stray: np.ndarray | None = None  # contacts a closed slot may still get (stray_rates)

    def mask(self, ts: pd.DatetimeIndex) -> np.ndarray:
        return np.asarray(self.open_slots[weekly_slot(ts, self.freq)])

    def apply(self, forecast: Forecast) -> Forecast:
        """Zero the forecast in closed slots; their upper bounds are the Poisson quantiles
        of their stray rate (0 where the queue is really shut)."""
        slots = weekly_slot(forecast.ds, self.freq)
        is_open = self.open_slots[slots]
        stray = np.zeros(len(slots)) if self.stray is None else self.stray[slots]
        bounds = {}
        for level, (lo, hi) in forecast.bounds.items():
            closed_hi = stats.poisson.ppf(1 - (100 - level) / 200, stray)
            bounds[level] = (lo * is_open, np.where(is_open, hi, closed_hi))
        return make_forecast(forecast.ds, forecast.mean * is_open, bounds, forecast.model)


def learn_open_hours(y: pd.Series, freq: Freq) -> OpenHours:
    """The weekly slots open of late (`open_slots`), and the contacts the others may still
    get (`stray_rates`)."""
    positive = open_slots(y, freq)
    return OpenHours(freq=freq, open_slots=positive, stray=stray_rates(y, freq, positive))


def open_slots(y: pd.Series, freq: Freq) -> np.ndarray:
    """Per weekly slot, whether it is open: it saw a positive count in the last few weeks
    of observations.

    A weekday the history has not reached yet (under a week of data) is not known to be
    closed: it opens like the weekdays seen (daily: open; intraday: at the times of day
    any seen weekday was open).
    """
    index = pd.DatetimeIndex(y.index)
    recent = y[index > index[-1] - pd.Timedelta(weeks=OPEN_LOOKBACK_WEEKS)]
    recent_index = pd.DatetimeIndex(recent.index)
    slots = weekly_slot(recent_index, freq)
    positive = np.zeros(freq.season_length, dtype=bool)
    values = recent.to_numpy(dtype=float, copy=True)
    np.logical_or.at(positive, slots, np.nan_to_num(values, nan=0.0) > 0)
    unseen = sorted(set(range(7)) - set(np.unique(recent_index.day_of_week).tolist()))
    if unseen and positive.any():
        by_day = positive.reshape(7, freq.per_day)
        by_day[unseen] = by_day.any(axis=0)
    if freq is Freq.DAILY:
        positive = _closed_where_telling(recent, positive)
    return positive


def _closed_where_telling(recent: pd.Series, positive: np.ndarray) -> np.ndarray:
    """Daily weekdays without a contact stay open unless the queue is busy enough that
    their empty weeks tell: at the open weekdays' rate they would have had
    `CLOSED_EVIDENCE` contacts or more (a quiet queue's empty Sundays are chance)."""
    if not positive.any():
        return positive
    values = recent.to_numpy(dtype=float)
    weekday = np.asarray(pd.DatetimeIndex(recent.index).day_of_week)
    seen = np.isfinite(values)
    rate = float(values[seen & positive[weekday]].mean())
    days_seen = np.bincount(weekday[seen], minlength=7)  # a weekday never sent stays shut
    return np.asarray(positive | ((days_seen > 0) & (rate * days_seen < CLOSED_EVIDENCE)),
                      dtype=bool)


def stray_rates(y: pd.Series, freq: Freq, open_slots: np.ndarray) -> np.ndarray:
    """Per closed weekly slot of an intraday queue, the contacts it may still get: the
    higher of (a) how many a slot empty for the weeks before got the week after, over
    the history (stray night calls of a 24/7 desk; about 0 where the queue is shut) and
    (b) the lowest of its neighbours' recent means (the slots before and after it, the
    same time on the other weekdays): a sparse queue's quiet hour between busy ones."""
    if not freq.is_intraday or open_slots.all():
        return np.zeros(freq.season_length)
    index = pd.DatetimeIndex(y.index)
    values = y.to_numpy(dtype=float)
    # On a day with rows, a slot without one had no contact (sparse exports, raw events).
    with_rows = pd.Series(~np.isnan(values)).groupby(index.normalize()).transform("any")
    read = with_rows.to_numpy(dtype=bool)
    if not read.any():
        return np.zeros(freq.season_length)
    index, values = index[read], np.nan_to_num(values[read])
    slots = weekly_slot(index, freq)
    week = np.asarray((index.normalize() - index[0].normalize()).days // 7)
    recent = week > week[-1] - OPEN_LOOKBACK_WEEKS
    counts = np.bincount(slots[recent], values[recent], minlength=freq.season_length)
    seen = np.bincount(slots[recent], minlength=freq.season_length)
    mean = np.divide(counts, seen, out=np.zeros_like(counts), where=seen > 0)
    by_day = mean.reshape(7, freq.per_day)
    other_days = ((by_day.sum(axis=0, keepdims=True) - by_day) / 6.0).ravel()
    between = np.minimum.reduce([np.roll(mean, 1), np.roll(mean, -1), other_days])
    rates = np.maximum(between, _quiet_slot_rate(week, slots, values,
                                                 season=freq.season_length))
    return np.where(open_slots, 0.0, rates)


def _quiet_slot_rate(week: np.ndarray, slots: np.ndarray, values: np.ndarray, *,
                     season: int) -> float:
    """Mean count of a slot in a week after OPEN_LOOKBACK_WEEKS (or fewer, early on) in
    which it had none, pooled over the history's weeks and slots."""
    shape = (int(week[-1]) + 1, season)
    counts, seen = np.zeros(shape), np.zeros(shape, dtype=bool)
    np.add.at(counts, (week, slots), values)
    seen[week, slots] = True
    contacts = instances = 0.0
    for current in range(1, shape[0]):
        before = slice(max(0, current - OPEN_LOOKBACK_WEEKS), current)
        quiet = seen[before].any(axis=0) & (counts[before].sum(axis=0) == 0) & seen[current]
        contacts += float(counts[current, quiet].sum())
        instances += float(quiet.sum())
    return contacts / instances if instances else 0.0


def regular_grid(y: pd.Series, freq: Freq) -> pd.Series:
    """Reindex observed counts (naive wall-clock index) onto a regular grid; gaps are NaN."""
    index = pd.DatetimeIndex(y.index)
    start = index.min().normalize() if freq is Freq.DAILY else index.min()
    grid = pd.date_range(start, index.max(), freq=freq.offset if freq.is_intraday else "D")
    return y.groupby(level=0).sum().reindex(grid)


def without_leading_empty_days(observed: pd.Series) -> pd.Series:
    """Counts from the first day with a contact: the zero rows a zero-filled export gives a
    queue before it opened (a category added later) are not a closed queue's history."""
    days = pd.DatetimeIndex(observed.index).normalize()
    busy = days[observed.to_numpy(dtype=float) > 0]
    if busy.empty:
        return observed
    return observed[days >= busy.min()]


def without_partial_last_day(observed: pd.Series, freq: Freq) -> pd.Series:
    """Intraday counts without a last day that stops while the queue is still busy (a file
    exported at noon, a store read mid-day): models read days as wholes and would take the
    half day for a collapse. The day stays when nothing came before it, and when the
    recent same weekdays had under `_LATE_SHARE` of their volume after its last stamp (a
    queue that shuts at 18:00 read at 20:00, a quiet last hour in raw events)."""
    if not freq.is_intraday or observed.empty:
        return observed
    index = pd.DatetimeIndex(observed.index)
    last = index.max()
    day = last.normalize()
    earlier = index < day
    if not earlier.any():
        return observed
    recent = observed[earlier & (index >= day - pd.Timedelta(weeks=OPEN_LOOKBACK_WEEKS))]
    stamps = pd.DatetimeIndex(recent.index)
    same_weekday = recent[stamps.day_of_week == day.day_of_week]
    if float(same_weekday.sum()) <= 0:
        same_weekday = recent
    clock = pd.DatetimeIndex(same_weekday.index)
    after = same_weekday[(clock - clock.normalize()) > (last - day)]
    total = float(same_weekday.sum())
    if total <= 0 or float(after.sum()) < _LATE_SHARE * total:
        return observed
    return observed[earlier]


def prepare_history(
    observed: pd.Series,
    key: SeriesKey,
    freq: Freq,
    *,
    country: str | None = None,
    events: tuple[Event, ...] = (),
) -> tuple[History, OpenHours]:
    """A gap-free History and the open hours learnt from it."""
    grid = with_current_hours(regular_grid(without_leading_empty_days(observed), freq), freq)
    hours = learn_open_hours(grid, freq)
    values = grid.to_numpy(dtype=float, copy=True)
    index = pd.DatetimeIndex(grid.index)
    days = index.normalize()
    day_observed = pd.Series(~np.isnan(values), index=index).groupby(days).transform("any")
    missing_day = ~day_observed.to_numpy()
    holiday = (holiday_names(days, country) != "").to_numpy() if country else False
    slot_open = hours.mask(index)
    # Every slot of a day with rows is observed: a slot without a row on such a day is
    # closed or had no contact (raw events and sparse exports leave zeros out).
    observed_mask = day_observed.to_numpy(dtype=bool)
    closed_gap = np.isnan(values) & (~missing_day | ~slot_open | holiday)
    values[closed_gap] = 0.0
    values = borrow_from_neighbouring_weeks(values, freq.season_length)
    filled = pd.Series(values, index=index, name="y")
    history = History(key=key, freq=freq, y=filled, country=country, events=events,
                      observed=observed_mask)
    return history, hours


def hours_changed_at(grid: pd.Series, freq: Freq) -> pd.Timestamp | None:
    """The first day of the current opening hours, when they changed in the recent weeks
    (a queue now open from 08:00, or no longer after 18:00), else None.

    A weekly slot has changed when it was empty for at least two weeks and busy
    (`_BUSY_SLOT` contacts on average, never empty) in every week of at least two since,
    or the other way round; the hours have changed when `_MIN_SLOTS_CHANGED` slots on
    two weekdays or more changed within a week. Days without a contact (closures,
    missing days) are not read.
    """
    if not freq.is_intraday or grid.empty:
        return None
    index = pd.DatetimeIndex(grid.index)
    days = index.normalize()
    first_day = days[-1] - pd.Timedelta(weeks=OPEN_LOOKBACK_WEEKS) + pd.Timedelta(days=1)
    recent = grid[days >= first_day]
    values = recent.to_numpy(dtype=float)
    recent_days = pd.DatetimeIndex(recent.index).normalize()
    day_total = pd.Series(np.nan_to_num(values), index=recent.index).groupby(
        recent_days).transform("sum").to_numpy()
    table = pd.DataFrame({"slot": weekly_slot(pd.DatetimeIndex(recent.index), freq),
                          "day": recent_days,
                          "count": np.where(day_total > 0, np.nan_to_num(values), np.nan)})
    changed: list[pd.Timestamp] = []
    for _, weeks in table.dropna().groupby("slot"):
        counts = weeks["count"].to_numpy()
        for k in range(_MIN_WEEKS_EACH_SIDE, len(counts) - _MIN_WEEKS_EACH_SIDE + 1):
            before, after = counts[:k], counts[k:]
            opened = not before.any() and after.all() and after.mean() >= _BUSY_SLOT
            closed = not after.any() and before.all() and before.mean() >= _BUSY_SLOT
            if opened or closed:
                changed.append(pd.Timestamp(weeks["day"].iloc[k]))
                break
    if not changed:
        return None
    latest = max(changed)
    together = pd.DatetimeIndex([d for d in changed if d > latest - pd.Timedelta(days=7)])
    if len(together) < _MIN_SLOTS_CHANGED or together.day_of_week.nunique() < 2:
        return None
    return pd.Timestamp(together.min())


def with_current_hours(grid: pd.Series, freq: Freq) -> pd.Series:
    """The grid with the days before an opening-hours change spread over the current
    hours: each keeps its total, shared out by its weekday's profile since the change, so
    that models read one intraday shape (and a change of level on the day it happened)."""
    changed = hours_changed_at(grid, freq)
    if changed is None:
        return grid
    index = pd.DatetimeIndex(grid.index)
    days = index.normalize()
    slots = weekly_slot(index, freq)
    raw = grid.to_numpy(dtype=float)
    values = np.nan_to_num(raw)
    since = np.asarray(days >= changed)
    profile = np.bincount(slots[since], weights=values[since], minlength=freq.season_length)
    by_weekday = profile.reshape(7, freq.per_day).sum(axis=1)
    weekday = np.asarray(index.day_of_week)
    share = profile / np.repeat(np.where(by_weekday > 0, by_weekday, 1.0), freq.per_day)
    # A weekday not seen since the change keeps its own shape.
    respread = ~since & (by_weekday[weekday] > 0)
    per_day = pd.DataFrame({"total": values, "share": share[slots], "seen": ~np.isnan(raw)}
                           ).groupby(days)
    day_total = per_day["total"].transform("sum").to_numpy()
    day_share = per_day["share"].transform("sum").to_numpy()  # under 1 where the grid
    seen = per_day["seen"].transform("any").to_numpy(dtype=bool)  # starts mid-day
    respread &= seen & (day_share > 0)
    out = raw.copy()
    out[respread] = (day_total * share[slots] / np.where(day_share > 0, day_share, 1.0)
                     )[respread]
    return pd.Series(out, index=grid.index, name=grid.name)


def borrow_from_neighbouring_weeks(values: np.ndarray, season: int) -> np.ndarray:
    """NaN intervals filled from the same slot a week before (else after); 0 where
    neither is known."""
    out = values.copy()
    for i in np.flatnonzero(np.isnan(out)):
        if i >= season and not np.isnan(out[i - season]):
            out[i] = out[i - season]
    for i in np.flatnonzero(np.isnan(out))[::-1]:
        if i + season < len(out) and not np.isnan(out[i + season]):
            out[i] = out[i + season]
    return np.asarray(np.nan_to_num(out, nan=0.0), dtype=float)
