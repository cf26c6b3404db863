"""Average handle time (AHT) per series and interval: from the data when present, else
from settings.

Inquiry logs may carry `aht_seconds` (per inquiry for raw events, the bucket's mean for
counts); ingest keeps the count-weighted mean per bucket. For staffing, each forecast
interval gets, most specific first:

1. the mean AHT of its weekly slot (weekday x time of day) over the 8 weeks up to the
   series' last measured bucket, weighted by contacts, when that slot has at least 2
   measured buckets;
2. the series' contact-weighted mean over the same weeks;
3. settings: `aht_seconds_by_category[category]`, then `default_aht_seconds`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.errors import InvalidInput, InvalidParameter
from forecast.openhours import weekly_slot
from forecast.series import Freq, SeriesKey

AHT_COLUMN = "aht_seconds"
LOOKBACK_WEEKS = 8
MIN_SLOT_BUCKETS = 2


@dataclass(frozen=True, slots=True)
class AhtDefaults:
    """Handle times from settings: per category, then one default (None = unknown)."""

    default_aht_seconds: float | None = None
    by_category: Mapping[str, float] = field(default_factory=dict)

    def for_category(self, category: str) -> float | None:
        return self.by_category.get(category, self.default_aht_seconds)


@dataclass(frozen=True, slots=True)
class AhtProfile:
    """Handle time by weekly slot with its fallbacks; NaN marks an unknown level."""

    key: SeriesKey
    freq: Freq
    slot_seconds: np.ndarray  # one per weekly slot
    series_seconds: float
    default_seconds: float | None

    def at(self, ts: pd.DatetimeIndex) -> np.ndarray:
        """AHT in seconds for each (local) interval start; InvalidParameter when unknown."""
        values = self.slot_seconds[weekly_slot(ts, self.freq)]
        fallback = self.series_seconds if np.isfinite(self.series_seconds) else (
            self.default_seconds)
        if fallback is None:
            if np.isnan(values).any():
                raise InvalidParameter(
                    "aht_seconds", None,
                    f"given: no handle time is known for {self.key.label()!r} (no aht_seconds "
                    "in its data, no aht_seconds_by_category entry, no default_aht_seconds)")
            return np.asarray(values, dtype=float)
        return np.where(np.isnan(values), fallback, values)


def learn_aht_profile(history: pd.DataFrame, key: SeriesKey, freq: Freq, *,
                      defaults: AhtDefaults, weeks: int = LOOKBACK_WEEKS) -> AhtProfile:
    """Profile from measured buckets: ts (local time), count and aht_seconds columns.

    Buckets without a positive AHT or without contacts carry no weight.
    """
    measured = history[(history[AHT_COLUMN] > 0) & (history["count"] > 0)]
    season = freq.season_length
    slots = np.full(season, np.nan)
    series_mean = np.nan
    if not measured.empty:
        ts = pd.DatetimeIndex(measured["ts"])
        recent = np.asarray(ts > ts.max() - pd.Timedelta(weeks=weeks))
        weight = measured["count"].to_numpy(dtype=float)[recent]
        seconds = measured[AHT_COLUMN].to_numpy(dtype=float)[recent]
        position = weekly_slot(ts[recent], freq)
        total = np.bincount(position, weights=weight * seconds, minlength=season)
        mass = np.bincount(position, weights=weight, minlength=season)
        buckets = np.bincount(position, minlength=season)
        enough = (buckets >= MIN_SLOT_BUCKETS) & (mass > 0)
        slots[enough] = total[enough] / mass[enough]
        series_mean = float(np.sum(seconds * weight) / np.sum(weight))
    return AhtProfile(key, freq, slots, series_mean, defaults.for_category(key.category))


def parse_aht(values: pd.Series, first_row: int) -> pd.Series:
    """An ingest column of handle times: empty = unknown, else a finite number >= 0."""
    text = values.fillna("").astype(str).str.strip()
    given = text != ""
    numbers = pd.to_numeric(text.where(given), errors="coerce").astype("float64")
    checked = numbers.fillna(-1.0).to_numpy()
    bad = given.to_numpy() & ~(np.isfinite(checked) & (checked >= 0))
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise InvalidInput(f"aht_seconds must be a number of seconds >= 0 or empty; "
                           f"got {text.iloc[position]!r}", row=position + first_row,
                           column=AHT_COLUMN)
    return numbers


def bucket_counts(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Counts summed per `keys` group; with an aht_seconds column also the mean handle time
    weighted by count (NaN for buckets without a measured contact)."""
    if AHT_COLUMN not in frame.columns:
        return frame.groupby(keys, sort=True, observed=True)["count"].sum().reset_index()
    weight = frame["count"].astype(float).where(frame[AHT_COLUMN].notna(), 0.0)
    parts = frame[keys].assign(count=frame["count"], _weight=weight,
                               _seconds=frame[AHT_COLUMN].fillna(0.0) * weight)
    out = parts.groupby(keys, sort=True, observed=True)[["count", "_seconds", "_weight"]].sum()
    out = out.reset_index()
    mass = out["_weight"].to_numpy(dtype=float)
    out[AHT_COLUMN] = np.divide(out["_seconds"].to_numpy(dtype=float), mass,
                                out=np.full(len(out), np.nan), where=mass > 0)
    return out.drop(columns=["_seconds", "_weight"])
