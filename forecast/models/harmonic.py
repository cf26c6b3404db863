"""Harmonic regression for daily series: log counts on a linear trend, a smooth yearly
curve and a monthly one (Fourier terms: bills, statements, salaries) and weekday effects,
fitted by ridge least squares over up to three years (reweighted so empty or wild days
do not bend it), with a step where the level clearly moved to a new one for good (else
the trend and the yearly curve bend to absorb it), then re-anchored on the recent weeks:
the level on the last two, a weekday where its latest three to eight weeks clearly
moved (a weekday no longer served, a Sunday that doubled).

It sees the whole yearly shape at once, where year-over-year ratios see a few weeks of
one year: the two make different mistakes, and their median is often better than either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.calendar import normalise_day
from forecast.errors import InsufficientHistory
from forecast.models.base import ErrorScale, fit_error_scale, robust_sd
from forecast.series import LEVELS, Forecast, History, make_forecast

FIT_DAYS = 3 * 365
MIN_DAYS = 365 + 56  # for the yearly curve
MIN_WEEKS = 3
YEARLY_TERMS = 8
RIDGE = 1.0
MONTH_TERMS = 4  # the day-of-month curve, with the yearly one (a year of history)
RECENT_DAYS = 14
HUBER = 2.0  # residuals beyond this many robust SDs count less
ROBUST_ROUNDS = 4
WEEKDAY_DAYS = 56  # a weekday's own recent level is read over this many days
WEEKDAY_SHIFT_Z = 8.0  # ... and used when it moved this many standard errors
WEEKDAY_MIN_RUN = 3  # ... for its latest three or more weeks
STEP_MIN_DAYS = 28  # a level step is looked for with four weeks on either side of it,
STEP_Z = 8.0  # far beyond chance (neighbouring days' residuals are not independent)
STEP_MIN_GAP = 0.2  # and of 20% or more (in log counts)
_YEAR = 365.25


def _design(days: pd.DatetimeIndex, origin: pd.Timestamp, terms: int) -> np.ndarray:
    """Columns: intercept, trend (years), `terms` yearly sin/cos pairs (and with them
    MONTH_TERMS pairs over the day of the month), Tuesday..Sunday."""
    years = np.asarray((days - origin).days, dtype=float) / _YEAR
    phase = 2 * np.pi * np.asarray(days.day_of_year - 1, dtype=float) / _YEAR
    columns = [np.ones(len(days)), years]
    for k in range(1, terms + 1):
        columns += [np.sin(k * phase), np.cos(k * phase)]
    if terms:
        month_phase = 2 * np.pi * np.asarray(days.day - 1, dtype=float) / np.asarray(
            days.days_in_month, dtype=float)
        for k in range(1, MONTH_TERMS + 1):
            columns += [np.sin(k * month_phase), np.cos(k * month_phase)]
    weekday = np.asarray(days.day_of_week)
    columns += [(weekday == d).astype(float) for d in range(1, 7)]
    return np.column_stack(columns)


def _robust_fit(design: np.ndarray, logged: np.ndarray, *, steps: int = 0
                ) -> tuple[np.ndarray, np.ndarray, float]:
    """Ridge least squares reweighted (Huber) so that days far off the curve, in log
    counts an empty day most of all, bend neither the yearly curve nor the weekdays.
    The last `steps` columns (level steps) are not shrunk, nor are intercept and trend.
    Returns the coefficients, each day's final weight and the residuals' robust SD."""
    penalty = _penalty(design.shape[1], steps)
    weight = np.ones(len(logged))
    coef = np.zeros(design.shape[1])
    scale = 0.0
    for _ in range(ROBUST_ROUNDS):
        weighted = design * weight[:, None]
        coef = np.linalg.solve(weighted.T @ design + penalty, weighted.T @ logged)
        residual = logged - design @ coef
        scale = robust_sd(residual)
        if scale <= 0:
            break
        weight = np.minimum(1.0, HUBER * scale / np.maximum(np.abs(residual), 1e-12))
    return coef, weight, scale


def _penalty(columns: int, steps: int = 0) -> np.ndarray:
    """The ridge penalty: every column but the intercept, the trend and the last `steps`."""
    penalty = RIDGE * np.eye(columns)
    penalty[0, 0] = penalty[1, 1] = 0.0
    for column in range(columns - steps, columns):
        penalty[column, column] = 0.0
    return penalty


def _level_step(design: np.ndarray, residual: np.ndarray, weight: np.ndarray, scale: float
                ) -> int | None:
    """Where the level stepped to a new one that lasted (a new product line, a channel
    moved elsewhere): the week boundary whose step, beside the curve, best explains the
    residuals, if far beyond chance and large; None otherwise.

    Each step is read net of what the trend and the yearly curve make of it (they bend
    to absorb a step a year or two back, leaving little of it in the residuals)."""
    n = len(residual)
    if scale <= 0 or n < 2 * STEP_MIN_DAYS:
        return None
    at = np.arange(n - STEP_MIN_DAYS, STEP_MIN_DAYS - 1, -7)
    steps = (np.arange(n)[:, None] >= at[None, :]).astype(float)
    weighted = design * weight[:, None]
    curve = design @ np.linalg.solve(weighted.T @ design + _penalty(design.shape[1]),
                                     weighted.T @ steps)
    own = steps - curve  # each step beside the curve
    precision = (weight[:, None] * own**2).sum(axis=0)
    with np.errstate(all="ignore"):
        gap = (weight[:, None] * own * residual[:, None]).sum(axis=0) / precision
    z = np.nan_to_num(np.abs(gap) * np.sqrt(precision) / scale)
    passing = (z > STEP_Z) & (np.abs(np.nan_to_num(gap)) >= STEP_MIN_GAP)
    return int(at[np.argmax(np.where(passing, z, -np.inf))]) if passing.any() else None


def _weekday_shifts(residual: np.ndarray, weight: np.ndarray, weekday: np.ndarray, *,
                    scale: float) -> np.ndarray:
    """Per weekday, how far its latest days sit from the recent level (log) since it
    moved, where the move is far beyond chance; 0 elsewhere.

    Each weekday's last eight days are split into the latest k (three or more) and the
    ones before; the split whose medians differ most, in standard errors, decides. Medians,
    unweighted: a weekday no longer served is all far off the curve, which is exactly what
    the fit's weights set aside.
    """
    recent = slice(-WEEKDAY_DAYS, None)
    r, w, day = residual[recent], weight[recent], weekday[recent]
    overall = float(np.average(r, weights=w))
    shifts = np.zeros(7)
    if scale <= 0:  # a curve through every day (a queue with no contact at all)
        return shifts
    for d in range(7):
        own = r[day == d] - overall
        best_z = WEEKDAY_SHIFT_Z
        for k in range(WEEKDAY_MIN_RUN, len(own) + 1):
            latest, before = own[-k:], own[:-k]
            compared = len(before) >= 2
            gap = float(np.median(latest)) - (float(np.median(before)) if compared else 0.0)
            z = abs(gap) / (scale * np.sqrt(1 / k + (1 / len(before) if compared else 0.0)))
            if z > best_z:  # the change decides; the latest weeks' own level is kept
                best_z, shifts[d] = z, float(np.median(latest))
    return shifts


@dataclass(frozen=True, slots=True)
class _FittedHarmonic:
    history: History
    coef: np.ndarray
    origin: pd.Timestamp
    terms: int
    level_shift: float
    stepped: bool
    weekday_shift: np.ndarray
    variance: float
    errors: ErrorScale
    name: str

    def predict(self, horizon: int, levels: tuple[int, ...] = LEVELS) -> Forecast:
        ds = self.history.future_index(horizon)
        days = normalise_day(pd.DatetimeIndex(ds))
        design = _design(days, self.origin, self.terms)
        if self.stepped:
            design = np.column_stack([design, np.ones(len(days))])
        logged = (design @ self.coef + self.level_shift
                  + self.weekday_shift[np.asarray(days.day_of_week)])
        mean = np.maximum(np.expm1(logged + self.variance / 2), 0.0)
        growth = np.sqrt(1.0 + np.arange(horizon) / 7.0) ** 0.5
        return make_forecast(ds, mean, self.errors.bounds(mean, levels, growth), self.name)


@dataclass(frozen=True, slots=True)
class Harmonic:
    """Trend + yearly Fourier curve + weekday effects on log daily counts."""

    name: str = "harmonic"

    def fit(self, history: History) -> _FittedHarmonic:
        """Daily series; under a year of history the yearly curve is left out."""
        if history.freq.is_intraday:
            raise InsufficientHistory(self.name, MIN_DAYS, 0)
        y = history.y.iloc[-FIT_DAYS:]
        if len(y) < MIN_WEEKS * 7:
            raise InsufficientHistory(self.name, MIN_WEEKS * 7, len(y))
        terms = YEARLY_TERMS if len(y) >= MIN_DAYS else 0
        days = normalise_day(pd.DatetimeIndex(y.index))
        origin = pd.Timestamp(days[-1])
        design = _design(days, origin, terms)
        logged = np.log1p(np.maximum(y.to_numpy(dtype=float), 0.0))
        coef, weight, scale = _robust_fit(design, logged)
        step = _level_step(design, logged - design @ coef, weight, scale) if terms else None
        if step is not None:
            design = np.column_stack([design, np.arange(len(days)) >= step])
            coef, weight, scale = _robust_fit(design, logged, steps=1)
        weekday = np.asarray(days.day_of_week)
        curve_residual = logged - design @ coef
        shifts = _weekday_shifts(curve_residual, weight, weekday, scale=scale)
        residual = curve_residual - shifts[weekday]
        level_shift = float(np.average(residual[-RECENT_DAYS:], weights=weight[-RECENT_DAYS:]))
        recent = slice(-RECENT_DAYS * 8, None)
        # Winsorised: the spread of ordinary days, not of the empty ones the fit set aside.
        variance = float(np.var(np.clip(residual[recent], -4 * scale, 4 * scale)))
        fitted = np.expm1(design @ coef + shifts[weekday] + level_shift)
        errors = fit_error_scale(y.to_numpy(dtype=float)[recent], fitted[recent])
        return _FittedHarmonic(history, coef, origin, terms, level_shift, step is not None,
                               shifts, variance, errors, self.name)
