"""Which country's holidays a history follows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.calendar import holiday_names
from forecast.holiday_detect import detect_country

WEEKLY = np.array([1.2, 1.1, 1.0, 1.0, 0.9, 0.4, 0.0])


def _daily(country: str | None, *, seed: int = 1, dip: float = 0.1) -> pd.Series:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", "2025-06-30", freq="D")
    mean = 300.0 * WEEKLY[days.day_of_week]
    if country:
        mean = np.where(holiday_names(days, country).to_numpy() != "", mean * dip, mean)
    return pd.Series(rng.poisson(mean).astype(float), index=days)


def test_finds_the_country_whose_holidays_dip() -> None:
    assert detect_country(_daily("KR")) == "KR"
    assert detect_country(_daily("US")) == "US"


def test_missing_working_days_count_as_closed() -> None:
    daily = _daily("US")
    closed = holiday_names(pd.DatetimeIndex(daily.index), "US").to_numpy() != ""
    assert detect_country(daily[~closed]) == "US"


def test_no_country_when_nothing_dips_or_history_is_short() -> None:
    assert detect_country(_daily(None)) is None
    assert detect_country(_daily("KR", dip=0.95)) is None
    assert detect_country(_daily("KR").iloc[:40]) is None
    silent = pd.Series(0.0, index=pd.date_range("2025-01-01", periods=120))
    assert detect_country(silent) is None  # no working day to compare


def test_a_quiet_queue_reads_no_country_from_its_noise_but_its_closures() -> None:
    """At two calls a day some country's few holidays come in low by chance: a dip must
    stand out from the days' own noise (most of these queues had read one)."""
    days = pd.date_range(end="2025-11-01", periods=120, freq="D")
    mean = 2.0 * WEEKLY[days.day_of_week]
    for seed in range(10):
        counts = np.random.default_rng(seed).poisson(mean).astype(float)
        assert detect_country(pd.Series(counts, index=days)) is None
    year = pd.date_range(end="2025-11-01", periods=400, freq="D")
    closed = holiday_names(year, "US").to_numpy() != ""
    for seed in range(3):
        counts = np.random.default_rng(seed).poisson(
            np.where(closed, 0.0, 2.0 * WEEKLY[year.day_of_week])).astype(float)
        assert detect_country(pd.Series(counts, index=year)) == "US"
