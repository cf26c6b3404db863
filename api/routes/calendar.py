"""Public holidays of the configured country between two dates, as JSON or CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query
from starlette.responses import Response

from api.deps import OutputFormatDep, SettingsDep
from api.export import CSV_MEDIA_TYPE
from api.history_schemas import CalendarOut, HolidayOut
from api.routes import error_responses
from forecast.calendar import holiday_names
from forecast.errors import InvalidParameter

router = APIRouter(tags=["calendar"])

MAX_CALENDAR_DAYS = 3660  # ten years: enough for any chart, bounded work per request
_DATE_HINT = "an ISO date like 2026-03-02 (or a date-time)"
_DESCRIPTION = """\
Public holidays of the configured country (`holiday_country`, from the `holidays`
package, names in its default language) on the days from `start` (inclusive) to `end`
(exclusive), at most 3,660 days. `country` is null and the list empty when no country is
configured. CSV (`format=csv` or `Accept: text/csv`) has the columns `date,name`.
"""
_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {200: {
    "content": {"text/csv": {"schema": {"type": "string"}}},
    "description": "Holidays (JSON or CSV).",
}}


@router.get("/calendar", response_model=CalendarOut, description=_DESCRIPTION,
            responses={**_CSV_RESPONSE, **error_responses(422)})
def get_calendar(
    settings: SettingsDep, fmt: OutputFormatDep,
    start: Annotated[str, Query(description="First day (inclusive).",
                                examples=["2026-11-01"])],
    end: Annotated[str, Query(description="Stop before this day (exclusive).",
                              examples=["2026-12-01"])],
) -> Response | CalendarOut:
    """Holiday names per day of a date range."""
    first, until = _parse_day("start", start), _parse_day("end", end)
    _check_span(first, until, end)
    days = pd.date_range(first, until, freq="D", inclusive="left")
    names = holiday_names(days, settings.holiday_country)
    holidays = [HolidayOut(date=day.date(), name=str(name))
                for day, name in names.items() if name]
    if fmt == "csv":
        return _csv_response(holidays, first, until)
    return CalendarOut(country=settings.holiday_country, start=first, end=until,
                       holidays=holidays)


def _parse_day(name: str, text: str) -> date:
    try:
        return datetime.fromisoformat(text.strip()).date()  # a date-time gives its day
    except ValueError as exc:
        raise InvalidParameter(name, text, _DATE_HINT) from exc


def _check_span(first: date, until: date, end_text: str) -> None:
    if until <= first:
        raise InvalidParameter("end", end_text, f"later than start ({first.isoformat()})")
    if (until - first).days > MAX_CALENDAR_DAYS:
        raise InvalidParameter("end", end_text,
                               f"at most {MAX_CALENDAR_DAYS} days after start ({first})")


def _csv_response(holidays: list[HolidayOut], first: date, until: date) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("date", "name"))
    writer.writerows((item.date.isoformat(), item.name) for item in holidays)
    filename = f"vocast-holidays-{first.isoformat()}-{until.isoformat()}.csv"
    return Response(buffer.getvalue().encode("utf-8"), media_type=CSV_MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
