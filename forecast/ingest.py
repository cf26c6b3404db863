"""Parse inquiry logs (counts or raw events) into validated observation frames.

Accepted columns: `ts`, `category`, optional `channel`, optional `count` (without it
each row is one inquiry), optional `aht_seconds` (handle time: per inquiry for raw events,
the interval's mean for counts; buckets keep the count-weighted mean). Anything else is
rejected so a typo never passes silently. Naive timestamps are local wall-clock time in
the configured zone.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO
from zoneinfo import available_timezones

import numpy as np
import pandas as pd

from forecast.csvfile import read_text_csv
from forecast.errors import InvalidInput
from forecast.handle_time import AHT_COLUMN, bucket_counts, parse_aht
from forecast.series import Freq
from forecast.store import Store, UpsertResult

REQUIRED_COLUMNS = ("ts", "category")
OPTIONAL_COLUMNS = ("channel", "count", AHT_COLUMN)
FIRST_DATA_ROW = 2  # row 1 of a CSV file is its header
MAX_GAP_DAYS = 5 * 365  # no queue is silent this long: a stamp beyond is a mistyped year
_SUPPORTED_MINUTES = {f.minutes: f for f in Freq}


def read_inquiry_csv(source: str | Path | bytes | IO[bytes]) -> pd.DataFrame:
    """Read a CSV (plain or .gz) as strings; raise InvalidInput on unreadable or empty files."""
    frame = read_text_csv(source, expected="ts,category[,channel][,count]")
    return frame


def parse_inquiries(frame: pd.DataFrame, *, first_row: int = FIRST_DATA_ROW) -> pd.DataFrame:
    """Validate raw columns; return ts (as parsed), category, channel, count rows.

    `first_row` is the row number reported for frame row 0 (2 for a CSV with a header,
    1 for a JSON list).
    """
    frame = frame.rename(columns=lambda c: str(c).strip().lower())
    _check_columns(frame, header_row=first_row - 1 if first_row > 1 else None)
    if frame.empty:
        raise InvalidInput("no data rows; expected at least one row after the header")
    category = _clean_text(frame["category"], "category", first_row, required=True)
    channel = (
        _clean_text(frame["channel"], "channel", first_row, required=False)
        if "channel" in frame else pd.Series("", index=frame.index)
    )
    counts = (
        _parse_counts(frame["count"], first_row) if "count" in frame
        else pd.Series(1, index=frame.index, dtype="int64")
    )
    ts = parse_timestamps(frame["ts"], first_row)
    _reject_stray_years(ts, first_row)
    out = pd.DataFrame({"ts": ts, "category": category, "channel": channel, "count": counts})
    if AHT_COLUMN in frame:
        out[AHT_COLUMN] = parse_aht(frame[AHT_COLUMN], first_row)
    if "count" in frame:
        out = _with_repeated_hour_summed(out)
        _reject_conflicting_duplicates(out, first_row)
        out = out.drop_duplicates(subset=["ts", "category", "channel"])
    return out.reset_index(drop=True)


def _reject_stray_years(ts: pd.Series, first_row: int) -> None:
    """Refuse stamps years away from all the others (a mistyped year: 9999 or 2106 for
    2016), naming the row on the smaller side of the gap: no queue is silent that long,
    and a daily grid across the gap would run for millions of days."""
    index = pd.DatetimeIndex(ts)
    if index.tz is not None:  # an aware column sorts as Timestamp objects: 30x slower
        index = index.tz_convert("UTC").tz_localize(None)
    stamps = index.to_numpy()
    order = np.argsort(stamps, kind="stable")
    gaps = np.diff(stamps[order])
    if not len(gaps) or gaps.max() <= np.timedelta64(MAX_GAP_DAYS, "D"):
        return
    after = int(np.argmax(gaps)) + 1  # the first stamp past the widest gap
    stray = after if after >= len(stamps) - after else after - 1
    position = int(order[stray])
    raise InvalidInput(
        f"timestamp {ts.iloc[position]} is {int(gaps.max() // np.timedelta64(365, 'D'))} "
        "years from the rest of the data; a mistyped year?", row=position + first_row,
        column="ts")


def parse_timestamps(values: pd.Series, first_row: int = FIRST_DATA_ROW) -> pd.Series:
    """Parse ISO-8601 stamps, all naive or all with an offset; name the first bad row.

    Stamps whose offsets differ (a clock that changes for daylight saving) come back in
    UTC; see `source_zone` for the zone they were written in.
    """
    text = values.astype(str).str.strip()
    try:
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=False)
    except ValueError as exc:  # mixed naive/aware or mixed offsets
        if not _offsets(text).notna().all():
            raise InvalidInput(
                "timestamps mix zone offsets and naive times; use one form", column="ts"
            ) from exc
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
    bad = parsed.isna()
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidInput(
            f"cannot parse timestamp {text.iloc[position]!r}; "
            "use ISO 8601 like 2026-03-01T09:30:00",
            row=position + first_row, column="ts",
        )
    if parsed.dtype == object:
        raise InvalidInput("timestamps mix zone offsets and naive times; use one form", column="ts")
    return parsed


def _offsets(text: pd.Series) -> pd.Series:
    """Each stamp's written UTC offset in minutes ('Z' = 0), NaN for a naive stamp."""
    found = text.str.extract(r"(Z|[+-]\d\d:?\d\d)$")[0]
    digits = found.where(found != "Z", "+0000").str.replace(r"[^0-9]", "", regex=True)
    hours = pd.to_numeric(digits.str[:2], errors="coerce")
    minutes = pd.to_numeric(digits.str[2:4], errors="coerce")
    sign = np.where(found.str.startswith("-"), -1.0, 1.0)
    return (sign * (hours * 60 + minutes)).where(found.notna())


