"""Spike detection over arrays: peaks ahead in a forecast, breakouts now in actuals.

Ahead: a forecast interval is a peak when its volume reaches the series' normal level
(the median of the same weekday's, and for intraday series the same slot's, recent
actuals) times a ratio and plus an absolute floor, either by its point value or, given
the forecast's 80% upper bound, with at least a set chance (a log-normal read from the
mean and the bound); consecutive peak intervals form one `Peak`.

Live: within one day, observed counts are compared with the forecast rescaled by how
the day has gone so far (a damped actual/forecast ratio over the intervals before the
window, flagged intervals excluded). For every window of 1..`max_window` intervals
ending at an interval, the observed sum is tested against a negative binomial with the
expected sum's mean and variance (each interval: mean + mean^2 / dispersion), so small
queues need a bigger jump than large ones. An interval is flagged when some window ending
there is improbable (tail probability below `alpha`), exceeds the expectation by
`min_ratio` and by `min_excess` inquiries, and the interval itself is not below its
expectation. Flags form episodes: one starts after `consecutive` flags in a row (counting
only windows that begin after the previous episode) and ends after `clear_after`
intervals in a row that are no longer hot (below `min_ratio` x their expectation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special, stats

from forecast.errors import InvalidParameter

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
_POISSON_SLACK = 1e-9
_Z90 = float(special.ndtri(0.9))  # an 80% interval's upper bound is the 90% quantile


@dataclass(frozen=True, slots=True)
class PeakParams:
    """Thresholds of the ahead rule: volume >= ratio x normal and >= normal + min_excess,
    reached with at least `probability` when the forecast's 80% upper bound is known (0.5:
    the forecast's point value itself must reach it)."""

    ratio: float = 1.5
    min_excess: float = 30.0
    normal_weeks: int = 4
    probability: float = 0.25

    def __post_init__(self) -> None:
        _check("ratio", self.ratio, low=1.0, expected="a ratio >= 1, e.g. 1.5")
        _check("min_excess", self.min_excess, low=0.0, expected="a count >= 0")
        _check("normal_weeks", self.normal_weeks, low=1.0, expected="a number of weeks >= 1")
        if not 0.0 < self.probability < 1.0:
            raise InvalidParameter("probability", self.probability,
                                   "a probability in (0, 1), e.g. 0.25")


@dataclass(frozen=True, slots=True)
class Peak:
    """Positions [start, stop) of a run of peak intervals and of its highest one."""

    start: int
    stop: int
    top: int


@dataclass(frozen=True, slots=True)
class BreakoutParams:
    """Thresholds of the live rule (see the module docstring)."""

    alpha: float = 5e-5
    max_window: int = 8
    min_ratio: float = 1.5
    min_excess: float = 6.0
    dispersion: float = 25.0
    consecutive: int = 1
    clear_after: int = 2
    damping: float = 0.3
    max_adjust: float = 2.0
    upper_z: float = 1.0

    def __post_init__(self) -> None:
        _check("alpha", self.alpha, low=0.0, high=0.5, expected="a probability in (0, 0.5]")
        _check("max_window", self.max_window, low=1.0, expected="a number of intervals >= 1")
        _check("min_ratio", self.min_ratio, low=1.0, expected="a ratio >= 1")
        _check("min_excess", self.min_excess, low=0.0, expected="a count >= 0")
        _check("dispersion", self.dispersion, low=0.0, expected="a positive number")
        _check("consecutive", self.consecutive, low=1.0, expected="a number of intervals >= 1")
        _check("clear_after", self.clear_after, low=1.0, expected="a number of intervals >= 1")
        _check("damping", self.damping, low=0.0, expected="a share of the day >= 0")
        _check("max_adjust", self.max_adjust, low=1.0, expected="a factor >= 1")
        _check("upper_z", self.upper_z, low=0.1, expected="a z value >= 0.1, e.g. 1.5")


