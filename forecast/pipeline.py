"""From observations to forecast rows: prepare each series, fit the requested model,
forecast the intervals from a start point, zero closed hours. Used by the evaluation
contract (`vocast forecast`) and by the fit job."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from forecast.backtest import FOLD_ERROR_COLUMNS, Score, backtest_window
from forecast.calendar import Event
from forecast.errors import ForecastError, InvalidParameter, UnknownModel
from forecast.models.auto import AutoModel
from forecast.models.base import Fitted, Forecaster
from forecast.models.registry import build_model
from forecast.openhours import OpenHours, prepare_history, without_partial_last_day
from forecast.selection import CandidateBacktests, pooled_prior
from forecast.series import LEVELS, Forecast, Freq, History, SeriesKey, future_index

logger = logging.getLogger(__name__)

# Runs a function over items, returning results in input order (the built-in `map`, or a
# process pool's).
Mapper = Callable[[Callable[[Any], Any], Iterable[Any]], Iterable[Any]]

# A Poisson count with mean 3 is 0 on 5% of days; with none at 0, its days with rows
# (a zero-truncated Poisson) average 3 / (1 - e^-3).
QUIET_DAY_MEAN = 3.0 / (1.0 - float(np.exp(-3.0)))
MIN_DAYS_TO_READ_QUIET = 7
OUTPUT_COLUMNS = ("ts", "category", "channel", "yhat", "lo80", "hi80", "lo95", "hi95", "model")


@dataclass(frozen=True, slots=True)
class SeriesResult:
    """A series' forecast and, for `auto`, the backtest leaderboard behind it."""

    forecast: Forecast
    scores: tuple[Score, ...] = ()
    # The leading methods' backtests behind the bands (forecast.backtest.FOLD_ERROR_COLUMNS),
    # when asked for and the method had them.
    backtest: pd.DataFrame | None = None


@dataclass(frozen=True, slots=True)
class SeriesRequest:
    """What to forecast for one series: its observed counts on naive local wall-clock time."""

    key: SeriesKey
    counts: pd.Series
    freq: Freq


def forecast_series(
    request: SeriesRequest, *, horizon: int, start: pd.Timestamp | None = None,
    model: str = "auto", country: str | None = None, events: tuple[Event, ...] = (),
) -> Forecast:
    """Forecast `horizon` intervals beginning at `start` (default: after the last count)."""
    return run_series(request, horizon=horizon, start=start, model=model, country=country,
                      events=events).forecast


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A series made ready to fit: gap-free history, open hours, and the steps to predict."""

    request: SeriesRequest
    history: History
    hours: OpenHours
    gap: int
    horizon: int

    def spec(self, model: str) -> Forecaster:
        # One backtest window whatever is asked for: tomorrow's forecast is the same in a
        # one-day and in a one-week request, and a short request is not chosen and
        # calibrated on a few days of history.
        return build_model(model, self.request.freq, horizon=backtest_window(self.request.freq))

    def finish(self, fitted: Fitted, *, with_backtest: bool = False) -> SeriesResult:
        forecast = self.hours.apply(fitted.predict(self.gap + self.horizon, LEVELS))
        keep = slice(self.gap, self.gap + self.horizon)
        bounds = {lvl: (lo[keep], hi[keep]) for lvl, (lo, hi) in forecast.bounds.items()}
        trimmed = Forecast(ds=forecast.ds[keep], mean=forecast.mean[keep], bounds=bounds,
                           model=forecast.model, fitted_at=forecast.fitted_at)
        errors = getattr(fitted, "backtest_errors", None) if with_backtest else None
        return SeriesResult(trimmed, tuple(getattr(fitted, "scores", ())),
                            errors() if errors is not None else None)


def _prepare(
    request: SeriesRequest, *, horizon: int, start: pd.Timestamp | None,
    country: str | None, events: tuple[Event, ...],
) -> _Prepared:
    after_last = future_index(pd.DatetimeIndex(request.counts.index).max(), request.freq, 1)[0]
    counts = without_partial_last_day(request.counts, request.freq)
    history, hours = prepare_history(counts, request.key, request.freq,
                                     country=country, events=events)
    first = history.future_index(1)[0]
    gap = _intervals_between(first, after_last if start is None else pd.Timestamp(start),
                             request.freq)
    return _Prepared(request, history, hours, gap, horizon)


def run_series(
    request: SeriesRequest, *, horizon: int, start: pd.Timestamp | None = None,
    model: str = "auto", country: str | None = None, events: tuple[Event, ...] = (),
    prior: dict[str, float] | None = None, with_backtest: bool = False,
) -> SeriesResult:
    """forecast_series, keeping the leaderboard of the model choice (and, `with_backtest`,
    the backtests behind the bands). `prior` (from `pooled_prior` over related series)
    steadies `auto`'s choice."""
    prepared = _prepare(request, horizon=horizon, start=start, country=country, events=events)
    spec = prepared.spec(model)
    if prior and isinstance(spec, AutoModel):
        spec = replace(spec, prior=prior)
    return prepared.finish(spec.fit(prepared.history), with_backtest=with_backtest)


