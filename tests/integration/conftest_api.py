"""Shared data for the API tests: a small published forecast and inquiry logs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.store import ACCURACY_COLUMNS, FORECAST_COLUMNS, Store

TIMEZONE = "Asia/Seoul"
FORECAST_DAYS = 4
FORECAST_START = "2026-03-02"  # a Monday, local time

# counts per 30 minutes: three intervals of one day for billing/phone, one for delivery
COUNTS_CSV = (
    "ts,category,channel,count\n"
    "2026-02-02T09:00:00,billing,phone,12\n"
    "2026-02-02T09:30:00,billing,phone,15\n"
    "2026-02-02T10:00:00,billing,phone,9\n"
    "2026-02-02T09:00:00,delivery,,4\n"
    "2026-02-02T09:30:00,delivery,,6\n"
)
COUNTS_ROWS = [
    {"ts": "2026-02-03T09:00:00", "category": "billing", "channel": "chat", "count": 3},
    {"ts": "2026-02-03T09:30:00", "category": "billing", "channel": "chat", "count": 5},
    {"ts": "2026-02-03T10:00:00", "category": "billing", "channel": "chat", "count": 0},
]


def forecast_frame() -> pd.DataFrame:
    """Daily rows for three series and 30-minute rows for one, at local midnight/ticks."""
    parts = []
    days = pd.date_range(FORECAST_START, periods=FORECAST_DAYS, freq="D", tz=TIMEZONE)
    for offset, (category, channel) in enumerate(
        [("billing", ""), ("billing", "phone"), ("delivery", "")]
    ):
        parts.append(_rows(days, category, channel, "D", base=100.0 * (offset + 1)))
    ticks = pd.date_range(f"{FORECAST_START} 09:00", periods=6, freq="30min", tz=TIMEZONE)
    parts.append(_rows(ticks, "billing", "phone", "30min", base=10.0))
    frame = pd.concat(parts, ignore_index=True)
    return frame.loc[:, list(FORECAST_COLUMNS)]


def empty_accuracy() -> pd.DataFrame:
    return pd.DataFrame({column: [] for column in ACCURACY_COLUMNS})


def publish_forecast(store: Store, run_id: str, frame: pd.DataFrame | None = None) -> None:
    """Save and publish a run the way the fit job does."""
    store.save_run(run_id, forecast_frame() if frame is None else frame, empty_accuracy(),
                   note="test run")
    store.publish_run(run_id)


def _rows(ts: pd.DatetimeIndex, category: str, channel: str, freq: str, *, base: float
          ) -> pd.DataFrame:
    yhat = base + np.arange(len(ts), dtype=float) + 0.123456
    return pd.DataFrame({
        "ts": ts, "category": category, "channel": channel, "freq": freq,
        "yhat": yhat, "lo80": yhat * 0.9, "hi80": yhat * 1.1,
        "lo95": yhat * 0.8, "hi95": yhat * 1.2, "model": "seasonal_naive",
    })
