"""The per-series leaderboard summary behind GET /v1/accuracy."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from forecast.leaderboard import (
    SUMMARY_COLUMNS,
    filter_leaderboard,
    relative_improvement,
    summarise_leaderboard,
)
from forecast.series import Freq


def _board(rows: list[tuple[str, str, str, str, float, int, bool]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["category", "channel", "freq", "model", "wape", "rank",
                                        "selected"])
    return frame.assign(folds=4, mase=1.0, bias=0.0, coverage80=0.8, coverage95=0.95)


def test_winner_runner_up_and_seasonal_naive() -> None:
    board = _board([
        ("refund", "", "D", "seasonal_naive", 0.25, 3, False),
        ("refund", "", "D", "median:ets+mstl", 0.10, 1, True),
        ("refund", "", "D", "ets", 0.12, 2, False),
        ("refund", "", "D", "seasonal_naive_cal", 0.20, 4, False),
    ])
    [row] = summarise_leaderboard(board).to_dict("records")
    assert (row["model"], row["folds"], row["models"]) == ("median:ets+mstl", 4, 4)
    assert (row["runner_up"], row["runner_up_wape"]) == ("ets", 0.12)
    assert row["improvement_vs_runner_up"] == pytest.approx(1 / 6)
    assert (row["seasonal_naive"], row["seasonal_naive_wape"]) == ("seasonal_naive", 0.25)
    assert row["improvement_vs_seasonal_naive"] == pytest.approx(0.6)


def test_unmarked_winner_single_model_and_no_baseline() -> None:
    board = _board([
        ("a", "", "D", "mstl", 0.3, 2, False),
        ("a", "", "D", "ets", 0.2, 1, False),
        ("b", "chat", "60min", "ets", 0.4, 1, True),
    ])
    summary = summarise_leaderboard(board)
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    first, second = summary.to_dict("records")
    assert (first["model"], first["runner_up"]) == ("ets", "mstl")
    assert pd.isna(first["seasonal_naive"]) and math.isnan(first["seasonal_naive_wape"])
    assert pd.isna(second["runner_up"]) and math.isnan(second["improvement_vs_runner_up"])


def test_winner_worse_than_runner_up_gives_a_negative_improvement() -> None:
    board = _board([("a", "", "D", "ets", 0.2, 2, True), ("a", "", "D", "mstl", 0.16, 1, False)])
    [row] = summarise_leaderboard(board).to_dict("records")
    assert row["improvement_vs_runner_up"] == pytest.approx(-0.25)


def test_empty_board_gives_an_empty_summary_with_the_columns() -> None:
    summary = summarise_leaderboard(_board([]).assign(run_id=[]))
    assert summary.empty and list(summary.columns) == [*SUMMARY_COLUMNS, "run_id"]


def test_filters_and_zero_or_missing_wape() -> None:
    board = _board([("a", "", "D", "ets", 0.2, 1, True), ("a", "chat", "D", "ets", 0.2, 1, True),
                    ("b", "", "30min", "ets", 0.2, 1, True)])
    assert len(filter_leaderboard(board, category="a")) == 2
    assert filter_leaderboard(board, channel="")["category"].tolist() == ["a", "b"]
    assert filter_leaderboard(board, freq=Freq.M30)["category"].tolist() == ["b"]
    assert math.isnan(relative_improvement(0.1, 0.0))
    assert math.isnan(relative_improvement(float("nan"), 0.2))
