"""Calendar adjustment: learn one multiplicative effect per day kind (holiday, rebound day,
event kind), give the inner model a history with those days made normal, and apply the
effects to future days of the same kind. Any model gains holiday awareness this way,
and last week's holiday no longer repeats into next week's forecast.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from forecast.calendar import NORMAL, POST_HOLIDAY, PRE_HOLIDAY, Event, day_kinds, normalise_day
from forecast.models.base import Fitted, Forecaster
from forecast.series import LEVELS, Forecast, History, make_forecast

_GENERIC_KINDS = (NORMAL, PRE_HOLIDAY, *POST_HOLIDAY)
_MIN_RATIO_TO_RESCALE = 0.15


@dataclass(frozen=True, slots=True)
class DayEffects:
    """Multiplicative effect per day kind, and the pooled effect of unseen holidays."""

    by_kind: dict[str, float]
    unseen_holiday: float

    def factor(self, kind: str) -> float:
        if kind == NORMAL:
            return 1.0
        if kind in self.by_kind:
            return self.by_kind[kind]
        if kind.startswith(PRE_HOLIDAY):
            return self.by_kind.get(PRE_HOLIDAY, 1.0)
        if kind in _GENERIC_KINDS or kind.startswith("event:"):
            return 1.0
        return self.unseen_holiday


def off_weekdays(daily: pd.Series) -> tuple[int, ...]:
    """Weekdays this series is closed or nearly empty on (under a third of its busiest)."""
    means = daily.groupby(pd.DatetimeIndex(daily.index).day_of_week).mean()
    if means.empty or means.max() <= 0:
        return (5, 6)
    return tuple(int(d) for d in means.index if means[d] < means.max() / 3)


def _kinds_for(history: History, days: pd.DatetimeIndex, off: tuple[int, ...]) -> pd.Series:
    events = tuple(e for e in history.events if isinstance(e, Event))
    return day_kinds(days, history.country, events=events, category=history.key.category,
                     off_weekdays=off)


def learn_day_effects(daily: pd.Series, kinds: pd.Series) -> tuple[DayEffects, pd.Series]:
    """Effects per kind from daily totals, and each day's own ratio to a normal day."""
    normal_only = daily.where(kinds == NORMAL)
    neighbours = pd.concat(
        [normal_only.shift(k, freq="D") for k in (-14, -7, 7, 14)], axis=1
    ).reindex(daily.index)
    reference = neighbours.median(axis=1, skipna=True)
    ratio = (daily + 0.5) / (reference + 0.5)
    ratio[(kinds == NORMAL) | reference.isna()] = np.nan
    by_kind: dict[str, float] = {}
    raw: dict[str, float] = {}
    generic = kinds.where(~kinds.str.startswith(PRE_HOLIDAY), PRE_HOLIDAY)
    for frame_kinds in (kinds, generic):
        for kind, values in ratio.dropna().groupby(frame_kinds):
            n = len(values)
            median = float(values.median())
            raw.setdefault(str(kind), median)
            # A closure tends to repeat; a partial dip is shrunk towards normal.
            weight = 1.0 if median < _MIN_RATIO_TO_RESCALE else n / (n + 1)
            effect = float(np.clip(1 + weight * (median - 1), 0.0, 5.0))
            by_kind.setdefault(str(kind), effect)
    # Closing on a holiday is a decision per holiday and does not carry over to others;
    # the dip on holidays the queue stayed open does.
    open_holidays = [by_kind[k] for k, r in raw.items()
                     if _is_holiday_kind(k) and r >= _MIN_RATIO_TO_RESCALE]
    pooled = float(np.median(open_holidays)) if open_holidays else 1.0
    return DayEffects(by_kind=by_kind, unseen_holiday=pooled), ratio


def _is_holiday_kind(kind: str) -> bool:
    return kind not in _GENERIC_KINDS and not kind.startswith(("event:", PRE_HOLIDAY))


@dataclass(frozen=True, slots=True)
class _FittedAdjusted:
    inner: Fitted
    history: History
    effects: DayEffects
    off: tuple[int, ...]
    name: str

    def predict(self, horizon: int, levels: tuple[int, ...] = LEVELS) -> Forecast:
        base = self.inner.predict(horizon, levels)
        days = normalise_day(base.ds)
        unique_days = pd.DatetimeIndex(days.unique())
        kinds = _kinds_for(self.history, unique_days, self.off)
        factor_by_day = pd.Series([self.effects.factor(k) for k in kinds], index=unique_days)
        factor = factor_by_day.reindex(days).to_numpy()
        bounds = {lvl: (lo * factor, hi * factor) for lvl, (lo, hi) in base.bounds.items()}
        return make_forecast(base.ds, base.mean * factor, bounds, self.name)


@dataclass(frozen=True, slots=True)
class CalendarAdjusted:
    """Wrap any forecaster with learnt holiday and event effects."""

    inner: Forecaster
    name: str = ""

    def fit(self, history: History) -> _FittedAdjusted:
        index = pd.DatetimeIndex(history.y.index)
        day_of = normalise_day(index)
        daily = history.y.groupby(day_of).sum()
        daily.index = pd.DatetimeIndex(daily.index)
        off = off_weekdays(daily)
        kinds = _kinds_for(history, pd.DatetimeIndex(daily.index), off)
        effects, ratio = learn_day_effects(daily, kinds)
        cleaned = _normalised_history(history, day_of, ratio)
        inner = self.inner.fit(replace(history, y=cleaned))
        return _FittedAdjusted(inner, history, effects, off, self.name or self.inner.name)


def _normalised_history(history: History, day_of: pd.DatetimeIndex, ratio: pd.Series) -> pd.Series:
    """Divide special days by their own ratio; days too low to rescale copy last week."""
    per_stamp = ratio.reindex(day_of).to_numpy()
    values = history.y.to_numpy(dtype=float, copy=True)
    rescale = np.isfinite(per_stamp) & (per_stamp >= _MIN_RATIO_TO_RESCALE)
    values[rescale] = values[rescale] / per_stamp[rescale]
    season = history.freq.season_length
    for i in np.flatnonzero(np.isfinite(per_stamp) & ~rescale):
        if i >= season:
            values[i] = values[i - season]
    return pd.Series(values, index=history.y.index, name=history.y.name)