def source_zone(values: pd.Series) -> str | None:
    """The time zone (IANA name) whose offsets match every stamp's written offset, when
    the stamps carry more than one offset (daylight saving); None otherwise.

    Forecasts are then made on that zone's wall clock and written with the offsets it
    will have, as the input's clock would write them.
    """
    text = values.astype(str).str.strip()
    if text.empty or _offsets(text.iloc[:1]).isna().all():
        return None  # naive stamps (the usual case), without reading every row
    offsets = _offsets(text)
    if offsets.isna().any() or offsets.nunique() < 2:
        return None
    utc = pd.DatetimeIndex(pd.to_datetime(text, format="ISO8601", utc=True))
    change = np.flatnonzero(np.diff(offsets.to_numpy()) != 0)
    probes = np.unique(np.concatenate([[0, len(text) - 1], change, change + 1]))
    at, expected = utc[probes], offsets.to_numpy()[probes]
    for name in _candidate_zones():
        local = at.tz_convert(name)
        written = np.array([t.utcoffset().total_seconds() / 60 for t in local])
        if np.array_equal(written, expected):
            return name
    return None


def _candidate_zones() -> list[str]:
    """IANA zones, the most populous regions first (Europe/Amsterdam before Africa/Ceuta
    for CET), aliases (US/Eastern, Etc/...) last."""
    names = sorted(available_timezones())

    def rank(name: str) -> int:
        region = name.split("/")[0]
        return _REGIONS.index(region) if region in _REGIONS and "/" in name else len(_REGIONS)

    return sorted(names, key=rank)


_REGIONS = ("Europe", "America", "Asia", "Australia", "Pacific", "Africa", "Atlantic",
            "Indian", "Antarctica")


def on_zone_clock(rows: pd.DataFrame, zone: object, *, intervals: int | None = None,
                  days: bool = False) -> pd.DataFrame:
    """`rows` (naive wall-clock `ts`, per `category` and `channel`) stamped on `zone`'s
    clock: the hour a spring-forward skips gets no row, the hour a fall-back repeats one
    per offset (its wall-clock forecast, each an hour's), so each series holds every real
    interval; with `intervals`, only its first that many. Daily rows (`days`) are each
    one day, written at its first instant (where a clock changes at midnight, too)."""
    ts = rows["ts"]
    if days:
        return rows.assign(ts=ts.dt.tz_localize(zone, ambiguous=np.ones(len(ts), dtype=bool),
                                                nonexistent="shift_forward"))
    earlier = ts.dt.tz_localize(zone, ambiguous=np.ones(len(ts), dtype=bool),
                                nonexistent="NaT")
    later = ts.dt.tz_localize(zone, ambiguous=np.zeros(len(ts), dtype=bool),
                              nonexistent="NaT")
    repeated = earlier.notna() & (earlier != later)
    series = rows.groupby(["category", "channel"], sort=False, dropna=False).ngroup()
    out = pd.concat([rows.assign(ts=earlier, _series=series),
                     rows[repeated].assign(ts=later[repeated], _series=series[repeated])])
    out = out.dropna(subset=["ts"]).sort_values(["_series", "ts"], kind="stable")
    if intervals is not None:
        out = out.groupby("_series", sort=False).head(intervals)
    return out.drop(columns="_series").reset_index(drop=True)


