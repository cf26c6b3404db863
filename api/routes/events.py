"""Known events (launches, campaigns, outages, policy changes) that the fit job feeds the
models: list, load (JSON rows or CSV) and delete."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from api.deps import SettingsDep, StoreDep
from api.event_schemas import EventOut, EventsIn, EventsUpsertOut
from api.routes import error_responses
from api.schemas import inline_schema
from api.uploads import read_rows_body
from forecast.calendar import Event
from forecast.errors import InvalidInput
from forecast.events import CATEGORY_SEPARATOR, event_key, parse_events, read_events_csv

router = APIRouter(tags=["events"])

_CSV_SCHEMA = {"type": "string", "example": "name,kind,start,end,categories\n"
                                           "summer-sale,campaign,2026-07-13,2026-07-19,"
                                           "delivery;refund\n"}
_REQUEST_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": inline_schema(EventsIn)},
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary"}}}},
    "text/csv": {"schema": _CSV_SCHEMA},
}}}
_POST_DESCRIPTION = """\
Load events: JSON `{"rows": [...]}`, a multipart CSV upload in the field `file`, or a raw
`text/csv` body with the columns `name,kind,start,end,categories` (categories
';'-separated, empty = every category; dates inclusive). An event is identified by
(name, start, end): sending it again with another kind or categories updates it.
Everything is validated before anything is written; an error names the row and column
(CSV: the header is row 1; JSON: rows count from 1). The next fit uses the events.
"""


async def read_events(request: Request) -> list[Event]:
    """Events from the body by its content type (bounded by the app's upload limit)."""
    return await read_rows_body(request, from_csv=read_events_csv, from_json=_json_events,
                                noun="event")


@router.get("/events", response_model=list[EventOut], responses=error_responses(422))
def list_events(
    store: StoreDep, settings: SettingsDep,
    category: Annotated[str | None, Query(
        description="Only events that apply to this category (scoped to it or to all).")] = None,
) -> list[EventOut]:
    """Stored events by start date."""
    stored = store.list_events()
    if category is not None:
        stored = [item for item in stored if item.event.applies_to(category)]
    return [EventOut.from_domain(item, settings.timezone) for item in stored]


@router.post("/events", response_model=EventsUpsertOut, description=_POST_DESCRIPTION,
             openapi_extra=_REQUEST_BODY, responses=error_responses(400, 413, 415, 422))
def post_events(
    events: Annotated[list[Event], Depends(read_events)], store: StoreDep, settings: SettingsDep
) -> EventsUpsertOut:
    """Validate all events, then upsert them in one transaction."""
    result = store.upsert_events(events)
    by_key = {event_key(item.event): item for item in store.list_events()}
    stored = [by_key[event_key(event)] for event in events if event_key(event) in by_key]
    return EventsUpsertOut.from_domain(
        result, [EventOut.from_domain(item, settings.timezone) for item in stored])


@router.delete("/events/{event_id}", status_code=204, response_class=Response,
               responses=error_responses(404, 422))
def delete_event(
    store: StoreDep, event_id: Annotated[int, Path(description="The event's id.")]
) -> Response:
    """Remove one event; later fits no longer use it."""
    store.delete_event(event_id)
    return Response(status_code=204)


def _json_events(rows: list[dict[str, Any]]) -> list[Event]:
    flat = [_flat_row(row, position) for position, row in enumerate(rows, start=1)]
    return parse_events(pd.DataFrame(flat, dtype=object), first_row=1)


def _flat_row(row: dict[str, Any], position: int) -> dict[str, str]:
    """A JSON row as strings; a categories list becomes the ';'-separated CSV form."""
    flat = {}
    for key, value in row.items():
        if key == "categories" and isinstance(value, list):
            if not all(isinstance(item, str) for item in value):
                raise InvalidInput("categories must be a list of names", row=position,
                                   column="categories")
            value = CATEGORY_SEPARATOR.join(value)
        flat[str(key)] = "" if value is None else str(value)
    return flat
