"""Staff the published forecast per interval, and cover the requirement with shifts.

Volumes are the adjusted forecast (planner overrides applied); handle times come from
`forecast.handle_time` per series and interval unless one AHT is given for all. Intervals
sharing an AHT (rounded to whole seconds) are staffed in one vectorised Erlang call, so the
cost is bounded by the number of distinct AHT values, not by the number of series.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from forecast.errors import InvalidParameter, NotFound
from forecast.handle_time import AhtDefaults, learn_aht_profile
from forecast.overrides import ID_COLUMN, MODEL_COLUMN, adjusted_forecast
from forecast.series import Freq, SeriesKey
from forecast.shifts import ShiftPlan, ShiftTemplate, plan_shifts
from forecast.staffing import required_agents
from forecast.store import Store

STAFFING_COLUMNS = (
    "ts", "category", "channel", "freq", "volume", "volume_model", "override_id",
    "aht_seconds", "agents", "agents_scheduled", "service_level", "asa_seconds", "occupancy",
)
PREFERRED_FREQ = Freq.M30
_AHT_DECIMALS = 0


@dataclass(frozen=True, slots=True)
class StaffingTargets:
    """Service target and planning factors shared by every interval."""

    service_level: float
    answer_seconds: float
    shrinkage: float = 0.0
    max_occupancy: float = 1.0
    concurrency: float = 1.0
    patience_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class StaffingQuery:
    """Which published rows to staff; `freq` None = 30min, else the finest available."""

    category: str | None = None
    channel: str | None = None
    freq: Freq | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class StaffingTable:
    """Staffing rows (STAFFING_COLUMNS, plus abandon_rate under Erlang A) of one run."""

    run_id: str
    freq: Freq
    rows: pd.DataFrame


def staff_rows(rows: pd.DataFrame, aht_seconds: np.ndarray, targets: StaffingTargets, *,
               interval_minutes: float) -> pd.DataFrame:
    """Agents for each row's `yhat` at that row's AHT; columns as STAFFING_COLUMNS."""
    aht = np.round(np.asarray(aht_seconds, dtype=float), _AHT_DECIMALS)
    volume = rows["yhat"].to_numpy(dtype=float)
    busy = volume > 0  # idle intervals need no agents at any AHT: staff them in a busy group
    group = np.where(busy, aht, aht[busy][0]) if busy.any() else aht[:1].repeat(len(aht))
    out: dict[str, np.ndarray] = {name: np.zeros(len(rows), dtype=np.int64)
                                  for name in ("agents", "agents_scheduled")}
    for name in ("service_level", "asa_seconds", "occupancy", "abandon_rate"):
        out[name] = np.zeros(len(rows))
    for value in np.unique(group):
        where = np.flatnonzero(group == value)
        result = required_agents(
            volume[where], interval_minutes=interval_minutes, aht_seconds=float(value),
            target_service_level=targets.service_level, answer_seconds=targets.answer_seconds,
            max_occupancy=targets.max_occupancy, shrinkage=targets.shrinkage,
            concurrency=targets.concurrency, patience_seconds=targets.patience_seconds)
        for name, values in (("agents", result.agents), ("service_level", result.service_level),
                             ("agents_scheduled", result.agents_scheduled),
                             ("asa_seconds", result.asa_seconds),
                             ("occupancy", result.occupancy),
                             ("abandon_rate", result.abandon_rate)):
            out[name][where] = values
    frame = pd.DataFrame({
        "ts": rows["ts"].to_numpy(), "category": rows["category"].to_numpy(),
        "channel": rows["channel"].to_numpy(), "freq": rows["freq"].to_numpy(),
        "volume": volume, "volume_model": _column(rows, MODEL_COLUMN, volume),
        "override_id": _column(rows, ID_COLUMN, None), "aht_seconds": aht, **out})
    columns = list(STAFFING_COLUMNS) + (["abandon_rate"] if targets.patience_seconds else [])
    return frame[columns]


def staffing_table(store: Store, query: StaffingQuery, targets: StaffingTargets, *,
                   now: datetime, timezone: str, aht_seconds: float | None = None,
                   defaults: AhtDefaults | None = None) -> StaffingTable:
    """Staff the published (adjusted) forecast; AHT from `aht_seconds`, else per series."""
    if store.current_run_id() is None:
        raise NotFound("no forecast run is published yet; run `vocast fit` first")
    rows = adjusted_forecast(store, now=now, category=query.category, channel=query.channel,
                             start=query.start, end=query.end)
    freq = _chosen_freq(rows, query)
    rows = rows[rows["freq"] == freq.value].reset_index(drop=True)
    rows["ts"] = pd.DatetimeIndex(rows["ts"]).tz_convert(timezone)
    aht = np.zeros(len(rows))
    for (category, channel), part in rows.groupby(["category", "channel"], sort=True):
        key = SeriesKey(str(category), str(channel))
        aht[part.index.to_numpy()] = _series_aht(
            store, key, freq, pd.DatetimeIndex(part["ts"]), timezone=timezone,
            aht_seconds=aht_seconds, defaults=defaults or AhtDefaults())
    staffed = staff_rows(rows, aht, targets, interval_minutes=freq.minutes)
    return StaffingTable(str(rows["run_id"].iloc[0]), freq, staffed)


def shift_requirement(staffed: pd.DataFrame) -> pd.Series:
    """Agents to schedule per interval, summed over the staffed series, on a regular grid.

    Intervals missing from the published grid (the repeated hour of a DST fall-back day)
    take the previous interval's requirement.
    """
    need = staffed.groupby("ts", sort=True)["agents_scheduled"].sum()
    index = pd.DatetimeIndex(need.index)
    step = pd.Timedelta(np.diff(index.asi8).min(), unit=index.unit) if len(index) > 1 else None
    if step is None:
        raise InvalidParameter("start/end", len(index), "a range of at least two intervals")
    utc = index.tz_convert("UTC")
    grid = pd.date_range(utc[0], utc[-1], freq=step).tz_convert(index.tz)
    return need.reindex(grid).ffill().astype(float).rename("agents")


def plan_from_forecast(store: Store, query: StaffingQuery, targets: StaffingTargets, *,
                       templates: list[ShiftTemplate], now: datetime, timezone: str,
                       aht_seconds: float | None = None, defaults: AhtDefaults | None = None,
                       max_agents_per_shift: int | None = None,
                       time_limit_seconds: float = 30.0) -> tuple[StaffingTable, ShiftPlan]:
    """The staffing of one series and the cheapest shift plan covering it."""
    if query.category is None:
        raise InvalidParameter("category", None, "given: a shift plan covers one series")
    one_series = StaffingQuery(query.category, query.channel or "", query.freq, query.start,
                               query.end)
    table = staffing_table(store, one_series, targets, now=now, timezone=timezone,
                           aht_seconds=aht_seconds, defaults=defaults)
    plan = plan_shifts(shift_requirement(table.rows), templates,
                       max_agents_per_shift=max_agents_per_shift,
                       time_limit_seconds=time_limit_seconds)
    return table, plan


def _column(rows: pd.DataFrame, name: str, default: np.ndarray | None) -> object:
    if name in rows.columns:
        return rows[name].to_numpy()
    return default if default is not None else pd.array([pd.NA] * len(rows), dtype="Int64")


def _chosen_freq(rows: pd.DataFrame, query: StaffingQuery) -> Freq:
    available = sorted({Freq(f) for f in rows["freq"].unique()} - {Freq.DAILY},
                       key=lambda f: f.minutes)
    where = _label(query)
    if query.freq is not None:
        if not query.freq.is_intraday:
            raise InvalidParameter("freq", query.freq.value,
                                   "60min, 30min or 15min: staffing needs intervals")
        if query.freq not in available:
            raise NotFound(f"no published {query.freq.value} forecast for {where}; available: "
                           f"{', '.join(f.value for f in available) or 'none intraday'}")
        return query.freq
    if not available:
        raise NotFound(f"no published intraday forecast for {where} in that range; "
                       "staffing needs 60min, 30min or 15min forecasts")
    return PREFERRED_FREQ if PREFERRED_FREQ in available else available[0]


def _label(query: StaffingQuery) -> str:
    if query.category is None:
        return "any series"
    return query.category if not query.channel else f"{query.category}/{query.channel}"


def _series_aht(store: Store, key: SeriesKey, freq: Freq, ts: pd.DatetimeIndex, *,
                timezone: str, aht_seconds: float | None, defaults: AhtDefaults) -> np.ndarray:
    if aht_seconds is not None:
        return np.full(len(ts), float(aht_seconds))
    history = store.load_handle_times(key, freq)
    history["ts"] = pd.DatetimeIndex(history["ts"]).tz_convert(timezone)
    return learn_aht_profile(history, key, freq, defaults=defaults).at(ts)
