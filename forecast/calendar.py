"""Public holidays (any country the `holidays` package knows) and user events as day kinds.

Every day gets a kind: `normal`, a holiday name, `pre_holiday:<name>` (the working day
before a holiday), `post_holiday_1`/`post_holiday_2` (the first two working days after a break of
two or more days off, where rebounds land), or `event:<kind>` for user events. Models
learn one effect per kind from history and apply it to future days of the same kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import holidays
import numpy as np
import pandas as pd

from forecast.errors import InvalidParameter

NORMAL = "normal"
PRE_HOLIDAY = "pre_holiday"
POST_HOLIDAY = ("post_holiday_1", "post_holiday_2")


@dataclass(frozen=True, slots=True)
class Event:
    """A known event: a launch, campaign, outage or policy change over [start, end]."""

    name: str
    kind: str
    start: date
    end: date
    categories: tuple[str, ...] = ()

    def applies_to(self, category: str) -> bool:
        return not self.categories or category in self.categories


@lru_cache(maxsize=64)
def _country_holidays(country: str, first_year: int, last_year: int) -> dict[date, str]:
    try:
        found = holidays.country_holidays(country, years=range(first_year, last_year + 1))
    except NotImplementedError as exc:
        raise InvalidParameter(
            "holidays", country, "an ISO 3166 country code the holidays package knows, e.g. KR"
        ) from exc
    return {day: _canonical_name(name) for day, name in found.items()}


def _canonical_name(name: str) -> str:
    """One name per holiday so 'Alternative holiday for X' and X share an effect."""
    first = name.split(";")[0].strip()
    for prefix in ("Alternative holiday for ", "The day preceding ", "The second day of "):
        if first.startswith(prefix):
            return first[len(prefix):]
    return first


def holiday_names(days: pd.DatetimeIndex, country: str | None) -> pd.Series:
    """The holiday name of each day ('' when none)."""
    if not country or len(days) == 0:
        return pd.Series("", index=days, dtype=object)
    table = _country_holidays(country.upper(), int(days.year.min()) - 1, int(days.year.max()) + 1)
    return pd.Series([table.get(d.date(), "") for d in days], index=days, dtype=object)


def day_kinds(
    days: pd.DatetimeIndex,
    country: str | None,
    *,
    events: Iterable[Event] = (),
    category: str = "",
    off_weekdays: tuple[int, ...] = (5, 6),
) -> pd.Series:
    """Kind of each day in `days` (daily, normalised stamps), see the module docstring.

    `off_weekdays` are the weekdays the queue is normally closed or quiet on (Monday = 0);
    they decide which days count as the first working days after a break.
    """
    pad = pd.date_range(days.min() - pd.Timedelta(days=10), days.max() + pd.Timedelta(days=10))
    names = holiday_names(pad, country)
    is_holiday = (names != "").to_numpy()
    off = is_holiday | np.isin(pad.day_of_week, off_weekdays)
    kinds = np.where(is_holiday, names.to_numpy(), NORMAL).astype(object)
    _mark_pre_and_post(kinds, is_holiday, off)
    result = pd.Series(kinds, index=pad).reindex(days)
    for event in events:
        if event.applies_to(category):
            inside = (days >= pd.Timestamp(event.start)) & (days <= pd.Timestamp(event.end))
            result[inside] = f"event:{event.kind}"
    return result


def _mark_pre_and_post(kinds: np.ndarray, is_holiday: np.ndarray, off: np.ndarray) -> None:
    n = len(kinds)
    for i in range(n):
        if not is_holiday[i]:
            continue
        before = i - 1
        if before >= 0 and not off[before] and kinds[before] == NORMAL:
            kinds[before] = f"{PRE_HOLIDAY}:{kinds[i]}"
        start = i
        while start > 0 and off[start - 1]:
            start -= 1
        end = i
        while end + 1 < n and off[end + 1]:
            end += 1
        if end - start + 1 < 2:
            continue
        after, marked = end + 1, 0
        while after < n and marked < len(POST_HOLIDAY):
            if not off[after] and (kinds[after] == NORMAL
                                   or str(kinds[after]).startswith(PRE_HOLIDAY)):
                kinds[after] = POST_HOLIDAY[marked]
                marked += 1
            elif not off[after]:
                marked += 1
            after += 1


def normalise_day(ts: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The calendar day of each stamp, as naive midnight."""
    days = ts.tz_localize(None) if ts.tz is not None else ts
    return days.normalize()
