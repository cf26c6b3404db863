"""Agents per interval for the published forecast, and shift plans that cover them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Any

import numpy as np
import orjson
from fastapi import APIRouter, Query
from starlette.responses import Response

from api.csv_safety import safe_columns
from api.deps import ForecastFilterDep, OutputFormatDep, SettingsDep, StoreDep
from api.export import CSV_MEDIA_TYPE, local_iso
from api.routes import error_responses
from api.staffing_schemas import (
    MAX_CONCURRENCY,
    MAX_SECONDS,
    MIN_OCCUPANCY,
    RequirementIn,
    ShiftPlanIn,
    ShiftPlanOut,
    StaffingOut,
)
from forecast.handle_time import AhtDefaults
from forecast.interval_staffing import (
    StaffingQuery,
    StaffingTable,
    StaffingTargets,
    plan_from_forecast,
    staffing_table,
)
from forecast.settings import Settings

router = APIRouter(tags=["staffing"])

_DECIMALS = {"volume": 4, "volume_model": 4, "aht_seconds": 1, "service_level": 4,
             "asa_seconds": 2, "occupancy": 4, "abandon_rate": 4}
_STAFFING_DESCRIPTION = """\
Agents needed per interval of the published forecast (Erlang C; Erlang A when
`patience_seconds` is given) to answer `sl` of contacts within `answer_seconds` without
agents busier than `max_occupancy`; `agents_scheduled` adds `shrinkage`. Volumes include
planner overrides (`volume_model` is the model's own). Handle time: `aht_seconds` when
given, else per series from the data (weekday x interval means of the last 8 weeks, then
the series mean), else the settings (`aht_seconds_by_category`, `default_aht_seconds`).
`freq` defaults to 30min, or the finest published interval. Targets default to the
settings. JSON `{"run_id", "freq", "rows"}` or CSV (`format=csv`). 422 when a target
cannot be met or no handle time is known; 404 when nothing is published for the filter.
"""
_PLAN_DESCRIPTION = """\
The cheapest set of shifts (integer program, HiGHS) covering the agents to schedule per
interval of one series (`requirement`: the category's all-channel series unless a
`channel` is given), staffed as in GET /v1/staffing. Templates give a local start time,
a length and an optional unpaid break; the cost is paid time. Returns the shifts per day
and the coverage per interval with over- and under-staffing. 422 when an interval that
needs agents is covered by no template or the targets cannot be met.
"""
_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {200: {
    "content": {"text/csv": {"schema": {"type": "string"}}},
    "description": "Staffing rows (JSON or CSV).",
}}


def _targets(settings: Settings, *, sl: float | None, answer_seconds: float | None,
             shrinkage: float | None, max_occupancy: float | None, concurrency: float,
             patience_seconds: float | None) -> StaffingTargets:
    """The request's targets, each defaulting to the settings."""
    pick = _default
    return StaffingTargets(
        service_level=pick(sl, settings.service_level_target),
        answer_seconds=pick(answer_seconds, settings.answer_seconds),
        shrinkage=pick(shrinkage, settings.shrinkage),
        max_occupancy=pick(max_occupancy, settings.max_occupancy),
        concurrency=concurrency, patience_seconds=patience_seconds)


def _default(value: float | None, fallback: float) -> float:
    return fallback if value is None else value


def _aht_defaults(settings: Settings) -> AhtDefaults:
    return AhtDefaults(settings.default_aht_seconds, settings.aht_seconds_by_category)


@router.get("/staffing", response_model=StaffingOut, description=_STAFFING_DESCRIPTION,
            responses={**_CSV_RESPONSE, **error_responses(404, 422)})
def get_staffing(
    store: StoreDep, settings: SettingsDep, fmt: OutputFormatDep,
    filters: ForecastFilterDep,
    aht_seconds: Annotated[float | None, Query(
        gt=0, le=MAX_SECONDS,
        description="One handle time for all intervals (default: data, then settings).")
                           ] = None,
    sl: Annotated[float | None, Query(gt=0, lt=1, description="Service-level target.")] = None,
    answer_seconds: Annotated[float | None, Query(ge=0, le=MAX_SECONDS)] = None,
    shrinkage: Annotated[float | None, Query(ge=0, lt=1)] = None,
    max_occupancy: Annotated[float | None, Query(ge=MIN_OCCUPANCY, le=1)] = None,
    concurrency: Annotated[float, Query(ge=1, le=MAX_CONCURRENCY,
                                        description="Chats per agent at once.")] = 1.0,
    patience_seconds: Annotated[float | None, Query(
        gt=0, le=MAX_SECONDS, description="Mean customer patience: Erlang A when given.")
                                ] = None,
) -> Response:
    """Agents per interval."""
    query = StaffingQuery(filters.category, filters.channel, filters.freq, filters.start,
                          filters.end)
    table = staffing_table(
        store, query, _targets(settings, sl=sl, answer_seconds=answer_seconds,
                               shrinkage=shrinkage, max_occupancy=max_occupancy,
                               concurrency=concurrency, patience_seconds=patience_seconds),
        now=datetime.now(UTC), timezone=settings.timezone, aht_seconds=aht_seconds,
        defaults=_aht_defaults(settings))
    return _staffing_response(table, settings.timezone, as_csv=fmt == "csv")


@router.post("/shift-plans", response_model=ShiftPlanOut, description=_PLAN_DESCRIPTION,
             responses=error_responses(404, 422))
def post_shift_plan(body: ShiftPlanIn, store: StoreDep, settings: SettingsDep) -> ShiftPlanOut:
    """Plan shifts for one series."""
    need: RequirementIn = body.requirement
    table, plan = plan_from_forecast(
        store, need.query(settings.timezone),
        _targets(settings, sl=need.sl, answer_seconds=need.answer_seconds,
                 shrinkage=need.shrinkage, max_occupancy=need.max_occupancy,
                 concurrency=need.concurrency, patience_seconds=need.patience_seconds),
        templates=[template.to_domain() for template in body.templates], now=datetime.now(UTC),
        timezone=settings.timezone, aht_seconds=need.aht_seconds,
        defaults=_aht_defaults(settings), max_agents_per_shift=body.max_agents_per_shift,
        time_limit_seconds=body.time_limit_seconds)
    return ShiftPlanOut.from_domain(plan, run_id=table.run_id, freq=table.freq,
                                    category=need.category, channel=need.channel,
                                    timezone=settings.timezone)


def _staffing_response(table: StaffingTable, timezone: str, *, as_csv: bool) -> Response:
    """Pre-serialised JSON or CSV, column-wise (one conversion per column)."""
    rows = table.rows
    columns: dict[str, list[Any]] = {}
    for name in rows.columns:
        if name == "ts":
            values = local_iso(rows["ts"], timezone)
        elif name in _DECIMALS:
            values = np.round(rows[name].to_numpy(dtype=float), _DECIMALS[name])
        elif name == "override_id":
            ids = rows[name]
            values = np.where(ids.isna(), None, ids.fillna(0).astype("int64").astype(object))
        else:
            values = rows[name].to_numpy(dtype=object, copy=True)
        if name == "channel" and not as_csv:
            values[values == ""] = None
        columns[name] = values.tolist()
    names = list(columns)
    records = zip(*columns.values(), strict=True)
    if not as_csv:
        body = {"run_id": table.run_id, "freq": table.freq.value,
                "rows": [dict(zip(names, row, strict=True)) for row in records]}
        return Response(orjson.dumps(body), media_type="application/json")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    writer.writerows(zip(*safe_columns(columns).values(), strict=True))
    return Response(buffer.getvalue().encode("utf-8"), media_type=CSV_MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="vocast-staffing-{table.freq.value}.csv"'})
