"""SARIMAX with calendar regressors: the calendar's columns, and holidays learnt from them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.calendar import day_kinds
from forecast.errors import InsufficientHistory
from forecast.models.sarimax import Sarimax, calendar_regressors, closed_holidays
from forecast.series import LEVELS, Freq, History, SeriesKey

KEY = SeriesKey("billing", "phone")
WEEKLY = np.array([1.2, 1.1, 1.0, 1.0, 0.9, 0.5, 0.3])


def test_the_columns_mark_holidays_the_days_around_breaks_and_events() -> None:
    days = pd.date_range("2026-06-29", "2026-07-08")
    kinds = day_kinds(days, "US")
    kinds[pd.Timestamp("2026-07-08")] = "event:campaign"
    columns = calendar_regressors(kinds)
    july_3 = columns.loc["2026-07-03"]  # Independence Day, observed on the Friday
    assert july_3["holiday"] == 1 and july_3["holiday:Independence Day"] == 1
    assert columns.loc["2026-07-02", "pre_holiday_1"] == 1
    assert columns.loc["2026-07-06", "post_holiday_1"] == 1
    assert columns.loc["2026-07-08", "event:campaign"] == 1
    assert columns.loc["2026-06-30"].sum() == 0
    shut = calendar_regressors(kinds, frozenset({"Independence Day"}))
    assert shut.loc["2026-07-03", "holiday"] == 0  # a closure says nothing of other holidays
    assert shut.loc["2026-07-03", "holiday:Independence Day"] == 1


def _year_with_holidays(seed: int) -> pd.Series:
    """A queue shut on Independence Day and at half its level on the other US holidays."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2025-05-05", "2026-06-21")
    kinds = day_kinds(days, "US").astype(str)
    mean = 300.0 * WEEKLY[days.day_of_week]
    mean = np.where(kinds.str.startswith("Independence Day"), 0.0,
                    np.where(kinds.map(lambda k: k != "normal" and ":" not in k), mean / 2, mean))
    return pd.Series(rng.poisson(mean).astype(float), index=days)


def test_a_holiday_it_closed_on_stays_shut_and_an_unseen_one_dips_like_the_others() -> None:
    y = _year_with_holidays(3)
    history = History(KEY, Freq.DAILY, y, country="US")
    kinds = day_kinds(pd.DatetimeIndex(y.index), "US")
    assert closed_holidays(kinds, y) == frozenset({"Independence Day"})
    forecast = Sarimax().fit(history).predict(28, LEVELS)
    mean = pd.Series(forecast.mean, index=forecast.ds)
    normal_friday = mean[pd.Timestamp("2026-06-26")]
    assert mean[pd.Timestamp("2026-07-03")] < 0.1 * normal_friday  # shut, as last year
    assert (mean >= 0).all() and (forecast.bounds[95][1] >= forecast.bounds[80][1]).all()
    # Juneteenth (19 June) was met once, at half: next year's is read as half again.
    longer = _year_with_holidays(4)
    longer = longer[longer.index < pd.Timestamp("2026-06-08")]
    ahead = Sarimax().fit(History(KEY, Freq.DAILY, longer, country="US")).predict(14, LEVELS)
    friday = pd.Series(ahead.mean, index=ahead.ds)
    assert 0.3 < friday[pd.Timestamp("2026-06-19")] / friday[pd.Timestamp("2026-06-12")] < 0.75


def test_three_weeks_are_the_least_it_fits() -> None:
    y = _year_with_holidays(5).iloc[:20]
    with pytest.raises(InsufficientHistory, match="needs at least 21"):
        Sarimax().fit(History(KEY, Freq.DAILY, y, country="US"))
