"""Request dependencies: the store and settings from app state, and query parsing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import Depends, Header, Query, Request

from forecast.errors import InvalidParameter
from forecast.series import Freq
from forecast.settings import Settings
from forecast.store import Store

_TIME_HINT = "an ISO 8601 date or date-time like 2026-03-02 or 2026-03-02T09:30:00+09:00"
# A '+' in an unencoded query string arrives as a space: "09:30:00 09:00" means "+09:00".
_SPACE_FOR_PLUS = re.compile(r"^(.+\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}(?::?\d{2})?)$")


async def get_store(request: Request) -> Store:
    """The store opened once by the app's lifespan."""
    store: Store = request.app.state.store
    return store


async def get_settings(request: Request) -> Settings:
    """The settings the app was created with (override in tests via dependency_overrides)."""
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


@dataclass(frozen=True, slots=True)
class ForecastFilter:
    """Filters for the published run's rows; `end` is exclusive."""

    category: str | None = None
    channel: str | None = None
    freq: Freq | None = None
    start: datetime | None = None
    end: datetime | None = None

    def as_kwargs(self) -> dict[str, Any]:
        return {"category": self.category, "channel": self.channel, "freq": self.freq,
                "start": self.start, "end": self.end}


def parse_instant(name: str, text: str | None, timezone: str) -> datetime | None:
    """An ISO date or date-time; naive values are local wall-clock time in `timezone`."""
    if text is None or not text.strip():
        return None
    cleaned = _SPACE_FOR_PLUS.sub(r"\1+\2", text.strip())
    try:
        value = datetime.fromisoformat(cleaned)
    except ValueError as exc:
        raise InvalidParameter(name, text, _TIME_HINT) from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo(timezone))


async def forecast_filter(
    settings: SettingsDep,
    category: Annotated[str | None, Query(description="Only this category.")] = None,
    channel: Annotated[str | None, Query(
        description="Only this channel; an empty value selects all-channel series.")] = None,
    freq: Annotated[str | None, Query(description="D, 60min, 30min or 15min.")] = None,
    start: Annotated[str | None, Query(
        description="First interval (inclusive): ISO date or date-time; naive = local time.",
        examples=["2026-03-02"])] = None,
    end: Annotated[str | None, Query(
        description="Stop before this instant (exclusive): ISO date or date-time.",
        examples=["2026-03-09T00:00:00+09:00"])] = None,
) -> ForecastFilter:
    """Parse forecast filters; bad values raise InvalidParameter naming the parameter."""
    return parse_forecast_filter(settings.timezone, category=category, channel=channel,
                                 freq=freq, start=start, end=end)


def parse_forecast_filter(
    timezone: str, *, category: str | None = None, channel: str | None = None,
    freq: str | None = None, start: str | None = None, end: str | None = None,
) -> ForecastFilter:
    """`forecast_filter` without FastAPI: for routes that read the query themselves."""
    begin = parse_instant("start", start, timezone)
    until = parse_instant("end", end, timezone)
    if begin is not None and until is not None and until <= begin:
        raise InvalidParameter("end", end, f"later than start ({start})")
    return ForecastFilter(category=category, channel=channel,
                          freq=Freq.parse(freq) if freq else None, start=begin, end=until)


ForecastFilterDep = Annotated[ForecastFilter, Depends(forecast_filter)]


async def output_format(
    fmt: Annotated[Literal["json", "csv"] | None, Query(
        alias="format", description="json (default) or csv; overrides the Accept header.")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Literal["json", "csv"]:
    """The `format` parameter when given, else CSV if Accept prefers text/csv, else JSON."""
    if fmt is not None:
        return fmt
    return "csv" if _negotiate(accept, ("json", "csv")) == "csv" else "json"


OutputFormatDep = Annotated[Literal["json", "csv"], Depends(output_format)]

TableFormat = Literal["json", "csv", "parquet"]
FORMAT_MEDIA_TYPES = {"json": "application/json", "csv": "text/csv",
                      "parquet": "application/vnd.apache.parquet"}


_TABLE_FORMATS: dict[str, TableFormat] = {"json": "json", "csv": "csv", "parquet": "parquet"}


def choose_table_format(fmt: str | None, accept: str | None) -> TableFormat:
    """Like `output_format`, with Parquet too (`application/vnd.apache.parquet`); a `format`
    other than json, csv or parquet raises InvalidParameter."""
    if fmt is not None:
        if fmt not in _TABLE_FORMATS:
            raise InvalidParameter("format", fmt, "json, csv or parquet")
        return _TABLE_FORMATS[fmt]
    return _TABLE_FORMATS[_negotiate(accept, tuple(_TABLE_FORMATS))]


def _negotiate(accept: str | None, offered: tuple[str, ...]) -> str:
    """The offered format Accept weighs highest (JSON also matches */*); JSON when none."""
    weights = accept_weights(accept or "")
    best, best_weight = "json", (0.0, 0)
    for name in offered:
        weight = weights.get(FORMAT_MEDIA_TYPES[name], (0.0, 0))
        if name == "json":
            weight = max(weight, weights.get("*/*", (0.0, 0)))
        if weight[0] > 0 and weight > best_weight:
            best, best_weight = name, weight
    return best


def accept_weights(accept: str) -> dict[str, tuple[float, int]]:
    """Media type -> (quality, -position): higher wins, earlier wins a tie."""
    weights: dict[str, tuple[float, int]] = {}
    for position, part in enumerate(accept.split(",")):
        media, _, params = part.partition(";")
        weights.setdefault(media.strip().lower(), (_quality(params), -position))
    return weights


def _quality(params: str) -> float:
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0
