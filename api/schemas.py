"""Pydantic request and response models; domain records convert via `from_domain()`.

Every timestamp leaves the API as ISO 8601 in the configured local zone with its
offset, e.g. `2026-03-02T09:30:00+09:00`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from forecast.store import ForecastRun, JobRun, SeriesInfo, UpsertResult

LocalTime = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time",
                    "example": "2026-03-02T09:30:00+09:00"}),
]


def _local(value: datetime, timezone: str) -> datetime:
    """Store times are UTC; a naive one is read as UTC, never as the server's zone."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(timezone))


def _local_or_none(value: datetime | None, timezone: str) -> datetime | None:
    return None if value is None else _local(value, timezone)


class ErrorDetail(BaseModel):
    type: str = Field(description="Error kind, e.g. InvalidInput, InvalidParameter, NotFound.")
    message: str = Field(description="What is wrong and how to fix it.")
    row: int | None = Field(None, description="1-based row of the offending input (CSV header "
                                              "= row 1; JSON rows count from 1).")
    column: str | None = Field(None, description="Column of the offending input.")
    parameter: str | None = Field(None, description="Offending query or path parameter.")


class ErrorOut(BaseModel):
    error: ErrorDetail


class HealthOut(BaseModel):
    status: str = Field(description="ok, or error when the database cannot be reached.")
    database: str
    current_run: str | None = Field(description="The published forecast run, if any.")


class SeriesOut(BaseModel):
    category: str
    channel: str | None = Field(description="null for a series that spans all channels.")
    freq: str = Field(description="Interval of the stored observations: D, 60min, 30min, 15min.")
    first_ts: LocalTime
    last_ts: LocalTime
    observations: int

    @classmethod
    def from_domain(cls, info: SeriesInfo, timezone: str) -> SeriesOut:
        return cls(
            category=info.key.category, channel=info.key.channel or None,
            freq=info.freq.value, first_ts=_local(info.first_ts, timezone),
            last_ts=_local(info.last_ts, timezone), observations=info.observations,
        )


class ForecastRowOut(BaseModel):
    ts: LocalTime = Field(description="Start of the interval, local time with offset.")
    category: str
    channel: str | None = Field(description="null for a series that spans all channels.")
    freq: str
    yhat: float = Field(description="Point forecast (inquiries in the interval).")
    lo80: float
    hi80: float
    lo95: float
    hi95: float
    model: str
    run_id: str
    yhat_model: float | None = Field(None, description="The model's own yhat; present (in "
                                     "every row) when a planner override applies to a row.")
    override_id: int | None = Field(None, description="The override applied last, if any.")


class ForecastOut(BaseModel):
    run_id: str = Field(description="The published run these rows belong to.")
    rows: list[ForecastRowOut]


class ObservationIn(BaseModel):
    """One row of an inquiry log: counts per interval, or one raw inquiry without `count`."""

    model_config = ConfigDict(extra="forbid")

    ts: str = Field(description="ISO 8601; naive times are local wall-clock time.",
                    examples=["2026-03-02T09:30:00"])
    category: str
    channel: str | None = None
    count: int | None = Field(None, ge=0, description="Inquiries in the interval; omit it in "
                                                      "every row to send raw events.")
    aht_seconds: float | None = Field(None, ge=0, description="Handle time: per inquiry for "
                                      "raw events, the interval's mean for counts.")


class ObservationsIn(BaseModel):
    rows: list[ObservationIn]


class UpsertOut(BaseModel):
    inserted: int
    updated: int
    unchanged: int
    series: int = Field(description="Distinct series (category, channel, interval) received.")

    @classmethod
    def from_domain(cls, result: UpsertResult, series: int) -> UpsertOut:
        return cls(inserted=result.inserted, updated=result.updated,
                   unchanged=result.unchanged, series=series)


class ForecastRunOut(BaseModel):
    run_id: str
    created_at: LocalTime
    published_at: LocalTime | None
    series: int
    rows: int
    note: str

    @classmethod
    def from_domain(cls, run: ForecastRun, timezone: str) -> ForecastRunOut:
        return cls(
            run_id=run.run_id, created_at=_local(run.created_at, timezone),
            published_at=_local_or_none(run.published_at, timezone),
            series=run.series, rows=run.rows, note=run.note,
        )


class JobRunOut(BaseModel):
    id: int
    job: str
    started_at: LocalTime
    finished_at: LocalTime | None
    status: str = Field(description="running, success or failed.")
    error: str | None
    detail: str | None

    @classmethod
    def from_domain(cls, job: JobRun, timezone: str) -> JobRunOut:
        return cls(
            id=job.id, job=job.job, started_at=_local(job.started_at, timezone),
            finished_at=_local_or_none(job.finished_at, timezone),
            status=job.status, error=job.error, detail=job.detail,
        )


class RunsOut(BaseModel):
    forecast_runs: list[ForecastRunOut]
    job_runs: list[JobRunOut]
    current_run: str | None


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with nested definitions inlined, for `openapi_extra`."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(definitions[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    inlined: dict[str, Any] = resolve(schema)
    return inlined
