"""Per-series summary of a run's backtest leaderboard (ACCURACY_COLUMNS rows): which model
won, by how much against the runner-up and against seasonal naive, over how many folds.

Improvements are relative WAPE reductions: 0.12 means the winner's WAPE is 12% lower
than the other model's; negative when the other model scored better.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.series import Freq
from forecast.store import ACCURACY_COLUMNS

KEY_COLUMNS = ("category", "channel", "freq")
METRIC_COLUMNS = ("wape", "mase", "bias", "coverage80", "coverage95")
SUMMARY_COLUMNS = (
    *KEY_COLUMNS, "model", "folds", *METRIC_COLUMNS,
    "runner_up", "runner_up_wape", "improvement_vs_runner_up",
    "seasonal_naive", "seasonal_naive_wape", "improvement_vs_seasonal_naive", "models",
)
# The seasonal-naive baseline, in order of preference, when several variants competed.
BASELINE_MODELS = ("seasonal_naive", "seasonal_naive_cal")


def filter_leaderboard(
    board: pd.DataFrame,
    *,
    category: str | None = None,
    channel: str | None = None,
    freq: Freq | None = None,
) -> pd.DataFrame:
    """Rows of the given category, channel ('' = all-channel series) and frequency."""
    keep = pd.Series(True, index=board.index)
    if category is not None:
        keep &= board["category"] == category
    if channel is not None:
        keep &= board["channel"] == channel
    if freq is not None:
        keep &= board["freq"] == freq.value
    return board.loc[keep].reset_index(drop=True)


def summarise_leaderboard(board: pd.DataFrame) -> pd.DataFrame:
    """One row per series (SUMMARY_COLUMNS, plus run_id when the board has it).

    The winner is the selected model (the best-ranked one when none is marked); the
    runner-up is the best-ranked other model; the seasonal-naive columns are missing (NA) when
    no seasonal-naive variant was backtested for the series.
    """
    extra = ["run_id"] if "run_id" in board.columns else []
    rows = [
        _summary(part.sort_values(["rank", "model"], kind="stable"))
        for _, part in board.groupby(list(KEY_COLUMNS), sort=True)
    ]
    columns = [*SUMMARY_COLUMNS, *extra]
    if not rows:
        return pd.DataFrame({column: [] for column in columns})
    return pd.DataFrame(rows)[columns]


def relative_improvement(wape: float, other_wape: float) -> float:
    """(other - wape) / other; NaN when either is missing or the other is zero."""
    if not np.isfinite(wape) or not np.isfinite(other_wape) or other_wape <= 0:
        return float("nan")
    return (other_wape - wape) / other_wape


def _summary(part: pd.DataFrame) -> dict[str, object]:
    selected = part[part["selected"].astype(bool)]
    winner = (selected if len(selected) else part).iloc[0]
    others = part[part["model"] != winner["model"]]
    runner = others.iloc[0] if len(others) else None
    baseline = _baseline(part)
    row: dict[str, object] = {column: winner[column] for column in ACCURACY_COLUMNS
                              if column not in ("rank", "selected")}
    row["folds"] = int(winner["folds"])
    wape = float(winner["wape"])
    row["runner_up"], row["runner_up_wape"], row["improvement_vs_runner_up"] = _versus(
        runner, wape)
    row["seasonal_naive"], row["seasonal_naive_wape"], row["improvement_vs_seasonal_naive"] = (
        _versus(baseline, wape))
    row["models"] = len(part)
    if "run_id" in part.columns:
        row["run_id"] = winner["run_id"]
    return row


def _baseline(part: pd.DataFrame) -> pd.Series | None:
    for name in BASELINE_MODELS:
        found = part[part["model"] == name]
        if len(found):
            return found.iloc[0]
    return None


def _versus(other: pd.Series | None, wape: float) -> tuple[str | None, float, float]:
    """The other model's name and WAPE, and the winner's relative improvement over it."""
    if other is None:
        return None, float("nan"), float("nan")
    other_wape = float(other["wape"])
    return str(other["model"]), other_wape, relative_improvement(wape, other_wape)