def _pooled_auto(
    requests: list[SeriesRequest], *, horizon: int, start: pd.Timestamp | None,
    country: str | None, events: tuple[Event, ...], mapper: Mapper = map,
    with_backtest: bool = False,
) -> list[SeriesResult]:
    """`auto` over related series in two passes: backtest everything, then let each series
    choose with the ranking pooled over all of them. `mapper` runs each pass's per-series
    work (in order), e.g. on a process pool."""
    options = {"horizon": horizon, "start": start, "country": country, "events": events}
    tested = list(mapper(partial(_prepare_and_backtest, options=options), requests))
    prior = pooled_prior([b.scores for _, b in tested if b is not None])
    return list(mapper(partial(_choose_and_fit, prior=prior, with_backtest=with_backtest),
                       tested))


def _prepare_and_backtest(request: SeriesRequest, options: dict[str, object]
                          ) -> tuple[_Prepared, CandidateBacktests | None]:
    prepared = _prepare(request, **options)  # type: ignore[arg-type]
    spec = prepared.spec("auto")
    assert isinstance(spec, AutoModel)
    return prepared, spec.backtest(prepared.history)


def _choose_and_fit(tested: tuple[_Prepared, CandidateBacktests | None],
                    prior: dict[str, float], with_backtest: bool = False) -> SeriesResult:
    prepared, backtests = tested
    spec = prepared.spec("auto")
    assert isinstance(spec, AutoModel)
    fitted = replace(spec, prior=prior).fit_from(prepared.history, backtests)
    return prepared.finish(fitted, with_backtest=with_backtest)


def _intervals_between(first: pd.Timestamp, start: pd.Timestamp, freq: Freq) -> int:
    if start < first:
        raise InvalidParameter("cutoff", str(start), f"at or after {first} (after the data)")
    steps = (start - first) / freq.offset
    if steps != int(steps):
        raise InvalidParameter("cutoff", str(start), f"aligned to the {freq.value} grid")
    return int(steps)


def split_series(observations: pd.DataFrame, freq: Freq) -> Iterator[SeriesRequest]:
    """Group ts/category/channel/count rows (naive local time) into per-series counts.

    The rows are one data set: a series with no row on a day the others have was silent
    that day (count 0; sparse exports and raw events leave zeros out), and every series
    runs to the data set's last stamp, so all forecasts start at one common point.
    """
    stamps = pd.DatetimeIndex(observations["ts"])
    days = stamps.normalize().unique() if len(stamps) else stamps
    through = stamps.max() if len(stamps) else None
    for (category, channel), part in observations.groupby(["category", "channel"], sort=True):
        counts = part.groupby("ts")["count"].sum().sort_index().astype(float)
        counts = with_silent_days(counts, days=days, through=through)
        yield SeriesRequest(SeriesKey(str(category), str(channel)), counts, freq)


def with_silent_days(
    counts: pd.Series, *, days: pd.DatetimeIndex | None = None,
    through: pd.Timestamp | None = None,
) -> pd.Series:
    """`counts` with an explicit 0 on each of `days` (from the series' first day on) it
    has no row for and, when the series stops before `through`, on every day after its
    last one and at `through` itself. A series too quiet to go without an empty day, yet
    with none recorded (rows only where something came: a sparse export, raw events), is
    silent on every day it has no row for.

    A zero row makes its day observed, so the other slots of the day count as closed or
    silent (0) instead of missing (borrowed from neighbouring weeks).
    """
    index = pd.DatetimeIndex(counts.index)
    if index.empty:
        return counts
    covered = index.normalize().unique()
    if _rows_only_where_busy(counts):
        every_day = pd.date_range(covered.min(), covered.max())
        days = every_day if days is None else days.union(every_day)
    pads = pd.DatetimeIndex([])
    if days is not None:
        pads = days.difference(covered)
        pads = pads[pads >= covered.min()]
    if through is not None and through > index.max():
        after = pd.date_range(covered.max() + pd.Timedelta(days=1), through.normalize())
        pads = pads.union(after).union(pd.DatetimeIndex([through]))
    if pads.empty:
        return counts
    silent = pd.Series(0.0, index=pd.DatetimeIndex(pads))
    return pd.concat([counts, silent[~silent.index.isin(index)]]).groupby(level=0).sum()


