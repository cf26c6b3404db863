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

import logging

import numpy as np
import pandas as pd

from forecast.models.base import fit_error_scale
from forecast.selection import beyond_window_growth
from forecast.series import LEVELS

logger = logging.getLogger(__name__)

TOTAL = "(all)"
_VALUE_COLUMNS = ["yhat"] + [f"{side}{lvl}" for lvl in LEVELS for side in ("lo", "hi")]


def parent_keys(category: str, channel: str) -> list[tuple[str, str]]:
    """The aggregates a bottom series (category, channel) contributes to."""
    if not channel:
        return [(TOTAL, "")]
    return [(category, ""), (TOTAL, channel), (TOTAL, "")]


# Rows of a parent's shared backtest (intervals x leading methods) needed to set its band.
MIN_PARENT_ERRORS = 30
_ERROR_KEYS = ["leader", "fold", "ts"]


class SharedBacktests:
    """The bottom series' backtests summed per parent as they arrive, interval by
    interval (forecast.backtest.FOLD_ERROR_COLUMNS), with how many children each sum
    holds: memory grows with the parents, not with the series."""

    def __init__(self) -> None:
        self._sums: dict[tuple[str, str], pd.DataFrame] = {}

    @classmethod
    def from_frame(cls, backtests: pd.DataFrame) -> SharedBacktests:
        """From category, channel and FOLD_ERROR_COLUMNS rows of many series."""
        shared = cls()
        for (category, channel), rows in backtests.groupby(["category", "channel"]):
            shared.add(str(category), str(channel), rows)
        return shared

    def add(self, category: str, channel: str, errors: pd.DataFrame) -> None:
        """Add one bottom series' backtest (intervals it did not observe are left out)."""
        rows = errors.loc[errors["actual"].notna(), [*_ERROR_KEYS, "actual", "predicted"]]
        if rows.empty:
            return
        one = rows.groupby(_ERROR_KEYS)[["actual", "predicted"]].sum().assign(children=1)
        for parent in parent_keys(category, channel):
            current = self._sums.get(parent)
            self._sums[parent] = one if current is None else current.add(one, fill_value=0)

    def errors(self, parent: tuple[str, str], children: int) -> pd.DataFrame | None:
        """The parent's backtest over the intervals all its `children` backtested and
        observed (leader, fold, ts, actual, predicted), or None when too few."""
        sums = self._sums.get(parent)
        if sums is None:
            return None
        complete = sums[(sums["children"] == children) & (sums["predicted"] > 0)]
        if len(complete) < MIN_PARENT_ERRORS:
            return None
        return complete.drop(columns="children").reset_index()


def reconcile_bottom_up(bottom: pd.DataFrame, backtests: SharedBacktests | None = None, *,
                        window: int = 0) -> pd.DataFrame:
    """Append parent rows (sums of children) to bottom rows of one frequency.

    `bottom` has ts, category, channel, yhat, lo/hi per level, model. Parents whose only
    child is a single series are skipped (they would repeat it). `backtests` hold the
    bottom series' backtests behind their bands, where known; bands keep their
    backtested width over `window` steps (forecast.backtest.backtest_window) or the
    folds' length, whichever is longer. A parent some of whose children have no backtest
    in common with the others (a series too short to backtest) keeps the quadrature band.
    """
    parts = []
    for row_key, rows in _expand_parents(bottom).groupby(["category", "channel"], sort=True):
        children = rows["_child"].nunique()
        if children < 2:
            continue
        summed = _sum_children(rows, row_key)
        errors = backtests.errors(row_key, children) if backtests is not None else None
        if backtests is not None and errors is None:
            logger.info("%s/%s: its %d series share too little backtest; bands in quadrature",
                        row_key[0], row_key[1] or "(all channels)", children)
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