def timestamp_formatter(sample: str) -> Callable[[pd.Series], pd.Series]:
    """Format stamps like `sample` (date only, also as 20260302; 'T' or ' ' separator,
    seconds, offset as +09:00, +0900 or Z)."""
    text = sample.strip()
    if len(text) == 10:
        return lambda ts: ts.dt.strftime("%Y-%m-%d")
    if len(text) == 8 and text.isdigit():
        return lambda ts: ts.dt.strftime("%Y%m%d")
    sep = "T" if "T" in text else " "
    clock = text[11:]
    has_seconds = len(clock) >= 8 and clock[5:6] == ":"
    pattern = f"%Y-%m-%d{sep}%H:%M" + (":%S" if has_seconds else "")
    if not _offsets(pd.Series([text])).notna().iloc[0]:
        return lambda ts: ts.dt.strftime(pattern)
    colon = text[-3:-2] == ":" or text.endswith("Z")  # +09:00, not +0900

    def written(ts: pd.Series) -> pd.Series:
        if text.endswith("Z") and str(ts.dt.tz) in ("UTC", "Etc/UTC"):
            return ts.dt.strftime(pattern) + "Z"  # UTC written as Z stays so
        stamps = ts.dt.strftime(pattern + "%z")
        return stamps.str.replace(r"([+-]\d\d)(\d\d)$", r"\1:\2", regex=True) if colon else stamps

    return written


def to_local(ts: pd.Series, timezone: str) -> pd.Series:
    """Naive stamps are local wall-clock time in `timezone` (the hour a clock runs twice
    read as its first run); aware ones are converted to it."""
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        return ts.dt.tz_convert(timezone)
    return ts.dt.tz_localize(timezone, ambiguous=np.ones(len(ts), dtype=bool),
                             nonexistent="shift_forward")


def infer_freq(ts: pd.Series) -> Freq | None:
    """The interval of evenly bucketed stamps, or None when they look like raw events."""
    unique = pd.Series(ts.drop_duplicates().sort_values().to_numpy())
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        unique = unique.dt.tz_localize(None)
    if len(unique) < 2:
        single = unique.iloc[0]
        return Freq.DAILY if single == single.normalize() else None
    if (unique == unique.dt.normalize()).all() and unique.diff().min() >= pd.Timedelta(days=1):
        return Freq.DAILY
    step = _step_minutes(unique)
    return _SUPPORTED_MINUTES.get(step) if step is not None else None


def even_step_minutes(ts: pd.Series) -> int | None:
    """The whole minutes every gap between distinct stamps is a multiple of (the bucket
    width of counts exported per interval), or None for fewer than two stamps or uneven
    ones (raw events)."""
    return _step_minutes(pd.Series(ts.drop_duplicates().sort_values().to_numpy()))


def _step_minutes(unique: pd.Series) -> int | None:
    """even_step_minutes of distinct stamps in order."""
    minutes = unique.diff().dropna().dt.total_seconds().to_numpy() / 60.0
    if not len(minutes):
        return None
    step = float(np.min(minutes))
    aligned = step > 0 and step == int(step) and np.all(np.isclose(np.mod(minutes, step), 0.0))
    return int(step) if aligned else None


def aggregate(observations: pd.DataFrame, freq: Freq) -> pd.DataFrame:
    """Sum counts into `freq` buckets (floor of each stamp) per category and channel."""
    ts = observations["ts"]
    if freq is Freq.DAILY:
        bucket = ts.dt.normalize()
    else:
        bucket = _interval_starts(ts, freq)
    grouped = bucket_counts(observations.assign(ts=bucket), ["category", "channel", "ts"])
    grouped.insert(3, "freq", freq.value)
    extra = [AHT_COLUMN] if AHT_COLUMN in grouped else []
    return grouped[["ts", "category", "channel", "freq", "count", *extra]]


def _interval_starts(ts: pd.Series, freq: Freq) -> pd.Series:
    """Each stamp's interval start; on a zone's clock, within the same run of an hour the
    clock ran twice (the first 01:00-02:00 of a fall-back night or the second)."""
    rule = f"{freq.minutes}min"
    if not isinstance(ts.dtype, pd.DatetimeTZDtype):
        return ts.dt.floor(rule)
    wall = ts.dt.tz_localize(None)
    first_run = wall.dt.tz_localize(ts.dt.tz, ambiguous=np.ones(len(ts), dtype=bool),
                                    nonexistent="shift_forward") == ts
    return ts.dt.floor(rule, ambiguous=first_run.to_numpy(), nonexistent="shift_forward")


def to_observations(
    parsed: pd.DataFrame, *, timezone: str, base_interval: Freq, raw_events: bool
) -> pd.DataFrame:
    """Localise and bucket parsed rows: each series keeps its own interval when supported."""
    local = parsed.assign(ts=to_local(parsed["ts"], timezone)).dropna(subset=["ts"])
    parts = []
    for _, series in local.groupby(["category", "channel"], sort=True):
        found = None if raw_events else infer_freq(series["ts"])
        parts.append(aggregate(series, found or base_interval))
    return pd.concat(parts, ignore_index=True)