def _rows_only_where_busy(counts: pd.Series) -> bool:
    """Whether the series' days with rows never sum to 0 while their mean is so low that
    a Poisson count would be 0 on one day in twenty or more (`QUIET_DAY_MEAN`): its empty
    days were left out, not missed."""
    daily = counts.groupby(pd.DatetimeIndex(counts.index).normalize()).sum()
    return bool(len(daily) >= MIN_DAYS_TO_READ_QUIET and (daily > 0).all()
                and daily.mean() <= QUIET_DAY_MEAN)


def forecast_frame(
    observations: pd.DataFrame, *, freq: Freq, horizon: int, start: pd.Timestamp | None = None,
    model: str = "auto", country: str | None = None, events: tuple[Event, ...] = (),
    mapper: Mapper = map,
) -> pd.DataFrame:
    """Forecast rows (OUTPUT_COLUMNS) for every series in `observations`.

    With `auto`, series choose their models with a ranking pooled over all of them. A
    series the model cannot fit falls back to the recent mean; it never stops the rest.
    `mapper` (like the built-in `map`, results in input order) runs the per-series work.
    """
    options = {"horizon": horizon, "start": start, "country": country, "events": events}
    requests, results = _forecast_all(observations, freq, model, options, mapper,
                                      with_backtest=False)
    return _output_rows(requests, results)


def forecast_with_backtests(
    observations: pd.DataFrame, *, freq: Freq, horizon: int, start: pd.Timestamp | None = None,
    model: str = "auto", country: str | None = None, events: tuple[Event, ...] = (),
    mapper: Mapper = map,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """forecast_frame, and the backtests behind each series' bands (its leading methods'):
    category, channel and FOLD_ERROR_COLUMNS (none for a series forecast without them)."""
    options = {"horizon": horizon, "start": start, "country": country, "events": events}
    requests, results = _forecast_all(observations, freq, model, options, mapper,
                                      with_backtest=True)
    backtests = [result.backtest.assign(category=request.key.category,
                                        channel=request.key.channel)
                 for request, result in zip(requests, results, strict=True)
                 if result.backtest is not None and not result.backtest.empty]
    backtest = (pd.concat(backtests, ignore_index=True) if backtests else
                pd.DataFrame(columns=["category", "channel", *FOLD_ERROR_COLUMNS]))
    return _output_rows(requests, results), backtest


def _forecast_all(
    observations: pd.DataFrame, freq: Freq, model: str, options: dict[str, object],
    mapper: Mapper, *, with_backtest: bool,
) -> tuple[list[SeriesRequest], list[SeriesResult]]:
    requests = list(split_series(observations, freq))
    results: list[SeriesResult] | None = None
    if model == "auto" and len(requests) > 1:
        try:
            results = _pooled_auto(requests, mapper=mapper, with_backtest=with_backtest,
                                   **options)  # type: ignore[arg-type]
        except ForecastError as exc:
            logger.warning("pooled selection failed (%s); choosing per series", exc)
    if results is None:
        run_options = {**options, "with_backtest": with_backtest}
        results = list(mapper(partial(_run_or_fall_back, model=model, options=run_options),
                              requests))
    return requests, results


def _output_rows(requests: list[SeriesRequest], results: list[SeriesResult]) -> pd.DataFrame:
    frames = []
    for request, result in zip(requests, results, strict=True):
        frame = result.forecast.to_frame()
        frame.insert(1, "category", request.key.category)
        frame.insert(2, "channel", request.key.channel)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=list(OUTPUT_COLUMNS))
    out = pd.concat(frames, ignore_index=True)
    for column in ("yhat", "lo80", "hi80", "lo95", "hi95"):
        out[column] = np.round(out[column].astype(float), 3)
    return out[list(OUTPUT_COLUMNS)]


def _run_or_fall_back(request: SeriesRequest, model: str, options: dict[str, object]
                      ) -> SeriesResult:
    """The series' forecast by `model`, or by the recent mean where that model cannot fit
    it (too short a history, a fit that fails): as the nightly fit does, one series never
    stops the rest, and the output's `model` column says which was used. An unknown
    model or an invalid parameter (a horizon, a model that does not take this interval)
    is the request's error, not the series', and is raised whatever the model."""
    try:
        return run_series(request, model=model, **options)  # type: ignore[arg-type]
    except (UnknownModel, InvalidParameter):
        raise
    except ForecastError as exc:
        logger.warning("series %s failed (%s); using recent_mean", request.key.label(), exc)
        return run_series(request, model="recent_mean", **options)  # type: ignore[arg-type]
