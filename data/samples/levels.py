"""Expected daily volume per (day, category, channel) from the scenario and the calendar."""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.samples import scenario as sc
from data.samples.calendar_kr import DayCalendar

_SUNDAY = 6
_CAMPAIGN_TAIL = (0.3, 0.1)  # share of the lift left on the two days after a campaign


def daily_levels(cal: DayCalendar) -> np.ndarray:
    """Expected volume per day over open hours: shape (days, categories, channels)."""
    days = cal.days
    level = sc.BASE_DAILY[None, :, :] * _growth(days)
    level = level * _weekday(cal)[:, None, :]
    level = level * (_yearly(days) * _event_lifts(days))[:, :, None]
    level = level * cal.rebound[:, None, :]
    delivery = sc.CATEGORIES.index("delivery")
    level[:, delivery, :] *= cal.pre_break[:, None]
    return level


def _growth(days: pd.DatetimeIndex) -> np.ndarray:
    years = (days - pd.Timestamp(sc.ANCHOR)).days.to_numpy() / 365.25
    cat = (1.0 + sc.CATEGORY_GROWTH)[None, :] ** years[:, None]
    chan = (1.0 + sc.CHANNEL_GROWTH)[None, :] ** years[:, None]
    return cat[:, :, None] * chan[:, None, :]


def _weekday(cal: DayCalendar) -> np.ndarray:
    """Day-of-week factor per channel; holidays and breaks take a reduced Sunday level."""
    factor = sc.WEEKDAY[cal.days.day_of_week.to_numpy()].copy()
    sunday = sc.WEEKDAY[_SUNDAY]
    factor[cal.holiday] = sunday * sc.HOLIDAY_FACTOR
    factor[cal.in_break] = sunday * sc.BREAK_FACTOR
    return factor


def _yearly(days: pd.DatetimeIndex) -> np.ndarray:
    """Smooth yearly wave per category plus the late-November sales season."""
    doy = days.day_of_year.to_numpy()[:, None]
    phase = 2 * np.pi * (doy - sc.YEARLY_PEAK_DOY[None, :]) / 365.25
    factor = 1.0 + sc.YEARLY_AMPLITUDE[None, :] * np.cos(phase)
    for category, lift, (month, day), width in sc.NOVEMBER_SALES:
        j = sc.CATEGORIES.index(category)
        for year in range(days[0].year - 1, days[-1].year + 2):
            gap = (days - pd.Timestamp(year, month, day)).days.to_numpy()
            factor[:, j] += lift * np.exp(-0.5 * (gap / width) ** 2)
    return factor


def _event_lifts(days: pd.DatetimeIndex) -> np.ndarray:
    """Multiplier per (day, category) from campaigns, launches and policy changes."""
    factor = np.ones((len(days), len(sc.CATEGORIES)))
    for event in sc.EVENTS:
        offset = (days - pd.Timestamp(event.start)).days.to_numpy().astype(float)
        length = (event.end - event.start).days + 1
        for category, (lift, surge) in event.lifts.items():
            j = sc.CATEGORIES.index(category)
            if event.kind == "campaign":
                factor[:, j] *= 1.0 + _campaign_shape(offset, length) * lift
            elif event.kind in ("launch", "policy"):
                after = offset >= 0
                decay = np.exp(-np.where(after, offset, 0.0) / event.surge_days)
                factor[:, j] *= np.where(after, 1.0 + lift + surge * decay, 1.0)
    return factor


def _campaign_shape(offset: np.ndarray, length: int) -> np.ndarray:
    """1 at the start easing to 0.7 at the end, then a two-day tail, 0 elsewhere."""
    inside = (offset >= 0) & (offset < length)
    shape = np.where(inside, 1.0 - 0.3 * offset / max(length - 1, 1), 0.0)
    for k, share in enumerate(_CAMPAIGN_TAIL):
        shape = np.where(offset == length + k, share, shape)
    return shape