def load_inquiries(
    frame: pd.DataFrame, *, timezone: str, base_interval: Freq, first_row: int = FIRST_DATA_ROW
) -> pd.DataFrame:
    """Raw rows (CSV or JSON) to an observations frame (see forecast.store)."""
    raw_events = "count" not in {str(c).strip().lower() for c in frame.columns}
    parsed = parse_inquiries(frame, first_row=first_row)
    return to_observations(parsed, timezone=timezone, base_interval=base_interval,
                           raw_events=raw_events)


def ingest_into(
    store: Store, frame: pd.DataFrame, *, timezone: str, base_interval: Freq,
    first_row: int = FIRST_DATA_ROW,
) -> UpsertResult:
    """Validate everything first, then upsert in one transaction: all rows or none."""
    observations = load_inquiries(frame, timezone=timezone, base_interval=base_interval,
                                  first_row=first_row)
    return store.upsert_observations(observations)


def _check_columns(frame: pd.DataFrame, *, header_row: int | None) -> None:
    columns = list(frame.columns)
    unknown = [c for c in columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise InvalidInput(
            f"unknown column(s) {', '.join(map(repr, unknown))}; "
            "expected ts,category and optionally channel,count,aht_seconds", row=header_row,
            column=unknown[0],
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise InvalidInput(
            f"missing required column(s) {', '.join(missing)}; "
            "expected ts,category and optionally channel,count,aht_seconds", row=header_row,
        )


def _clean_text(values: pd.Series, column: str, first_row: int, *, required: bool) -> pd.Series:
    text = values.fillna("").astype(str).str.strip()
    if required and (text == "").any():
        position = int(np.flatnonzero((text == "").to_numpy())[0])
        raise InvalidInput(f"{column} is empty", row=position + first_row, column=column)
    too_long = text.str.len() > 200
    if too_long.any():
        position = int(np.flatnonzero(too_long.to_numpy())[0])
        raise InvalidInput(f"{column} is longer than 200 characters", row=position + first_row,
                           column=column)
    return text


def _parse_counts(values: pd.Series, first_row: int) -> pd.Series:
    text = values.astype(str).str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna() | ~np.isfinite(numbers.fillna(0)) | (numbers % 1 != 0)
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidInput(f"count must be a whole number; got {text.iloc[position]!r}",
                           row=position + first_row, column="count")
    negative = numbers < 0
    if negative.any():
        position = int(np.flatnonzero(negative.to_numpy())[0])
        raise InvalidInput(f"count must be >= 0; got {text.iloc[position]!r}",
                           row=position + first_row, column="count")
    return numbers.astype("int64")


def _with_repeated_hour_summed(rows: pd.DataFrame) -> pd.DataFrame:
    """Counts stamped on a naive local clock, where the clock went back an hour for
    daylight saving (01:00-02:00 twice on a US November Sunday), summed: the wall-clock
    interval ran twice, as a raw event in it would count. Only where every repeated stamp
    lies in such an hour, and each at most twice: anything else (a file sent twice) is
    left to the duplicate checks."""
    keys = ["ts", "category", "channel"]
    if isinstance(rows["ts"].dtype, pd.DatetimeTZDtype):
        return rows
    repeated = rows.duplicated(subset=keys, keep=False)
    if not repeated.any():
        return rows
    times = rows.loc[repeated, keys].value_counts()
    stamps = pd.DatetimeIndex(times.index.get_level_values("ts").unique())
    if times.max() > 2 or not _in_a_repeated_hour(stamps):
        return rows
    kept = rows[~repeated]
    return pd.concat([kept, bucket_counts(rows[repeated], keys)[kept.columns]],
                     ignore_index=True)


def _in_a_repeated_hour(stamps: pd.DatetimeIndex) -> bool:
    """Whether every stamp is a wall-clock time that one time zone ran through twice."""
    for zone in _candidate_zones():
        ambiguous = pd.isna(stamps.tz_localize(zone, ambiguous="NaT",
                                                nonexistent="shift_forward"))
        if ambiguous.all():
            return True
    return False


def _reject_conflicting_duplicates(rows: pd.DataFrame, first_row: int) -> None:
    """Name the first repeated (ts, category, channel) whose count differs."""
    keys = ["ts", "category", "channel"]
    repeated = rows.duplicated(subset=keys, keep="first")
    if not repeated.any():
        return
    differing = rows.groupby(keys, sort=False)["count"].transform("nunique") > 1
    conflicts = repeated & differing
    if conflicts.any():
        position = int(np.flatnonzero(conflicts.to_numpy())[0])
        row = rows.iloc[position]
        raise InvalidInput(
            f"duplicate of an earlier row ({row['ts']}, category {row['category']!r}, "
            f"channel {row['channel']!r}; names are read without surrounding spaces) with "
            "a different count; send one count per interval",
            row=position + first_row, column="ts",
        )
