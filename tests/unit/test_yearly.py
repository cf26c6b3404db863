"""The year-over-year index: a season every year is followed, one odd year of three is
outvoted."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.models.yearly import YEAR_DAYS, yearly_index

LAST = pd.Timestamp("2026-02-28")


def _daily(dips: dict[int, float]) -> pd.Series:
    """Three years and more of a steady 300 a day, with each year's March (the year `k`
    years before the month ahead) at `dips[k]` x."""
    index = pd.date_range(LAST - pd.Timedelta(days=3 * YEAR_DAYS + 90), LAST, freq="D")
    level = np.full(len(index), 300.0)
    for years, factor in dips.items():
        start = LAST + pd.Timedelta(days=1) - pd.Timedelta(days=YEAR_DAYS * years)
        ahead = (index >= start) & (index < start + pd.Timedelta(days=28))
        level[ahead] *= factor
    return pd.Series(level, index=index)


def _march() -> pd.DatetimeIndex:
    return pd.date_range(LAST + pd.Timedelta(days=8), periods=14, freq="D")


def test_a_lull_every_year_is_followed() -> None:
    index = yearly_index(_daily({1: 0.6, 2: 0.6, 3: 0.6}), _march())
    assert np.allclose(index, 1 + 0.7 * (0.6 - 1), atol=0.01)


def test_one_collapse_in_three_years_is_outvoted() -> None:
    index = yearly_index(_daily({1: 0.3}), _march())
    assert np.allclose(index, 1.0, atol=0.01)
    # Two years can only average: the collapse counts half.
    two_years = _daily({1: 0.3})[LAST - pd.Timedelta(days=2 * YEAR_DAYS + 60):]
    assert np.allclose(yearly_index(two_years, _march()), 1 + 0.7 * (0.65 - 1), atol=0.01)
