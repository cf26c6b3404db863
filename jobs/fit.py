"""The fit job: forecast every stored series, reconcile the hierarchy, publish one run."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial

import numpy as np
import pandas as pd

from forecast.backtest import FOLD_ERROR_COLUMNS, backtest_window
from forecast.calendar import Event
from forecast.errors import ForecastError
from forecast.hierarchy import SharedBacktests, reconcile_bottom_up
from forecast.openhours import without_partial_last_day
from forecast.pipeline import SeriesRequest, run_series, with_silent_days
from forecast.selection import priors_from_leaderboard
from forecast.series import Freq, SeriesKey
from forecast.store import ACCURACY_COLUMNS, FORECAST_COLUMNS, SeriesInfo, Store
from forecast.temporal import reconcile_to_daily
from jobs.executors import SeriesExecutor, executor_for
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
    dask_address: str | None = None
    priors: dict[str, dict[str, float]] | None = None  # per freq, from the last leaderboard


@dataclass(frozen=True, slots=True)
class FitReport:
    run_id: str
    series: int
    failed: int
    rows: int


@dataclass(frozen=True, slots=True)
class _SeriesFit:
    """One series' forecast rows, its leaderboard, and the backtests behind its bands
    (which set its parents' bands), plus 1 when it fell back to the recent mean."""

    key: SeriesKey
    freq: str
    forecast: pd.DataFrame
    leaderboard: pd.DataFrame
    backtest: pd.DataFrame
    fell_back: int


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


def fit_and_publish(
    store: Store, config: FitConfig, *, executor: SeriesExecutor | None = None
) -> FitReport:
    """Fit every stored series on `executor` (default: from `config`), then publish.

    Histories are loaded one series at a time as workers take them, so memory holds the
    few series in flight plus the (small) forecasts, never every history at once.
    """
    infos = store.list_series()
    if not infos:
        raise ForecastError("no observations in the store; run `vocast ingest` first")
    total = _task_count(infos)
    if config.priors is None:
        config = replace(config, priors=priors_from_leaderboard(store.latest_accuracy()))
    if executor is None:
        executor = executor_for(workers=config.workers, dask_address=config.dask_address,
                                tasks=total)
    forecasts, accuracy, failed = [], [], 0
    backtests: dict[str, SharedBacktests] = {}
    with executor:
        results = executor.map(partial(_fit_one, config=config), _tasks(store, infos, config))
        for fit in progress(results, total=total, label="fit"):
            forecasts.append(fit.forecast)
            accuracy.append(fit.leaderboard)
            backtests.setdefault(fit.freq, SharedBacktests()).add(
                fit.key.category, fit.key.channel, fit.backtest)
            failed += fit.fell_back
    rows = _publishable(forecasts, config.timezone, backtests)
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]
    board = pd.concat(accuracy, ignore_index=True) if accuracy else pd.DataFrame()
    store.save_run(run_id, rows, board.reindex(columns=list(ACCURACY_COLUMNS)),
                   note=f"model={config.model}")
    store.publish_run(run_id)
    logger.info("published run %s", run_id, extra={"run_id": run_id})
    return FitReport(run_id, total, failed, len(rows))


def _local_counts(counts: pd.Series, timezone: str) -> pd.Series:
    """UTC stamps to naive local wall-clock; the repeated DST hour is summed."""
    return counts.groupby(_local(pd.DatetimeIndex(counts.index), timezone)).sum().astype(float)


def _local(stamps: pd.DatetimeIndex, timezone: str) -> pd.DatetimeIndex:
    """Stamps (UTC, aware or naive) as naive local wall-clock time in `timezone`."""
    utc = stamps.tz_localize("UTC") if stamps.tz is None else stamps
    return utc.tz_convert(timezone).tz_localize(None)


def _task_count(infos: list[SeriesInfo]) -> int:
    """Tasks `_tasks` yields: one per series, plus a daily one for intraday-only keys."""
    daily_keys = {i.key for i in infos if i.freq is Freq.DAILY}
    return len(infos) + sum(i.freq.is_intraday and i.key not in daily_keys for i in infos)


def _tasks(store: Store, infos: Iterable[SeriesInfo], config: FitConfig) -> Iterator[_Task]:
    """Tasks in list order, each series' history loaded only when it is next."""
    infos = list(infos)
    daily_keys = {i.key for i in infos if i.freq is Freq.DAILY}
    through = _common_ends(infos, config.timezone)
    days = {freq: _local_days(store.observation_stamps(freq), config.timezone)
            for freq in through}
    for info in infos:
        counts = _local_counts(store.load_history(info.key, info.freq), config.timezone)
        counts = with_silent_days(counts, days=days[info.freq], through=through[info.freq])
        yield _Task(SeriesRequest(info.key, counts, info.freq), _horizon(info.freq, config))
        if info.freq.is_intraday and info.key not in daily_keys:
            # Whole days only: a day read mid-day is forecast, not taken for a quiet one.
            whole = without_partial_last_day(counts, info.freq)
            daily = whole.groupby(pd.DatetimeIndex(whole.index).normalize()).sum()
            yield _Task(SeriesRequest(info.key, daily, Freq.DAILY),
                        _horizon(Freq.DAILY, config))


