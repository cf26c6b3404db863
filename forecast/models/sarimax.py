"""SARIMAX on log counts with calendar regressors.

A weekly seasonal ARIMA, (1,0,1)(0,1,1)7, whose exogenous columns mark the calendar:
holidays (all of them, and each one the history has seen on its own), the working days
before and after a break by their place (`pre_holiday_1`, `post_holiday_2`...), the
ordinary days off inside a long break, weekend days worked for a bridge day, and each
kind of user event. The future's columns are known from the calendar, so a holiday seen
last year gets its own dip and rebound and an unseen one the average holiday's. It
brings its own holiday handling, so it is not wrapped with the learnt day effects the
other models share. Daily only; intraday series split its daily totals (`DailySplit`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.tsa.statespace.sarimax import SARIMAX

from forecast.calendar import EVENT, NORMAL, is_holiday_kind, kind_family
from forecast.day_effects import off_weekdays
from forecast.errors import InsufficientHistory, InvalidParameter
from forecast.models.adjusted import history_day_kinds
from forecast.series import LEVELS, Forecast, Freq, History, make_forecast

ORDER = (1, 0, 1)
SEASONAL_ORDER = (0, 1, 1, 7)
MAX_FIT_DAYS = 2 * 365
MIN_FIT_DAYS = 21
HOLIDAY = "holiday"


def calendar_regressors(kinds: pd.Series, closed: frozenset[str] = frozenset()
                        ) -> pd.DataFrame:
    """One 0/1 column per day kind that is not normal: `holiday` for every public holiday
    the queue does not close on (`closed` names those it does: a closure is a decision
    per holiday and says nothing of the others), `holiday:<name>` for each holiday, the
    family of the days around breaks (`post_holiday_1`), and `event:<kind>` for each
    event kind."""
    labels = kinds.astype(str)
    columns: dict[str, np.ndarray] = {}
    holiday = labels.map(is_holiday_kind).to_numpy(dtype=bool)
    columns[HOLIDAY] = holiday & ~labels.isin(closed).to_numpy()
    for name in sorted(set(labels[holiday])):
        columns[f"{HOLIDAY}:{name}"] = (labels == name).to_numpy()
    others = labels[(labels != NORMAL) & ~holiday]
    for kind in sorted(set(others)):
        column = kind if kind.startswith(f"{EVENT}:") else kind_family(kind)
        columns[column] = columns.get(column, np.zeros(len(labels), dtype=bool)) | (
            labels == kind).to_numpy()
    return pd.DataFrame({k: v.astype(float) for k, v in columns.items()}, index=kinds.index)


def closed_holidays(kinds: pd.Series, y: pd.Series) -> frozenset[str]:
    """Holidays the queue had no contact on, every time it met them."""
    labels = kinds.astype(str)
    holiday = labels.map(is_holiday_kind) & y.notna()
    busiest = y[holiday].groupby(labels[holiday]).max()
    return frozenset(str(name) for name, most in busiest.items() if most <= 0)


@dataclass(frozen=True, slots=True)
class _FittedSarimax:
    history: History
    result: Any
    columns: list[str]
    off: tuple[int, ...]
    closed: frozenset[str]
    name: str

    def predict(self, horizon: int, levels: tuple[int, ...] = LEVELS) -> Forecast:
        ds = self.history.future_index(horizon)
        exog = None
        if self.columns:
            future = calendar_regressors(history_day_kinds(self.history, ds, self.off), self.closed)
            exog = future.reindex(columns=self.columns, fill_value=0.0).to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = self.result.get_forecast(horizon, exog=exog)
            mean = np.maximum(np.expm1(np.asarray(found.predicted_mean, dtype=float)), 0.0)
            bounds = {}
            for level in levels:
                interval = np.asarray(found.conf_int(alpha=1 - level / 100), dtype=float)
                bounds[level] = (np.maximum(np.expm1(interval[:, 0]), 0.0),
                                 np.maximum(np.expm1(interval[:, 1]), 0.0))
        return make_forecast(ds, mean, bounds, self.name)


@dataclass(frozen=True, slots=True)
class Sarimax:
    """Weekly seasonal ARIMA on log1p daily counts with calendar regressors."""

    name: str = "sarimax"

    def fit(self, history: History) -> _FittedSarimax:
        if history.freq is not Freq.DAILY:
            raise InvalidParameter("freq", history.freq.value, "daily counts (split intraday ones)")
        y = history.y.iloc[-MAX_FIT_DAYS:]
        if int(y.notna().sum()) < MIN_FIT_DAYS:
            raise InsufficientHistory(self.name, MIN_FIT_DAYS, int(y.notna().sum()))
        days = pd.DatetimeIndex(y.index)
        off = off_weekdays(y.dropna())
        kinds = history_day_kinds(history, days, off)
        closed = closed_holidays(kinds, y)
        regressors = calendar_regressors(kinds, closed)
        seen = regressors.loc[y.notna().to_numpy()].sum()
        columns = [c for c in regressors.columns if seen[c] > 0]
        logged = np.log1p(np.maximum(y.to_numpy(dtype=float), 0.0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = SARIMAX(logged, exog=regressors[columns].to_numpy() if columns else None,
                            order=ORDER, seasonal_order=SEASONAL_ORDER)
            result = model.fit(disp=False, maxiter=50)
        return _FittedSarimax(history, result, columns, off, closed, self.name)
