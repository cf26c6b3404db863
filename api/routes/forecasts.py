"""Rows of the published forecast run, as JSON or CSV."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from api.deps import ForecastFilterDep, OutputFormatDep, SettingsDep, StoreDep
from api.export import forecast_response
from api.routes import error_responses
from api.schemas import ForecastOut
from forecast.errors import NotFound

router = APIRouter(tags=["forecasts"])

_DESCRIPTION = """\
Rows of the published forecast run, sorted by series and time.

JSON (default) is an object `{"run_id": ..., "rows": [...]}`. CSV is returned for
`format=csv` or `Accept: text/csv`: a header row, UTF-8, one row per interval, offered
as a download. Timestamps are local time with the zone offset; values have 4 decimals;
`channel` is null (empty in CSV) for series that span all channels. `start` is inclusive
and `end` exclusive; naive values are local time. 404 when no run is published yet.
"""

_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {200: {
    "content": {"text/csv": {"schema": {"type": "string"}}},
    "description": "Forecast rows (JSON or CSV).",
}}


@router.get("/forecasts", response_model=ForecastOut, description=_DESCRIPTION,
            responses={**_CSV_RESPONSE, **error_responses(404, 422)})
def get_forecasts(
    store: StoreDep, settings: SettingsDep, filters: ForecastFilterDep, fmt: OutputFormatDep
) -> Response:
    """Forecast rows of the published run."""
    run_id = store.current_run_id()
    if run_id is None:
        raise NotFound("no forecast run is published yet; run `vocast fit` first")
    frame = store.latest_forecast(**filters.as_kwargs())
    if not frame.empty:
        run_id = str(frame["run_id"].iloc[0])
    return forecast_response(frame, run_id, timezone=settings.timezone, as_csv=fmt == "csv")
