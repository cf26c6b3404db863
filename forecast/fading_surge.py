"""Recent surges wearing off: an incident's tickets, an outage's aftermath, replies to a
mailing; the volume jumped and falls back to where it was, halving every few days. A dip
recovering (a fault cutting the calls to a fraction) is read the same way, upside down.

Every day from one to eight weeks before the end is tried as the surge's first day. Each
ordinary day after it is read against the median of its weekday over the eight weeks
before it (as a level shift is): its excess x = observed / typical - 1. The excess is
fitted as A x 0.5^(age / half-life), for half-lives of one day up to the days seen
after the start, each day weighted by its noise (the reference weeks' spread, plus a
Poisson count's). A surge counts where its first day and its fit start at least
`MIN_EXCESS` up (a dip `MIN_DIP` down, as far on the log scale); where its decay
explains the excess far better (`F_GATE`) than a new flat level; where it is still
`MIN_LEFT` off on the last day (a blip of two days, long gone, is left to the models as
it was). Of the starts that pass, the one explaining most of the excess is the surge's
first day; there is none after all where the same days a year before rose as far (a
season's own peak). Where a decay onto a level further out fits that start's days
better than one back to the old (`SETTLE_GATE`: a launch's rush settling higher), only
the rush is the surge, and the level shift is read on what is left (the step under
the rush). A decay back to the old level halves within `MAX_HALF_LIFE` days:
a slower one, over the weeks read, is no surge going back but a new level.

The models then see the history with the surge taken out and forecast with what is left
of it: a queue whose incident tripled it, halving every five days, is forecast back down
to its old level instead of held at its last week's.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.level_shift import (
    MAX_DAYS_AFTER,
    MIN_DAYS_AFTER,
    MIN_REFERENCE_DAYS,
    reference_weeks,
    seen_a_year_before,
)
from forecast.models.base import MAD_TO_SD

MIN_EXCESS = 0.5  # +50% on the first day, at least
MIN_DIP = 1.0 / (1.0 + MIN_EXCESS) - 1.0  # or a third down: as far on the log scale
DEEPEST_DIP = -0.9  # deeper is a closure or a broken export (forecast.day_effects)
MIN_LEFT = 0.1  # and 10% still off on the last
# An excess halving more slowly than every two weeks is no surge going back: over the few
# weeks read it is a new level (a launch's rush settling), which the level shift reads.
MAX_HALF_LIFE = 14.0
# A surge is back to the old level only where a decay onto one further out does not fit
# better than its extra parameter would by chance (the two read alike over a few weeks).
SETTLE_GATE = 2.0
F_GATE = 9.0  # the decay's gain over a rival, in units of the residual noise (3 sd squared)


@dataclass(frozen=True, slots=True)
class FadingSurge:
    """From `start` on, volume is 1 + `excess` x 0.5^(days since / `half_life`) times the
    level before it."""

    start: pd.Timestamp
    excess: float
    half_life: float

    def factor(self, days: pd.DatetimeIndex) -> np.ndarray:
        """The surge's multiplier on each of `days` (1 before it)."""
        age = np.asarray((pd.DatetimeIndex(days) - self.start).days, dtype=float)
        left = self.excess * 0.5 ** (np.maximum(age, 0.0) / self.half_life)
        return np.asarray(np.where(age >= 0, 1.0 + left, 1.0), dtype=float)


@dataclass(frozen=True, slots=True)
class _Fit:
    start: int
    excess: float  # of the level it falls back to
    half_life: float
    explained: float
    factor: float  # the days after over their typical level


def recent_fading_surge(daily: pd.Series, ordinary: pd.Series) -> FadingSurge | None:
    """The recent surge of `daily` totals (a regular daily index; NaN for days not
    observed) wearing off, read on days where `ordinary` is true; None when there is
    none."""
    index = pd.DatetimeIndex(daily.index)
    values = daily.to_numpy(dtype=float)
    usable = ordinary.reindex(index, fill_value=False).to_numpy(dtype=bool) & np.isfinite(values)
    read = np.where(usable, values, np.nan)
    n = len(read)
    starts = np.arange(max(n - MAX_DAYS_AFTER, MIN_REFERENCE_DAYS), n - MIN_DAYS_AFTER + 1)
    if not len(starts):
        return None
    typical, noise = reference_weeks(read, starts)
    known = np.isfinite(noise).sum(axis=(1, 2))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a start with no reference: NaN
        spread = MAD_TO_SD * np.nanmedian(np.abs(noise).reshape(len(starts), -1), axis=1)
    with np.errstate(all="ignore"):
        first = read[starts] / typical[:, 0] - 1.0  # against its weekday's median
    jumped = (first >= MIN_EXCESS) | (first <= MIN_DIP)
    best: _Fit | None = None
    for row, start in enumerate(starts):
        if not jumped[row] or known[row] < MIN_REFERENCE_DAYS or not np.isfinite(spread[row]):
            continue
        fit = _fit_decay(read[start:], typical[row], float(spread[row]), int(start))
        if fit is not None and (best is None or fit.explained > best.explained):
            best = fit
    if best is None or seen_a_year_before(read, best.start, best.factor):
        return None
    return FadingSurge(index[best.start], best.excess, best.half_life)


