"""Automatic model choice per series: backtest the candidates, keep the best single model
or the median of the best few, and calibrate its intervals on the backtest errors
(split conformal on level-scaled residuals) so an 80% band covers about 80%.

A daily history under about 16 weeks backtests on four short windows or fewer, too few
to tell one model from another: there the median of the best three is kept, whatever won
(74 random queues with 5 to 9 weeks of history: 0.252 -> 0.243 WAPE, under the 8-week
average's 0.251). Daily histories of a year and more keep a combination unless a single
model backtests more than 15% better (the casestudy over 26 monthly origins: 0.129 ->
0.118); between 4 and 13 months the same edge cost random queues a little.
Intraday backtests hold enough intervals to choose (forcing the median there cost every
real intraday file: NA bank 0.055 -> 0.061; a 6% edge for combinations, 0.055 -> 0.060).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.backtest import Fold, Score, fold_cutoffs, score, try_backtest
from forecast.errors import ForecastError, InsufficientHistory
from forecast.models.base import Fitted, Forecaster, fit_error_scale
from forecast.models.yearly import (
    MIN_HISTORY_DAYS,
    YEAR_DAYS,
    has_yearly_history,
    season_turns,
)
from forecast.series import LEVELS, Forecast, Freq, History, make_forecast

logger = logging.getLogger(__name__)

# Daily: the mean of the best two (often year-over-year + harmonic) and the median of
# the best three; intraday: the median of the best three.
COMBINE_SIZES = (2, 3)
INTRADAY_COMBINE_SIZES = (3,)
# Daily backtests are cheap and holidays make short windows noisy: about eight months.
MAX_FOLDS = 16
# Where last years say the coming weeks differ from the weeks before them
# (yearly.season_turns), a daily backtest adds folds over those weeks a year and two ago.
SAME_SEASON_YEARS = (1, 2)
INTRADAY_FOLDS = 3
# Intraday bands calibrate on twice the folds models are chosen on: a week's level error
# is shared by all its intervals, so three overlapping weeks are too few to read it from.
INTRADAY_CALIBRATION_FOLDS = 6
PRIOR_WEIGHT = 0.5
BIAS_WEIGHT = 0.5
CALIBRATION_TOP = 3
MIN_SPECIAL_POINTS = 30
THIN_FOLDS = 4  # a daily backtest of this many folds or fewer keeps the median of three
# Daily with a year and more (the year-over-year and harmonic candidates): a combination
# is kept over a single model unless the single one backtests more than 15% better (its
# score times this): the best of a dozen models on the same folds is partly the luckiest.
# Not where the combination runs further off the total than the best single model (by
# more than the slack, as a share of volume): sparse queues' median-like members sit low.
YEARLY_COMBO_EDGE = 0.85
COMBO_BIAS_SLACK = 0.05
COMBO_PREFIX = "combo:"


@dataclass(frozen=True, slots=True)
class Selection:
    """The winning method and the leaderboard behind the choice."""

    winner: str
    members: tuple[str, ...]
    scores: list[Score]
    folds: list[Fold]
    leaders: tuple[str, ...] = ()  # the methods whose folds calibrate, best first


def _combine_folds(runs: list[list[Fold]]) -> list[Fold]:
    combined = []
    for parts in zip(*runs, strict=True):
        mean = np.median(np.vstack([p.mean for p in parts]), axis=0)
        bounds = {lvl: (np.median(np.vstack([p.bounds[lvl][0] for p in parts]), axis=0),
                        np.median(np.vstack([p.bounds[lvl][1] for p in parts]), axis=0))
                  for lvl in LEVELS}
        combined.append(Fold(parts[0].cutoff, parts[0].actual, mean, bounds, parts[0].scale))
    return combined


@dataclass(frozen=True, slots=True)
class CandidateBacktests:
    """Every candidate's folds on one series (the expensive part of `auto`)."""

    runs: dict[str, list[Fold]]
    scores: list[Score]
    thin: bool = False  # too few daily folds to pick one model (THIN_FOLDS)
    yearly: bool = False  # a daily history with a year and more: YEARLY_COMBO_EDGE


