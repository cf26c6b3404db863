"""Stored observation series."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import SettingsDep, StoreDep
from api.schemas import SeriesOut

router = APIRouter(tags=["series"])


@router.get("/series", response_model=list[SeriesOut])
def list_series(store: StoreDep, settings: SettingsDep) -> list[SeriesOut]:
    """Every stored series with its interval, first/last timestamp and observation count."""
    return [SeriesOut.from_domain(info, settings.timezone) for info in store.list_series()]