def _local_days(stamps: pd.DatetimeIndex, timezone: str) -> pd.DatetimeIndex:
    """The local calendar days the store has rows on (at one interval): the days it was
    counting, when a series without a row had no contact (raw events store no zeros)."""
    return pd.DatetimeIndex(_local(stamps, timezone).normalize().unique())


def _common_ends(infos: list[SeriesInfo], timezone: str) -> dict[Freq, pd.Timestamp]:
    """The last local stamp of the store per interval, so a series that went quiet early
    (a queue closed on the last day, a retired category) forecasts from the same point as
    the rest, with zeros for its silence."""
    ends: dict[Freq, pd.Timestamp] = {}
    for info in infos:
        local = _local(pd.DatetimeIndex([info.last_ts]), timezone)[0]
        ends[info.freq] = max(ends.get(info.freq, local), local)
    return ends


def _horizon(freq: Freq, config: FitConfig) -> int:
    if freq is Freq.DAILY:
        return config.daily_horizon_days
    return config.intraday_horizon_days * freq.per_day


def _fit_one(task: _Task, config: FitConfig) -> _SeriesFit:
    request, fell_back = task.request, 0
    kwargs = {"horizon": task.horizon, "country": config.country, "events": config.events}
    prior = (config.priors or {}).get(request.freq.value)
    try:
        result = run_series(request, model=config.model, prior=prior, with_backtest=True,
                            **kwargs)  # type: ignore[arg-type]
    except ForecastError as exc:
        logger.warning("fit failed for %s (%s); using recent_mean", request.key.label(), exc,
                       extra={"category": request.key.category})
        result = run_series(request, model="recent_mean", **kwargs)  # type: ignore[arg-type]
        fell_back = 1
    frame = result.forecast.to_frame()
    frame["category"], frame["channel"], frame["freq"] = (
        request.key.category, request.key.channel, request.freq.value)
    backtest = result.backtest if result.backtest is not None else pd.DataFrame(
        columns=list(FOLD_ERROR_COLUMNS))
    board = _leaderboard(request.key, request.freq, result.scores, result.forecast.model)
    return _SeriesFit(request.key, request.freq.value, frame, board, backtest, fell_back)


def _leaderboard(key: SeriesKey, freq: Freq, scores: tuple, winner: str) -> pd.DataFrame:  # type: ignore[type-arg]
    if not scores:
        return pd.DataFrame(columns=list(ACCURACY_COLUMNS))
    board = pd.DataFrame([{
        "model": s.model, "folds": s.folds, "wape": s.wape, "mase": s.mase, "bias": s.bias,
        "coverage80": s.coverage80, "coverage95": s.coverage95} for s in scores])
    # A backtest over windows without a single contact has no WAPE: stored empty.
    metrics = ["wape", "mase", "bias", "coverage80", "coverage95"]
    board[metrics] = board[metrics].replace([np.inf, -np.inf], np.nan)
    board = board.sort_values(["wape", "mase"]).reset_index(drop=True)
    board["rank"] = range(1, len(board) + 1)
    board["selected"] = board["model"] == winner
    board["category"], board["channel"], board["freq"] = key.category, key.channel, freq.value
    return board[list(ACCURACY_COLUMNS)]


def _publishable(frames: list[pd.DataFrame], timezone: str,
                 backtests: dict[str, SharedBacktests] | None = None) -> pd.DataFrame:
    """Give every row a tz-aware local timestamp, scale intervals to their day's daily
    forecast, then reconcile the hierarchy per frequency (coherent in both directions),
    parents' bands set by their children's `backtests` (per frequency) where shared."""
    backtests = backtests or {}
    rows = pd.concat(frames, ignore_index=True)
    stamps = pd.DatetimeIndex(rows["ts"])
    rows["ts"] = stamps.tz_localize(timezone, ambiguous=np.ones(len(stamps), dtype=bool),
                                    nonexistent="NaT")
    rows = _reconciled_to_daily(rows.dropna(subset=["ts"]))
    out = []
    for freq, part in rows.groupby("freq", sort=True):
        coherent = reconcile_bottom_up(part.drop(columns="freq"), backtests.get(str(freq)),
                                       window=backtest_window(Freq(freq)))
        coherent["freq"] = freq
        out.append(coherent)
    return pd.concat(out, ignore_index=True)[list(FORECAST_COLUMNS)].reset_index(drop=True)


def _reconciled_to_daily(rows: pd.DataFrame) -> pd.DataFrame:
    """Bottom series' interval rows scaled to the same series' daily rows."""
    daily = (rows["freq"] == Freq.DAILY.value).to_numpy()
    if daily.all() or not daily.any():
        return rows
    scaled = reconcile_to_daily(rows.loc[~daily], rows.loc[daily])
    return pd.concat([rows.loc[daily], scaled], ignore_index=True)