@dataclass(frozen=True, slots=True)
class BreakoutScan:
    """Per interval: flagged, hot (at least `min_ratio` x its own expectation), the best
    window's start position, its tail probability, the observed and expected sums over it,
    and the level factor applied to the forecast."""

    flagged: BoolArray
    hot: BoolArray
    window_start: npt.NDArray[np.int64]
    p_value: FloatArray
    observed: FloatArray
    expected: FloatArray
    adjust: FloatArray


@dataclass(frozen=True, slots=True)
class Episode:
    """A breakout from `start` (first flagged interval) to `stop` (after the last flagged
    one; None while ongoing); `detected` is where it was first confirmed."""

    start: int
    detected: int
    stop: int | None


def _check(name: str, value: float, *, low: float, high: float | None = None,
           expected: str) -> None:
    bad = not np.isfinite(value) or value < low or (high is not None and value > high)
    if bad or (low == 0.0 and name in ("alpha", "dispersion") and value <= 0):
        raise InvalidParameter(name, value, expected)


def normal_level(actuals: pd.Series, targets: pd.DatetimeIndex, *, weeks: int = 4) -> FloatArray:
    """Median of the `weeks` most recent actuals at the same weekday and time before each
    target (whole weeks back, observed values only); NaN when none is known."""
    known = actuals.dropna()
    known = known[~known.index.duplicated(keep="last")]
    out = np.full(len(targets), np.nan)
    if known.empty:
        return out
    last = known.index.max()
    for i, target in enumerate(targets):
        skip = max(1, int(np.ceil((target - last) / pd.Timedelta(days=7))))
        lags = [target - pd.Timedelta(days=7 * j) for j in range(skip, skip + weeks)]
        values = known.reindex(pd.DatetimeIndex(lags)).dropna()
        if len(values):
            out[i] = float(values.median())
    return out


def peak_threshold(normal: npt.ArrayLike, params: PeakParams) -> FloatArray:
    """The volume a peak must reach: ratio x normal and normal + min_excess."""
    n = np.asarray(normal, dtype=float)
    return np.asarray(np.maximum(params.ratio * n, n + params.min_excess), dtype=float)


def peak_chance(mean: npt.ArrayLike, upper: npt.ArrayLike,
                threshold: npt.ArrayLike) -> FloatArray:
    """P(volume >= threshold) for a log-normal volume with median `mean` and 90% quantile
    `upper` (the forecast's 80% upper bound); without spread, 1 or 0."""
    m = np.maximum(np.nan_to_num(np.asarray(mean, dtype=float)), 0.0)
    hi = np.nan_to_num(np.asarray(upper, dtype=float))
    t = np.asarray(threshold, dtype=float)
    spread = np.log(np.maximum(hi, m) + 1e-12) - np.log(m + 1e-12)
    margin = np.log(m + 1e-12) - np.log(np.maximum(t, 1e-12))
    chance = special.ndtr(margin / np.maximum(spread / _Z90, 1e-9))
    return np.asarray(np.where(m > 0, chance, 0.0), dtype=float)


def find_peaks(value: npt.ArrayLike, normal: npt.ArrayLike, params: PeakParams, *,
               extra: npt.ArrayLike | None = None,
               upper: npt.ArrayLike | None = None) -> list[Peak]:
    """Runs of intervals that reach the peak threshold over a known normal (their value
    does, or with `upper`, the value's 80% upper bound, they do with at least
    `params.probability`), or where `extra` is set (e.g. more agents needed than planned);
    closed intervals (value 0) never count."""
    v = np.asarray(value, dtype=float)
    n = np.asarray(normal, dtype=float)
    known = np.isfinite(n) & np.isfinite(v)
    threshold = peak_threshold(np.where(known, n, 0.0), params)
    if upper is None:
        hit = known & (v >= threshold)
    else:
        hit = known & (peak_chance(v, upper, threshold) >= params.probability)
    if extra is not None:
        hit |= np.asarray(extra, dtype=bool)
    hit &= np.nan_to_num(v) > 0
    peaks = []
    for start, stop in _runs(hit):
        top = start + int(np.argmax(v[start:stop]))
        peaks.append(Peak(start, stop, top))
    return peaks


