"""The published run's backtest leaderboard per series, as JSON or CSV."""

from __future__ import annotations

import csv
import io
import re
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from api.accuracy_schemas import AccuracyOut, plain_value
from api.caching import Prepared, serve_published
from api.csv_safety import safe_cell
from api.deps import OutputFormatDep, StoreDep
from api.export import CSV_MEDIA_TYPE
from api.routes import error_responses
from forecast.leaderboard import SUMMARY_COLUMNS, filter_leaderboard, summarise_leaderboard
from forecast.series import Freq

router = APIRouter(tags=["accuracy"])

CSV_COLUMNS = (*SUMMARY_COLUMNS, "run_id")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
_DESCRIPTION = """\
How each series' published forecast was chosen: the rolling-origin backtest of the
published run. Per series: the winning model and its WAPE, MASE, bias and 80%/95%
interval coverage over `folds` backtest windows; the runner-up and the seasonal-naive
baseline with their WAPE and the winner's relative WAPE reduction against each
(`0.12` = 12% lower); and, in JSON, every model compared (`leaderboard`, best first).
CSV (`format=csv` or `Accept: text/csv`) has one row per series without the leaderboard.
Series forecast by a fixed model rather than `auto` have no backtest and are absent.
404 when no run is published yet.
"""
_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {200: {
    "content": {"text/csv": {"schema": {"type": "string"}}},
    "description": "Leaderboard summary per series (JSON or CSV).",
}}


@router.get("/accuracy", response_model=AccuracyOut, description=_DESCRIPTION,
            responses={**_CSV_RESPONSE, **error_responses(404, 422)})
async def get_accuracy(
    request: Request, store: StoreDep, fmt: OutputFormatDep,
    category: Annotated[str | None, Query(description="Only this category.")] = None,
    channel: Annotated[str | None, Query(
        description="Only this channel; an empty value selects all-channel series.")] = None,
    freq: Annotated[str | None, Query(description="D, 60min, 30min or 15min.")] = None,
) -> Response:
    """Leaderboard of the published run per series (ETag/304 and caching: api/caching.py)."""
    parsed = Freq.parse(freq) if freq else None

    def build(run_id: str) -> Prepared:
        board = filter_leaderboard(store.latest_accuracy(), category=category,
                                   channel=channel, freq=parsed)
        if not board.empty:
            run_id = str(board["run_id"].iloc[0])
        summary = summarise_leaderboard(board)
        if fmt == "csv":
            return _csv_body(summary, run_id, empty=board.empty)
        body = AccuracyOut.from_domain(run_id, summary, board).model_dump_json().encode()
        return Prepared(body, "application/json", run_id, empty=board.empty)

    view = repr(("accuracy", fmt, category, channel, parsed.value if parsed else None))
    return await serve_published(request, store, view=view, build=build, cacheable=True,
                                 missing="no forecast run is published yet; run `vocast fit` "
                                         "first")


def _csv_body(summary: pd.DataFrame, run_id: str, *, empty: bool) -> Prepared:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in summary.to_dict("records"):
        writer.writerow([_cell(record.get(column, run_id)) for column in CSV_COLUMNS])
    filename = f"vocast-accuracy-{_UNSAFE_FILENAME.sub('_', run_id)}.csv"
    return Prepared(buffer.getvalue().encode("utf-8"), CSV_MEDIA_TYPE, run_id,
                    (("Content-Disposition", f'attachment; filename="{filename}"'),),
                    empty=empty)


def _cell(value: object) -> object:
    plain = plain_value(value)
    return "" if plain is None else safe_cell(plain)  # text never runs as a formula
