"""From observations to forecast rows: prepare each series, fit the requested model,
forecast the intervals from a start point, zero closed hours. Used by the evaluation
contract (`vocast forecast`) and by the fit job."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.backtest import Score
from forecast.calendar import Event
from forecast.errors import ForecastError, InvalidParameter
from forecast.models.registry import build_model
from forecast.openhours import prepare_history
from forecast.series import LEVELS, Forecast, Freq, SeriesKey

logger = logging.getLogger(__name__)

OUTPUT_COLUMNS = ("ts", "category", "channel", "yhat", "lo80", "hi80", "lo95", "hi95", "model")


@dataclass(frozen=True, slots=True)
class SeriesResult:
    """A series' forecast and, for `auto`, the backtest leaderboard behind it."""

    forecast: Forecast
    scores: tuple[Score, ...] = ()


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


def run_series(
    request: SeriesRequest, *, horizon: int, start: pd.Timestamp | None = None,
    model: str = "auto", country: str | None = None, events: tuple[Event, ...] = (),
) -> SeriesResult:
    """forecast_series, keeping the leaderboard of the model choice."""
    history, hours = prepare_history(request.counts, request.key, request.freq,
                                     country=country, events=events)
    first = history.future_index(1)[0]
    start = first if start is None else pd.Timestamp(start)
    gap = _intervals_between(first, start, request.freq)
    steps = gap + horizon
    spec = build_model(model, request.freq, horizon=min(steps, _backtest_cap(request.freq)))
    fitted = spec.fit(history)
    forecast = hours.apply(fitted.predict(steps, LEVELS))
    keep = slice(gap, gap + horizon)
    bounds = {lvl: (lo[keep], hi[keep]) for lvl, (lo, hi) in forecast.bounds.items()}
    trimmed = Forecast(ds=forecast.ds[keep], mean=forecast.mean[keep], bounds=bounds,
                       model=forecast.model, fitted_at=forecast.fitted_at)
    return SeriesResult(trimmed, tuple(getattr(fitted, "scores", ())))


def _backtest_cap(freq: Freq) -> int:
    """Backtest windows long enough to matter, short enough to leave training data."""
    return 28 if freq is Freq.DAILY else 7 * freq.per_day


def _intervals_between(first: pd.Timestamp, start: pd.Timestamp, freq: Freq) -> int:
    if start < first:
        raise InvalidParameter("cutoff", str(start), f"at or after {first} (after the data)")
    steps = (start - first) / freq.offset
    if steps != int(steps):
        raise InvalidParameter("cutoff", str(start), f"aligned to the {freq.value} grid")
    return int(steps)


def split_series(observations: pd.DataFrame, freq: Freq) -> Iterator[SeriesRequest]:
    """Group ts/category/channel/count rows (naive local time) into per-series counts."""
    for (category, channel), part in observations.groupby(["category", "channel"], sort=True):
        counts = part.groupby("ts")["count"].sum().sort_index()
        yield SeriesRequest(SeriesKey(str(category), str(channel)), counts.astype(float), freq)


def forecast_frame(
    observations: pd.DataFrame, *, freq: Freq, horizon: int, start: pd.Timestamp | None = None,
    model: str = "auto", country: str | None = None, events: tuple[Event, ...] = (),
) -> pd.DataFrame:
    """Forecast rows (OUTPUT_COLUMNS) for every series in `observations`.

    One failing series is logged and retried with the simplest fallback; it never stops
    the others.
    """
    frames = []
    for request in split_series(observations, freq):
        try:
            result = forecast_series(request, horizon=horizon, start=start, model=model,
                                     country=country, events=events)
        except ForecastError as exc:
            if model not in ("auto",):
                raise
            logger.warning("series %s failed (%s); using recent_mean", request.key.label(), exc)
            result = forecast_series(request, horizon=horizon, start=start,
                                     model="recent_mean", country=country, events=events)
        frame = result.to_frame()
        frame.insert(1, "category", request.key.category)
        frame.insert(2, "channel", request.key.channel)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=list(OUTPUT_COLUMNS))
    out = pd.concat(frames, ignore_index=True)
    for column in ("yhat", "lo80", "hi80", "lo95", "hi95"):
        out[column] = np.round(out[column].astype(float), 3)
    return out[list(OUTPUT_COLUMNS)]
