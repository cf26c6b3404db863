"""The forecast hierarchy: total -> channel -> category -> category x channel.

Bottom series are forecast; every parent is the sum of its children (bottom-up), so
published forecasts are coherent. Parent bounds assume independent children: the
half-widths add in quadrature, a lower bound on the true width when children move
together, which the backtest-calibrated bottom bounds partly offset.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.series import LEVELS

TOTAL = "(all)"
_VALUE_COLUMNS = ["yhat"] + [f"{side}{lvl}" for lvl in LEVELS for side in ("lo", "hi")]


def parent_keys(category: str, channel: str) -> list[tuple[str, str]]:
    """The aggregates a bottom series (category, channel) contributes to."""
    if not channel:
        return [(TOTAL, "")]
    return [(category, ""), (TOTAL, channel), (TOTAL, "")]


def reconcile_bottom_up(bottom: pd.DataFrame) -> pd.DataFrame:
    """Append parent rows (sums of children) to bottom rows of one frequency.

    `bottom` has ts, category, channel, yhat, lo/hi per level, model. Parents whose only
    child is a single series are skipped (they would repeat it).
    """
    parts = []
    for row_key, rows in _expand_parents(bottom).groupby(["category", "channel"], sort=True):
        children = rows["_child"].nunique()
        if children < 2:
            continue
        parts.append(_sum_children(rows, row_key))
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
