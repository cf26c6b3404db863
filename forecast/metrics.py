"""Accuracy metrics over aligned arrays (NaN actuals are ignored)."""

from __future__ import annotations

import numpy as np


def _valid(actual: np.ndarray, *others: np.ndarray) -> np.ndarray:
    keep = np.isfinite(actual)
    for other in others:
        keep &= np.isfinite(other)
    return np.asarray(keep, dtype=bool)


def wape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Sum of absolute errors over the sum of actuals."""
    keep = _valid(actual, predicted)
    total = float(np.abs(actual[keep]).sum())
    error = float(np.abs(actual[keep] - predicted[keep]).sum())
    return error / total if total > 0 else (0.0 if error == 0 else float("inf"))


def bias(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Signed over-forecast as a share of actuals (+0.1 = 10% too high)."""
    keep = _valid(actual, predicted)
    total = float(actual[keep].sum())
    return float((predicted[keep] - actual[keep]).sum()) / total if total > 0 else 0.0


def seasonal_scale(insample: np.ndarray, season: int) -> float:
    """Mean absolute seasonal difference of the training data (MASE denominator)."""
    values = np.asarray(insample, dtype=float)
    if len(values) <= season:
        return float("nan")
    diffs = np.abs(values[season:] - values[:-season])
    diffs = diffs[np.isfinite(diffs)]
    return float(diffs.mean()) if len(diffs) else float("nan")


def mase(actual: np.ndarray, predicted: np.ndarray, scale: float) -> float:
    keep = _valid(actual, predicted)
    if not np.isfinite(scale) or scale <= 0 or not keep.any():
        return float("nan")
    return float(np.abs(actual[keep] - predicted[keep]).mean()) / scale


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of actuals inside [lower, upper]."""
    keep = _valid(actual, lower, upper)
    if not keep.any():
        return float("nan")
    inside = (actual[keep] >= lower[keep]) & (actual[keep] <= upper[keep])
    return float(inside.mean())
