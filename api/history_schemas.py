"""Response models of `/v1/calendar` and `GET /v1/observations` (documentation of the
JSON those routes write)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from api.schemas import LocalTime


class HolidayOut(BaseModel):
    date: date
    name: str = Field(description="The holiday's name in the `holidays` package's default "
                                  "language for the country.")


class CalendarOut(BaseModel):
    country: str | None = Field(description="ISO country code; null when none is configured.")
    start: date
    end: date = Field(description="Exclusive.")
    holidays: list[HolidayOut]


class ObservationRowOut(BaseModel):
    ts: LocalTime = Field(description="Start of the interval (or day), local time with offset.")
    category: str
    channel: str | None = Field(description="null for a series stored without a channel.")
    freq: str
    count: float = Field(description="Inquiries observed in the interval.")


class ObservationsOut(BaseModel):
    rows: list[ObservationRowOut] = Field(description="Sorted by series and time.")