def _fit_decay(after: np.ndarray, typical: np.ndarray, spread: float, start: int
               ) -> _Fit | None:
    """The decay best fitting the days `after` a start (weekday medians `typical` before
    it), when it passes the gates."""
    age = np.arange(len(after))
    expected = typical[age % 7]
    ok = np.isfinite(after) & np.isfinite(expected) & (np.nan_to_num(expected) > 0)
    if ok.sum() < MIN_DAYS_AFTER:
        return None
    age, observed, expected = age[ok], after[ok], expected[ok]
    excess = observed / expected - 1.0
    side = 1.0 if excess[0] > 0 else -1.0
    if age[0] > 0 or not _far_enough(excess[0]):  # a surge starts with its jump
        return None
    weight = 1.0 / (spread**2 + 1.0 / (expected + 0.5))
    back = _Decay.fitted(excess, weight, age, side, onto_new_level=False)
    left = back.amplitude * 0.5 ** ((len(after) - 1) / back.half_life)
    if not _far_enough(back.amplitude, side) or side * left < MIN_LEFT:
        return None
    noise = max(back.residual / max(len(age) - 2, 1), 1.0)
    none = float((weight * excess**2).sum())
    flat = float((weight * (excess - np.average(excess, weights=weight)) ** 2).sum())
    if flat - back.residual < F_GATE * noise:
        return None
    decay = back
    if _settles(excess, weight, age, side, back):
        decay = _Decay.fitted(excess, weight, age, side, onto_new_level=True)
    elif back.half_life > MAX_HALF_LIFE:  # going back so slowly: a new level
        return None
    share = max(decay.amplitude / (1.0 + decay.level), DEEPEST_DIP)  # a factor above 0
    return _Fit(start, share, decay.half_life,
                none - back.residual, float(observed.sum() / expected.sum()))


def _far_enough(excess: float, side: float | None = None) -> bool:
    """Whether an excess is a surge's (`MIN_EXCESS` up) or a dip's (`MIN_DIP` down, not a
    closure's), on `side` (+1 up, -1 down) when given."""
    up = excess >= MIN_EXCESS and side != -1.0
    down = DEEPEST_DIP <= excess <= MIN_DIP and side != 1.0
    return bool(up or down)


@dataclass(frozen=True, slots=True)
class _Decay:
    """excess = level + amplitude x 0.5^(age / half_life), fitted by weighted least squares
    over half-lives of one day up to the ages read."""

    amplitude: float
    level: float
    half_life: float
    residual: float

    @staticmethod
    def fitted(excess: np.ndarray, weight: np.ndarray, age: np.ndarray, side: float, *,
               onto_new_level: bool) -> _Decay:
        """Back to the old level (level 0), or onto one further out on `side` (+1 up, -1
        down; not below a closure's)."""
        half_lives = np.arange(1.0, max(float(age[-1]), 1.0) + 1.0)
        decay = 0.5 ** (age[None, :] / half_lives[:, None])
        sw, sx = weight.sum(), (weight * excess).sum()
        sd, sdd = (weight * decay).sum(axis=1), (weight * decay**2).sum(axis=1)
        sdx = (weight * decay * excess).sum(axis=1)
        level = np.zeros(len(half_lives))
        with np.errstate(all="ignore"):
            if onto_new_level:
                free = np.nan_to_num((sx - sd * (sw * sdx - sd * sx) / (sw * sdd - sd**2)) / sw)
                level = np.maximum(side * np.maximum(side * free, 0.0), DEEPEST_DIP)
            amplitude = (sdx - level * sd) / sdd
            residual = (weight * (excess - level[:, None] - amplitude[:, None] * decay) ** 2
                        ).sum(axis=1)
        best = int(np.argmin(np.where(np.isfinite(residual), residual, np.inf)))
        return _Decay(float(amplitude[best]), float(level[best]), float(half_lives[best]),
                      float(residual[best]))


def _settles(excess: np.ndarray, weight: np.ndarray, age: np.ndarray, side: float,
             back: _Decay) -> bool:
    """Whether a decay onto a level further out (a launch's rush settling higher) fits the
    excess better than one back to the old level (`back`), by more than its extra
    parameter would by chance (`SETTLE_GATE`)."""
    onto = _Decay.fitted(excess, weight, age, side, onto_new_level=True)
    noise = max(onto.residual / max(len(excess) - 3, 1), 1.0)
    return back.residual - onto.residual >= SETTLE_GATE * noise
