"""The fit job: forecast every stored series, reconcile the hierarchy, publish one run."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from forecast.calendar import Event
from forecast.errors import ForecastError
from forecast.hierarchy import reconcile_bottom_up
from forecast.pipeline import SeriesRequest, run_series
from forecast.series import Freq, SeriesKey
from forecast.store import ACCURACY_COLUMNS, FORECAST_COLUMNS, Store
from jobs.progress import progress

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FitConfig:
    timezone: str
    country: str | None
    model: str = "auto"
    daily_horizon_days: int = 28
    intraday_horizon_days: int = 14
    workers: int = 0
    events: tuple[Event, ...] = ()


@dataclass(frozen=True, slots=True)
class FitReport:
    run_id: str
    series: int
    failed: int
    rows: int


@dataclass(frozen=True, slots=True)
class _Task:
    request: SeriesRequest
    horizon: int


def run_fit_job(store: Store, config: FitConfig) -> FitReport:
    """Record the job run around `fit_and_publish`; failures are recorded, then raised."""
    job_id = store.start_job("fit")
    try:
        report = fit_and_publish(store, config)
    except Exception as exc:
        store.finish_job(job_id, "failed", error=f"{type(exc).__name__}: {exc}")
        raise
    store.finish_job(job_id, "success", detail=(
        f"run {report.run_id}: {report.series} series, {report.failed} fell back, "
        f"{report.rows} rows"))
    return report


def fit_and_publish(store: Store, config: FitConfig) -> FitReport:
    tasks = list(_tasks(store, config))
    if not tasks:
        raise ForecastError("no observations in the store; run `vocast ingest` first")
    forecasts, accuracy, failed = [], [], 0
    for frame, scores, fell_back in progress(_execute(tasks, config), total=len(tasks),
                                             label="fit"):
        forecasts.append(frame)
        accuracy.append(scores)
        failed += fell_back
    rows = _publishable(forecasts, config.timezone)
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]
    board = pd.concat(accuracy, ignore_index=True) if accuracy else pd.DataFrame()
    store.save_run(run_id, rows, board.reindex(columns=list(ACCURACY_COLUMNS)),
                   note=f"model={config.model}")
    store.publish_run(run_id)
    logger.info("published run %s", run_id, extra={"run_id": run_id})
    return FitReport(run_id, len(tasks), failed, len(rows))


def _local_counts(counts: pd.Series, timezone: str) -> pd.Series:
    """UTC stamps to naive local wall-clock; the repeated DST hour is summed."""
    index = pd.DatetimeIndex(counts.index).tz_convert(timezone).tz_localize(None)
    return counts.groupby(index).sum().astype(float)


def _tasks(store: Store, config: FitConfig) -> Iterator[_Task]:
    infos = store.list_series()
    daily_keys = {i.key for i in infos if i.freq is Freq.DAILY}
    for info in infos:
        counts = _local_counts(store.load_history(info.key, info.freq), config.timezone)
        yield _Task(SeriesRequest(info.key, counts, info.freq), _horizon(info.freq, config))
        if info.freq.is_intraday and info.key not in daily_keys:
            daily = counts.groupby(pd.DatetimeIndex(counts.index).normalize()).sum()
            yield _Task(SeriesRequest(info.key, daily, Freq.DAILY),
                        _horizon(Freq.DAILY, config))


def _horizon(freq: Freq, config: FitConfig) -> int:
    if freq is Freq.DAILY:
        return config.daily_horizon_days
    return config.intraday_horizon_days * freq.per_day


def _execute(tasks: list[_Task], config: FitConfig
             ) -> Iterator[tuple[pd.DataFrame, pd.DataFrame, int]]:
    workers = config.workers or os.cpu_count() or 1
    if workers == 1 or len(tasks) == 1:
        yield from (_fit_one(task, config) for task in tasks)
        return
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        yield from pool.map(_fit_one, tasks, [config] * len(tasks))


def _fit_one(task: _Task, config: FitConfig) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    request, fell_back = task.request, 0
    kwargs = {"horizon": task.horizon, "country": config.country, "events": config.events}
    try:
        result = run_series(request, model=config.model, **kwargs)  # type: ignore[arg-type]
    except ForecastError as exc:
        logger.warning("fit failed for %s (%s); using recent_mean", request.key.label(), exc,
                       extra={"category": request.key.category})
        result = run_series(request, model="recent_mean", **kwargs)  # type: ignore[arg-type]
        fell_back = 1
    frame = result.forecast.to_frame()
    frame["category"], frame["channel"], frame["freq"] = (
        request.key.category, request.key.channel, request.freq.value)
    return frame, _leaderboard(request.key, request.freq, result.scores,
                               result.forecast.model), fell_back


def _leaderboard(key: SeriesKey, freq: Freq, scores: tuple, winner: str) -> pd.DataFrame:  # type: ignore[type-arg]
    if not scores:
        return pd.DataFrame(columns=list(ACCURACY_COLUMNS))
    board = pd.DataFrame([{
        "model": s.model, "folds": s.folds, "wape": s.wape, "mase": s.mase, "bias": s.bias,
        "coverage80": s.coverage80, "coverage95": s.coverage95} for s in scores])
    board = board.sort_values(["wape", "mase"]).reset_index(drop=True)
    board["rank"] = range(1, len(board) + 1)
    board["selected"] = board["model"] == winner
    board["category"], board["channel"], board["freq"] = key.category, key.channel, freq.value
    return board[list(ACCURACY_COLUMNS)]


def _publishable(frames: list[pd.DataFrame], timezone: str) -> pd.DataFrame:
    """Reconcile per frequency and give every row a tz-aware local timestamp."""
    out = []
    for freq, rows in pd.concat(frames, ignore_index=True).groupby("freq", sort=True):
        coherent = reconcile_bottom_up(rows.drop(columns="freq"))
        coherent["freq"] = freq
        out.append(coherent)
    rows = pd.concat(out, ignore_index=True)
    stamps = pd.DatetimeIndex(rows["ts"])
    rows["ts"] = stamps.tz_localize(timezone, ambiguous=np.ones(len(stamps), dtype=bool),
                                    nonexistent="NaT")
    return rows.dropna(subset=["ts"])[list(FORECAST_COLUMNS)].reset_index(drop=True)
