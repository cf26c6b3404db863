"""Recent surges wearing off: found and forecast back down to the old level (and dips
back up); not read into steps that stay, noise, steady growth or a blip long gone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.fading_surge import FadingSurge, recent_fading_surge
from forecast.level_shift import LevelShift, recent_level_shift
from forecast.models.adjusted import _under_surge
from forecast.pipeline import forecast_frame
from forecast.series import Freq

WEEKLY = np.array([1.2, 1.1, 1.0, 1.0, 0.9, 0.5, 0.3])
INDEX = pd.date_range("2025-01-06", periods=20 * 7, freq="D")  # 20 weeks from a Monday
EVERY_DAY = pd.Series(True, index=INDEX)


def counts(seed: int, factor: np.ndarray | float = 1.0, level: float = 200.0) -> pd.Series:
    rng = np.random.default_rng(seed)
    mean = level * WEEKLY[INDEX.day_of_week] * factor
    return pd.Series(rng.poisson(mean).astype(float), index=INDEX)


def incident(days_before_end: int, half_life: float, excess: float = 2.0) -> np.ndarray:
    """The volume x (1 + excess) on the incident's first day, the excess halving every
    `half_life` days."""
    age = np.arange(len(INDEX)) - (len(INDEX) - days_before_end)
    return np.where(age >= 0, 1 + excess * 0.5 ** (np.maximum(age, 0) / half_life), 1.0)


@pytest.mark.parametrize(("days", "half_life"), [(7, 3.0), (10, 5.0), (21, 7.0)])
def test_an_incident_wearing_off_is_found_where_it_began(days: int, half_life: float) -> None:
    for seed in range(3):
        surge = recent_fading_surge(counts(seed, incident(days, half_life)), EVERY_DAY)
        assert surge is not None
        assert abs((INDEX[-days] - surge.start).days) <= 1
        assert half_life / 2 <= surge.half_life <= half_life * 2
        assert 1.2 < surge.excess < 3.2


def test_steps_that_stay_steady_queues_growth_and_old_blips_are_no_surge() -> None:
    growth = np.exp(np.log(1.3) * np.arange(len(INDEX)) / 365)
    blip = np.where(np.arange(len(INDEX)) // 2 == (len(INDEX) - 30) // 2, 1.8, 1.0)
    for seed in range(10):
        step = counts(seed, np.where(np.arange(len(INDEX)) >= len(INDEX) - 21, 1.6, 1.0))
        assert recent_fading_surge(step, EVERY_DAY) is None
        assert recent_level_shift(step, EVERY_DAY) is not None
        for level in (3.0, 40.0, 600.0):
            assert recent_fading_surge(counts(seed, level=level), EVERY_DAY) is None
        assert recent_fading_surge(counts(seed, growth), EVERY_DAY) is None
        assert recent_fading_surge(counts(seed, blip), EVERY_DAY) is None


def test_auto_forecasts_an_incident_back_down_to_the_old_level() -> None:
    daily = counts(4, incident(10, 5.0))
    rows = pd.DataFrame({"ts": daily.index, "category": "outage", "channel": "",
                         "count": daily.to_numpy()})
    frame = forecast_frame(rows, freq=Freq.DAILY, horizon=28)
    days = pd.DatetimeIndex(frame["ts"])
    truth = 200 * WEEKLY[days.day_of_week] * (
        1 + 2.0 * 0.5 ** ((days - INDEX[-10]).days.to_numpy() / 5.0))
    weekly = frame.groupby(np.arange(28) // 7)["yhat"].sum().to_numpy()
    true_weekly = pd.Series(truth).groupby(np.arange(28) // 7).sum().to_numpy()
    # Held at the last week's level, the later weeks would be forecast about 30% high.
    assert np.all(np.abs(weekly / true_weekly - 1) < 0.12)
    assert weekly[0] > weekly[3] * 1.1


@pytest.mark.parametrize(("days", "new_level", "rush", "half_life"),
                         [(21, 1.5, 1.5, 3.0), (35, 1.6, 1.0, 7.0), (42, 1.6, 1.0, 7.0)])
def test_a_rush_settling_at_a_new_level_is_forecast_at_the_new_level(
        days: int, new_level: float, rush: float, half_life: float) -> None:
    """A launch `days` before the end: the new level plus a rush halving every
    `half_life` days. Over a few weeks it reads much like a surge wearing off."""
    age = np.arange(len(INDEX)) - (len(INDEX) - days)
    launch = np.where(age >= 0, new_level + rush * 0.5 ** (np.maximum(age, 0) / half_life),
                      1.0)
    daily = counts(5, launch)
    surge = recent_fading_surge(daily, EVERY_DAY)
    share = rush / new_level  # the rush over the new level
    # Only the rush is a surge (or none: the level shift reads the step, rush and all).
    assert surge is None or share * 0.6 < surge.excess < share * 1.5
    rows = pd.DataFrame({"ts": daily.index, "category": "launch", "channel": "",
                         "count": daily.to_numpy()})
    frame = forecast_frame(rows, freq=Freq.DAILY, horizon=28)
    days_ahead = pd.DatetimeIndex(frame["ts"])
    ratio = frame["yhat"].sum() / (200 * new_level * WEEKLY[days_ahead.day_of_week]).sum()
    assert 0.85 < ratio < 1.15  # read as back to the old level, it would be 0.7-0.8


def test_a_dip_recovering_is_forecast_back_up() -> None:
    """A fault cuts the volume to 40% two weeks before the end; the shortfall halves
    every week."""
    dip = incident(14, 7.0, excess=-0.6)
    for seed in range(3):
        surge = recent_fading_surge(counts(seed, dip), EVERY_DAY)
        assert surge is not None
        assert abs((INDEX[-14] - surge.start).days) <= 1
        assert -0.8 < surge.excess < -0.4
    daily = counts(0, dip)
    rows = pd.DataFrame({"ts": daily.index, "category": "phone", "channel": "",
                         "count": daily.to_numpy()})
    frame = forecast_frame(rows, freq=Freq.DAILY, horizon=28)
    days = pd.DatetimeIndex(frame["ts"])
    truth = 200 * WEEKLY[days.day_of_week] * (
        1 - 0.6 * 0.5 ** ((days - INDEX[-14]).days.to_numpy() / 7.0))
    # Read from the last days, the fourth week would be forecast 15% low (11% overall).
    assert frame["yhat"].sum() / truth.sum() == pytest.approx(1.0, abs=0.05)
    assert frame["yhat"][21:].sum() / truth[21:].sum() == pytest.approx(1.0, abs=0.05)


def test_a_slow_launch_at_an_office_is_no_surge_going_back() -> None:
    """An office shut at weekends, 600 a weekday: a launch six weeks before the end at
    2.6x, settling at 1.6x (its rush halving weekly). A decay back to the old level fits
    it only halving every three weeks or so: no surge, it is read as a new level."""
    weekdays = pd.Series(INDEX.day_of_week < 5, index=INDEX)
    age = np.arange(len(INDEX)) - (len(INDEX) - 42)
    launch = np.where(age >= 0, 1.6 + 0.5 ** (np.maximum(age, 0) / 7.0), 1.0)
    for seed in (0, 3, 4):
        rng = np.random.default_rng(seed)
        mean = 600 * WEEKLY[INDEX.day_of_week] * launch * weekdays.to_numpy()
        daily = pd.Series(rng.negative_binomial(50, 50 / (50 + mean)).astype(float), index=INDEX)
        surge = recent_fading_surge(daily.where(weekdays), weekdays)
        assert surge is None or surge.excess < 1.0  # back to the old level it reads ~1.3


@pytest.mark.parametrize(("days", "seed"), [(21, 5), (21, 6), (28, 5), (35, 6)])
def test_once_a_rush_is_taken_out_every_model_starts_from_the_new_level(
        days: int, seed: int) -> None:
    """A launch at 1.5x, its rush (1.5x more) halving every three days, `days` before the
    end: the rush is the surge, and the step under it is read as a new level, so that
    even an 8-week average forecasts from it (it had mixed in the old weeks: 0.77-0.94)."""
    age = np.arange(len(INDEX)) - (len(INDEX) - days)
    launch = np.where(age >= 0, 1.5 + 1.5 * 0.5 ** (np.maximum(age, 0) / 3.0), 1.0)
    daily = counts(seed, launch)
    assert recent_fading_surge(daily, EVERY_DAY) is not None
    rows = pd.DataFrame({"ts": daily.index, "category": "launch", "channel": "",
                         "count": daily.to_numpy()})
    for model in ("week_average_cal", "auto"):
        frame = forecast_frame(rows, freq=Freq.DAILY, horizon=28, model=model)
        days_ahead = pd.DatetimeIndex(frame["ts"])
        ratio = frame["yhat"].sum() / (200 * 1.5 * WEEKLY[days_ahead.day_of_week]).sum()
        assert ratio == pytest.approx(1.0, abs=0.08)


def test_a_jump_weeks_after_a_surge_began_is_not_read_as_the_step_it_settled_on() -> None:
    surge = FadingSurge(pd.Timestamp("2025-04-23"), excess=1.3, half_life=2.0)
    settled = LevelShift(pd.Timestamp("2025-04-25"), factor=1.5, z=9.0)
    second_incident = LevelShift(pd.Timestamp("2025-05-14"), factor=1.7, z=7.0)
    assert _under_surge(settled, surge) == settled
    assert _under_surge(second_incident, surge) is None
    assert _under_surge(second_incident, None) == second_incident
