"""Intraday shapes of special days: a holiday's eve shut at 13:00 is forecast so."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.calendar import day_kinds
from forecast.day_shapes import learn_day_shapes
from forecast.models.adjusted import CalendarAdjusted
from forecast.models.naive import WeekAverage
from forecast.models.split import DailySplit
from forecast.openhours import prepare_history
from forecast.series import LEVELS, Freq, SeriesKey

KEY = SeriesKey("accounts", "")
WEEKEND = (4, 5)  # Friday and Saturday


def _bank(first: str, last: str, eve_closes: int, seed: int = 0) -> pd.Series:
    """Hourly calls to a bank open 08-18 Sunday to Thursday, shut on Israel's holidays;
    on the working day before one it shuts at `eve_closes`."""
    stamps = pd.date_range(first, last, freq="h", inclusive="left")
    days = stamps.normalize()
    kinds = day_kinds(pd.DatetimeIndex(days.unique()), "IL", off_weekdays=WEEKEND)
    kind = kinds.reindex(days).astype(str).to_numpy()
    closing = np.where(np.char.startswith(kind.astype(str), "pre_holiday_1"), eve_closes, 18)
    is_open = ((stamps.hour >= 8) & (stamps.hour < closing) & ~stamps.day_of_week.isin(WEEKEND)
               & ((kind == "normal") | (np.char.find(kind.astype(str), ":") >= 0)))
    rng = np.random.default_rng(seed)
    return pd.Series(rng.poisson(np.where(is_open, 20.0, 0.0)).astype(float), index=stamps)


def test_an_eve_is_forecast_with_its_own_short_hours() -> None:
    history, _ = prepare_history(_bank("2023-10-01", "2024-09-29", eve_closes=13), KEY,
                                 Freq.H60, country="IL")
    model = CalendarAdjusted(DailySplit(WeekAverage(weeks=8)))
    forecast = model.fit(history).predict(7 * 24, LEVELS)
    ds = pd.DatetimeIndex(forecast.ds)
    eve = ds.normalize() == pd.Timestamp("2024-10-02")  # the eve of Rosh Hashanah
    hours = ds.hour
    assert forecast.mean[eve & (hours >= 13)].sum() < 0.1 * forecast.mean[eve].sum()
    assert forecast.mean[eve & (hours >= 8) & (hours < 13)].mean() > 15.0
    normal = ds.normalize() == pd.Timestamp("2024-09-29")  # a Sunday like any other
    assert forecast.mean[normal & (hours >= 13) & (hours < 18)].mean() > 15.0
    assert forecast.bounds[80][1][eve & (hours >= 14)].max() < 5.0
    # A horizon ending part-way through the eve shapes its morning alike.
    cut = int(np.flatnonzero(eve & (hours == 11))[0])
    partial = model.fit(history).predict(cut, LEVELS)
    np.testing.assert_allclose(partial.mean, forecast.mean[:cut])


def test_eves_like_any_other_day_get_no_shape_of_their_own() -> None:
    y = _bank("2023-10-01", "2024-09-29", eve_closes=18)
    days = y.index.normalize()
    unique = pd.DatetimeIndex(days.unique())
    kinds = day_kinds(unique, "IL", off_weekdays=WEEKEND)
    whole = pd.Series(True, index=unique)
    assert learn_day_shapes(y, Freq.H60, day_of=pd.DatetimeIndex(days), kinds=kinds,
                            whole=whole).by_family == {}
    y = _bank("2023-10-01", "2024-09-29", eve_closes=13)
    shapes = learn_day_shapes(y, Freq.H60, day_of=pd.DatetimeIndex(days), kinds=kinds,
                            whole=whole)
    assert list(shapes.by_family) == ["pre_holiday_1"]
