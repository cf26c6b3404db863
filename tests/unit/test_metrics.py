"""Accuracy metrics: known answers, NaN handling and invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.metrics import bias, coverage, mase, seasonal_scale, wape

NAN = float("nan")


def test_wape_sums_absolute_errors_over_actuals_and_skips_nan_actuals() -> None:
    actual = np.array([10.0, 20.0, NAN, 30.0])
    predicted = np.array([12.0, 18.0, 500.0, 33.0])
    assert wape(actual, predicted) == pytest.approx(7 / 60)


def test_wape_skips_nan_predictions() -> None:
    assert wape(np.array([10.0, 10.0]), np.array([NAN, 15.0])) == pytest.approx(0.5)


def test_wape_with_zero_actuals() -> None:
    zeros = np.zeros(3)
    assert wape(zeros, zeros) == 0.0
    assert wape(zeros, np.array([0.0, 1.0, 0.0])) == math.inf


def test_bias_is_signed_share_of_actuals() -> None:
    actual = np.array([10.0, 20.0, NAN])
    assert bias(actual, np.array([12.0, 24.0, 99.0])) == pytest.approx(0.2)
    assert bias(actual, np.array([5.0, 10.0, 0.0])) == pytest.approx(-0.5)
    assert bias(np.zeros(2), np.ones(2)) == 0.0


def test_seasonal_scale_is_mean_absolute_seasonal_difference() -> None:
    assert seasonal_scale(np.array([1.0, 2.0, 3.0, 5.0, 5.0, 8.0]), 2) == pytest.approx(2.5)


def test_seasonal_scale_ignores_gaps_and_needs_more_than_a_season() -> None:
    values = np.array([1.0, NAN, 4.0, 7.0, 10.0])
    assert seasonal_scale(values, 2) == pytest.approx(4.5)  # |4-1|, |10-4|; NaN pair dropped
    assert math.isnan(seasonal_scale(np.array([1.0, 2.0]), 2))
    assert math.isnan(seasonal_scale(np.array([NAN, 1.0, 2.0, NAN]), 2))


def test_mase_scales_mean_absolute_error() -> None:
    actual = np.array([10.0, 20.0, NAN])
    assert mase(actual, np.array([12.0, 16.0, 0.0]), 2.0) == pytest.approx(1.5)


@pytest.mark.parametrize("scale", [0.0, -1.0, NAN])
def test_mase_is_nan_without_a_usable_scale(scale: float) -> None:
    assert math.isnan(mase(np.array([1.0]), np.array([2.0]), scale))


def test_mase_is_nan_without_observed_actuals() -> None:
    assert math.isnan(mase(np.array([NAN, NAN]), np.array([1.0, 2.0]), 1.0))


def test_coverage_counts_bounds_as_inside() -> None:
    actual = np.array([1.0, 5.0, 10.0, NAN])
    lower = np.array([0.0, 6.0, 9.0, 0.0])
    upper = np.array([2.0, 7.0, 10.0, 1.0])
    assert coverage(actual, lower, upper) == pytest.approx(2 / 3)


def test_coverage_is_nan_when_nothing_was_observed() -> None:
    assert math.isnan(coverage(np.array([NAN]), np.array([0.0]), np.array([1.0])))


counts = st.lists(st.integers(0, 1000), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None)
@given(actual=counts, noise=st.lists(st.integers(-50, 50), min_size=30, max_size=30),
       factor=st.integers(1, 100))
def test_wape_is_non_negative_and_unit_free(actual: list[int], noise: list[int],
                                            factor: int) -> None:
    a = np.array(actual, dtype=float)
    p = np.maximum(a + np.array(noise[: len(a)], dtype=float), 0.0)
    score = wape(a, p)
    assert score >= 0.0
    if math.isfinite(score):
        assert wape(a * factor, p * factor) == pytest.approx(score)
    assert wape(a, a) == 0.0
