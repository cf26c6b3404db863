"""User events (launches, campaigns, outages, policy changes): the CSV format and its checks.

    name,kind,start,end,categories
    summer-sale,campaign,2026-07-13,2026-07-19,delivery;refund
    login-outage,outage,2026-10-14,2026-10-14,

`kind` is one of EVENT_KINDS; `start` and `end` are ISO dates, both inclusive;
`categories` is ';'-separated and empty means every category. An event is known by
(name, start, end): loading it again with another kind or scope updates it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO

import pandas as pd

from forecast.calendar import Event
from forecast.csvfile import read_text_csv
from forecast.errors import InvalidInput

EVENT_KINDS = ("launch", "campaign", "outage", "policy", "other")
EVENT_COLUMNS = ("name", "kind", "start", "end", "categories")
REQUIRED_COLUMNS = ("name", "kind", "start", "end")
CATEGORY_SEPARATOR = ";"
NAME_MAX_LENGTH = 200
FIRST_DATA_ROW = 2  # row 1 of a CSV file is its header


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the store keeps it: its id (for deletion) and when it was first stored."""

    id: int
    event: Event
    created_at: datetime


def event_key(event: Event) -> tuple[str, date, date]:
    """What identifies an event: re-loading the same key updates kind and categories."""
    return (event.name, event.start, event.end)


def read_events_csv(source: str | Path | bytes | IO[bytes]) -> list[Event]:
    """Read and validate an events CSV (plain or .gz); raise InvalidInput naming row and column."""
    frame = read_text_csv(source, expected=",".join(EVENT_COLUMNS))
    return parse_events(frame)


def parse_events(frame: pd.DataFrame, *, first_row: int = FIRST_DATA_ROW) -> list[Event]:
    """Validate rows of strings into events; `first_row` is the number reported for row 0.

    Rows repeating an earlier row exactly are dropped; two rows with the same
    (name, start, end) but a different kind or scope are an error.
    """
    frame = frame.rename(columns=lambda c: str(c).strip().lower())
    _check_columns(frame, header_row=first_row - 1 if first_row > 1 else None)
    if frame.empty:
        raise InvalidInput("no data rows; expected at least one event after the header")
    rows = frame.to_dict("records")
    return deduplicated(
        (position + first_row, _event_from(values, position + first_row))
        for position, values in enumerate(rows)
    )


def deduplicated(numbered: Iterable[tuple[int, Event]]) -> list[Event]:
    """Events in order without exact repeats; the same key defined twice differently is an
    InvalidInput naming the later row."""
    seen: dict[tuple[str, date, date], tuple[int, Event]] = {}
    events: list[Event] = []
    for row, event in numbered:
        earlier = seen.get(event_key(event))
        if earlier is None:
            seen[event_key(event)] = (row, event)
            events.append(event)
        elif earlier[1] != event:
            raise InvalidInput(
                f"event '{event.name}' from {event.start} to {event.end} is already defined "
                f"differently in row {earlier[0]}", row=row, column="name",
            )
    return events


def events_csv(events: Sequence[Event]) -> str:
    """Events in the CSV format `read_events_csv` reads."""
    frame = pd.DataFrame(
        [(e.name, e.kind, e.start.isoformat(), e.end.isoformat(),
          CATEGORY_SEPARATOR.join(e.categories)) for e in events],
        columns=list(EVENT_COLUMNS),
    )
    text: str = frame.to_csv(index=False, lineterminator="\n")
    return text


def _check_columns(frame: pd.DataFrame, *, header_row: int | None) -> None:
    unknown = [c for c in frame.columns if c not in EVENT_COLUMNS]
    if unknown:
        raise InvalidInput(
            f"unknown column; expected {','.join(EVENT_COLUMNS)} (categories optional)",
            row=header_row, column=str(unknown[0]),
        )
    for column in REQUIRED_COLUMNS:
        if column not in frame.columns:
            raise InvalidInput(
                f"missing column; expected {','.join(EVENT_COLUMNS)} (categories optional)",
                row=header_row, column=column,
            )


def _event_from(values: dict[str, object], row: int) -> Event:
    start = _date(values.get("start"), row, "start")
    end = _date(values.get("end"), row, "end")
    event = Event(name=_text(values.get("name")), kind=_text(values.get("kind")), start=start,
                  end=end, categories=parse_categories(_text(values.get("categories"))))
    return checked_event(event, row=row)


def checked_event(event: Event, *, row: int | None = None) -> Event:
    """`event` validated, with name and kind trimmed, kind lower-case, categories sorted and
    unique; InvalidInput names `row` and the column at fault."""
    name = event.name.strip()
    if not name:
        raise InvalidInput("empty name; every event needs a name", row=row, column="name")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidInput(f"name is longer than {NAME_MAX_LENGTH} characters", row=row,
                           column="name")
    kind = event.kind.strip().lower()
    if kind not in EVENT_KINDS:
        raise InvalidInput(f"unknown kind {event.kind!r}; use one of {', '.join(EVENT_KINDS)}",
                           row=row, column="kind")
    if event.end < event.start:
        raise InvalidInput(f"end {event.end} is before start {event.start}", row=row,
                           column="end")
    categories = tuple(sorted({c.strip() for c in event.categories if c.strip()}))
    return Event(name=name, kind=kind, start=event.start, end=event.end, categories=categories)


def parse_categories(text: str) -> tuple[str, ...]:
    """';'-separated category names, sorted and without repeats; '' means every category."""
    names = {part.strip() for part in text.split(CATEGORY_SEPARATOR)}
    return tuple(sorted(name for name in names if name))


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _date(value: object, row: int, column: str) -> date:
    text = _text(value)
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"cannot parse date {text!r}; use YYYY-MM-DD like 2026-03-02",
                           row=row, column=column) from exc
