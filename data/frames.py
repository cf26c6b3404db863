"""Checks and conversions for the frames that cross the `Store` boundary.

Incoming frames are validated once here (columns, keys, timestamps, numbers) and
come out with UTC `datetime64[us, UTC]` timestamps, string keys ('' = no channel)
and float values; outgoing frames are built from database rows with the same types.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from data import timestamps
from forecast.errors import InvalidInput, InvalidParameter
from forecast.series import Freq
from forecast.store import ACCURACY_COLUMNS, FORECAST_COLUMNS, OBSERVATION_COLUMNS

KEY_COLUMNS = ("category", "channel", "freq")
BOUND_COLUMNS = ("lo80", "hi80", "lo95", "hi95")
METRIC_COLUMNS = ("wape", "mase", "bias", "coverage80", "coverage95")


def require_columns(frame: pd.DataFrame, columns: Sequence[str], *, what: str) -> None:
    """Raise InvalidInput naming the first column of `columns` the frame lacks."""
    for column in columns:
        if column not in frame.columns:
            raise InvalidInput(
                f"{what} frame is missing this column (needs {', '.join(columns)})",
                column=column,
            )


def utc_timestamps(values: pd.Series, *, column: str = "ts") -> pd.Series:
    """tz-aware timestamps converted to UTC at microsecond resolution."""
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        naive = [v for v in values if not (isinstance(v, datetime) and v.tzinfo is not None)]
        if naive:
            raise InvalidInput(
                f"timestamps must be tz-aware datetimes; got {naive[0]!r}", column=column
            )
        values = pd.to_datetime(values, utc=True)
    if values.isna().any():
        label = values.index[values.isna().to_numpy()][0]
        raise InvalidInput(f"missing timestamp at frame index {label!r}", column=column)
    return values.dt.tz_convert("UTC").dt.floor("us").dt.as_unit("us")


def utc_datetime(value: datetime | None, *, name: str) -> datetime | None:
    """A tz-aware bound as a UTC datetime; naive values are rejected."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise InvalidParameter(name, value, "a tz-aware datetime")
    return value.astimezone(UTC)


def freq_value(value: object) -> str:
    """The stored spelling of a frequency ('D', '60min', '30min', '15min')."""
    if isinstance(value, Freq):
        return value.value
    return Freq.parse(str(value)).value


def normalize_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """category (required), channel ('' for none) and freq as stored strings."""
    category = frame["category"].fillna("").astype(str).str.strip()
    empty = (category == "").to_numpy()
    if empty.any():
        label = frame.index[empty][0]
        raise InvalidInput(f"empty category at frame index {label!r}", column="category")
    channel = frame["channel"] if "channel" in frame.columns else pd.Series("", index=frame.index)
    freqs = {}
    for raw in frame["freq"].unique():
        try:
            freqs[raw] = freq_value(raw)
        except InvalidParameter as exc:
            raise InvalidInput(str(exc), column="freq") from exc
    return pd.DataFrame(
        {
            "category": category,
            "channel": channel.fillna("").astype(str).str.strip(),
            "freq": frame["freq"].map(freqs).astype(str),
        },
        index=frame.index,
    )


