"""File-in, file-out commands with no store: `vocast forecast` and `vocast staffing`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import pandas as pd

from forecast.calendar import check_country
from forecast.csvfile import unpacked
from forecast.errors import InvalidInput
from forecast.events import read_events_csv
from forecast.holiday_detect import detect_country
from forecast.ingest import (
    aggregate,
    even_step_minutes,
    infer_freq,
    on_zone_clock,
    parse_inquiries,
    read_inquiry_csv,
    source_zone,
    timestamp_formatter,
)
from forecast.openhours import OPEN_LOOKBACK_WEEKS, without_partial_last_day
from forecast.pipeline import forecast_frame
from forecast.series import Freq
from forecast.staffing_table import read_forecast_csv, staff_forecast
from jobs.executors import executor_for, in_input_order

logger = logging.getLogger(__name__)

CONTRACT_COLUMNS = ["ts", "category", "yhat", "lo80", "hi80", "lo95", "hi95", "model"]


def run_forecast(args: argparse.Namespace) -> None:
    """The evaluation contract: IN.csv -> forecasts per category per interval."""
    freq = Freq.parse(args.freq)
    if args.horizon < 1:
        raise InvalidInput(f"--horizon must be a positive number of intervals; got "
                           f"{args.horizon}", column="horizon")
    piped = args.input == "-"
    events = tuple(read_events_csv(Path(args.events))) if args.events else ()
    raw = read_inquiry_csv(unpacked(sys.stdin.buffer.read()) if piped else Path(args.input))
    raw_events = "count" not in {str(c).strip().lower() for c in raw.columns}
    parsed = parse_inquiries(raw)
    ts_text = raw[[c for c in raw.columns if c.strip().lower() == "ts"][0]]
    sample_ts = str(ts_text.iloc[0])
    parsed, zone = _wall_clock(parsed, source_zone(ts_text))
    if not args.by_channel:
        parsed = parsed.assign(channel="")
    cutoff = _parse_cutoff(args.cutoff, zone, freq)
    if cutoff is not None:
        parsed = parsed[parsed["ts"] < cutoff]
        if parsed.empty:
            raise InvalidInput(f"no rows before the cutoff {args.cutoff}", column="ts")
    _check_not_coarser(parsed, freq, raw_events)
    if cutoff is None and freq is Freq.DAILY:
        partial = _partial_last_day(parsed)
        if partial is not None:
            logger.info("the last day %s stops while the queue is open; forecasting from "
                        "the day after without it", partial.date())
            parsed, cutoff = parsed[parsed["ts"] < partial], partial + pd.Timedelta(days=1)
    buckets = aggregate(parsed, freq)
    series = buckets[["category", "channel"]].drop_duplicates().shape[0]
    # Series on one local process per core (--workers), in this process when one is enough.
    # On a clock with daylight saving, the horizon's wall clock may skip an hour: two
    # hours more are forecast, and each series keeps its first `horizon` real intervals.
    spare = 2 * 60 // freq.minutes if zone is not None and freq.is_intraday else 0
    with executor_for(workers=args.workers, dask_address=None, tasks=series) as executor:
        result = forecast_frame(buckets, freq=freq, horizon=args.horizon + spare,
                                start=cutoff, model=args.model,
                                country=_country(args.holidays, buckets), events=events,
                                mapper=in_input_order(executor))
    if zone is not None:
        result = on_zone_clock(result, zone, intervals=args.horizon,
                               days=not freq.is_intraday)
    result["ts"] = timestamp_formatter(sample_ts)(result["ts"])
    columns = CONTRACT_COLUMNS if not args.by_channel else CONTRACT_COLUMNS[:2] + ["channel"] + \
        CONTRACT_COLUMNS[2:]
    _write(result[columns], args.out)


def _country(holidays: str | None, buckets: pd.DataFrame) -> str | None:
    """--holidays CC, `none` for no holidays, or (absent) the country the data follows."""
    if holidays:
        return None if holidays.strip().lower() == "none" else check_country(holidays)
    if buckets.empty:
        return None
    return detect_country(buckets.groupby(buckets["ts"].dt.normalize())["count"].sum())


def _wall_clock(parsed: pd.DataFrame, source: str | None) -> tuple[pd.DataFrame, object | None]:
    """Work on naive wall-clock time; remember the input's zone to write it back
    (`source`: the zone stamps with changing offsets were written in)."""
    ts = parsed["ts"]
    if not isinstance(ts.dtype, pd.DatetimeTZDtype):
        return parsed, None
    if source is not None:
        ts = ts.dt.tz_convert(source)
    zone = ts.dt.tz
    if source is None and ts.iloc[0].utcoffset():
        logger.warning("every stamp is written at %s: forecasts keep that offset and do not "
                       "follow a clock change (stamps across one name the zone)", zone)
    return parsed.assign(ts=ts.dt.tz_localize(None)), zone


def _parse_cutoff(text: str | None, zone: object | None, freq: Freq) -> pd.Timestamp | None:
    """The cutoff on the input's wall clock, moved back to the start of its interval: a
    cutoff inside an interval forecasts that whole interval, and the rows of it before the
    cutoff (a partial count) are left out with the rest."""
    if not text:
        return None
    try:
        cutoff = pd.Timestamp(text)
    except ValueError as exc:
        raise InvalidInput(f"cannot parse --cutoff {text!r}; use ISO 8601") from exc
    if cutoff.tzinfo is not None:
        cutoff = cutoff.tz_convert(zone).tz_localize(None) if zone else cutoff.tz_localize(None)
    aligned = cutoff.floor(freq.offset)
    if aligned != cutoff:
        logger.info("cutoff %s is inside an interval; forecasting from its start %s",
                    cutoff, aligned)
    return aligned


def _partial_last_day(parsed: pd.DataFrame) -> pd.Timestamp | None:
    """The last day, when rows stamped within the day (raw events, hourly counts) show it
    stops while the queue is still open (a file exported mid-day); else None."""
    ts = parsed["ts"]
    if (ts == ts.dt.normalize()).all():
        return None
    recent = parsed[ts >= ts.max().normalize() - pd.Timedelta(weeks=OPEN_LOOKBACK_WEEKS)]
    hourly = aggregate(recent, Freq.H60).groupby("ts")["count"].sum()
    if len(without_partial_last_day(hourly, Freq.H60)) == len(hourly):
        return None
    return pd.Timestamp(ts.max()).normalize()


def _check_not_coarser(parsed: pd.DataFrame, freq: Freq, raw_events: bool) -> None:
    """Refuse a --freq the input cannot fill: finer than its intervals (or than the day,
    for events stamped by date only), or not a whole number of them (10-minute counts
    into 15-minute intervals would hold two and one by turns)."""
    if raw_events:
        ts = parsed["ts"]
        if freq.is_intraday and (ts == ts.dt.normalize()).all():
            raise InvalidInput(f"events are stamped by date only but --freq {freq.value} "
                               "asks for intervals within the day; use --freq D", column="ts")
        return
    for _, part in parsed.groupby(["category", "channel"]):
        found = infer_freq(part["ts"])
        if found is not None and found.minutes > freq.minutes:
            raise InvalidInput(
                f"input is at {found.value} but --freq {freq.value} asks for finer intervals; "
                f"use --freq {found.value} or a coarser one", column="ts")
        step = even_step_minutes(part["ts"]) if found is None and freq.is_intraday else None
        if step is not None and step < freq.minutes and freq.minutes % step:
            raise InvalidInput(
                f"input is at {step}-minute intervals, which do not add up to --freq "
                f"{freq.value}; use a --freq that holds a whole number of them", column="ts")


def _write(frame: pd.DataFrame, out: str | None) -> None:
    if out:
        frame.to_csv(out, index=False)
    else:
        frame.to_csv(sys.stdout, index=False)


def run_staffing(args: argparse.Namespace) -> None:
    """The staffing contract: a forecast CSV -> agents per interval (Erlang C, or A)."""
    raw_ts = pd.read_csv(args.forecast, usecols=["ts"], dtype=str, nrows=1)["ts"]
    forecast = read_forecast_csv(Path(args.forecast))
    table = staff_forecast(
        forecast, aht_seconds=args.aht, target_service_level=args.sl,
        answer_seconds=args.answer_seconds, shrinkage=args.shrinkage,
        max_occupancy=args.max_occupancy, interval_minutes=args.interval_minutes,
        concurrency=args.concurrency, patience_seconds=args.patience,
    )
    if len(raw_ts):
        table["ts"] = timestamp_formatter(str(raw_ts.iloc[0]))(table["ts"])
    _write(table, args.out)


def add_staffing_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("staffing", help="agents per interval from a forecast CSV")
    parser.add_argument("--forecast", required=True, help="CSV with ts,category,yhat")
    parser.add_argument("--aht", required=True, type=float, help="average handle time, s")
    parser.add_argument("--sl", required=True, type=float, help="target service level, 0-1")
    parser.add_argument("--answer-seconds", required=True, type=float,
                        help="answer-time threshold of the service level, s")
    parser.add_argument("--shrinkage", type=float, default=0.0, help="share of paid time off")
    parser.add_argument("--max-occupancy", type=float, default=1.0, help="occupancy cap, 0-1")
    parser.add_argument("--interval-minutes", type=float,
                        help="interval length (default: inferred from the ts spacing)")
    parser.add_argument("--concurrency", type=float, default=1.0,
                        help="contacts an agent handles at once (chat)")
    parser.add_argument("--patience", type=float,
                        help="mean caller patience, s (switches to Erlang A)")
    parser.add_argument("--out", help="output CSV (default: stdout)")
    parser.set_defaults(handler=run_staffing)


def add_forecast_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("forecast", help="forecast a CSV (no store, no server)")
    parser.add_argument("--input", required=True,
                        help="CSV: ts,category[,channel][,count]; - reads standard input")
    parser.add_argument("--freq", required=True, help="D, 60min, 30min or 15min")
    parser.add_argument("--horizon", required=True, type=int, help="intervals to forecast")
    parser.add_argument("--cutoff", help="ignore rows at/after it; forecast starts there")
    parser.add_argument("--model", default="auto", help="auto or a model name")
    parser.add_argument("--holidays", help="country code for public holidays, e.g. KR, US; "
                        "'none' for none (default: the country whose holidays the data dips on)")
    parser.add_argument("--events", help="CSV of known events (name,kind,start,end,categories; "
                        "as `vocast events import` reads): launches, campaigns, outages, "
                        "policy changes past and planned")
    parser.add_argument("--by-channel", action="store_true",
                        help="forecast each category/channel (adds a channel column)")
    parser.add_argument("--workers", type=int, default=0,
                        help="processes for the series (default 0: one per core)")
    parser.add_argument("--out", help="output CSV (default: stdout)")
    parser.set_defaults(handler=run_forecast)
