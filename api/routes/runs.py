"""Forecast runs and job runs, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import SettingsDep, StoreDep
from api.routes import error_responses
from api.schemas import ForecastRunOut, JobRunOut, RunsOut

router = APIRouter(tags=["runs"])


@router.get("/runs", response_model=RunsOut, responses=error_responses(422))
def list_runs(
    store: StoreDep, settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=500, description="Most recent runs of each kind.")] = 50,
) -> RunsOut:
    """Recent forecast runs and job runs, and which forecast run is published."""
    zone = settings.timezone
    return RunsOut(
        forecast_runs=[ForecastRunOut.from_domain(run, zone) for run in store.list_runs(limit)],
        job_runs=[JobRunOut.from_domain(job, zone) for job in store.list_job_runs(limit)],
        current_run=store.current_run_id(),
    )
