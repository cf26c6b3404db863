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


def _closed_on(country: str, days: pd.DatetimeIndex, level: float, seed: int) -> pd.Series:
    mean = np.where(holiday_names(days, country).to_numpy() != "", 0.0,
                    level * WEEKLY[days.day_of_week])
    return pd.Series(np.random.default_rng(seed).poisson(mean).astype(float), index=days)


def test_two_holidays_shut_tell_a_country_only_no_other_shares() -> None:
    spring = pd.date_range("2025-03-03", "2025-08-29", freq="D")  # Memorial Day, July 4
    assert detect_country(_closed_on("US", spring, 300.0, seed=1)) == "US"
    winter = pd.date_range("2025-12-01", "2026-02-13", freq="D")  # Christmas, New Year
    assert detect_country(_closed_on("BR", winter, 300.0, seed=1)) is None


def test_days_missing_from_an_export_do_not_read_as_some_countrys_holidays() -> None:
    """Six working days missing in 150 of 20 calls a day had read a country in 9 of 40
    queues: a holiday's dip must be rarer on ordinary days."""
    days = pd.date_range(end="2025-09-01", periods=150, freq="D")
    for seed in range(10):
        rng = np.random.default_rng(seed)
        counts = pd.Series(rng.poisson(20.0 * WEEKLY[days.day_of_week]).astype(float),
                           index=days)
        missing = rng.choice(np.flatnonzero(days.day_of_week < 5), size=6, replace=False)
        assert detect_country(counts.drop(days[missing])) is None
