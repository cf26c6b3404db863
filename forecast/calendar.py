"""Public holidays (any country or subdivision the `holidays` package knows) and user
events as day kinds.

Every day gets a kind: `normal`; a holiday's name; `pre_holiday_1:<name>` for the working
day before a short holiday break and `post_holiday_<k>:<name>` for the k-th (up to 2)
after one of two or more days off; `pre_break_<k>:<name>` for the k-th (up to 5) working
day before a long break, where rushes build up, and `post_break_<k>:<name>` for the k-th
(up to 3) after it, where a week's backlog lands, bigger than a long weekend's;
`break_day:<name>` for the ordinary days off inside a long break; `bridge:<name>` for a
lone working day of the week between a holiday and another day off, not marked already
(the Friday after Ascension), which many take off or where customers catch up;
`make_up_workday:<weekday>` for a weekend day worked in exchange for a bridge day off
(China, Vietnam, Russia...); `retail_day:Black Friday` and `retail_day:Cyber Monday`,
the shopping days after US Thanksgiving, in every country named; or `event:<kind>` for
user events. A break is named after
the holiday that fills most of it, so the same break keeps its name from year to year
('X (observed)' and 'Day off (substituted from ...)' lose their notes); a long break
lasts four days or more and holds two or more holidays (Seollal, Chuseok, Golden Week,
Christmas next to a weekend). Models learn one effect per kind and per family (the part
before the colon), so a break seen in history repeats its own rush and rebound and an
unseen one borrows the family's (a long break's, else a short break's).
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
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
POST_HOLIDAY = "post_holiday"
PRE_BREAK = "pre_break"
POST_BREAK = "post_break"
BREAK_DAY = "break_day"
EVENT = "event"
MAKE_UP_WORKDAY = "make_up_workday"
RETAIL_DAY = "retail_day"
BRIDGE = "bridge"
_TRAILING_NOTE = re.compile(r"\s*\([^()]*\)$")
# Working days marked before and after a long break: the rush before one builds up over
# a week (Seollal's and Chuseok's parcels, Christmas shopping), the rebound after it
# lands in the first three days.
RUN_UP_DAYS = 5
REBOUND_DAYS = 3
_SHORT_BREAK_DAYS = {PRE_HOLIDAY: 1, POST_HOLIDAY: 2}
_LONG_BREAK_DAYS_MARKED = {PRE_BREAK: RUN_UP_DAYS, POST_BREAK: REBOUND_DAYS}
# A long break's run-up and rebound families fall back on a short break's where unseen.
_SHORT_BREAK_FAMILY = {PRE_BREAK: PRE_HOLIDAY, POST_BREAK: POST_HOLIDAY}
_PAD_DAYS = 24
MAX_DAY_EFFECT = 5.0  # no kind of day is read as more than five normal days
COUNTRY_CODE_HELP = ("a country code the holidays package knows (ISO 3166, e.g. KR), optionally "
                     "with a subdivision (ISO 3166-2, e.g. DE-BY, US-CA)")
_LONG_BREAK_DAYS = 4
_DESCRIPTIONS = {
    PRE_HOLIDAY: "working day {k} before {name}",
    POST_HOLIDAY: "working day {k} after {name}",
    PRE_BREAK: "working day {k} before the {name} break",
    POST_BREAK: "working day {k} after the {name} break",
    BREAK_DAY: "day off inside the {name} break",
    RETAIL_DAY: "{name}",
    BRIDGE: "bridge day next to {name}",
}
# Shopping days that follow US Thanksgiving (the fourth Thursday of November), kept by
# online shops the world over: days after it, and their names.
_RETAIL_DAYS_AFTER_THANKSGIVING = ((1, "Black Friday"), (4, "Cyber Monday"))
_DEFAULT_WEEKEND = frozenset({5, 6})  # Monday = 0: where no country names its own


def kind_family(kind: str) -> str:
    """The family of a kind: `pre_holiday_1` for `pre_holiday_1:Chuseok`, `event` for
    `event:launch`; a holiday's name and `normal` are their own family."""
    return kind.split(":", 1)[0] if ":" in kind else kind


def is_holiday_kind(kind: str) -> bool:
    """True for a public holiday's own kind (its name)."""
    return kind != NORMAL and ":" not in kind


def short_break_family(family: str) -> str | None:
    """The short break's family that a long break's run-up or rebound family falls back
    on where unseen (`pre_holiday_1` for `pre_break_1`); None for any other family."""
    long_family, _, place = family.rpartition("_")
    short = _SHORT_BREAK_FAMILY.get(long_family)
    return f"{short}_{place}" if short else None


