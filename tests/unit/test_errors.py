"""Errors cross process boundaries intact (series run on worker processes)."""

from __future__ import annotations

import pickle

import pytest

from forecast.errors import (
    ForecastError,
    InsufficientHistory,
    InvalidInput,
    InvalidParameter,
    NotFound,
    UnknownModel,
)


@pytest.mark.parametrize("error", [
    InvalidInput("count must be >= 0", row=3, column="count"),
    InvalidParameter("holidays", "XX", "an ISO 3166 country code"),
    InsufficientHistory("ets", 14, 3),
    UnknownModel("arima", ["ets", "mstl"]),
    NotFound("run 7"),
    ForecastError("plain"),
])
def test_an_error_survives_pickling(error: ForecastError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.__dict__ == error.__dict__