def backtest_candidates(
    history: History, candidates: list[Forecaster], *, horizon: int, folds: int = MAX_FOLDS,
) -> CandidateBacktests:
    """Backtest every candidate on the same folds, plus combinations of the best few."""
    season = history.freq.season_length
    daily = history.freq is Freq.DAILY
    chosen_on = folds if daily else min(folds, INTRADAY_FOLDS)
    folds = folds if daily else min(folds, INTRADAY_CALIBRATION_FOLDS)
    # Two seasons of training where the history allows it (what ETS needs to take part);
    # short histories are still compared, on shorter windows (down to one day).
    per_day = history.freq.per_day
    min_train = 2 * season if len(history.y) >= 2 * season + 2 * per_day else season + 2
    horizon = max(min(horizon, (len(history.y) - min_train) // 2), per_day)
    cutoffs = fold_cutoffs(len(history.y), horizon, folds=folds, min_train=min_train,
                           step=max(horizon // 2, 1))
    if not cutoffs:
        raise InsufficientHistory("auto", min_train + horizon, len(history.y))
    runs: dict[str, list[Fold]] = {}
    for candidate in candidates:
        result = try_backtest(history, candidate, horizon=horizon, cutoffs=cutoffs)
        if result is not None:
            runs[candidate.name] = result
    if not runs:
        raise InsufficientHistory("auto", min_train + horizon, len(history.y))
    if daily:
        runs = _with_same_season_folds(history, candidates, runs, horizon)
        chosen_on = max(len(result) for result in runs.values())
    scores = [score(name, result[-chosen_on:]) for name, result in runs.items()]
    ranked = [s.model for s in sorted(scores, key=lambda s: (s.wape, s.mase))]
    sizes = COMBINE_SIZES if daily else INTRADAY_COMBINE_SIZES
    for size in sizes:
        if len(ranked) >= size:
            combo_name = COMBO_PREFIX + "+".join(ranked[:size])
            runs[combo_name] = _combine_folds([runs[name] for name in ranked[:size]])
            scores.append(score(combo_name, runs[combo_name][-chosen_on:]))
    thin = daily and len(cutoffs) <= THIN_FOLDS
    return CandidateBacktests(runs, scores, thin, has_yearly_history(history))


def same_season_cutoffs(n: int, horizon: int) -> list[int]:
    """Folds forecasting the same weeks one and two years before the coming `horizon`
    days (as far as the history reaches), where every year-over-year method can fit them
    (a year of history before the fold)."""
    cutoffs = (n - YEAR_DAYS * years for years in SAME_SEASON_YEARS)
    return [cut for cut in cutoffs if cut >= MIN_HISTORY_DAYS and cut + horizon <= n]


def _with_same_season_folds(history: History, candidates: list[Forecaster],
                            runs: dict[str, list[Fold]], horizon: int
                            ) -> dict[str, list[Fold]]:
    """`runs` with the same-season folds added (oldest first) where the season turns:
    the recent folds never hold the season ahead (a January peak, a summer lull), and a
    model blind to it wins them as often as one that sees it coming. As they were where
    a candidate that ran cannot fit them (a gap in last year's history): the folds are
    only worth adding if all are judged on them."""
    held = {fold.cutoff for folds in runs.values() for fold in folds}
    cutoffs = [cut for cut in same_season_cutoffs(len(history.y), horizon) if cut not in held]
    if not cutoffs or not season_turns(history, horizon):
        return runs
    added: dict[str, list[Fold]] = {}
    for candidate in candidates:
        if candidate.name in runs:
            result = try_backtest(history, candidate, horizon=horizon, cutoffs=cutoffs)
            if result is None:
                return runs
            added[candidate.name] = result
    return {name: sorted(added[name] + folds, key=lambda fold: fold.cutoff)
            for name, folds in runs.items()}


def _family(model: str) -> str:
    """Combos of the same size compete as one strategy across series, whatever their members."""
    if model.startswith(COMBO_PREFIX):
        return f"combo{model.count('+') + 1}"
    return model


def selection_error(score_: Score) -> float:
    """WAPE plus a share of the bias: on sparse counts a median-like forecast wins WAPE by
    sitting low, and staffing to it would run short every day."""
    return score_.wape + BIAS_WEIGHT * abs(score_.bias)


def relative_wape(scores: list[Score]) -> dict[str, float]:
    """Each method's selection error over the best one on the same series (1.0 = winner)."""
    errors = {_family(s.model): selection_error(s) for s in scores}
    finite = [e for e in errors.values() if np.isfinite(e)]
    best = min(finite) if finite else float("nan")
    if not finite or best <= 0:
        return dict.fromkeys(errors, 1.0)
    return {family: e / best for family, e in errors.items() if np.isfinite(e)}


def pooled_prior(per_series: list[list[Score]]) -> dict[str, float]:
    """How each method ranks across many series: the median relative WAPE, for methods
    that ran on at least half of them."""
    ratios: dict[str, list[float]] = {}
    for scores in per_series:
        for family, ratio in relative_wape(scores).items():
            ratios.setdefault(family, []).append(ratio)
    needed = max(1, len(per_series) // 2)
    return {name: float(np.median(r)) for name, r in ratios.items() if len(r) >= needed}


def priors_from_leaderboard(board: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Pooled priors per frequency from a published leaderboard (ACCURACY_COLUMNS), so a
    nightly refit learns from the previous night's backtests across all series."""
    if board.empty:
        return {}
    priors: dict[str, dict[str, float]] = {}
    for freq, rows in board.groupby("freq"):
        per_series = [
            [Score(str(r.model), int(r.folds), float(r.wape), float(r.mase), float(r.bias),
                   float(r.coverage80), float(r.coverage95)) for r in part.itertuples()]
            for _, part in rows.groupby(["category", "channel"])
        ]
        priors[str(freq)] = pooled_prior(per_series)
    return priors


def choose(backtests: CandidateBacktests, prior: dict[str, float] | None = None) -> Selection:
    """Pick by relative WAPE on this series, blended with the prior from other series
    (geometric mean) so one noisy backtest does not decide alone."""
    own = relative_wape(backtests.scores)

    def blended(s: Score) -> float:
        mine = own.get(_family(s.model), float("inf"))
        if not prior or _family(s.model) not in prior:
            return mine
        return float(mine ** (1 - PRIOR_WEIGHT) * prior[_family(s.model)] ** PRIOR_WEIGHT)

    singles = [s for s in backtests.scores if not s.model.startswith(COMBO_PREFIX)]
    best_single = min(singles, key=blended) if singles else None

    def handicapped(s: Score) -> float:
        favoured = (backtests.yearly and s.model.startswith(COMBO_PREFIX)
                    and (best_single is None
                         or abs(s.bias) <= abs(best_single.bias) + COMBO_BIAS_SLACK))
        return blended(s) * (YEARLY_COMBO_EDGE if favoured else 1.0)

    ranked = sorted(backtests.scores, key=lambda s: (handicapped(s), s.mase))
    median_of_three = [s for s in ranked if _family(s.model) == "combo3"]
    if backtests.thin and median_of_three:
        ranked.insert(0, ranked.pop(ranked.index(median_of_three[0])))
    best = ranked[0]
    members = (tuple(best.model[len(COMBO_PREFIX):].split("+"))
               if best.model.startswith(COMBO_PREFIX) else (best.model,))
    # Calibrate on the leaders' errors together: the winner's own backtest flatters it.
    leaders = tuple(s.model for s in ranked[:CALIBRATION_TOP])
    calibration = _distinct([fold for name in leaders for fold in backtests.runs[name]])
    return Selection(best.model, members, backtests.scores, calibration, leaders)


def _distinct(folds: list[Fold]) -> list[Fold]:
    """`folds` without repeats: leaders that forecast alike (a short history's weekly
    means) make the same errors, which are one reading, not three."""
    seen: set[tuple[int, bytes]] = set()
    out = []
    for fold in folds:
        key = (fold.cutoff, fold.mean.tobytes())
        if key not in seen:
            seen.add(key)
            out.append(fold)
    return out


def select_model(
    history: History, candidates: list[Forecaster], *, horizon: int, folds: int = MAX_FOLDS,
) -> Selection:
    """Backtest the candidates on this series alone and pick the best."""
    return choose(backtest_candidates(history, candidates, horizon=horizon, folds=folds))


def calibrated(
    forecast: Forecast, folds: list[Fold], levels: tuple[int, ...] = LEVELS, *,
    special: tuple[np.ndarray, np.ndarray] | None = None, window: int = 0,
) -> Forecast:
    """Replace the bounds by quantiles of the backtest's level-scaled residuals, widened
    past the backtested window or `window` steps, whichever is longer
    (`beyond_window_growth`).

    Intervals forecast at zero (closed hours) are left out: their zero error says
    nothing about the open ones and would shrink every band. `special` marks the fold
    points and the forecast points on special days (holidays, breaks, events): when the
    backtests hold enough of them, those days get the wider of the usual band and the
    one their own errors give.
    """
    actual = np.concatenate([f.actual for f in folds])
    predicted = np.concatenate([f.mean for f in folds])
    open_ = predicted > 0
    scale = fit_error_scale(actual[open_], predicted[open_], levels)
    growth = beyond_window_growth(len(forecast.mean),
                                  max(window, *(len(f.actual) for f in folds)))
    bounds = scale.bounds(forecast.mean, levels, growth)
    if special is not None:
        past, future = special
        unusual = open_ & past & np.isfinite(actual)
        if unusual.sum() >= MIN_SPECIAL_POINTS and future.any():
            wide = fit_error_scale(actual[unusual], predicted[unusual], levels)
            bounds = _widened(bounds, wide.bounds(forecast.mean, levels, growth), future)
    return make_forecast(forecast.ds, forecast.mean, bounds, forecast.model)


def beyond_window_growth(steps: int, window: int) -> np.ndarray:
    """How much wider than the backtests' errors each step's band must be: 1 within the
    backtested window, then growing as the square root of the lead (the level drifts
    further the longer ahead, as a random walk's would)."""
    lead = np.arange(1, steps + 1, dtype=float)
    return np.asarray(np.sqrt(np.maximum(lead / max(window, 1), 1.0)), dtype=float)


def _widened(usual: dict[int, tuple[np.ndarray, np.ndarray]],
             special: dict[int, tuple[np.ndarray, np.ndarray]], mask: np.ndarray
             ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """The wider of the two bands where `mask` is set, the usual one elsewhere."""
    return {lvl: (np.where(mask, np.minimum(lo, special[lvl][0]), lo),
                  np.where(mask, np.maximum(hi, special[lvl][1]), hi))
            for lvl, (lo, hi) in usual.items()}


def forecast_members(history: History, models: list[Forecaster], horizon: int) -> list[Forecast]:
    """Fit and predict each member on the full history, skipping members that fail."""
    out = []
    for model in models:
        try:
            fitted: Fitted = model.fit(history)
            out.append(fitted.predict(horizon, LEVELS))
        except ForecastError as exc:
            logger.warning("model %s failed for %s: %s", model.name, history.key.label(), exc)
    return out


def median_forecast(members: list[Forecast], name: str) -> Forecast:
    mean = np.median(np.vstack([m.mean for m in members]), axis=0)
    bounds = {lvl: (np.median(np.vstack([m.bounds[lvl][0] for m in members]), axis=0),
                    np.median(np.vstack([m.bounds[lvl][1] for m in members]), axis=0))
              for lvl in LEVELS}
    return make_forecast(members[0].ds, mean, bounds, name)
