"""The forecast hierarchy: total -> channel -> category -> category x channel.

Bottom series are forecast; every parent is the sum of its children (bottom-up), so
published forecasts are coherent. A parent's bounds come from its own backtest where
its children share one (series backtested from the same end do): their errors added up
interval by interval are the parent's errors, correlation and shared bias included, and
set its band as the bottom series' errors set theirs. Its band is never narrower than the
children's half-widths added in quadrature, the width were they independent, which is
also the band where there is no shared backtest. Children that rise and fall together (a
busy Monday for every category of an IT desk) need the wider band: quadrature alone
covered 62% of the desk's hourly totals with its 80% band.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.models.base import fit_error_scale
from forecast.selection import beyond_window_growth
from forecast.series import LEVELS

TOTAL = "(all)"
_VALUE_COLUMNS = ["yhat"] + [f"{side}{lvl}" for lvl in LEVELS for side in ("lo", "hi")]


def parent_keys(category: str, channel: str) -> list[tuple[str, str]]:
    """The aggregates a bottom series (category, channel) contributes to."""
    if not channel:
        return [(TOTAL, "")]
    return [(category, ""), (TOTAL, channel), (TOTAL, "")]


# Intervals of a parent's shared backtest needed to set its band from it.
MIN_PARENT_ERRORS = 30


def reconcile_bottom_up(bottom: pd.DataFrame, backtests: pd.DataFrame | None = None, *,
                        window: int = 0) -> pd.DataFrame:
    """Append parent rows (sums of children) to bottom rows of one frequency.

    `bottom` has ts, category, channel, yhat, lo/hi per level, model. Parents whose only
    child is a single series are skipped (they would repeat it). `backtests` (category,
    channel and forecast.backtest.FOLD_ERROR_COLUMNS) are the bottom series' backtests
    of the methods they forecast with, where known; bands keep their backtested width
    over `window` steps (forecast.backtest.backtest_window) or the folds' length.
    """
    past = (dict(iter(_expand_parents(backtests).groupby(["category", "channel"], sort=False)))
            if backtests is not None and not backtests.empty else {})
    parts = []
    for row_key, rows in _expand_parents(bottom).groupby(["category", "channel"], sort=True):
        children = set(rows["_child"])
        if len(children) < 2:
            continue
        summed = _sum_children(rows, row_key)
        errors = _shared_errors(past.get(row_key), children)
        parts.append(summed if errors is None else _with_backtest_bounds(summed, errors, window))
    if not parts:
        return bottom
    parents = pd.concat(parts, ignore_index=True)
    return pd.concat([bottom, parents], ignore_index=True)


def _expand_parents(bottom: pd.DataFrame) -> pd.DataFrame:
    pieces = []
    for (category, channel), rows in bottom.groupby(["category", "channel"], sort=True):
        for parent in parent_keys(str(category), str(channel)):
            pieces.append(rows.assign(category=parent[0], channel=parent[1],
                                      _child=f"{category}/{channel}"))
    return pd.concat(pieces, ignore_index=True)


def _sum_children(rows: pd.DataFrame, key: tuple[str, str]) -> pd.DataFrame:
    yhat = rows.groupby("ts")["yhat"].sum()
    out = pd.DataFrame({"ts": yhat.index, "yhat": yhat.to_numpy()})
    for level in LEVELS:
        lo_gap = (rows["yhat"] - rows[f"lo{level}"]) ** 2
        hi_gap = (rows[f"hi{level}"] - rows["yhat"]) ** 2
        lo = np.sqrt(lo_gap.groupby(rows["ts"]).sum()).to_numpy()
        hi = np.sqrt(hi_gap.groupby(rows["ts"]).sum()).to_numpy()
        out[f"lo{level}"] = np.maximum(out["yhat"] - lo, 0.0)
        out[f"hi{level}"] = out["yhat"] + hi
    out["category"], out["channel"] = key
    out["model"] = "bottom_up"
    return out[["ts", "category", "channel", *_VALUE_COLUMNS, "model"]]


def _shared_errors(rows: pd.DataFrame | None, children: set[str]) -> pd.DataFrame | None:
    """The parent's backtest: actual and predicted summed over its children per leading
    method's place, fold and stamp (the bottom series' bands pool their three leading
    methods' errors, as the winner's own flatter it), on the intervals every child
    backtested and observed; None when too few."""
    if rows is None:
        return None
    rows = rows[rows["_child"].isin(children) & rows["actual"].notna()]
    keys = ["leader", "fold", "ts"]
    complete = rows.groupby(keys)["_child"].transform("nunique") == len(children)
    summed = rows[complete].groupby(keys, as_index=False)[["actual", "predicted"]].sum()
    summed = summed[summed["predicted"] > 0]  # closed for all: no error to learn from
    return summed if len(summed) >= MIN_PARENT_ERRORS else None


def _with_backtest_bounds(summed: pd.DataFrame, errors: pd.DataFrame, window: int
                          ) -> pd.DataFrame:
    """Widen a parent's quadrature bounds to what its shared backtest's errors give, past
    the backtested window growing as the bottom series' bands do."""
    scale = fit_error_scale(errors["actual"].to_numpy(dtype=float),
                            errors["predicted"].to_numpy(dtype=float), LEVELS)
    window = max(window, int(errors.groupby(["leader", "fold"]).size().max()))
    yhat = summed["yhat"].to_numpy(dtype=float)
    growth = beyond_window_growth(len(yhat), window)
    open_ = yhat > 0
    out = summed.copy()
    for level, (lo, hi) in scale.bounds(yhat, LEVELS, growth).items():
        out[f"lo{level}"] = np.where(open_, np.maximum(np.minimum(out[f"lo{level}"], lo), 0.0),
                                     out[f"lo{level}"])
        out[f"hi{level}"] = np.where(open_, np.maximum(out[f"hi{level}"], hi), out[f"hi{level}"])
    return out
