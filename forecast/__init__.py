"""vocast's pure core: series, calendars, models, backtests, selection, staffing.

The public API is re-exported here; everything else is an implementation detail.
"""

from forecast.calendar import Event, day_kinds, holiday_names
from forecast.errors import (
    ForecastError,
    InfeasibleStaffing,
    InsufficientHistory,
    InvalidInput,
    InvalidParameter,
    ModelNotFitted,
    NotFound,
    UnknownModel,
)
from forecast.ingest import load_inquiries, read_inquiry_csv
from forecast.models.registry import build_model, model_names
from forecast.pipeline import SeriesRequest, forecast_frame, forecast_series, run_series
from forecast.series import LEVELS, Forecast, Freq, History, SeriesKey
from forecast.settings import Settings
from forecast.shifts import ShiftPlan, ShiftTemplate, plan_shifts
from forecast.staffing import StaffingResult, erlang_c, required_agents
from forecast.staffing_table import read_forecast_csv, staff_forecast
from forecast.store import Store

__all__ = [
    "LEVELS",
    "Event",
    "Forecast",
    "ForecastError",
    "Freq",
    "History",
    "InfeasibleStaffing",
    "InsufficientHistory",
    "InvalidInput",
    "InvalidParameter",
    "ModelNotFitted",
    "NotFound",
    "SeriesKey",
    "SeriesRequest",
    "Settings",
    "ShiftPlan",
    "ShiftTemplate",
    "StaffingResult",
    "Store",
    "UnknownModel",
    "build_model",
    "day_kinds",
    "erlang_c",
    "forecast_frame",
    "forecast_series",
    "holiday_names",
    "load_inquiries",
    "model_names",
    "plan_shifts",
    "read_forecast_csv",
    "read_inquiry_csv",
    "required_agents",
    "run_series",
    "staff_forecast",
]