def describe_kind(kind: str) -> str | None:
    """Words for a day kind around a holiday ('working day 1 before the Chuseok break'),
    else None."""
    family, _, name = kind.partition(":")
    for prefix, text in _DESCRIPTIONS.items():
        if family.startswith(prefix) and name:
            k = family[len(prefix) + 1:] or "1"
            return text.format(k=k, name=name)
    return None


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


@dataclass(frozen=True, slots=True)
class _HolidayTable:
    """A country's holidays over some years: canonical names, and weekend days worked in
    exchange for a bridge day off (China, Vietnam, Russia...)."""

    names: dict[date, str]
    make_up_workdays: frozenset[date]
    weekend: frozenset[int] = _DEFAULT_WEEKEND


@lru_cache(maxsize=64)
def _holiday_table(code: str, first_year: int, last_year: int) -> _HolidayTable:
    country, _, subdivision = code.partition("-")
    try:
        with warnings.catch_warnings():  # "available only from 2001": outside is empty
            warnings.simplefilter("ignore", UserWarning)
            found = holidays.country_holidays(country, subdiv=subdivision or None,
                                              years=range(first_year, last_year + 1))
    except NotImplementedError as exc:
        raise InvalidParameter("holidays", code, COUNTRY_CODE_HELP) from exc
    worked = frozenset(getattr(found, "weekend_workdays", ()) or ())
    return _HolidayTable({day: _canonical_name(name) for day, name in found.items()}, worked,
                         frozenset(int(d) for d in getattr(found, "weekend", _DEFAULT_WEEKEND)))


# Public holidays that most businesses of a country work through, read from its stock
# exchange's calendar: the New York Stock Exchange trades on Columbus Day and Veterans
# Day, and so do most US call centers. Only where the exchange follows the national
# holidays: Europe's follow the TARGET2 calendar (Frankfurt trades on Ascension Day).
_EXCHANGE_OF = {"US": "XNYS"}


@lru_cache(maxsize=64)
def commonly_worked_holidays(code: str | None) -> frozenset[str]:
    """Canonical names of `code`'s holidays that its businesses mostly work through."""
    country = (code or "").upper()
    exchange = _EXCHANGE_OF.get(country.partition("-")[0])
    if exchange is None:
        return frozenset()
    years = range(2005, 2031)
    closed_days = set(holidays.financial_holidays(exchange, years=years))
    dates_by_name: dict[str, list[date]] = {}
    for day, name in _holiday_table(country, years[0], years[-1]).names.items():
        dates_by_name.setdefault(name, []).append(day)
    return frozenset(name for name, days in dates_by_name.items()
                     if sum(day in closed_days for day in days) <= len(days) / 2)


def check_country(code: str) -> str:
    """The code upper-cased and trimmed, when the holidays package knows the country and
    its subdivision, if one is given as in ISO 3166-2 (`DE-BY`, `US-CA`); else
    InvalidParameter."""
    normalised = code.strip().upper()
    _holiday_table(normalised, 2025, 2025)
    return normalised


def holiday_dates(code: str, first_year: int, last_year: int) -> dict[date, str]:
    """Every public holiday of `code` (a country, or a country and subdivision) in those
    years, by its canonical name."""
    return dict(_holiday_table(code.upper(), first_year, last_year).names)


def _weekend(days: pd.DatetimeIndex, country: str | None) -> frozenset[int]:
    """The weekdays `country` rests on (Monday = 0)."""
    return _table_for(days, country).weekend if country else _DEFAULT_WEEKEND


def _table_for(days: pd.DatetimeIndex, country: str) -> _HolidayTable:
    return _holiday_table(country.upper(), int(days.year.min()) - 1, int(days.year.max()) + 1)


def _canonical_name(name: str) -> str:
    """One name per holiday, the same every year, so 'Alternative holiday for X',
    'X (observed)' and X share an effect, and 'Day off (substituted from 05/09/2026)'
    is 'Day off' in every year."""
    first = _TRAILING_NOTE.sub("", name.split(";")[0].strip())
    for prefix in ("Alternative holiday for ", "The day preceding ", "The second day of "):
        if first.startswith(prefix):
            return first[len(prefix):]
    return first


def make_up_workdays(days: pd.DatetimeIndex, country: str | None) -> np.ndarray:
    """True for each day that is a weekend day worked in exchange for a bridge day off."""
    if not country or len(days) == 0:
        return np.zeros(len(days), dtype=bool)
    worked = _table_for(days, country).make_up_workdays
    return np.asarray(days.normalize().isin(pd.DatetimeIndex(sorted(worked))), dtype=bool)


