"""One alert check over the store: peaks ahead in the published forecast, breakouts today.

`find_alerts` reads the published run and the actuals through the `Store` protocol and
returns what `forecast.alerts.plan_changes` needs: the findings and the rules that were
actually evaluated (a rule without a published forecast resolves nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
import pandas as pd

from forecast.alerts import Alert, Rule
from forecast.calendar import Event, day_kinds, describe_kind, holiday_names
from forecast.errors import InfeasibleStaffing, InvalidParameter, NotFound
from forecast.handle_time import AhtDefaults
from forecast.interval_staffing import StaffingQuery, StaffingTargets, staffing_table
from forecast.overrides import adjusted_forecast
from forecast.series import Freq, SeriesKey
from forecast.spikes import (
    BreakoutParams,
    PeakParams,
    episodes,
    find_peaks,
    normal_level,
    reforecast_rest,
    scan_breakouts,
)
from forecast.store import SeriesInfo, Store

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AlertConfig:
    """Everything a check needs; entry points build it from Settings.

    `staffing` (None = skip) staffs the intraday forecast of a peak with handle times from
    the data or `aht`; `planned_agents` maps a series label ('refund/phone', or 'refund'
    for a category total) to the agents planned per interval, and a day needing more is a
    peak too. A day is a peak when its forecast reaches the peak threshold with at least
    `peak.probability` (read from yhat and hi80); `use_upper` instead compares hi80 itself
    with the threshold. `events` add to the stored events when explaining a peak.
    """

    timezone: str = "UTC"
    country: str | None = None
    peak: PeakParams = field(default_factory=PeakParams)
    breakout: BreakoutParams = field(default_factory=BreakoutParams)
    ahead_days: int = 7
    use_upper: bool = False
    staffing: StaffingTargets | None = None
    aht: AhtDefaults = field(default_factory=AhtDefaults)
    planned_agents: Mapping[str, int] = field(default_factory=dict)
    events: tuple[Event, ...] = ()


@dataclass(frozen=True, slots=True)
class CheckFindings:
    alerts: tuple[Alert, ...]
    rules: tuple[Rule, ...]


def find_alerts(store: Store, config: AlertConfig, *, as_of: datetime) -> CheckFindings:
    """Ahead-of-peak and live-breakout findings at `as_of` (tz-aware)."""
    if store.current_run_id() is None:
        logger.info("no published forecast run; nothing to check")
        return CheckFindings((), ())
    now = pd.Timestamp(as_of).tz_convert(config.timezone)
    stored = tuple(item.event for item in store.list_events())
    config = replace(config, events=(*config.events, *stored))
    infos = store.list_series()
    alerts = [*_ahead(store, config, infos, now), *_breakouts(store, config, infos, now)]
    return CheckFindings(tuple(alerts), (Rule.AHEAD, Rule.BREAKOUT))


def _local_midnight(now: pd.Timestamp) -> pd.Timestamp:
    return now.tz_localize(None).normalize().tz_localize(now.tz, ambiguous=True,
                                                         nonexistent="shift_forward")


def _naive_local(index: pd.Index, timezone: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(index).tz_convert(timezone).tz_localize(None)


def _daily_actuals(store: Store, info: SeriesInfo, config: AlertConfig,
                   today: pd.Timestamp) -> pd.Series:
    """Actual daily totals (naive local days) before `today`."""
    weeks = config.peak.normal_weeks + config.ahead_days // 7 + 2
    start = today - pd.Timedelta(weeks=weeks)
    counts = store.load_history(info.key, info.freq, start=start.to_pydatetime(),
                                end=today.to_pydatetime())
    local = pd.Series(counts.to_numpy(dtype=float), index=_naive_local(counts.index,
                                                                       config.timezone))
    return local.groupby(local.index.normalize()).sum()


def _ahead(store: Store, config: AlertConfig, infos: list[SeriesInfo],
           now: pd.Timestamp) -> list[Alert]:
    today = _local_midnight(now)
    until = today + pd.Timedelta(days=config.ahead_days + 1)
    rows = adjusted_forecast(store, now=now.to_pydatetime(), freq=Freq.DAILY,
                             start=today.to_pydatetime(), end=until.to_pydatetime())
    known = {i.key: i for i in sorted(infos, key=lambda i: i.freq is Freq.DAILY)}  # daily wins
    found = []
    for (category, channel), part in rows.groupby(["category", "channel"], sort=True):
        info = known.get(SeriesKey(str(category), str(channel)))
        if info is None:
            continue
        actuals = _daily_actuals(store, info, config, today)
        found.extend(_series_peaks(store, config, info.key, part, actuals, now))
    return found


def _series_peaks(store: Store, config: AlertConfig, key: SeriesKey, part: pd.DataFrame,
                  actuals: pd.Series, now: pd.Timestamp) -> list[Alert]:
    part = part.sort_values("ts")
    days = _naive_local(pd.Index(part["ts"]), config.timezone).normalize()
    value = part["hi80" if config.use_upper else "yhat"].to_numpy(dtype=float)
    upper = None if config.use_upper else part["hi80"].to_numpy(dtype=float)
    normal = normal_level(actuals, days, weeks=config.peak.normal_weeks)
    planned = config.planned_agents.get(key.label())
    peaks = find_peaks(value, normal, config.peak, upper=upper)
    agents = _daily_agents(store, config, key, days, now) if peaks or planned else None
    if planned is not None and agents is not None:
        peaks = find_peaks(value, normal, config.peak, upper=upper,
                           extra=np.nan_to_num(agents) > planned)
    stamps = pd.DatetimeIndex(part["ts"]).tz_convert(config.timezone)
    alerts = []
    for peak in peaks:
        span = slice(peak.start, peak.stop)
        known = None if agents is None else agents[span][np.isfinite(agents[span])]
        need = None if known is None or known.size == 0 else int(known.max())
        alerts.append(Alert(
            rule=Rule.AHEAD, key=key, freq=Freq.DAILY,
            start=stamps[peak.start].to_pydatetime(),
            end=(stamps[peak.stop - 1] + pd.Timedelta(days=1)).to_pydatetime(),
            peak_ts=stamps[peak.top].to_pydatetime(), volume=float(value[peak.top]),
            baseline=float(np.nan_to_num(normal[peak.top])), agents_needed=need,
            agents_planned=planned, explanation=explain_days(days[span], key, config)))
    return alerts


def _daily_agents(store: Store, config: AlertConfig, key: SeriesKey, days: pd.DatetimeIndex,
                  now: pd.Timestamp) -> np.ndarray | None:
    """Most agents any interval of each (naive local) day needs, staffing the published
    intraday forecast; None without targets, an intraday forecast or a known handle time."""
    if config.staffing is None or len(days) == 0:
        return None
    first = days[0].tz_localize(config.timezone, ambiguous=True, nonexistent="shift_forward")
    last = (days[-1] + pd.Timedelta(days=1)).tz_localize(
        config.timezone, ambiguous=True, nonexistent="shift_forward")
    query = StaffingQuery(key.category, key.channel, None, first.to_pydatetime(),
                          last.to_pydatetime())
    try:
        table = staffing_table(store, query, config.staffing, now=now.to_pydatetime(),
                               timezone=config.timezone, defaults=config.aht)
    except (InvalidParameter, NotFound, InfeasibleStaffing) as exc:
        logger.info("no agents for %s: %s", key.label(), exc, extra={"category": key.category})
        return None
    rows = table.rows[table.rows["channel"] == key.channel]
    local_days = pd.DatetimeIndex(rows["ts"]).tz_localize(None).normalize()
    per_day = pd.Series(rows["agents"].to_numpy(dtype=float), index=local_days)
    daily_max: np.ndarray = per_day.groupby(level=0).max().reindex(days).to_numpy(dtype=float)
    return daily_max


def explain_days(days: pd.DatetimeIndex, key: SeriesKey, config: AlertConfig) -> tuple[str, ...]:
    """Holidays, the days around long breaks, and known events over these days."""
    notes: list[str] = []
    for name in holiday_names(days, config.country):
        if name and f"holiday: {name}" not in notes:
            notes.append(f"holiday: {name}")
    for kind in day_kinds(days, config.country, category=key.category):
        text = describe_kind(str(kind))
        if text and text not in notes:
            notes.append(text)
    first, last = days.min().date(), days.max().date()
    for event in config.events:
        if event.applies_to(key.category) and event.start <= last and event.end >= first:
            notes.append(f"event: {event.name} ({event.kind})")
    return tuple(notes)


def _breakouts(store: Store, config: AlertConfig, infos: list[SeriesInfo],
               now: pd.Timestamp) -> list[Alert]:
    today = _local_midnight(now)
    tomorrow = _local_midnight(today + pd.Timedelta(hours=30))
    rows = adjusted_forecast(store, now=now.to_pydatetime(), start=today.to_pydatetime(),
                             end=tomorrow.to_pydatetime())
    found = []
    for info in infos:
        if not info.freq.is_intraday:
            continue
        part = rows[(rows["category"] == info.key.category)
                    & (rows["channel"] == info.key.channel) & (rows["freq"] == info.freq.value)]
        if part.empty:
            continue
        actuals = store.load_history(info.key, info.freq, start=today.to_pydatetime(),
                                     end=now.to_pydatetime())
        alert = series_breakout(info.key, info.freq, part, actuals, now=now, config=config)
        if alert is not None:
            found.append(alert)
    return found


def series_breakout(key: SeriesKey, freq: Freq, forecast: pd.DataFrame, actuals: pd.Series,
                    *, now: pd.Timestamp, config: AlertConfig) -> Alert | None:
    """The ongoing breakout of one series today, if any.

    `forecast` holds today's rows (ts, yhat, hi95); `actuals` the counts so far (tz-aware
    index). Only intervals complete by `now` and up to the last one observed count.
    """
    forecast = forecast.sort_values("ts")
    stamps = pd.DatetimeIndex(forecast["ts"]).tz_convert(config.timezone)
    if actuals.empty:
        return None
    last_seen = pd.DatetimeIndex(actuals.index).tz_convert(config.timezone).max()
    done = int(np.sum((stamps + freq.offset <= now) & (stamps <= last_seen)))
    if done == 0:
        return None
    observed = pd.Series(actuals.to_numpy(dtype=float),
                         index=pd.DatetimeIndex(actuals.index).tz_convert(config.timezone))
    obs = observed.reindex(stamps[:done]).fillna(0.0).to_numpy()
    yhat = forecast["yhat"].to_numpy(dtype=float)
    upper = forecast["hi95"].to_numpy(dtype=float)[:done]
    scan = scan_breakouts(obs, yhat[:done], config.breakout, upper=upper)
    found = episodes(scan.flagged, hot=scan.hot, window_start=scan.window_start,
                     consecutive=config.breakout.consecutive,
                     clear_after=config.breakout.clear_after)
    if not found or found[-1].stop is not None:
        return None
    return _breakout_alert(key, freq, stamps, obs, yhat, scan.window_start, found[-1].start,
                           config)


def _breakout_alert(key: SeriesKey, freq: Freq, stamps: pd.DatetimeIndex, obs: np.ndarray,
                    yhat: np.ndarray, window_start: np.ndarray, first: int,
                    config: AlertConfig) -> Alert:
    done = len(obs)
    onset = int(min(first, window_start[first]))
    excess = obs[onset:] - yhat[onset:done]
    rest = reforecast_rest(obs, yhat[:done], yhat[done:], damping=config.breakout.damping)
    return Alert(
        rule=Rule.BREAKOUT, key=key, freq=freq, start=stamps[onset].to_pydatetime(),
        end=(stamps[done - 1] + freq.offset).to_pydatetime(),
        peak_ts=stamps[onset + int(np.argmax(excess))].to_pydatetime(),
        volume=float(obs[onset:].sum()), baseline=float(yhat[onset:done].sum()),
        projected_total=float(obs.sum() + rest.sum()),
        day_forecast=float(yhat.sum()))