def _runs(mask: BoolArray) -> list[tuple[int, int]]:
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def tail_probability(observed: npt.ArrayLike, mean: npt.ArrayLike,
                     variance: npt.ArrayLike) -> FloatArray:
    """P(X >= observed) for a count X with this mean and variance: Poisson when the
    variance does not exceed the mean, else the negative binomial with both moments."""
    obs = np.ceil(np.asarray(observed, dtype=float) - 1e-9)
    mu = np.maximum(np.asarray(mean, dtype=float), 1e-12)
    var = np.asarray(variance, dtype=float)
    over = var > mu * (1 + _POISSON_SLACK)
    size = np.where(over, mu**2 / np.where(over, var - mu, 1.0), 1.0)
    prob = size / (size + mu)
    nb = stats.nbinom.sf(obs - 1, size, prob)
    pois = stats.poisson.sf(obs - 1, mu)
    return np.asarray(np.where(over, nb, pois), dtype=float)


def level_adjustment(observed: FloatArray, expected: FloatArray, include: BoolArray, *,
                     damping: float, max_adjust: float) -> FloatArray:
    """Damped actual/forecast ratio of the included intervals before each position.

    (actual + prior) / (forecast + prior) with prior = damping x the day's forecast, so
    early in the day the factor stays near 1; clipped to [1/max_adjust, max_adjust].
    """
    prior = damping * float(np.sum(expected)) + 1e-9
    seen_obs = np.concatenate(([0.0], np.cumsum(np.where(include, observed, 0.0))[:-1]))
    seen_exp = np.concatenate(([0.0], np.cumsum(np.where(include, expected, 0.0))[:-1]))
    ratio = (seen_obs + prior) / (seen_exp + prior)
    return np.asarray(np.clip(ratio, 1.0 / max_adjust, max_adjust), dtype=float)


def scan_breakouts(observed: npt.ArrayLike, expected: npt.ArrayLike,
                   params: BreakoutParams, *, upper: npt.ArrayLike | None = None
                   ) -> BreakoutScan:
    """Flag breakout intervals of one day (arrays aligned by interval, forecast >= 0).

    `upper` (optional) is the forecast's 95% upper bound. How far it lies above the 97.5%
    quantile of a Poisson count with the forecast's mean, divided by upper_z, is taken as
    the model's own error (standard deviation) and its square is added to each interval's
    variance, so a series the model knows poorly needs a bigger jump. upper_z is below 1.96
    on purpose: errors of neighbouring intervals are correlated, so window sums vary more
    than independent ones. Two passes:
    the level factor first uses every earlier interval, then only those the first pass did
    not flag, so a breakout does not raise its own baseline.
    """
    obs = np.nan_to_num(np.asarray(observed, dtype=float), nan=0.0)
    exp = np.maximum(np.nan_to_num(np.asarray(expected, dtype=float), nan=0.0), 0.0)
    if obs.shape != exp.shape:
        raise InvalidParameter("observed", obs.shape, f"the shape of expected {exp.shape}")
    floor = np.zeros(obs.shape)
    if upper is not None:
        high = np.nan_to_num(np.asarray(upper, dtype=float), nan=0.0)
        if high.shape != obs.shape:
            raise InvalidParameter("upper", high.shape, f"the shape of observed {obs.shape}")
        count_high = stats.poisson.ppf(0.975, np.maximum(exp, 1e-9))
        floor = (np.maximum(high - count_high, 0.0) / params.upper_z) ** 2
    include = np.ones(obs.shape, dtype=bool)
    scan = _scan(obs, exp, floor, include, params)
    return _scan(obs, exp, floor, ~scan.flagged, params)


