"""Bottom-up reconciliation: parents sum their children; their bands come from the
children's shared backtest where there is one, never narrower than in quadrature."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.backtest import FOLD_ERROR_COLUMNS, Fold, fold_errors
from forecast.hierarchy import TOTAL, SharedBacktests, reconcile_bottom_up

DAYS = pd.date_range("2026-11-16", periods=7, freq="D")
CHILDREN = (("refund", "phone"), ("delivery", "phone"))
HALF_WIDTH80 = 20.0
FOLDS = 16


def _bottom() -> pd.DataFrame:
    rows = []
    for category, channel in CHILDREN:
        rows.append(pd.DataFrame({
            "ts": DAYS, "category": category, "channel": channel, "yhat": 100.0,
            "lo80": 100.0 - HALF_WIDTH80, "hi80": 100.0 + HALF_WIDTH80,
            "lo95": 100.0 - 1.5 * HALF_WIDTH80, "hi95": 100.0 + 1.5 * HALF_WIDTH80,
            "model": "ets"}))
    return pd.concat(rows, ignore_index=True)


def _shared(errors: dict[tuple[str, str], np.ndarray], *, shift: int = 0) -> SharedBacktests:
    """Three leaders x FOLDS folds x seven days per child; the second child's folds start
    `shift` days later (0: the same folds)."""
    parts = []
    for n, (key, error) in enumerate(errors.items()):
        start = pd.Timestamp("2026-07-01") + pd.Timedelta(days=shift * n)
        for i, e in enumerate(error.reshape(3 * FOLDS, 7)):
            fold = start + pd.Timedelta(days=7 * (i % FOLDS))
            parts.append(pd.DataFrame({
                "leader": i // FOLDS + 1, "fold": fold,
                "ts": pd.date_range(fold, periods=7, freq="D"),
                "actual": 100.0 + e, "predicted": 100.0, "category": key[0], "channel": key[1]}))
    return SharedBacktests.from_frame(pd.concat(parts, ignore_index=True))


def _parent_half_width(frame: pd.DataFrame, level: int = 80) -> float:
    total = frame[(frame["category"] == TOTAL) & (frame["channel"] == "phone")]
    return float((total[f"hi{level}"] - total[f"lo{level}"]).mean() / 2)


def _errors(shared: bool, seed: int = 1) -> dict[tuple[str, str], np.ndarray]:
    rng = np.random.default_rng(seed)
    sd = HALF_WIDTH80 / 1.2816  # a child's 80% band, from its own errors
    size = 3 * FOLDS * 7
    common = rng.normal(0.0, sd, size=size)
    return {key: common if shared else rng.normal(0.0, sd, size=size) for key in CHILDREN}


def test_a_parent_is_the_sum_of_its_children_with_bands_in_quadrature() -> None:
    frame = reconcile_bottom_up(_bottom())
    total = frame[(frame["category"] == TOTAL) & (frame["channel"] == "phone")]
    assert (total["yhat"] == 200.0).all() and (total["model"] == "bottom_up").all()
    assert _parent_half_width(frame) == pytest.approx(np.hypot(HALF_WIDTH80, HALF_WIDTH80))


def test_children_that_move_together_widen_their_parents_band() -> None:
    frame = reconcile_bottom_up(_bottom(), _shared(_errors(shared=True)), window=7)
    together = 2 * HALF_WIDTH80  # errors that add up instead of cancelling out
    quadrature = np.hypot(HALF_WIDTH80, HALF_WIDTH80)
    assert 1.1 * quadrature < _parent_half_width(frame) < 1.2 * together
    assert _parent_half_width(frame, 95) > _parent_half_width(frame, 80)
    total = frame[frame["category"] == TOTAL]
    assert (total["lo80"] >= 0).all() and (total["yhat"] == 200.0).all()


def test_independent_children_keep_the_quadrature_band() -> None:
    frame = reconcile_bottom_up(_bottom(), _shared(_errors(shared=False)), window=7)
    quadrature = np.hypot(HALF_WIDTH80, HALF_WIDTH80)
    assert quadrature <= _parent_half_width(frame) < 1.15 * quadrature


def test_children_without_shared_folds_keep_the_quadrature_band() -> None:
    backtests = _shared(_errors(shared=True), shift=3)  # folds three days apart
    frame = reconcile_bottom_up(_bottom(), backtests, window=7)
    assert _parent_half_width(frame) == pytest.approx(np.hypot(HALF_WIDTH80, HALF_WIDTH80))


def test_fold_errors_name_each_leader_and_fold() -> None:
    index = pd.date_range("2026-01-01", periods=30, freq="D")
    bounds = {80: (np.zeros(5), np.ones(5)), 95: (np.zeros(5), np.ones(5))}
    best = [Fold(20, np.arange(5.0), np.full(5, 2.0), bounds, 1.0),
            Fold(25, np.arange(5.0), np.full(5, 2.0), bounds, 1.0)]
    second = [Fold(20, np.arange(5.0), np.full(5, 3.0), bounds, 1.0)]
    rows = fold_errors(index, [best, second])
    assert list(rows.columns) == list(FOLD_ERROR_COLUMNS)
    assert rows.groupby("leader").size().to_dict() == {1: 10, 2: 5}
    assert set(rows["fold"]) == {index[20], index[25]}
    assert rows.loc[rows["leader"] == 2, "predicted"].eq(3.0).all()
    assert (rows["ts"].iloc[:5] == index[20:25]).all()


def test_an_interval_one_child_did_not_observe_is_left_out_of_the_parents_backtest() -> None:
    frame = pd.DataFrame({"leader": 1, "fold": pd.Timestamp("2026-07-01"),
                          "ts": pd.date_range("2026-07-01", periods=40, freq="D"),
                          "actual": 110.0, "predicted": 100.0})
    shared = SharedBacktests()
    shared.add("refund", "phone", frame)
    unobserved = frame.assign(actual=frame["actual"].where(frame.index != 3))
    shared.add("delivery", "phone", unobserved)
    errors = shared.errors((TOTAL, "phone"), children=2)
    assert errors is not None and len(errors) == 39
    assert pd.Timestamp("2026-07-04") not in set(errors["ts"])
    assert (errors["actual"] == 220.0).all() and (errors["predicted"] == 200.0).all()
    assert shared.errors((TOTAL, "phone"), children=3) is None  # a third child never came
