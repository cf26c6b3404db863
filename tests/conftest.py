"""Shared fixtures: small seeded series with known weekly seasonality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

WEEKLY_SHAPE = np.array([1.3, 1.15, 1.05, 1.0, 0.95, 0.5, 0.35])


def daily_counts(days: int = 84, *, level: float = 120.0, seed: int = 3,
                 end: str = "2026-11-15") -> pd.Series:
    """Poisson counts with a weekly shape, indexed by day."""
    index = pd.date_range(end=end, periods=days, freq="D")
    rng = np.random.default_rng(seed)
    mean = level * WEEKLY_SHAPE[index.day_of_week]
    return pd.Series(rng.poisson(mean).astype(float), index=index, name="count")


def hourly_counts(weeks: int = 6, *, seed: int = 5, open_hours: tuple[int, int] = (8, 20)
                  ) -> pd.Series:
    """Hourly counts, zero outside opening hours, with a midday peak."""
    index = pd.date_range("2026-09-07", periods=weeks * 7 * 24, freq="h")
    rng = np.random.default_rng(seed)
    hour = index.hour.to_numpy()
    is_open = (hour >= open_hours[0]) & (hour < open_hours[1])
    shape = np.where(is_open, 20 + 15 * np.sin((hour - open_hours[0]) / 12 * np.pi), 0.0)
    mean = shape * WEEKLY_SHAPE[index.day_of_week]
    return pd.Series(rng.poisson(mean).astype(float), index=index, name="count")


@pytest.fixture(scope="session")
def two_category_csv(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A counts CSV with two daily categories over 12 weeks."""
    frames = []
    for category, level in (("refund", 80.0), ("delivery", 200.0)):
        counts = daily_counts(84, level=level, seed=len(category))
        frames.append(pd.DataFrame({"ts": counts.index.strftime("%Y-%m-%d"),
                                    "category": category, "count": counts.astype(int)}))
    path = tmp_path_factory.mktemp("csv") / "daily.csv"
    pd.concat(frames).to_csv(path, index=False)
    return str(path)
