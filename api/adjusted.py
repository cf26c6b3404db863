"""The published forecast as readers see it: planner overrides applied.

`published_forecast` is the data-loading step of GET /v1/forecasts: rows gain
`yhat_model` (the model's own value) and `override_id` only when some override applies to
them, so responses without overrides keep their columns. `overrides_view` is the part of a
response cache key that changes whenever the applied overrides can have changed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from api.deps import ForecastFilter
from forecast.overrides import ID_COLUMN, MODEL_COLUMN, adjusted_forecast
from forecast.store import Store


def published_forecast(store: Store, filters: ForecastFilter, *,
                       now: datetime | None = None) -> pd.DataFrame:
    """Rows of the published run with the overrides active now."""
    frame = adjusted_forecast(store, now=now or datetime.now(UTC), **filters.as_kwargs())
    if frame[ID_COLUMN].isna().all():
        return frame.drop(columns=[MODEL_COLUMN, ID_COLUMN])
    return frame


def overrides_view(store: Store, *, now: datetime | None = None) -> str:
    """A token for cache keys and ETags: changes on every create, revoke and expiry."""
    return "overrides=" + store.overrides_version(now or datetime.now(UTC))
