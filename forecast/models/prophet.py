"""Prophet with country holidays; intervals from its posterior predictive samples."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecast.calendar import holiday_dates
from forecast.errors import InsufficientHistory
from forecast.series import LEVELS, Forecast, History, make_forecast

logging.getLogger("cmdstanpy").disabled = True
logging.getLogger("prophet").setLevel(logging.WARNING)

UNCERTAINTY_SAMPLES = 300
MAX_FIT_DAYS = 3 * 366


def _new_prophet(history: History, y: pd.Series, *, with_holidays: bool) -> Any:
    from prophet import Prophet  # heavy import, only when used

    span_days = (y.index[-1] - y.index[0]).days
    code = (history.country or "") if with_holidays else ""
    country, _, subdivision = code.partition("-")
    model = Prophet(
        yearly_seasonality=span_days >= 365 * 2 - 30,
        weekly_seasonality=True,
        daily_seasonality=history.freq.is_intraday,
        uncertainty_samples=UNCERTAINTY_SAMPLES,
        holidays=_subdivision_holidays(code, y) if subdivision else None,
    )
    if country and not subdivision:
        model.add_country_holidays(country_name=country)
    return model


def _subdivision_holidays(code: str, y: pd.Series) -> pd.DataFrame:
    """A region's holidays as Prophet's holiday frame: Prophet's own country lists know
    no subdivisions (Bavaria's Epiphany, California's Cesar Chavez Day)."""
    days = holiday_dates(code, int(y.index[0].year), int(y.index[-1].year) + 2)
    return pd.DataFrame({"holiday": list(days.values()),
                         "ds": pd.to_datetime(list(days.keys()))})


@dataclass(frozen=True, slots=True)
class _FittedProphet:
    history: History
    model: Any
    name: str

    def predict(self, horizon: int, levels: tuple[int, ...] = LEVELS) -> Forecast:
        ds = self.history.future_index(horizon)
        future = pd.DataFrame({"ds": ds.tz_localize(None) if ds.tz is not None else ds})
        samples = self.model.predictive_samples(future)["yhat"]
        mean = np.asarray(self.model.predict(future)["yhat"])
        bounds = {}
        for level in levels:
            alpha = (100 - level) / 200
            bounds[level] = (np.quantile(samples, alpha, axis=1),
                             np.quantile(samples, 1 - alpha, axis=1))
        return make_forecast(ds, mean, bounds, self.name)

    def to_json(self) -> str:
        """Prophet's own JSON serialisation (never pickle)."""
        from prophet.serialize import model_to_json

        return str(model_to_json(self.model))


@dataclass(frozen=True, slots=True)
class ProphetModel:
    """Prophet; `with_holidays=False` gives the plain-defaults baseline."""

    with_holidays: bool = True
    name: str = "prophet"

    def fit(self, history: History) -> _FittedProphet:
        y = history.y
        if history.freq.is_intraday:
            y = y[y.index > y.index[-1] - pd.Timedelta(weeks=12)]
        else:
            y = y[y.index > y.index[-1] - pd.Timedelta(days=MAX_FIT_DAYS)]
        if y.notna().sum() < 14:
            raise InsufficientHistory(self.name, 14, int(y.notna().sum()))
        index = pd.DatetimeIndex(y.index)
        frame = pd.DataFrame({"ds": index.tz_localize(None) if index.tz is not None else index,
                              "y": y.to_numpy(dtype=float)})
        model = _new_prophet(history, y, with_holidays=self.with_holidays)
        model.fit(frame)
        return _FittedProphet(history, model, self.name)
