"""Rows of the published forecast run, as JSON, CSV or Parquet."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import QueryParams
from starlette.responses import Response

from api.adjusted import published_forecast
from api.caching import Prepared, serve_published
from api.deps import (
    ForecastFilter,
    TableFormat,
    choose_table_format,
    get_settings,
    get_store,
    parse_forecast_filter,
)
from api.export import PARQUET_MEDIA_TYPE, prepare_forecast
from api.paging import (
    PAGE_PARAMETERS,
    Page,
    next_page_headers,
    paginate,
    parse_page_query,
)
from api.routes import error_responses
from api.schemas import ForecastOut
from forecast.store import Store

router = APIRouter(tags=["forecasts"])

NO_RUN_MESSAGE = "no forecast run is published yet; run `vocast fit` first"
_DESCRIPTION = """\
Rows of the published forecast run, sorted by series and time.

JSON (default) is an object `{"run_id": ..., "rows": [...]}`. CSV is returned for
`format=csv` or `Accept: text/csv` (a header row, UTF-8, one row per interval) and
Parquet for `format=parquet` or `Accept: application/vnd.apache.parquet` (ts is a
timestamp with time zone); both are offered as downloads. Timestamps are local time
with the zone offset; values have 4 decimals; `channel` is null (empty in CSV) for
series that span all channels. `start` is inclusive and `end` exclusive; naive values
are local time. 404 when no run is published yet.

One answer holds at most the server's `max_forecast_rows` rows (100,000 by default; 422
above it): narrow the filters, or page with `limit` and the `X-Next-Cursor` (also in a
`Link: rel="next"` header) of each page as `cursor`. CSV text cells that a spreadsheet
would run as a formula start with `'`; `bom=true` adds a UTF-8 byte order mark for Excel.

Reads without `start`/`end` are served from bytes prepared once per published run.
Every answer carries `ETag` (run, overrides and query) and `Last-Modified` (when the
run was published, or when the planner overrides in force were first served): send
them back as `If-None-Match`/`If-Modified-Since` to get 304 until the numbers change.
`Cache-Control: max-age` lasts until the next scheduled fit. Bodies are gzipped for
clients that send `Accept-Encoding: gzip`.
"""

QUERY_MEMO_SIZE = 1024
_PARAMETERS: list[dict[str, Any]] = [
    {"name": name, "in": "query", "required": False, "description": description,
     "schema": {"type": "string", **extra}}
    for name, description, extra in (
        ("category", "Only this category.", {}),
        ("channel", "Only this channel; an empty value selects all-channel series.", {}),
        ("freq", "D, 60min, 30min or 15min.", {}),
        ("start", "First interval (inclusive): ISO date or date-time; naive = local time.",
         {"example": "2026-03-02"}),
        ("end", "Stop before this instant (exclusive): ISO date or date-time.",
         {"example": "2026-03-09T00:00:00+09:00"}),
        ("format", "json (default), csv or parquet; overrides the Accept header.",
         {"enum": ["json", "csv", "parquet"]}),
    )
]
_TABLE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}},
                      PARQUET_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
          "description": "Forecast rows (JSON, CSV or Parquet)."},
    304: {"description": "Not modified: the ETag or date sent still names the current run."},
}


@router.get("/forecasts", response_model=ForecastOut, description=_DESCRIPTION,
            responses={**_TABLE_RESPONSE, **error_responses(404, 422)},
            openapi_extra={"parameters": [*_PARAMETERS, *PAGE_PARAMETERS]})
async def get_forecasts(request: Request) -> Response:
    """Forecast rows of the published run."""
    store, settings = await get_store(request), await get_settings(request)
    query = forecast_query(request.scope["query_string"], request.headers.get("accept"),
                           timezone=settings.timezone, max_rows=settings.max_forecast_rows)

    def build(run_id: str) -> Prepared:
        prepared, after = _prepare(store, query, run_id, timezone=settings.timezone,
                                   max_rows=settings.max_forecast_rows)
        links = next_page_headers(request.url.path, request.query_params, after)
        return replace(prepared, headers=prepared.headers + links)

    # planner overrides: their version is read with the run pointer (see api/app.py)
    return await serve_published(request, store, view=query.view, build=build,
                                 cacheable=query.cacheable, missing=NO_RUN_MESSAGE)


# HEAD (size and validators without the body) for clients that probe first, like DuckDB.
router.add_api_route("/forecasts", get_forecasts, methods=["HEAD"], include_in_schema=False)


@dataclass(frozen=True, slots=True)
class ForecastQuery:
    """A read of /v1/forecasts: its filters, format and page, and `view`, the key of its
    answer (with `query`, the key a page cursor belongs to)."""

    filters: ForecastFilter
    fmt: TableFormat
    page: Page
    query: str
    view: str

    @property
    def cacheable(self) -> bool:
        """Views without a time window are kept for later reads of the same run."""
        return self.filters.start is None and self.filters.end is None


@lru_cache(maxsize=QUERY_MEMO_SIZE)
def forecast_query(query_string: bytes, accept: str | None, *, timezone: str,
                   max_rows: int) -> ForecastQuery:
    """Parse a raw query with the shared parsers (api/deps.py, api/paging.py).

    The query is read here rather than declared as FastAPI parameters (they are documented
    in `_PARAMETERS`): resolving six declared parameters costs several times more than
    serving a prepared body, and BI tools repeat the same few queries, so a parse is
    remembered. Invalid queries raise (InvalidParameter) and are not remembered.
    """
    params = QueryParams(query_string)
    filters = parse_forecast_filter(
        timezone, category=params.get("category"), channel=params.get("channel"),
        freq=params.get("freq"), start=params.get("start"), end=params.get("end"),
    )
    fmt = choose_table_format(params.get("format"), accept)
    page, query = parse_page_query(query_string, max_rows)
    view = _view(filters, fmt)
    view = view if page == Page() else f"{view}\x00{query}\x00{page.view()}"
    return ForecastQuery(filters, fmt, page, query, view)


def _prepare(store: Store, read: ForecastQuery, run_id: str, *, timezone: str,
             max_rows: int) -> tuple[Prepared, str | None]:
    """The page's body, and the cursor of the next page (see api/paging.py)."""
    frame = published_forecast(store, read.filters)  # planner overrides applied
    frame, after = paginate(frame, read.page, run_id=run_id, query_key=read.query,
                            max_rows=max_rows)
    return prepare_forecast(frame, run_id, timezone=timezone, fmt=read.fmt,
                            bom=read.page.bom), after


def _view(filters: ForecastFilter, fmt: str) -> str:
    """The query, normalised: equal filters spelled differently share one cache entry."""
    return repr(("forecasts", fmt, filters.category, filters.channel,
                 filters.freq.value if filters.freq else None,
                 filters.start.isoformat() if filters.start else None,
                 filters.end.isoformat() if filters.end else None))
