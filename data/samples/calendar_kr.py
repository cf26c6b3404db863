"""Korean public holidays for the sample: day types, Seollal/Chuseok breaks, rebounds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import holidays
import numpy as np
import pandas as pd

from data.samples import scenario as sc

WORKDAY, SATURDAY, DAY_OFF = 0, 1, 2
_BREAK_NAMES = ("Korean New Year", "Chuseok")
_PAD_DAYS = 20


@dataclass(frozen=True, slots=True)
class DayCalendar:
    """Per-day calendar facts for `days` (naive midnights, consecutive)."""

    days: pd.DatetimeIndex
    holiday: np.ndarray  # bool: a public holiday
    in_break: np.ndarray  # bool: inside a Seollal/Chuseok break (with adjoining days off)
    working: np.ndarray  # bool: Monday..Friday and not a holiday
    day_type: np.ndarray  # int: WORKDAY, SATURDAY or DAY_OFF (Sunday, holiday or break)
    rebound: np.ndarray  # float (days, channels): multiplier after breaks and holidays
    pre_break: np.ndarray  # float (days,): delivery multiplier before Seollal/Chuseok


def korean_holidays(first_year: int, last_year: int) -> dict[date, str]:
    """Public holidays (English names) from the `holidays` package, both years inclusive."""
    found = holidays.country_holidays(
        "KR", years=range(first_year, last_year + 1), language="en_US"
    )
    return dict(found.items())


def build_calendar(days: pd.DatetimeIndex) -> DayCalendar:
    """Classify `days`; holidays just outside the window still shape rebounds and rushes."""
    pad = pd.date_range(
        days[0] - pd.Timedelta(days=_PAD_DAYS), days[-1] + pd.Timedelta(days=_PAD_DAYS), freq="D"
    )
    table = korean_holidays(pad[0].year, pad[-1].year)
    names = [table.get(d.date(), "") for d in pad]
    holiday = np.array([bool(n) for n in names])
    seasonal = np.array([any(b in n for b in _BREAK_NAMES) for n in names])
    weekend = pad.day_of_week.to_numpy() >= 5
    off = holiday | weekend
    in_break = np.zeros(len(pad), dtype=bool)
    rebound = np.ones((len(pad), len(sc.CHANNELS)))
    pre_break = np.ones(len(pad))
    for first, last in _runs(off):
        if not holiday[first : last + 1].any():
            continue
        is_break = bool(seasonal[first : last + 1].any())
        amplitude = sc.REBOUND_BREAK if is_break else sc.REBOUND_HOLIDAY
        _add_rebound(rebound, off, last + 1, amplitude, max_days=sc.REBOUND_DAYS if is_break else 1)
        if is_break:
            in_break[first : last + 1] = True
            _add_pre_break(pre_break, first)
    day_off = holiday | in_break | (pad.day_of_week.to_numpy() == 6)
    day_type = np.where(day_off, DAY_OFF, np.where(weekend, SATURDAY, WORKDAY))
    inner = slice(_PAD_DAYS, _PAD_DAYS + len(days))
    return DayCalendar(
        days=days,
        holiday=holiday[inner],
        in_break=in_break[inner],
        working=~off[inner],
        day_type=day_type[inner],
        rebound=rebound[inner],
        pre_break=pre_break[inner],
    )


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of every maximal run of True."""
    padded = np.concatenate(([False], flags, [False])).astype(np.int8)
    edges = np.diff(padded)
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _add_rebound(
    rebound: np.ndarray, off: np.ndarray, start: int, amplitude: np.ndarray, *, max_days: int
) -> None:
    """Lift the next `max_days` working days from `start` by amplitude * decay**k."""
    k, i = 0, start
    while k < max_days and i < len(off):
        if not off[i]:
            rebound[i] *= 1.0 + amplitude * sc.REBOUND_DECAY**k
            k += 1
        i += 1


def _add_pre_break(pre_break: np.ndarray, first: int) -> None:
    """The delivery rush in the days before a break starting at index `first`."""
    for before in range(1, sc.PRE_BREAK_SPAN_DAYS + 1):
        i = first - before
        if i < 0:
            break
        z = (before - sc.PRE_BREAK_PEAK_DAYS) / sc.PRE_BREAK_WIDTH_DAYS
        pre_break[i] += sc.PRE_BREAK_LIFT * float(np.exp(-0.5 * z * z))
