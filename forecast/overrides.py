"""Planner overrides: audited adjustments of the published forecast.

A planner who knows something the models cannot (a mailing goes out on Tuesday, a partner
closes for a week) multiplies or adds to the forecast of one category (one channel, or
every channel) over a time range, with a reason. Overrides live apart from forecast runs
and are applied whenever the published forecast is read, so they survive refits until
they expire or are revoked; readers get the adjusted `yhat` next to the model's own.

Application, per row in [start, end) of a matching series and interval:
- multiply by v (v >= 0): yhat and every bound scale by v;
- add v per interval (v may be negative): yhat and every bound shift by v, clipped at 0;
  closed intervals (forecast and bounds 0) stay 0.
Several overrides on one row apply in creation order; `override_id` names the last.
Parents in the hierarchy are not re-derived: adjust the series you staff or alert on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import numpy as np
import pandas as pd

from forecast.errors import InvalidParameter
from forecast.series import Freq

VALUE_COLUMNS = ("yhat", "lo80", "hi80", "lo95", "hi95")
MODEL_COLUMN = "yhat_model"
ID_COLUMN = "override_id"
REASON_MAX_LENGTH = 1000
NAME_MAX_LENGTH = 200


class OverrideKind(StrEnum):
    MULTIPLY = "multiply"
    ADD = "add"


@dataclass(frozen=True, slots=True)
class OverrideRequest:
    """A new override as a planner asks for it; validated on construction.

    `channel` None = every channel of the category (and its all-channel series); `freq`
    None = every interval length. `start` inclusive, `end` exclusive, both tz-aware.
    `expires_at` defaults to `end`.
    """

    category: str
    channel: str | None
    freq: Freq | None
    start: datetime
    end: datetime
    kind: OverrideKind
    value: float
    reason: str
    created_by: str
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        _check_request(self)

    def expiry(self) -> datetime:
        return self.end if self.expires_at is None else self.expires_at


@dataclass(frozen=True, slots=True)
class Override:
    """A stored override with its audit trail."""

    id: int
    category: str
    channel: str | None
    freq: Freq | None
    start: datetime
    end: datetime
    kind: OverrideKind
    value: float
    reason: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    def status(self, now: datetime) -> str:
        """active, revoked or expired."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


class OverrideSource(Protocol):
    """What `adjusted_forecast` needs of a store."""

    def latest_forecast(self, *, category: str | None = None, channel: str | None = None,
                        freq: Freq | None = None, start: datetime | None = None,
                        end: datetime | None = None) -> pd.DataFrame: ...

    def list_overrides(self, *, active_at: datetime | None = None) -> list[Override]: ...


def apply_overrides(rows: pd.DataFrame, overrides: Sequence[Override]) -> pd.DataFrame:
    """Forecast rows (ts tz-aware, category, channel, freq, yhat, bounds) with overrides
    applied: adds `yhat_model` (the model's own yhat) and `override_id` (nullable Int64)."""
    out = rows.copy()
    out[MODEL_COLUMN] = out["yhat"].astype(float)
    out[ID_COLUMN] = pd.array([pd.NA] * len(out), dtype="Int64")
    if out.empty or not overrides:
        return out
    values = {c: out[c].to_numpy(dtype=float, copy=True) for c in VALUE_COLUMNS if c in out}
    ids = np.full(len(out), -1, dtype=np.int64)
    closed = np.all([v == 0 for v in values.values()], axis=0)
    utc = pd.to_datetime(out["ts"], utc=True)
    for override in sorted(overrides, key=lambda o: (o.created_at, o.id)):
        hit = _matches(out, utc, override)
        if override.kind is OverrideKind.MULTIPLY:
            for column in values:
                values[column][hit] *= override.value
        else:
            hit &= ~closed
            for column in values:
                values[column][hit] = np.maximum(values[column][hit] + override.value, 0.0)
        ids[hit] = override.id
    for column, adjusted in values.items():
        out[column] = adjusted
    out[ID_COLUMN] = pd.Series(ids, index=out.index, dtype="Int64").mask(ids < 0)
    return out


def adjusted_forecast(store: OverrideSource, *, now: datetime, category: str | None = None,
                      channel: str | None = None, freq: Freq | None = None,
                      start: datetime | None = None, end: datetime | None = None
                      ) -> pd.DataFrame:
    """The published rows (see `Store.latest_forecast`) with the overrides active at `now`."""
    rows = store.latest_forecast(category=category, channel=channel, freq=freq, start=start,
                                 end=end)
    return apply_overrides(rows, store.list_overrides(active_at=now))


def _matches(rows: pd.DataFrame, utc: pd.Series, override: Override) -> np.ndarray:
    start, end = pd.Timestamp(override.start), pd.Timestamp(override.end)
    hit = (rows["category"] == override.category) & (utc >= start) & (utc < end)
    if override.channel is not None:
        hit &= rows["channel"] == override.channel
    if override.freq is not None:
        hit &= rows["freq"] == override.freq.value
    return np.array(hit, dtype=bool)  # a writable copy


def _check_request(request: OverrideRequest) -> None:
    _check_text("category", request.category, NAME_MAX_LENGTH)
    if request.channel is not None and len(request.channel) > NAME_MAX_LENGTH:
        raise InvalidParameter("channel", request.channel,
                               f"at most {NAME_MAX_LENGTH} characters")
    _check_text("reason", request.reason, REASON_MAX_LENGTH)
    _check_text("created_by", request.created_by, NAME_MAX_LENGTH)
    for name in ("start", "end", "expires_at"):
        value = getattr(request, name)
        if value is not None and value.tzinfo is None:
            raise InvalidParameter(name, value.isoformat(), "a tz-aware date-time")
    if request.end <= request.start:
        raise InvalidParameter("end", request.end.isoformat(),
                               f"later than start ({request.start.isoformat()})")
    if not isinstance(request.kind, OverrideKind):
        raise InvalidParameter("kind", request.kind, "multiply or add")
    value = float(request.value)
    low = 0.0 if request.kind is OverrideKind.MULTIPLY else -math.inf
    if not (math.isfinite(value) and value >= low):
        expected = "a finite number >= 0" if low == 0.0 else "a finite number"
        raise InvalidParameter("value", request.value, f"{expected} for kind {request.kind}")


def _check_text(name: str, value: str, limit: int) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidParameter(name, value, f"a non-empty text of at most {limit} characters")