def _scan(obs: FloatArray, exp: FloatArray, floor: FloatArray, include: BoolArray,
          params: BreakoutParams) -> BreakoutScan:
    n = len(obs)
    adjust = level_adjustment(obs, exp, include, damping=params.damping,
                              max_adjust=params.max_adjust)
    best_p, best_start = np.ones(n), np.arange(n, dtype=np.int64)
    best_obs, best_exp = obs.copy(), exp * adjust
    flagged = np.zeros(n, dtype=bool)
    cum_obs = np.concatenate(([0.0], np.cumsum(obs)))
    for width in range(1, min(params.max_window, n) + 1):
        end = np.arange(width - 1, n)
        start = end - width + 1
        factor = adjust[start][None, :]
        scaled = exp[:, None] * factor  # (interval, window start)
        window = (np.arange(n)[:, None] >= start) & (np.arange(n)[:, None] <= end)
        each = scaled + scaled**2 / params.dispersion + floor[:, None] * factor**2
        mean = np.sum(np.where(window, scaled, 0.0), axis=0)
        var = np.sum(np.where(window, each, 0.0), axis=0)
        total = cum_obs[end + 1] - cum_obs[start]
        p = tail_probability(total, mean, var)
        hit = ((mean > 0) & (p < params.alpha) & (total >= params.min_ratio * mean)
               & (total - mean >= params.min_excess))
        better = hit & (p < best_p[end])
        best_p[end[better]], best_start[end[better]] = p[better], start[better]
        best_obs[end[better]], best_exp[end[better]] = total[better], mean[better]
        flagged[end[hit]] = True
    latest_ok = (exp > 0) & (obs >= exp * adjust)
    flagged &= latest_ok
    hot = (exp > 0) & (obs >= params.min_ratio * exp * adjust)
    return BreakoutScan(flagged, hot, best_start, best_p, best_obs, best_exp, adjust)


def episodes(flagged: npt.ArrayLike, *, hot: npt.ArrayLike | None = None,
             window_start: npt.ArrayLike | None = None, consecutive: int = 1,
             clear_after: int = 2) -> list[Episode]:
    """Breakout episodes from per-interval flags (see the module docstring); without `hot`
    the flags themselves keep an episode going."""
    flags = np.asarray(flagged, dtype=bool)
    warm = flags if hot is None else np.asarray(hot, dtype=bool)
    starts = (np.arange(len(flags)) if window_start is None
              else np.asarray(window_start, dtype=np.int64))
    found: list[Episode] = []
    run, quiet, current, last_stop = 0, 0, None, 0
    for i, flag in enumerate(flags):
        if current is None:
            run = run + 1 if flag and starts[i] >= last_stop else 0
            if run >= consecutive:
                current, quiet = Episode(i - run + 1, i, None), 0
            continue
        quiet = 0 if warm[i] else quiet + 1
        if quiet >= clear_after:
            last_stop = i - quiet + 1
            found.append(Episode(current.start, current.detected, last_stop))
            current, run = None, 0
    if current is not None:
        found.append(current)
    return found


def reforecast_rest(observed_so_far: npt.ArrayLike, forecast_so_far: npt.ArrayLike,
                    forecast_rest: npt.ArrayLike, *, damping: float = 0.3,
                    max_adjust: float = 3.0) -> FloatArray:
    """The rest of the day's forecast scaled by the damped actual/forecast ratio so far:
    (actual + prior) / (forecast + prior), prior = damping x the whole day's forecast."""
    seen_obs = float(np.nansum(np.asarray(observed_so_far, dtype=float)))
    seen_exp = float(np.nansum(np.asarray(forecast_so_far, dtype=float)))
    rest = np.maximum(np.nan_to_num(np.asarray(forecast_rest, dtype=float)), 0.0)
    prior = damping * (seen_exp + float(rest.sum())) + 1e-9
    factor = float(np.clip((seen_obs + prior) / (seen_exp + prior), 1 / max_adjust, max_adjust))
    return np.asarray(rest * factor, dtype=float)
