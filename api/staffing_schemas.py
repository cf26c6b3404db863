"""Request and response models for staffing, shift plans and planner overrides."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from api.deps import parse_instant
from api.schemas import LocalTime, _local, _local_or_none
from forecast.errors import InvalidParameter
from forecast.interval_staffing import StaffingQuery
from forecast.overrides import Override, OverrideKind, OverrideRequest
from forecast.series import Freq
from forecast.shifts import ALL_DAYS, ShiftPlan, ShiftTemplate

_TIME = "ISO 8601 date or date-time; naive = local time."


def _required_instant(name: str, text: str, timezone: str) -> datetime:
    value = parse_instant(name, text, timezone)
    if value is None:
        raise InvalidParameter(name, text, "an ISO 8601 date or date-time")
    return value


def _freq(text: str | None) -> Freq | None:
    return Freq.parse(text) if text else None


# --- overrides ---------------------------------------------------------------------------


class OverrideIn(BaseModel):
    """A planner adjustment of the published forecast."""

    model_config = ConfigDict(extra="forbid")

    category: str = Field(description="The category to adjust.", examples=["billing"])
    channel: str | None = Field(None, description="One channel; null = every channel of the "
                                "category; \"\" = only its all-channel series.")
    freq: str | None = Field(None, description="D, 60min, 30min or 15min; null = all.")
    start: str = Field(description=f"First instant adjusted (inclusive); {_TIME}",
                       examples=["2026-03-03T09:00:00"])
    end: str = Field(description=f"Stop before this instant; {_TIME}",
                     examples=["2026-03-03T12:00:00"])
    kind: Literal["multiply", "add"]
    value: float = Field(description="Factor (multiply, >= 0) or inquiries added per "
                         "interval (add, may be negative).", examples=[1.3])
    reason: str = Field(description="Why: shown in the audit trail.",
                        examples=["mailing to 200k customers"])
    created_by: str | None = Field(None, description="Who; defaults to the API key's name.")
    expires_at: str | None = Field(None, description=f"Stop applying after; default: end. "
                                   f"{_TIME}")

    def to_domain(self, timezone: str, who: str) -> OverrideRequest:
        return OverrideRequest(
            category=self.category.strip(), channel=None if self.channel is None else
            self.channel.strip(), freq=_freq(self.freq),
            start=_required_instant("start", self.start, timezone),
            end=_required_instant("end", self.end, timezone), kind=OverrideKind(self.kind),
            value=self.value, reason=self.reason, created_by=who,
            expires_at=parse_instant("expires_at", self.expires_at, timezone))


class OverrideOut(BaseModel):
    id: int
    category: str
    channel: str | None = Field(description="null = every channel of the category.")
    freq: str | None = Field(description="null = every interval length.")
    start: LocalTime
    end: LocalTime
    kind: str
    value: float
    reason: str
    created_by: str
    created_at: LocalTime
    expires_at: LocalTime | None
    revoked_at: LocalTime | None
    revoked_by: str | None
    status: Literal["active", "expired", "revoked"]

    @classmethod
    def from_domain(cls, item: Override, timezone: str, now: datetime) -> OverrideOut:
        return cls(
            id=item.id, category=item.category, channel=item.channel,
            freq=item.freq.value if item.freq else None, start=_local(item.start, timezone),
            end=_local(item.end, timezone), kind=item.kind.value, value=item.value,
            reason=item.reason, created_by=item.created_by,
            created_at=_local(item.created_at, timezone),
            expires_at=_local_or_none(item.expires_at, timezone),
            revoked_at=_local_or_none(item.revoked_at, timezone), revoked_by=item.revoked_by,
            status=item.status(now))  # type: ignore[arg-type]


class OverridesOut(BaseModel):
    overrides: list[OverrideOut]


# --- staffing ----------------------------------------------------------------------------


class StaffingRowOut(BaseModel):
    ts: LocalTime
    category: str
    channel: str | None = Field(description="null for a series that spans all channels.")
    freq: str
    volume: float = Field(description="Forecast inquiries, planner overrides applied.")
    volume_model: float = Field(description="The model's own forecast.")
    override_id: int | None = Field(description="The override applied last, if any.")
    aht_seconds: float = Field(description="Handle time used for the interval.")
    agents: int = Field(description="Agents on the queue needed to meet the targets.")
    agents_scheduled: int = Field(description="agents / (1 - shrinkage), rounded up.")
    service_level: float
    asa_seconds: float = Field(description="Mean wait of answered contacts.")
    occupancy: float
    abandon_rate: float | None = Field(None, description="Only with patience_seconds.")


class StaffingOut(BaseModel):
    run_id: str
    freq: str
    rows: list[StaffingRowOut]


class ShiftTemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(examples=["early"])
    start: str = Field(description="Local start time HH:MM.", examples=["08:00"])
    length_minutes: int = Field(examples=[480])
    break_start_offset_minutes: int | None = Field(
        None, description="Minutes after the start when the unpaid break begins.",
        examples=[240])
    break_minutes: int = Field(0, examples=[30])
    days: list[int] = Field(default_factory=lambda: list(ALL_DAYS),
                            description="Weekdays the shift may start on, Monday = 0.")

    def to_domain(self) -> ShiftTemplate:
        return ShiftTemplate(name=self.name, start=self.start,
                             length_minutes=self.length_minutes,
                             break_start_offset_minutes=self.break_start_offset_minutes,
                             break_minutes=self.break_minutes, days=tuple(self.days))


MAX_SECONDS = 10**9  # about 30 years: bounds times in a request so arithmetic stays finite
MAX_CONCURRENCY = 100
MIN_OCCUPANCY = 0.01


class RequirementIn(BaseModel):
    """The series to cover and the staffing targets (defaults from the settings)."""

    model_config = ConfigDict(extra="forbid")

    category: str
    channel: str = Field("", description="\"\" = the category's all-channel series.")
    freq: str | None = Field(None, description="60min, 30min or 15min; default 30min or "
                             "the finest published.")
    start: str | None = Field(None, description=f"First interval; {_TIME}")
    end: str | None = Field(None, description=f"Stop before; {_TIME}")
    aht_seconds: float | None = Field(
        None, gt=0, le=MAX_SECONDS,
        description="One handle time for all intervals; default: from the data or settings.")
    sl: float | None = Field(None, gt=0, lt=1, description="Service-level target.")
    answer_seconds: float | None = Field(None, ge=0, le=MAX_SECONDS)
    shrinkage: float | None = Field(None, ge=0, lt=1)
    max_occupancy: float | None = Field(None, ge=MIN_OCCUPANCY, le=1)
    concurrency: float = Field(1.0, ge=1, le=MAX_CONCURRENCY)
    patience_seconds: float | None = Field(None, gt=0, le=MAX_SECONDS,
                                           description="Erlang A when given.")

    def query(self, timezone: str) -> StaffingQuery:
        return StaffingQuery(self.category, self.channel, _freq(self.freq),
                             parse_instant("start", self.start, timezone),
                             parse_instant("end", self.end, timezone))


class ShiftPlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    templates: list[ShiftTemplateIn] = Field(min_length=1)
    requirement: RequirementIn
    max_agents_per_shift: int | None = Field(None, ge=1)
    time_limit_seconds: float = Field(30.0, gt=0, le=300)


class ShiftOut(BaseModel):
    day: date
    template: str
    start: LocalTime
    end: LocalTime
    agents: int


class CoverageOut(BaseModel):
    ts: LocalTime
    required: int
    scheduled: int
    over: int
    under: int


class ShiftPlanOut(BaseModel):
    run_id: str
    freq: str
    category: str
    channel: str | None
    paid_hours: float
    optimal: bool = Field(description="False when the solver stopped at its time limit.")
    over_agent_intervals: int = Field(description="Sum of over-coverage.")
    under_agent_intervals: int = Field(description="Sum of under-coverage (0 when covered).")
    shifts: list[ShiftOut]
    coverage: list[CoverageOut]

    @classmethod
    def from_domain(cls, plan: ShiftPlan, *, run_id: str, freq: Freq, category: str,
                    channel: str, timezone: str) -> ShiftPlanOut:
        shifts = [ShiftOut(day=row.day, template=row.template,
                           start=_local(row.start.to_pydatetime(), timezone),
                           end=_local(row.end.to_pydatetime(), timezone), agents=int(row.agents))
                  for row in plan.shifts.itertuples(index=False)]
        coverage = [CoverageOut(ts=_local(pd.Timestamp(ts).to_pydatetime(), timezone),
                                required=int(r), scheduled=int(s), over=int(o), under=int(u))
                    for ts, r, s, o, u in plan.coverage.itertuples(name=None)]
        return cls(run_id=run_id, freq=freq.value, category=category, channel=channel or None,
                   paid_hours=plan.paid_hours, optimal=plan.optimal,
                   over_agent_intervals=int(plan.coverage["over"].sum()),
                   under_agent_intervals=int(plan.coverage["under"].sum()),
                   shifts=shifts, coverage=coverage)