def working_days(days: pd.DatetimeIndex, country: str | None) -> np.ndarray:
    """True for each day that is a working day of `country` (its weekend and public
    holidays off, make-up workdays on; Saturday and Sunday off where no country is known):
    the days bills, statements and salaries move to when theirs falls on a day off."""
    if len(days) == 0:
        return np.zeros(0, dtype=bool)
    on_weekend = np.isin(days.day_of_week, list(_weekend(days, country)))
    holiday = (holiday_names(days, country) != "").to_numpy()
    return np.asarray((~on_weekend | make_up_workdays(days, country)) & ~holiday, dtype=bool)


def holiday_names(days: pd.DatetimeIndex, country: str | None) -> pd.Series:
    """The holiday name of each day ('' when none)."""
    if not country or len(days) == 0:
        return pd.Series("", index=days, dtype=object)
    table = _table_for(days, country).names
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
    they decide which days are working days around a break.
    """
    pad = pd.date_range(days.min() - pd.Timedelta(days=_PAD_DAYS),
                        days.max() + pd.Timedelta(days=_PAD_DAYS))
    names = holiday_names(pad, country).to_numpy()
    is_holiday = names != ""
    worked = make_up_workdays(pad, country) & ~is_holiday
    off = (is_holiday | np.isin(pad.day_of_week, off_weekdays)) & ~worked
    kinds = np.where(is_holiday, names, NORMAL).astype(object)
    for i, name in (_retail_days(pad) if country else {}).items():
        if not is_holiday[i]:
            kinds[i] = f"{RETAIL_DAY}:{name}"
    for first, last in day_runs(off):
        if is_holiday[first:last + 1].any():
            _mark_break(kinds, off, first, last)
    _mark_bridges(kinds, off, np.isin(pad.day_of_week, list(_weekend(pad, country))),
                  is_holiday, names)
    kinds[worked] = [f"{MAKE_UP_WORKDAY}:{day}" for day in pad[worked].day_name()]
    result = pd.Series(kinds, index=pad).reindex(days)
    for event in events:
        if event.applies_to(category):
            inside = (days >= pd.Timestamp(event.start)) & (days <= pd.Timestamp(event.end))
            result[inside] = f"{EVENT}:{event.kind}"
    return result


def _retail_days(days: pd.DatetimeIndex) -> dict[int, str]:
    """Position in `days` (consecutive) of each Black Friday and Cyber Monday, whatever
    the country: a shop's queue surges, a bank's may empty (a bridge day); the history
    tells which, and a queue that has not met one yet runs it as a normal day. Marked
    where a country is named (or detected): elsewhere, reading two more days a year as
    special cost a little on queues without them (the level-shift scenario 0.115 -> 0.117,
    low volumes 0.573 -> 0.575)."""
    found: dict[int, str] = {}
    for year in range(days[0].year, days[-1].year + 1):
        november = pd.Timestamp(year=year, month=11, day=1)
        thanksgiving = november + pd.Timedelta(days=(3 - november.day_of_week) % 7 + 21)
        for after, name in _RETAIL_DAYS_AFTER_THANKSGIVING:
            position = (thanksgiving + pd.Timedelta(days=after) - days[0]).days
            if 0 <= position < len(days):
                found[position] = name
    return found


def holidays_inside_other_breaks(kinds: pd.Series) -> pd.Series:
    """True for each holiday inside a long break named after another holiday (Hangul Day
    in a Chuseok break): that year it is one more day off of the break, not itself.
    `kinds` are those of consecutive days."""
    text = [str(kind) for kind in kinds]
    break_day = f"{BREAK_DAY}:"
    holiday = np.array([is_holiday_kind(kind) for kind in text], dtype=bool)
    in_break = np.array([kind.startswith(break_day) for kind in text], dtype=bool)
    inside = np.zeros(len(text), dtype=bool)
    for first, last in day_runs(holiday | in_break):
        run = text[first:last + 1]
        names = {kind.partition(":")[2] for kind in run if kind.startswith(break_day)}
        own = [kind for kind, off in zip(run, holiday[first:last + 1], strict=True) if off]
        if not names and _is_long_break(len(own), len(run)):  # a break of holidays only
            names = {_break_name(own)}
        if names:
            named = np.array([kind in names for kind in run], dtype=bool)
            inside[first:last + 1] = holiday[first:last + 1] & ~named
    return pd.Series(inside, index=kinds.index)


def shrunk_effect(median: float, n: int, *, towards: float, prior_days: float = 1.0) -> float:
    """A median ratio of `n` days moved towards `towards` by n/(n + prior_days), kept
    within [0, MAX_DAY_EFFECT]: a kind seen once leans on its family, or a holiday on the
    typical holiday."""
    effect = towards + n / (n + prior_days) * (float(median) - towards)
    return float(np.clip(effect, 0.0, MAX_DAY_EFFECT))


def day_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of every maximal run of set days (days off, surge days)."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1, strict=True))


def _mark_break(kinds: np.ndarray, off: np.ndarray, first: int, last: int) -> None:
    """Name the days inside, before and after the break of days off [first, last]."""
    inside = [str(k) for k in kinds[first:last + 1] if k != NORMAL]
    name = _break_name(inside)
    long_break = _is_long_break(len(inside), last - first + 1)
    if long_break:
        for i in range(first, last + 1):
            if kinds[i] == NORMAL:
                kinds[i] = f"{BREAK_DAY}:{name}"
    if long_break:
        around = ((PRE_BREAK, -1, first - 1), (POST_BREAK, 1, last + 1))
    else:
        around = ((PRE_HOLIDAY, -1, first - 1), (POST_HOLIDAY, 1, last + 1))
    for family, step, start in around:
        if family == POST_HOLIDAY and last == first:
            continue
        count = (_LONG_BREAK_DAYS_MARKED if long_break else _SHORT_BREAK_DAYS)[family]
        _mark_working_days(kinds, off, start, step, count, f"{family}_{{k}}:{name}")


def _mark_bridges(kinds: np.ndarray, off: np.ndarray, weekend: np.ndarray,
                  is_holiday: np.ndarray, names: np.ndarray) -> None:
    """Mark each lone working day of the country's working week between a holiday and
    another day off, not marked yet (the Friday after Ascension): many take it off, or
    customers catch up; the queue's history tells which. `weekend` marks the country's
    weekend days: a Saturday after New Year's Day is no bridge, whoever works it."""
    lone = (~off[1:-1] & ~weekend[1:-1] & off[:-2] & off[2:]
            & (is_holiday[:-2] | is_holiday[2:]) & (kinds[1:-1] == NORMAL))
    for i in np.flatnonzero(lone) + 1:
        kinds[i] = f"{BRIDGE}:{names[i - 1] if is_holiday[i - 1] else names[i + 1]}"


