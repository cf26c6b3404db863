"""Ingest parsing: good files become observations; bad ones name the row and column."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from forecast.errors import InvalidInput
from forecast.ingest import (
    load_inquiries,
    on_zone_clock,
    parse_inquiries,
    parse_timestamps,
    read_inquiry_csv,
    source_zone,
    timestamp_formatter,
)
from forecast.series import Freq


def _load(text: str, timezone: str = "Asia/Seoul") -> pd.DataFrame:
    return load_inquiries(read_inquiry_csv(text.encode()), timezone=timezone,
                          base_interval=Freq.M30)


def test_counts_keep_their_interval_and_zone() -> None:
    out = _load("ts,category,channel,count\n2026-03-02T09:00:00,refund,phone,4\n"
                "2026-03-02T10:00:00,refund,phone,6\n")
    assert list(out["freq"].unique()) == ["60min"]
    assert str(out["ts"].dt.tz) == "Asia/Seoul"
    assert out["count"].tolist() == [4, 6]


def test_raw_events_are_bucketed_to_the_base_interval() -> None:
    out = _load("ts,category\n2026-03-02T09:01:00,a\n2026-03-02T09:29:00,a\n"
                "2026-03-02T09:31:00,a\n")
    assert out["count"].tolist() == [2, 1]
    assert out["freq"].unique().tolist() == ["30min"]
    assert out["channel"].unique().tolist() == [""]


def test_daily_counts_are_daily() -> None:
    out = _load("ts,category,count\n2026-03-02,a,5\n2026-03-03,a,7\n")
    assert out["freq"].unique().tolist() == ["D"]


def test_offsets_are_converted_to_local_time() -> None:
    out = _load("ts,category,count\n2026-03-02T00:00:00Z,a,5\n2026-03-02T01:00:00Z,a,7\n")
    assert out["ts"].iloc[0] == pd.Timestamp("2026-03-02T09:00:00", tz="Asia/Seoul")


def test_identical_duplicates_collapse() -> None:
    out = _load("ts,category,count\n2026-03-02,a,5\n2026-03-02,a,5\n2026-03-03,a,1\n")
    assert out["count"].tolist() == [5, 1]


def test_the_hour_a_clock_ran_twice_is_summed_not_refused() -> None:
    # A local-clock export across the US fall-back: 01:00 and 01:30 came twice.
    text = ("ts,category,count\n2025-11-02T00:30:00,a,4\n2025-11-02T01:00:00,a,3\n"
            "2025-11-02T01:30:00,a,2\n2025-11-02T01:00:00,a,5\n2025-11-02T01:30:00,a,1\n"
            "2025-11-02T02:00:00,a,6\n")
    parsed = parse_inquiries(read_inquiry_csv(text.encode()))
    totals = parsed.set_index("ts")["count"].sort_index()
    assert totals.tolist() == [4, 8, 3, 6]
    stored = _load(text, timezone="America/New_York")
    assert stored["count"].sum() == 21  # nothing dropped at the repeated hour
    events = _load("ts,category\n2025-11-02T01:10:00-04:00,a\n2025-11-02T01:20:00-04:00,a\n"
                   "2025-11-02T01:10:00-05:00,a\n", timezone="America/New_York")
    assert events["count"].tolist() == [2, 1]  # each run of the hour its own interval
    # The same stamps three times, or a repeat outside such an hour, are refused.
    for bad in (text + "2025-11-02T01:00:00,a,9\n",
                text + "2025-11-02T02:00:00,a,9\n"):
        with pytest.raises(InvalidInput, match="duplicate"):
            parse_inquiries(read_inquiry_csv(bad.encode()))


@pytest.mark.parametrize(
    ("text", "row", "column", "fragment"),
    [
        ("ts,category,count\n2026-03-02,a,-1\n", 2, "count", ">= 0"),
        ("ts,category,count\n2026-03-02,a,5\n2026-03-03,a,many\n", 3, "count", "whole number"),
        ("ts,category,count\n2026-03-02,a,1.5\n", 2, "count", "whole number"),
        ("ts,category,count\n2026-03-02,a,1\nyesterday,a,2\n", 3, "ts", "cannot parse"),
        ("ts,category,count\n2026-03-02,,1\n", 2, "category", "empty"),
        ("ts,category,count\n2026-03-02,a,1\n2026-03-02,a,2\n", 3, "ts", "duplicate"),
        ("ts,category,count\n2026-03-02,refund,1\n2026-03-02, refund ,2\n", 3, "ts",
         "category 'refund', channel ''; names are read without surrounding spaces"),
        ("ts,category,count,colour\n2026-03-02,a,1,red\n", 1, "colour", "unknown column"),
        ("when,category,count\n2026-03-02,a,1\n", 1, "when", "unknown column"),
        ("ts,category,count\n2026-03-02,a,1,9\n", None, None, "more fields"),
        ("ts,count\n2026-03-02,1\n", 1, None, "missing required column"),
        ("ts,category,count\n", None, None, "no data rows"),
    ],
)
def test_bad_rows_are_named(text: str, row: int | None, column: str | None,
                            fragment: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        _load(text)
    assert caught.value.row == row
    assert caught.value.column == column
    assert fragment in str(caught.value)


@pytest.mark.parametrize("separator", [";", "\t"])
def test_semicolon_and_tab_separated_files_read_like_comma_separated_ones(
        separator: str, tmp_path: Path) -> None:
    text = "ts,category,count\n2026-03-02T09:00:00,a b,3\n2026-03-02T09:30:00,c,4\n"
    expected = _load(text)
    other = text.replace(",", separator)
    pd.testing.assert_frame_equal(_load(other), expected)
    gzipped = tmp_path / "export.csv.gz"
    gzipped.write_bytes(gzip.compress(other.encode()))
    assert read_inquiry_csv(gzipped).columns.tolist() == ["ts", "category", "count"]
    (tmp_path / "stream.csv").write_bytes(b"exported by the switch\n" + other.encode())
    with open(tmp_path / "stream.csv", "rb") as stream:
        stream.readline()  # a handle is read from where it stands
        assert len(read_inquiry_csv(stream)) == 2


def test_a_one_column_file_is_not_split() -> None:
    assert read_inquiry_csv(b"ts\n2026-03-02T09:00:00\n").columns.tolist() == ["ts"]


def test_empty_file_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="empty"):
        read_inquiry_csv(b"")


def test_malformed_csv_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="malformed CSV"):
        read_inquiry_csv(b'ts,category,count\n2026-03-02,"a,1\n2026-03-03,b,2,3,4\n')


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("2026-03-02", "2026-03-02"),
        ("20260302", "20260302"),
        ("2026-03-02T09:00:00", "2026-03-02T09:30:00"),
        ("2026-03-02 09:00", "2026-03-02 09:30"),
    ],
)
def test_output_stamps_follow_the_input_format(sample: str, expected: str) -> None:
    stamps = pd.Series(pd.to_datetime(["2026-03-02T09:30:00"]))
    assert timestamp_formatter(sample)(stamps).iloc[0] == expected


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("2026-03-02T09:00:00+09:00", "2026-03-02T18:30:00+09:00"),
        ("2026-03-02T09:00:00+0900", "2026-03-02T18:30:00+0900"),
        ("2026-03-02T09:00:00Z", "2026-03-02T09:30:00Z"),
    ],
)
def test_output_stamps_keep_the_way_the_input_writes_its_offset(sample: str,
                                                                 expected: str) -> None:
    stamps = pd.Series(pd.to_datetime(["2026-03-02T09:30:00Z"]))
    zone = "UTC" if sample.endswith("Z") else "Asia/Seoul"
    assert timestamp_formatter(sample)(stamps.dt.tz_convert(zone)).iloc[0] == expected


def test_stamps_whose_offset_changes_for_daylight_saving_are_parsed_in_utc() -> None:
    stamps = pd.Series(["2026-03-28T09:00:00+01:00", "2026-03-30T09:00:00+02:00"])
    parsed = parse_timestamps(stamps)
    assert str(parsed.dt.tz) == "UTC"
    assert parsed.tolist() == [pd.Timestamp("2026-03-28 08:00", tz="UTC"),
                               pd.Timestamp("2026-03-30 07:00", tz="UTC")]
    assert source_zone(stamps) == "Europe/Amsterdam"  # the first zone with CET and CEST
    assert source_zone(pd.Series(["2026-03-28T09:00:00+01:00"] * 2)) is None
    assert source_zone(pd.Series(["2026-03-28T09:00:00Z", "2026-03-29T09:00:00Z"])) is None
    assert source_zone(pd.Series(["2026-03-28", "2026-03-29"])) is None
    india = pd.Series(["2026-03-28T09:00:00+0530", "2026-03-29T09:00:00+05:30"])
    assert parse_timestamps(india).dt.hour.tolist() == [9, 9]
    with pytest.raises(InvalidInput, match="mix zone offsets and naive"):
        parse_timestamps(pd.Series(["2026-03-28T09:00:00+01:00", "2026-03-30T09:00:00"]))


def test_the_store_takes_stamps_across_a_clock_change_on_its_own_zone() -> None:
    out = _load("ts,category,count\n2026-03-28T09:00:00+01:00,refund,4\n"
                "2026-03-30T09:00:00+02:00,refund,6\n", timezone="Europe/Amsterdam")
    local = pd.DatetimeIndex(out["ts"]).tz_convert("Europe/Amsterdam")
    assert [t.hour for t in local] == [9, 9]


def test_on_a_zone_clock_every_real_hour_and_every_day_has_one_row() -> None:
    hours = pd.DataFrame({"ts": pd.date_range("2024-10-27", periods=5, freq="h"),
                          "category": "b", "channel": None, "yhat": 1.0})
    real = on_zone_clock(hours, "Europe/Berlin", intervals=5)["ts"]
    assert [t.isoformat() for t in real[2:4]] == ["2024-10-27T02:00:00+02:00",
                                                  "2024-10-27T02:00:00+01:00"]
    assert len(real) == 5 and real.is_monotonic_increasing
    days = pd.DataFrame({"ts": pd.date_range("2024-11-01", periods=6, freq="D"),
                         "category": "a", "channel": ""})
    havana = on_zone_clock(days, "America/Havana", days=True)["ts"]  # midnight repeats
    assert havana.dt.date.tolist() == days["ts"].dt.date.tolist()
    santiago = on_zone_clock(days.assign(ts=pd.date_range("2024-09-05", periods=6)),
                             "America/Santiago", days=True)["ts"]  # midnight skipped
    assert santiago.dt.day.tolist() == [5, 6, 7, 8, 9, 10]


def test_a_mistyped_year_is_refused_naming_its_row() -> None:
    days = [f"2016-02-{d:02d}" for d in range(1, 11)]
    late = pd.DataFrame({"ts": [*days, "2116-02-11"], "category": "a", "count": 1})
    with pytest.raises(InvalidInput, match="row 12, column 'ts': timestamp 2116-02-11"):
        parse_inquiries(late)
    early = pd.DataFrame({"ts": ["1016-01-31", *days], "category": "a", "count": 1})
    with pytest.raises(InvalidInput, match="row 2, column 'ts': timestamp 1016-01-31"):
        parse_inquiries(early)
    paused = pd.DataFrame({"ts": ["2012-01-01", *days], "category": "a", "count": 1})
    assert len(parse_inquiries(paused)) == 11  # four years silent: kept
