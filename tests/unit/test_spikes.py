"""Spike detection: count tails, normal levels, peaks ahead, breakouts and episodes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecast.errors import InvalidParameter
from forecast.spikes import (
    BreakoutParams,
    Episode,
    PeakParams,
    episodes,
    find_peaks,
    level_adjustment,
    normal_level,
    peak_chance,
    reforecast_rest,
    scan_breakouts,
    tail_probability,
)


def test_tail_probability_is_poisson_without_overdispersion() -> None:
    got = tail_probability([0, 3, 10], [4.0, 4.0, 4.0], [4.0, 4.0, 4.0])
    assert got[0] == pytest.approx(1.0)
    assert got[1:] == pytest.approx(stats.poisson.sf([2, 9], 4.0))


def test_tail_probability_with_overdispersion_is_heavier() -> None:
    poisson = tail_probability(20, 10.0, 10.0)
    wider = tail_probability(20, 10.0, 30.0)
    size = 10.0**2 / 20.0
    assert wider == pytest.approx(stats.nbinom.sf(19, size, size / (size + 10.0)))
    assert wider > poisson


def test_normal_level_is_the_same_weekday_median_of_known_actuals() -> None:
    days = pd.date_range("2026-01-05", periods=35, freq="D")  # Mondays: 5, 12, 19, 26, Feb 2
    actuals = pd.Series(np.arange(35, dtype=float), index=days)
    actuals.iloc[7] = np.nan  # Jan 12 unknown
    targets = pd.DatetimeIndex(["2026-02-09", "2026-02-16", "2026-02-10"])
    got = normal_level(actuals, targets, weeks=3)
    # Mon Feb 9: Feb 2 (28), Jan 26 (21), Jan 19 (14); Feb 16 skips the unknown week ahead.
    assert got[0] == 21.0
    assert got[1] == pytest.approx(np.median([28.0, 21.0, 14.0]))
    assert got[2] == pytest.approx(np.median([29.0, 22.0, 15.0]))  # Tuesdays
    assert np.isnan(normal_level(actuals.iloc[:0], targets)).all()


def test_find_peaks_needs_ratio_and_floor_and_an_open_queue() -> None:
    value = np.array([100, 190, 260, 250, 100, 0, 40, 300])
    normal = np.array([100, 100, 100, 100, 100, 0, 10, np.nan])
    peaks = find_peaks(value, normal, PeakParams(ratio=1.5, min_excess=50))
    # 190 is 1.9x and +90; 40 is 4x but only +30; 0 is closed; NaN normal is unknown.
    assert [(p.start, p.stop, p.top) for p in peaks] == [(1, 4, 2)]


def test_find_peaks_extra_marks_days_short_of_staff() -> None:
    value = np.array([100.0, 110.0, 0.0])
    extra = np.array([False, True, True])
    peaks = find_peaks(value, np.full(3, 100.0), PeakParams(), extra=extra)
    assert [(p.start, p.stop) for p in peaks] == [(1, 2)]  # closed day 2 never counts


def test_peak_chance_reads_the_80_percent_bound_as_the_90_percent_quantile() -> None:
    got = peak_chance([150.0, 100.0, 100.0, 200.0, 0.0], [200.0, 150.0, 100.0, 200.0, 50.0],
                      [150.0, 150.0, 150.0, 150.0, 150.0])
    assert got[0] == pytest.approx(0.5)  # the mean reaches the threshold
    assert got[1] == pytest.approx(0.1)  # only the upper bound does
    assert (got[2], got[3], got[4]) == (0.0, 1.0, 0.0)  # no spread; a closed day


def test_find_peaks_by_chance_flags_a_likely_peak_the_mean_misses() -> None:
    value = np.array([130.0, 130.0, 0.0, 130.0])
    upper = np.array([180.0, 140.0, 50.0, 180.0])
    normal = np.array([100.0, 100.0, 100.0, np.nan])
    # threshold 150: day 0 reaches it with ~29%, day 1 (narrow bound) with ~1%.
    loose = find_peaks(value, normal, PeakParams(probability=0.25), upper=upper)
    assert [(p.start, p.stop) for p in loose] == [(0, 1)]
    point = find_peaks(value, normal, PeakParams(probability=0.5), upper=upper)
    assert point == find_peaks(value, normal, PeakParams()) == []


def test_params_name_the_bad_value() -> None:
    with pytest.raises(InvalidParameter, match="ratio must be a ratio >= 1"):
        PeakParams(ratio=0.5)
    with pytest.raises(InvalidParameter, match="probability"):
        PeakParams(probability=1.0)
    with pytest.raises(InvalidParameter, match="alpha"):
        BreakoutParams(alpha=0.0)
    with pytest.raises(InvalidParameter, match="max_window"):
        BreakoutParams(max_window=0)


def _day(level: float = 20.0, intervals: int = 20) -> np.ndarray:
    return np.full(intervals, level)


def test_quiet_days_raise_no_flag() -> None:
    rng = np.random.default_rng(11)
    expected = _day()
    flags = 0
    for _ in range(200):
        scan = scan_breakouts(rng.poisson(expected).astype(float), expected, BreakoutParams())
        flags += int(scan.flagged.any())
    assert flags <= 2


def _open_day(peak: float) -> np.ndarray:
    """A 48-slot day open 08:00-22:00 with a midday hump of `peak` per interval."""
    slots = np.arange(48)
    shape = np.exp(-0.5 * ((slots - 26) / 7.0) ** 2)
    return np.where((slots >= 16) & (slots < 44), peak * shape, 0.0)


@pytest.mark.parametrize("peak", [3.0, 30.0, 200.0])
def test_overdispersed_noise_around_the_forecast_rarely_fires(peak: float) -> None:
    rng = np.random.default_rng(int(peak))
    expected = _open_day(peak)
    days = 400
    fired = 0
    for _ in range(days):
        observed = rng.poisson(expected * rng.gamma(25.0, 1 / 25.0, expected.size))
        scan = scan_breakouts(observed.astype(float), expected, BreakoutParams())
        fired += bool(episodes(scan.flagged, hot=scan.hot, window_start=scan.window_start))
    assert fired <= 0.02 * days  # about 1 day in 125 per series at the defaults, at any size


def test_a_sixty_percent_rise_over_three_intervals_fires_within_them() -> None:
    expected = _day(100.0)
    observed = expected.copy()
    observed[10:13] = 160.0
    scan = scan_breakouts(observed, expected, BreakoutParams())
    found = episodes(scan.flagged, hot=scan.hot, window_start=scan.window_start)
    assert len(found) == 1 and 10 <= found[0].detected <= 12
    assert scan.window_start[found[0].detected] == 10


def test_the_same_rise_on_a_small_queue_is_within_the_noise() -> None:
    expected = _day(4.0)
    observed = expected.copy()
    observed[10:13] = [8.0, 5.0, 6.0]  # 19 vs 12: as likely as 1 in 40 from noise alone
    assert not scan_breakouts(observed, expected, BreakoutParams()).flagged.any()


def test_a_tripled_interval_is_flagged_at_once() -> None:
    expected = _day()
    observed = expected.copy()
    observed[10:14] = 60.0
    scan = scan_breakouts(observed, expected, BreakoutParams())
    assert scan.flagged[10] and not scan.flagged[:10].any()
    assert scan.window_start[10] == 10
    assert scan.observed[10] == 60.0 and scan.expected[10] == pytest.approx(20.0)


def test_a_small_queue_needs_more_evidence() -> None:
    expected = _day(2.0)
    observed = expected.copy()
    observed[5:9] = 6.0
    scan = scan_breakouts(observed, expected, BreakoutParams())
    first = int(np.flatnonzero(scan.flagged)[0])
    assert first > 5  # one interval of 6 vs 2 is not enough; the window sum is
    assert scan.window_start[first] == 5


def test_a_day_running_uniformly_high_is_absorbed_by_the_level() -> None:
    expected = _day(20.0, 40)
    observed = expected * 1.4
    scan = scan_breakouts(observed, expected, BreakoutParams(min_ratio=1.3))
    assert scan.adjust[-1] > 1.3
    assert not scan.flagged[10:].any()


def test_closed_intervals_never_flag() -> None:
    expected = np.array([0.0, 0.0, 10.0, 10.0])
    observed = np.array([50.0, 50.0, 10.0, 10.0])
    assert not scan_breakouts(observed, expected, BreakoutParams()).flagged.any()


def test_spread_floor_makes_the_test_stricter() -> None:
    expected = _day()
    observed = expected.copy()
    observed[10] = 55.0
    assert scan_breakouts(observed, expected, BreakoutParams()).flagged[10]
    wide = scan_breakouts(observed, expected, BreakoutParams(), upper=np.full(20, 40.0))
    assert not wide.flagged[10]


def test_level_adjustment_starts_at_one_and_is_damped() -> None:
    expected = np.full(10, 10.0)
    observed = np.full(10, 20.0)
    adjust = level_adjustment(observed, expected, np.ones(10, dtype=bool), damping=0.5,
                              max_adjust=3.0)
    assert adjust[0] == pytest.approx(1.0)
    assert adjust[5] == pytest.approx((100 + 50) / (50 + 50))
    assert np.all(np.diff(adjust) >= 0)


def test_episodes_confirm_and_clear() -> None:
    flags = [0, 1, 1, 0, 1, 0, 0, 0, 1, 1]
    assert episodes(flags, consecutive=1, clear_after=2) == [
        Episode(1, 1, 5), Episode(8, 8, None)]
    assert episodes(flags, consecutive=2, clear_after=2) == [
        Episode(1, 2, 5), Episode(8, 9, None)]


def test_reforecast_scales_the_rest_by_the_damped_ratio() -> None:
    rest = np.full(10, 10.0)
    same = reforecast_rest(np.full(10, 10.0), np.full(10, 10.0), rest, damping=0.3)
    assert same == pytest.approx(rest)
    high = reforecast_rest(np.full(10, 20.0), np.full(10, 10.0), rest, damping=0.3)
    prior = 0.3 * 200
    assert high == pytest.approx(rest * (200 + prior) / (100 + prior))
    assert reforecast_rest([], [], rest) == pytest.approx(rest)


def test_an_episode_ends_when_intervals_cool_even_if_windows_remember_the_burst() -> None:
    expected = _day()
    observed = expected.copy()
    observed[5:8] = 70.0
    scan = scan_breakouts(observed, expected, BreakoutParams(max_window=8))
    assert scan.flagged[8:12].any()  # windows reaching back into the burst still flag
    found = episodes(scan.flagged, hot=scan.hot, window_start=scan.window_start,
                     clear_after=2)
    assert found == [Episode(5, 5, 8)]
