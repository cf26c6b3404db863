"""Intraday by splitting: forecast daily totals with a daily model, then spread each day
over its intervals by the weekday's recent intraday profile (share of the day per slot)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from forecast.models.base import ErrorScale, Fitted, Forecaster, fit_error_scale
from forecast.openhours import weekly_slot
from forecast.series import LEVELS, Forecast, Freq, History, make_forecast

PROFILE_WEEKS = 10
PROFILE_PSEUDO_COUNTS = 400.0
# A slot's share is shrunk towards its neighbours' as if they lent it this many contacts
# times the slot's minutes: 25 for an hour, 100 for a quarter (neighbours a quarter of an
# hour apart are more alike than an hour apart).
SLOT_PSEUDO_COUNT_MINUTES = 1500.0
# A slot's count is a one-off burst, left out of the profile, when it is this many times
# what its share of the day's total predicts and this many noise scales above it (Poisson,
# widened by the queue's own overdispersion, read robustly from all its slots).
BURST_RATIO = 1.5
BURST_Z = 3.0
CHI2_1_MEDIAN = 0.455  # median of a squared standard normal: turns a median into a variance
BURST_MIN_EXPECTED = 5.0  # under it, expected counts are read too noisily to call bursts


@dataclass(frozen=True, slots=True)
class _FittedSplit:
    history: History
    daily: Fitted
    shares: np.ndarray  # share of its day's total per weekly slot
    split_errors: ErrorScale
    name: str

    def predict(self, horizon: int, levels: tuple[int, ...] = LEVELS) -> Forecast:
        ds = self.history.future_index(horizon)
        days = ds.normalize()
        last_day = pd.Timestamp(self.history.y.index[-1]).normalize()
        n_days = int((days.max() - last_day).days)
        daily = self.daily.predict(max(n_days, 1), levels)
        daily_index = pd.DatetimeIndex(daily.ds).normalize()
        position = daily_index.get_indexer(days)
        share = self.shares[weekly_slot(ds, self.history.freq)]
        total = daily.mean[position]
        mean = total * share
        bounds = {}
        for level, (lo, hi) in daily.bounds.items():
            split = self.split_errors.bounds(mean, (level,))[level]
            lo_gap = np.hypot((total - lo[position]) * share, mean - split[0])
            hi_gap = np.hypot((hi[position] - total) * share, split[1] - mean)
            bounds[level] = (mean - lo_gap, mean + hi_gap)
        return make_forecast(ds, mean, bounds, self.name)


@dataclass(frozen=True, slots=True)
class DailySplit:
    """Daily model x weekday intraday profile."""

    daily_model: Forecaster
    name: str = "daily_split"

    def fit(self, history: History) -> Fitted:
        """Daily series need no split: the daily model answers them directly."""
        if not history.freq.is_intraday:
            return self.daily_model.fit(history)
        y = history.y
        index = pd.DatetimeIndex(y.index)
        first_full = index[0].normalize() + pd.Timedelta(days=1)
        y = y[index >= first_full] if index[0] != index[0].normalize() else y
        index = pd.DatetimeIndex(y.index)
        daily_totals = y.groupby(index.normalize()).sum()
        daily_totals.index = pd.DatetimeIndex(daily_totals.index, freq="D")
        daily_history = replace(history, y=daily_totals, freq=Freq.DAILY)
        fitted_daily = self.daily_model.fit(daily_history)
        shares, expected = _weekday_shares(y, history.freq)
        errors = fit_error_scale(y.to_numpy(dtype=float)[-len(expected):], expected)
        return _FittedSplit(history, fitted_daily, shares, errors, self.name)


def _weekday_shares(y: pd.Series, freq: Freq) -> tuple[np.ndarray, np.ndarray]:
    """Share of the day's total per weekly slot over recent weeks, and the in-sample
    split of recent actual totals it implies.

    One-off bursts (a slot far above its usual share of the day) are first brought back to
    that share, so one storm of calls does not reshape the weeks after it.
    Low-volume weekdays borrow strength from the profile pooled over all weekdays: each
    weekday's shares are shrunk towards it in proportion to how few contacts it saw; and
    within a day, each sparse slot first borrows from its open neighbours, read against
    the pooled profile (`_smoothed`).
    """
    recent = y[y.index > y.index[-1] - pd.Timedelta(weeks=PROFILE_WEEKS)]
    index = pd.DatetimeIndex(recent.index)
    slots = weekly_slot(index, freq)
    days = index.normalize()
    values = _without_bursts(recent.to_numpy(dtype=float), days, slots, freq)
    totals = pd.Series(values).groupby(days).transform("sum").to_numpy(dtype=float)
    per_day = freq.per_day
    slot_sum = np.bincount(slots, weights=values, minlength=freq.season_length)
    day_sum = np.bincount(slots, weights=totals, minlength=freq.season_length)
    shares = np.divide(slot_sum, day_sum, out=np.zeros_like(slot_sum), where=day_sum > 0)
    by_day = slot_sum.reshape(7, per_day)
    pooled_counts = by_day.sum(axis=0)
    pooled = pooled_counts / pooled_counts.sum() if pooled_counts.sum() > 0 else \
        np.full(per_day, 1.0 / per_day)
    volume = by_day.sum(axis=1)
    for weekday in range(7):
        if volume[weekday] == 0:
            shares[weekday * per_day:(weekday + 1) * per_day] = pooled
            continue
        own = _smoothed(shares[weekday * per_day:(weekday + 1) * per_day],
                        by_day[weekday], SLOT_PSEUDO_COUNT_MINUTES / freq.minutes, pooled)
        weight = volume[weekday] / (volume[weekday] + PROFILE_PSEUDO_COUNTS)
        mixed = weight * own + (1 - weight) * pooled * (own > 0 if weight > 0.9 else 1)
        shares[weekday * per_day:(weekday + 1) * per_day] = mixed / mixed.sum()
    return shares, totals * shares[slots]


def _smoothed(own: np.ndarray, counts: np.ndarray, pseudo_counts: float,
              pooled: np.ndarray) -> np.ndarray:
    """A day's shares, each slot shrunk in proportion to how few contacts it saw towards
    the pooled profile times the mean ratio to it of itself and its open neighbours, so a
    rush or dip every weekday shares is kept while noise is smoothed; closed slots stay 0."""
    open_ = (own > 0) & (pooled > 0)
    if open_.sum() < 3:
        return own
    kernel = np.array([1.0, 2.0, 1.0])
    ratio = np.divide(own, pooled, out=np.zeros_like(own), where=open_)
    local = pooled * np.convolve(ratio, kernel, mode="same") / np.maximum(
        np.convolve(open_.astype(float), kernel, mode="same"), 1e-12)
    weight = counts / (counts + pseudo_counts)
    mixed = np.where(open_, weight * own + (1 - weight) * local, 0.0)
    total = mixed.sum()
    return mixed / total if total > 0 else own


def _without_bursts(values: np.ndarray, days: pd.DatetimeIndex, slots: np.ndarray,
                    freq: Freq) -> np.ndarray:
    """Counts with each burst set to what the rest of its day and the slot's share on the
    other days predict, where that is BURST_MIN_EXPECTED or more and the count is
    BURST_RATIO times and BURST_Z noise scales above it."""
    totals = pd.Series(values).groupby(days).transform("sum").to_numpy(dtype=float)
    slot_sum = np.bincount(slots, weights=values, minlength=freq.season_length)
    day_sum = np.bincount(slots, weights=totals, minlength=freq.season_length)
    others_slot = slot_sum[slots] - values
    others_day = day_sum[slots] - totals
    share = np.divide(others_slot, others_day, out=np.zeros_like(values),
                      where=others_day > 0)
    expected = np.divide((totals - values) * share, 1.0 - share,
                         out=np.zeros_like(values), where=share < 1.0)
    busy = expected >= BURST_MIN_EXPECTED
    if not busy.any():
        return values
    pearson = (values[busy] - expected[busy]) ** 2 / expected[busy]
    dispersion = max(float(np.median(pearson)) / CHI2_1_MEDIAN, 1.0)
    burst = busy & (values > BURST_RATIO * expected) & (
        values - expected > BURST_Z * np.sqrt(dispersion * expected))
    return np.where(burst, expected, values)
