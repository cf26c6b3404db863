"""Liveness and database health."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import StoreDep
from api.schemas import HealthOut

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut,
            responses={503: {"model": HealthOut, "description": "The database is unreachable."}})
def healthz(store: StoreDep) -> HealthOut | JSONResponse:
    """`ok` with the published run, or 503 when the database cannot be reached."""
    try:
        current_run = store.current_run_id()
    except Exception as exc:  # any driver or connection error means "unreachable"
        logger.warning("health check: database unreachable (%s)", type(exc).__name__)
        down = HealthOut(status="error", database="unreachable", current_run=None)
        return JSONResponse(down.model_dump(), status_code=503)
    return HealthOut(status="ok", database="ok", current_run=current_run)
