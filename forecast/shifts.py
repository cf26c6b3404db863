"""Shift planning: cover a per-interval agent requirement with shift templates at least cost.

An integer program solved by HiGHS (scipy.optimize.milp). A shift instance is a template on
one day; its integer variable counts the agents who work it. Every interval needs coverage >=
requirement, where an agent covers each interval of the shift except the break; the cost is
paid time (agents x shift length, break included). Shifts start at their local wall-clock time
and last their length in real time, so a shift over a DST change still runs `length_minutes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array, csr_array

from forecast.errors import InfeasibleStaffing, InvalidParameter

ALL_DAYS: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)  # Monday = 0, as datetime.weekday()
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_ROUNDING = 1e-9


@dataclass(frozen=True, slots=True)
class ShiftTemplate:
    """A shift pattern: start 'HH:MM' local time, length, one optional break, allowed weekdays.

    `break_start_offset_minutes` counts from the shift start; the break must lie strictly
    inside the shift. `days` are weekdays (Monday = 0) on which the shift may start.
    """

    name: str
    start: str
    length_minutes: int
    break_start_offset_minutes: int | None = None
    break_minutes: int = 0
    days: tuple[int, ...] = ALL_DAYS

    def __post_init__(self) -> None:
        object.__setattr__(self, "days", tuple(self.days))
        _check_template(self)

    @property
    def start_time(self) -> time:
        hours, minutes = self.start.strip().split(":")
        return time(int(hours), int(minutes))

    def working_offsets(self, step_minutes: int) -> list[int]:
        """Minutes after the start of each interval worked (the break excluded)."""
        offset = self.break_start_offset_minutes
        pause = range(0) if offset is None else range(offset, offset + self.break_minutes)
        return [m for m in range(0, self.length_minutes, step_minutes) if m not in pause]


@dataclass(frozen=True, slots=True)
class ShiftPlan:
    """A solved plan.

    `shifts`: day, template, start, end, agents (instances with agents > 0).
    `coverage`: indexed by interval ts; required, scheduled, over, under.
    `optimal` is False when the solver stopped at its time limit with a feasible plan.
    """

    shifts: pd.DataFrame
    coverage: pd.DataFrame
    paid_hours: float
    optimal: bool


@dataclass(frozen=True, slots=True)
class _Instance:
    template: ShiftTemplate
    day: date
    start: pd.Timestamp
    positions: npt.NDArray[np.int64]


def plan_shifts(
    requirement: pd.Series,
    templates: list[ShiftTemplate],
    *,
    max_agents_per_shift: int | None = None,
    time_limit_seconds: float = 60.0,
) -> ShiftPlan:
    """Fewest paid agent-minutes covering `requirement` (agents per interval start ts).

    The index must be a regular DatetimeIndex (fill closed intervals with 0); fractional
    requirements are rounded up. Raises InfeasibleStaffing when a required interval is
    covered by no template, or when `max_agents_per_shift` makes coverage impossible.
    """
    index, step, need = _grid(requirement)
    _check_templates(templates, step)
    if max_agents_per_shift is not None and (
            isinstance(max_agents_per_shift, bool) or not isinstance(max_agents_per_shift, int)
            or max_agents_per_shift < 1):
        raise InvalidParameter("max_agents_per_shift", max_agents_per_shift, "an integer >= 1")
    instances = _instances(index, step, templates)
    rows = np.flatnonzero(need > 0)
    matrix = _coverage_matrix(instances, len(index))
    uncovered = rows[np.asarray(matrix[rows].sum(axis=1)).ravel() == 0]
    if uncovered.size:
        raise InfeasibleStaffing(
            f"{uncovered.size} interval(s) with required agents are covered by no template, "
            f"first at {index[uncovered[0]]}; add a template that works then")
    agents, optimal = _solve(matrix, rows, need, instances, max_agents_per_shift,
                             time_limit_seconds)
    return _plan(index, need, matrix, instances, agents, optimal)


def _solve(matrix: csr_array, rows: npt.NDArray[np.int64], need: npt.NDArray[np.int64],
           instances: list[_Instance], cap: int | None,
           time_limit: float) -> tuple[npt.NDArray[np.int64], bool]:
    count = len(instances)
    if rows.size == 0:
        return np.zeros(count, dtype=np.int64), True
    cost = np.array([float(i.template.length_minutes) for i in instances])
    result = milp(
        cost,
        integrality=np.ones(count),
        bounds=Bounds(0.0, np.inf if cap is None else float(cap)),
        constraints=LinearConstraint(matrix[rows], lb=need[rows].astype(float)),
        options={"time_limit": float(time_limit)},
    )
    if result.x is None:
        if result.status == 2:
            raise InfeasibleStaffing(
                f"no plan covers the requirement with max_agents_per_shift={cap}; "
                "raise the cap or add templates")
        raise InfeasibleStaffing(f"no shift plan found within {time_limit:g} s: "
                                 f"{result.message}")
    agents = np.rint(result.x).astype(np.int64)
    return agents, bool(result.status == 0)


def _plan(index: pd.DatetimeIndex, need: npt.NDArray[np.int64], matrix: csr_array,
          instances: list[_Instance], agents: npt.NDArray[np.int64], optimal: bool) -> ShiftPlan:
    used = [k for k, n in enumerate(agents) if n > 0]
    shifts = pd.DataFrame({
        "day": [instances[k].day for k in used],
        "template": [instances[k].template.name for k in used],
        "start": [instances[k].start for k in used],
        "end": [instances[k].start + pd.Timedelta(minutes=instances[k].template.length_minutes)
                for k in used],
        "agents": agents[used].astype(np.int64),
    })
    scheduled = np.asarray(matrix @ agents, dtype=np.int64)
    coverage = pd.DataFrame({
        "required": need,
        "scheduled": scheduled,
        "over": np.maximum(scheduled - need, 0),
        "under": np.maximum(need - scheduled, 0),
    }, index=index.rename("ts"))
    minutes = sum(int(agents[k]) * instances[k].template.length_minutes for k in used)
    return ShiftPlan(shifts=shifts, coverage=coverage, paid_hours=minutes / 60.0,
                     optimal=optimal)


def _grid(requirement: pd.Series) -> tuple[pd.DatetimeIndex, int, npt.NDArray[np.int64]]:
    """Validate the requirement; return its index, interval in minutes, whole-agent needs."""
    index = requirement.index
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 2:
        raise InvalidParameter("requirement index", type(index).__name__,
                               "a DatetimeIndex with at least two intervals")
    deltas = np.diff(index.asi8)
    if deltas[0] <= 0 or np.any(deltas != deltas[0]):
        raise InvalidParameter("requirement index", "irregular or unsorted timestamps",
                               "a regular, increasing grid (fill closed intervals with 0)")
    step = pd.Timedelta(int(deltas[0]), unit=index.unit) / pd.Timedelta(minutes=1)
    if not float(step).is_integer():
        raise InvalidParameter("requirement interval", f"{step:g} min", "whole minutes")
    values = pd.to_numeric(requirement, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        raise InvalidParameter(f"requirement at {index[bad[0]]}", requirement.iloc[bad[0]],
                               "a finite number of agents >= 0")
    need = np.ceil(values - _ROUNDING * np.maximum(values, 1.0)).astype(np.int64)
    return index, int(step), need


def _instances(index: pd.DatetimeIndex, step: int,
               templates: list[ShiftTemplate]) -> list[_Instance]:
    """Every template on every allowed day touching the horizon (the day before included)."""
    origin, count = index[0], len(index)
    first = origin.date() - timedelta(days=1)
    days = [first + timedelta(days=k) for k in range((index[-1].date() - first).days + 1)]
    out = []
    for template in templates:
        offsets = np.array(template.working_offsets(step), dtype=np.int64) // step
        for day in days:
            if day.weekday() not in template.days:
                continue
            start = _local(day, template.start_time, index.tz)
            base = (start - origin) / pd.Timedelta(minutes=step)
            if not float(base).is_integer():
                raise InvalidParameter(f"template {template.name!r} start", template.start,
                                       f"aligned to the {step}-minute requirement grid")
            positions = offsets + int(base)
            positions = positions[(positions >= 0) & (positions < count)]
            if positions.size:
                out.append(_Instance(template, day, start, positions))
    return out


def _local(day: date, clock: time, tz: object) -> pd.Timestamp:
    stamp = pd.Timestamp(datetime.combine(day, clock))
    if tz is None:
        return stamp
    return stamp.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")


def _coverage_matrix(instances: list[_Instance], intervals: int) -> csr_array:
    cols = np.concatenate([np.full(i.positions.size, k) for k, i in enumerate(instances)]
                          or [np.zeros(0, dtype=np.int64)])
    rows = np.concatenate([i.positions for i in instances] or [np.zeros(0, dtype=np.int64)])
    return coo_array((np.ones(rows.size), (rows, cols)),
                     shape=(intervals, len(instances))).tocsr()


def _check_templates(templates: list[ShiftTemplate], step: int) -> None:
    if not templates:
        raise InvalidParameter("templates", templates, "a non-empty list of ShiftTemplate")
    names = [t.name for t in templates]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise InvalidParameter("template name", duplicate, "unique across templates")
    for t in templates:
        for field, value in (("length_minutes", t.length_minutes),
                             ("break_start_offset_minutes", t.break_start_offset_minutes or 0),
                             ("break_minutes", t.break_minutes)):
            if value % step:
                raise InvalidParameter(f"template {t.name!r} {field}", value,
                                       f"a multiple of the {step}-minute interval")


def _check_template(t: ShiftTemplate) -> None:
    if not isinstance(t.name, str) or not t.name.strip():
        raise InvalidParameter("template name", t.name, "a non-empty string")
    where = f"template {t.name!r}"
    if not isinstance(t.start, str) or not _CLOCK.match(t.start.strip()):
        raise InvalidParameter(f"{where} start", t.start, "a time 'HH:MM' from 00:00 to 23:59")
    if not _whole(t.length_minutes) or not 0 < t.length_minutes <= 1440:
        raise InvalidParameter(f"{where} length_minutes", t.length_minutes,
                               "a whole number of minutes in (0, 1440]")
    offset, pause = t.break_start_offset_minutes, t.break_minutes
    if offset is None:
        if pause != 0:
            raise InvalidParameter(f"{where} break_minutes", pause,
                                   "0 when break_start_offset_minutes is None")
    elif not (_whole(offset) and _whole(pause) and offset > 0 and pause > 0
              and offset + pause < t.length_minutes):
        raise InvalidParameter(f"{where} break", f"{pause} min at +{offset} min",
                               f"a break of > 0 min inside the {t.length_minutes}-min shift")
    if not t.days or any(not _whole(d) or not 0 <= d <= 6 for d in t.days) \
            or len(set(t.days)) != len(t.days):
        raise InvalidParameter(f"{where} days", t.days,
                               "distinct weekdays 0-6 (Monday = 0), at least one")


def _whole(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)
