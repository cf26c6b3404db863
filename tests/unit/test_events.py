"""The events CSV: parsing, normalisation and errors that name the row and column."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from forecast.calendar import Event, day_kinds
from forecast.errors import InvalidInput
from forecast.events import EVENT_KINDS, checked_event, events_csv, parse_events, read_events_csv

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "seoul_events.csv"
HEADER = "name,kind,start,end,categories\n"


def _error(text: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        read_events_csv(text.encode())
    return caught.value


def test_reads_the_bundled_sample() -> None:
    events = read_events_csv(SAMPLE)
    assert len(events) == 11
    assert {e.kind for e in events} <= set(EVENT_KINDS)
    promo = events[0]
    assert promo == Event("spring-membership-promo", "campaign", date(2024, 3, 11),
                          date(2024, 3, 24), ("membership", "payment"))
    anniversary = next(e for e in events if e.name == "anniversary-sale-2025")
    assert anniversary.categories == ()


def test_normalises_case_spaces_and_category_lists(tmp_path: Path) -> None:
    text = (" Name , KIND ,start,end,categories\n"
            " launch day , Launch ,2026-03-02,2026-03-02, refund ; app-bug;;refund\n"
            "outage,outage,2026-03-05,2026-03-06,\n")
    path = tmp_path / "events.csv.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8-sig")))
    assert read_events_csv(path) == [
        Event("launch day", "launch", date(2026, 3, 2), date(2026, 3, 2), ("app-bug", "refund")),
        Event("outage", "outage", date(2026, 3, 5), date(2026, 3, 6)),
    ]


def test_categories_column_is_optional() -> None:
    [event] = read_events_csv(b"name,kind,start,end\nrefund-rule,policy,2026-09-01,2026-09-07\n")
    assert event.categories == ()


def test_round_trips_through_events_csv() -> None:
    events = read_events_csv(SAMPLE)
    assert read_events_csv(events_csv(events).encode()) == events


@pytest.mark.parametrize(("row", "column", "reason"), [
    ("promo-x,promo,2026-03-02,2026-03-03,", "kind", "unknown kind 'promo'"),
    ("sale,campaign,2026-03-09,2026-03-02,", "end", "end 2026-03-02 is before start 2026-03-09"),
    ("sale,campaign,2026/03/02,2026-03-09,", "start", "cannot parse date '2026/03/02'"),
    ("sale,campaign,2026-03-02,,", "end", "cannot parse date ''"),
    (",campaign,2026-03-02,2026-03-03,", "name", "empty name"),
    ("sale,,2026-03-02,2026-03-03,", "kind", "unknown kind ''"),
    (f"{'x' * 201},other,2026-03-02,2026-03-03,", "name", "longer than 200"),
])
def test_bad_rows_name_row_and_column(row: str, column: str, reason: str) -> None:
    error = _error(HEADER + "fine,other,2026-01-01,2026-01-02,\n" + row + "\n")
    assert (error.row, error.column) == (3, column)
    assert reason in str(error)
    assert str(error).startswith(f"row 3, column '{column}': ")


def test_header_problems_name_the_column() -> None:
    unknown = _error("name,kind,start,end,category\nx,other,2026-01-01,2026-01-01,a\n")
    assert (unknown.row, unknown.column) == (1, "category")
    missing = _error("name,kind,start\nx,other,2026-01-01\n")
    assert (missing.row, missing.column) == (1, "end")


def test_empty_files_and_ragged_rows_are_rejected() -> None:
    assert "empty" in str(_error(""))
    assert "no data rows" in str(_error(HEADER))
    assert "more fields" in str(_error(HEADER + "a,other,2026-01-01,2026-01-01,x,extra\n"))


def test_repeated_rows_are_dropped_but_conflicting_ones_are_errors() -> None:
    row = "sale,campaign,2026-03-02,2026-03-08,refund\n"
    assert len(read_events_csv((HEADER + row + row).encode())) == 1
    error = _error(HEADER + row + "sale,launch,2026-03-02,2026-03-08,refund\n")
    assert (error.row, error.column) == (3, "name")
    assert "already defined differently in row 2" in str(error)


def test_json_style_rows_count_from_one() -> None:
    frame = pd.DataFrame([{"name": "a", "kind": "other", "start": "2026-01-01",
                           "end": "2025-12-31"}])
    with pytest.raises(InvalidInput) as caught:
        parse_events(frame, first_row=1)
    assert (caught.value.row, caught.value.column) == (1, "end")


def test_checked_event_normalises_a_programmatic_event() -> None:
    event = checked_event(Event(" sale ", "Campaign", date(2026, 1, 1), date(2026, 1, 2),
                                ("b", " a", "b", "")))
    assert event == Event("sale", "campaign", date(2026, 1, 1), date(2026, 1, 2), ("a", "b"))


def test_scoped_events_mark_only_their_categories() -> None:
    [event] = read_events_csv(HEADER.encode() + b"sale,campaign,2026-03-03,2026-03-04,refund\n")
    days = pd.date_range("2026-03-02", "2026-03-05")
    refund = day_kinds(days, None, events=[event], category="refund").tolist()
    other = day_kinds(days, None, events=[event], category="delivery").tolist()
    assert refund == ["normal", "event:campaign", "event:campaign", "normal"]
    assert other == ["normal"] * 4