def _break_name(holidays: list[str]) -> str:
    """A break's name: the holiday filling most of it."""
    return Counter(holidays).most_common(1)[0][0]


def _is_long_break(holidays: int, days: int) -> bool:
    """A long break: four days off or more, holding two holidays or more."""
    return holidays >= 2 and days >= _LONG_BREAK_DAYS


def _mark_working_days(kinds: np.ndarray, off: np.ndarray, start: int, step: int,
                       count: int, template: str) -> None:
    """Mark the next `count` working days from `start` going `step`, skipping days off;
    a day already marked (by an earlier break, as breaks are marked in date order) keeps
    its kind but still counts."""
    i, k = start, 1
    while 0 <= i < len(kinds) and k <= count:
        if not off[i]:
            if kinds[i] == NORMAL:
                kinds[i] = template.format(k=k)
            k += 1
        i += step


def ratio_to_neighbouring_weeks(
    daily: pd.Series, neighbours: pd.Series | None = None
) -> tuple[pd.Series, pd.Series]:
    """Each day's total over the median of the same weekday one and two weeks either side
    (0.5 added to both, so empty days stay finite), and that median; only days where
    `neighbours` is true (default: every day) serve as neighbours. Where none of those
    exists (a cluster of holidays), three and four weeks either side; NaN beyond."""
    reference = pd.Series(np.nan, index=daily.index, dtype=float)
    for weeks in ((-2, -1, 1, 2), (-4, -3, 3, 4)):
        reference = reference.fillna(same_weekday_median(daily, neighbours, weeks))
    return (daily + 0.5) / (reference + 0.5), reference


def same_weekday_median(daily: pd.Series, neighbours: pd.Series | None,
                        weeks: Iterable[int]) -> pd.Series:
    """Each day's median of the same weekday `weeks` away (only days where `neighbours`
    is true, default every day); NaN where none exists."""
    index = pd.DatetimeIndex(daily.index)
    if index.empty:
        return pd.Series(np.nan, index=daily.index, dtype=float)
    base = daily if neighbours is None else daily.where(neighbours)
    every_day = pd.date_range(index.min(), index.max(), freq="D")
    values = base.reindex(every_day).to_numpy(dtype=float)
    n, weeks = len(values), tuple(weeks)
    around = np.full((len(weeks), n), np.nan)
    for row, k in enumerate(weeks):
        lag = 7 * k  # the day `lag` days before each day
        if 0 <= lag < n:
            around[row, lag:] = values[:n - lag]
        elif -n < lag < 0:
            around[row, :n + lag] = values[-lag:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # days with no neighbour: NaN
        median = np.nanmedian(around, axis=0)
    return pd.Series(median, index=every_day).reindex(index).set_axis(daily.index)


def normalise_day(ts: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The calendar day of each stamp, as naive midnight."""
    days = ts.tz_localize(None) if ts.tz is not None else ts
    return days.normalize()