def numbers(frame: pd.DataFrame, column: str, *, required: bool) -> pd.Series:
    """A numeric column as float64; non-numbers, and NaN when required, are rejected."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").astype("float64")
    bad = (values.isna() & raw.notna()) | ~np.isfinite(values.fillna(0.0))
    if required:
        bad |= values.isna()
    if bad.any():
        label = frame.index[bad.to_numpy()][0]
        raise InvalidInput(
            f"{'a finite number' if required else 'a finite number or empty'} is required; "
            f"got {raw.loc[label]!r} at frame index {label!r}",
            column=column,
        )
    return values


def reject_duplicates(frame: pd.DataFrame, subset: list[str], *, what: str) -> None:
    dup = frame.duplicated(subset=subset)
    if dup.any():
        first = frame.loc[dup].iloc[0]
        key = ", ".join(f"{c}={first[c]}" for c in subset)
        raise InvalidInput(f"{what} frame has the same key twice ({key})")


def observations_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Validated observations: category, channel, freq, ts (UTC), count (float), and
    aht_seconds (float, NaN = unknown) when the frame has it."""
    require_columns(frame, [c for c in OBSERVATION_COLUMNS if c != "channel"], what="observations")
    out = normalize_keys(frame)
    out["ts"] = utc_timestamps(frame["ts"])
    count = numbers(frame, "count", required=True)
    if (count < 0).any():
        label = frame.index[(count < 0).to_numpy()][0]
        raise InvalidInput(f"counts cannot be negative; got {count.loc[label]} at frame index "
                           f"{label!r}", column="count")
    out["count"] = count
    if "aht_seconds" in frame.columns:  # optional measured handle time, NaN = unknown
        aht = numbers(frame, "aht_seconds", required=False)
        if (aht < 0).any():
            label = frame.index[(aht < 0).to_numpy()][0]
            raise InvalidInput(f"aht_seconds cannot be negative; got {aht.loc[label]} at "
                               f"frame index {label!r}", column="aht_seconds")
        out["aht_seconds"] = aht
    reject_duplicates(out, [*KEY_COLUMNS, "ts"], what="observations")
    return out.reset_index(drop=True)


def forecasts_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Validated forecast rows (FORECAST_COLUMNS) with UTC ts and float values."""
    require_columns(frame, [c for c in FORECAST_COLUMNS if c != "channel"], what="forecasts")
    out = normalize_keys(frame)
    out["ts"] = utc_timestamps(frame["ts"])
    out["yhat"] = numbers(frame, "yhat", required=True)
    for column in BOUND_COLUMNS:
        out[column] = numbers(frame, column, required=False)
    out["model"] = frame["model"].fillna("").astype(str)
    reject_duplicates(out, [*KEY_COLUMNS, "ts"], what="forecasts")
    return out.reset_index(drop=True)


def accuracy_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Validated leaderboard rows (ACCURACY_COLUMNS)."""
    require_columns(frame, [c for c in ACCURACY_COLUMNS if c != "channel"], what="accuracy")
    out = normalize_keys(frame)
    out["model"] = frame["model"].fillna("").astype(str)
    for column in ("folds", "rank"):
        out[column] = numbers(frame, column, required=True).astype("int64")
    for column in METRIC_COLUMNS:
        out[column] = numbers(frame, column, required=False)
    selected = frame["selected"]
    if selected.isna().any():
        raise InvalidInput("selected must be true or false, not empty", column="selected")
    out["selected"] = selected.astype(bool)
    reject_duplicates(out, [*KEY_COLUMNS, "model"], what="accuracy")
    return out.reset_index(drop=True)


def records(
    frame: pd.DataFrame, columns: Iterable[str], dialect_name: str, *, prefix: str = ""
) -> list[dict[str, Any]]:
    """Rows as plain-Python parameter dicts keyed `prefix + column`; NaN becomes None.

    Timestamp columns come out as `timestamps.bind_values` makes them, to be bound
    with `timestamps.bind_type`.
    """
    data: dict[str, list[Any]] = {}
    for column in columns:
        values = frame[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            data[prefix + column] = timestamps.bind_values(values, dialect_name)
        elif values.dtype == "float64":
            data[prefix + column] = [None if v != v else v for v in values.tolist()]
        else:
            data[prefix + column] = values.tolist()
    names = list(data)
    return [dict(zip(names, row, strict=True)) for row in zip(*data.values(), strict=True)]


def rows_frame(
    rows: Sequence[Sequence[Any]],
    columns: Sequence[str],
    *,
    floats: Sequence[str] = (),
    ints: Sequence[str] = (),
    ts_columns: Sequence[str] = ("ts",),
) -> pd.DataFrame:
    """A frame from database rows, typed the same way when empty or not."""
    values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    frame = pd.DataFrame(dict(zip(columns, (list(v) for v in values), strict=True)))
    for column in columns:
        if column in ts_columns:
            frame[column] = timestamps.parse(frame[column])
        elif column in floats:
            frame[column] = frame[column].astype("float64")
        elif column in ints:
            frame[column] = frame[column].astype("int64")
        elif column == "selected":
            frame[column] = frame[column].astype(bool)
        else:
            frame[column] = frame[column].astype(str)
    return frame
