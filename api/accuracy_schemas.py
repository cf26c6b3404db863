"""Response models of `/v1/accuracy`, built from the leaderboard frames of `forecast`."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field

METRIC_DECIMALS = 4

_IMPROVEMENT = "Relative WAPE reduction of the winner: 0.12 = 12% lower; negative = worse."


class AccuracyModelOut(BaseModel):
    model: str
    folds: int = Field(description="Backtest folds (rolling origins) scored.")
    wape: float | None = Field(description="Weighted absolute percentage error (0.1 = 10%).")
    mase: float | None = Field(description="Mean absolute scaled error vs in-sample "
                                           "seasonal naive.")
    bias: float | None = Field(description="Mean error over actual volume; > 0 over-forecasts.")
    coverage80: float | None = Field(description="Share of actuals inside the 80% interval.")
    coverage95: float | None = Field(description="Share of actuals inside the 95% interval.")
    rank: int = Field(description="1 = best WAPE.")
    selected: bool = Field(description="Whether this model made the published forecast.")


class AccuracySeriesOut(BaseModel):
    category: str
    channel: str | None = Field(description="null for a series that spans all channels.")
    freq: str
    model: str = Field(description="The winning model, whose forecast is published.")
    folds: int
    wape: float | None
    mase: float | None
    bias: float | None
    coverage80: float | None
    coverage95: float | None
    runner_up: str | None = Field(description="The best other model; null if none competed.")
    runner_up_wape: float | None
    improvement_vs_runner_up: float | None = Field(description=_IMPROVEMENT)
    seasonal_naive: str | None = Field(description="The seasonal-naive variant backtested.")
    seasonal_naive_wape: float | None
    improvement_vs_seasonal_naive: float | None = Field(description=_IMPROVEMENT)
    models: int = Field(description="Models compared.")
    leaderboard: list[AccuracyModelOut] = Field(description="Every model, best first.")


class AccuracyOut(BaseModel):
    run_id: str = Field(description="The published run the leaderboard belongs to.")
    series: list[AccuracySeriesOut]

    @classmethod
    def from_domain(cls, run_id: str, summary: pd.DataFrame, board: pd.DataFrame
                    ) -> AccuracyOut:
        """`summary` from `summarise_leaderboard`, `board` the rows it was built from."""
        boards = dict(list(board.groupby(["category", "channel", "freq"])))
        series = []
        for row in summary.to_dict("records"):
            key = (row["category"], row["channel"], row["freq"])
            models = boards[key].sort_values(["rank", "model"], kind="stable")
            leaderboard = [AccuracyModelOut(**plain(m, AccuracyModelOut))
                           for m in models.to_dict("records")]
            values = plain(row, AccuracySeriesOut)
            values["channel"] = values["channel"] or None
            series.append(AccuracySeriesOut(**values, leaderboard=leaderboard))
        return cls(run_id=run_id, series=series)


def plain(record: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """The record's fields of `model`: floats rounded, NaN as None."""
    out: dict[str, Any] = {}
    for name in model.model_fields:
        if name not in record:
            continue
        out[name] = plain_value(record[name])
    return out


def plain_value(value: Any) -> Any:
    """Missing values (None, NaN, NA) as None; floats rounded to METRIC_DECIMALS."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float):
        return round(value, METRIC_DECIMALS)
    return value
