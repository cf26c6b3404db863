"""Shift planning with an integer program: coverage, breaks, optimality, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from forecast.errors import InfeasibleStaffing, InvalidParameter
from forecast.shifts import ShiftTemplate, plan_shifts


def day_requirement(values: dict[str, int], *, freq: str = "60min", day: str = "2024-03-04",
                    tz: str | None = None) -> pd.Series:
    """A one-day requirement (zero outside the given 'HH:MM' -> agents entries)."""
    start = pd.Timestamp(day)
    index = pd.date_range(start, start + pd.Timedelta(days=1), freq=freq, tz=tz,
                          inclusive="left")
    series = pd.Series(0, index=index)
    for clock, agents in values.items():
        series[series.index.strftime("%H:%M") == clock] = agents
    return series


def test_break_interval_does_not_count_as_coverage() -> None:
    need = day_requirement({f"{h:02d}:00": 1 for h in range(8, 16)})
    lunch_at_noon = ShiftTemplate("noon", "08:00", 480, 240, 60)
    with pytest.raises(InfeasibleStaffing, match="first at 2024-03-04 12:00:00"):
        plan_shifts(need, [lunch_at_noon])
    plan = plan_shifts(need, [lunch_at_noon, ShiftTemplate("eleven", "08:00", 480, 180, 60)])
    assert plan.optimal and plan.paid_hours == 16.0
    assert sorted(plan.shifts["template"]) == ["eleven", "noon"]
    covered = plan.coverage.loc["2024-03-04 08:00":"2024-03-04 15:00", "scheduled"]
    assert covered.tolist() == [2, 2, 2, 1, 1, 2, 2, 2]
    assert (plan.coverage["under"] == 0).all()
    assert plan.coverage["over"].sum() == 6


@pytest.mark.parametrize("seed", range(6))
def test_matches_brute_force_optimum(seed: int) -> None:
    rng = np.random.default_rng(seed)
    hours = range(6, 22)
    need = day_requirement({f"{h:02d}:00": int(rng.integers(0, 3)) for h in hours})
    templates = [ShiftTemplate("early", "06:00", 480, 240, 60),
                 ShiftTemplate("mid", "10:00", 360), ShiftTemplate("late", "14:00", 480),
                 ShiftTemplate("short", "17:00", 240)]
    plan = plan_shifts(need, templates)
    coverage = np.zeros((len(need), len(templates)), dtype=int)
    for k, t in enumerate(templates):
        start = t.start_time.hour
        for offset in t.working_offsets(60):
            coverage[start + offset // 60, k] = 1
    best = min(
        sum(n * t.length_minutes for n, t in zip(combo, templates, strict=True)) / 60
        for combo in itertools.product(range(3), repeat=len(templates))
        if np.all(coverage @ np.array(combo) >= need.to_numpy())
    )
    assert plan.paid_hours == best
    assert (plan.coverage["scheduled"] >= plan.coverage["required"]).all()


def test_overnight_shift_from_the_day_before_covers_early_hours() -> None:
    need = day_requirement({"00:00": 2, "01:00": 2, "05:00": 1})
    plan = plan_shifts(need, [ShiftTemplate("night", "22:00", 480)])
    assert plan.shifts["day"].tolist() == [pd.Timestamp("2024-03-03").date()]
    assert plan.shifts["start"].tolist() == [pd.Timestamp("2024-03-03 22:00")]
    assert plan.shifts["end"].tolist() == [pd.Timestamp("2024-03-04 06:00")]
    assert plan.shifts["agents"].tolist() == [2]


def test_shift_lasts_its_length_over_a_dst_change() -> None:
    need = day_requirement({"01:00": 1, "09:30": 1}, freq="30min", day="2024-03-31",
                           tz="Europe/Berlin")
    assert len(need) == 46  # the 02:00-03:00 hour does not exist
    plan = plan_shifts(need, [ShiftTemplate("ten", "00:00", 600)])
    row = plan.shifts.iloc[0]
    assert row["end"] - row["start"] == pd.Timedelta(hours=10)
    assert str(row["end"].time()) == "11:00:00"
    assert int(plan.coverage["scheduled"].sum()) == 20


def test_weekdays_and_missing_cover_raise_with_first_interval() -> None:
    saturday = day_requirement({"09:00": 1}, day="2024-03-09")
    weekdays = ShiftTemplate("office", "09:00", 480, days=(0, 1, 2, 3, 4))
    with pytest.raises(InfeasibleStaffing, match="1 interval.*first at 2024-03-09 09:00"):
        plan_shifts(saturday, [weekdays])
    weekend = ShiftTemplate("weekend", "08:00", 240, days=[5, 6])  # a list is accepted
    plan = plan_shifts(saturday, [weekdays, weekend])
    assert plan.shifts["template"].tolist() == ["weekend"]


def test_max_agents_per_shift() -> None:
    need = day_requirement({"10:00": 3})
    solo = ShiftTemplate("a", "09:00", 240)
    with pytest.raises(InfeasibleStaffing, match="max_agents_per_shift=2"):
        plan_shifts(need, [solo], max_agents_per_shift=2)
    plan = plan_shifts(need, [solo, ShiftTemplate("b", "10:00", 240)], max_agents_per_shift=2)
    assert sorted(plan.shifts["agents"]) == [1, 2]


def test_fractional_and_zero_requirements() -> None:
    need = day_requirement({"10:00": 0}).astype(float)
    empty = plan_shifts(need, [ShiftTemplate("a", "09:00", 240)])
    assert empty.shifts.empty and empty.paid_hours == 0.0
    assert list(empty.shifts.columns) == ["day", "template", "start", "end", "agents"]
    need.iloc[10] = 1.2
    plan = plan_shifts(need, [ShiftTemplate("a", "09:00", 240)])
    assert plan.coverage.loc[need.index[10], "required"] == 2
    assert list(plan.coverage.columns) == ["required", "scheduled", "over", "under"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"start": "24:00"}, "template 'x' start must be a time 'HH:MM'"),
    ({"start": "8am"}, "template 'x' start must be a time 'HH:MM'"),
    ({"length_minutes": 0}, "template 'x' length_minutes must be a whole number"),
    ({"length_minutes": 90.5}, "template 'x' length_minutes must be a whole number"),
    ({"break_minutes": 30}, "break_minutes must be 0 when break_start_offset_minutes is None"),
    ({"break_start_offset_minutes": 220, "break_minutes": 30}, "template 'x' break must be"),
    ({"break_start_offset_minutes": 0, "break_minutes": 30}, "template 'x' break must be"),
    ({"days": (7,)}, "template 'x' days must be distinct weekdays 0-6"),
    ({"days": ()}, "template 'x' days must be distinct weekdays 0-6"),
    ({"days": (1, 1)}, "template 'x' days must be distinct weekdays 0-6"),
    ({"name": " "}, "template name must be a non-empty string"),
])
def test_bad_templates_are_named(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {"name": "x", "start": "08:00", "length_minutes": 240}
    fields.update(kwargs)
    with pytest.raises(InvalidParameter) as caught:
        ShiftTemplate(**fields)  # type: ignore[arg-type]
    assert message in str(caught.value)


@pytest.mark.parametrize(("templates", "message"), [
    ([ShiftTemplate("x", "08:15", 240)], "template 'x' start must be aligned to the 30-minute"),
    ([ShiftTemplate("x", "08:00", 225)], "template 'x' length_minutes must be a multiple of"),
    ([ShiftTemplate("x", "08:00", 240, 60, 15)], "template 'x' break_minutes must be a multiple"),
    ([ShiftTemplate("x", "08:00", 240)] * 2, "template name must be unique"),
    ([], "templates must be a non-empty list"),
])
def test_templates_must_fit_the_grid(templates: list[ShiftTemplate], message: str) -> None:
    need = day_requirement({"09:00": 1}, freq="30min")
    with pytest.raises(InvalidParameter) as caught:
        plan_shifts(need, templates)
    assert message in str(caught.value)


def test_bad_requirements_are_named() -> None:
    template = [ShiftTemplate("x", "08:00", 240)]
    need = day_requirement({"09:00": 1}).astype(float)
    with pytest.raises(InvalidParameter, match="regular, increasing grid"):
        plan_shifts(need.drop(need.index[3]), template)
    need.iloc[9] = -1
    with pytest.raises(InvalidParameter, match="requirement at 2024-03-04 09:00:00 must be"):
        plan_shifts(need, template)
    with pytest.raises(InvalidParameter, match="requirement index must be a DatetimeIndex"):
        plan_shifts(pd.Series([1, 2]), template)
    with pytest.raises(InvalidParameter, match="max_agents_per_shift must be an integer"):
        plan_shifts(need.clip(lower=0), template, max_agents_per_shift=0)


def test_requirement_grid_must_be_whole_minutes() -> None:
    index = pd.date_range("2024-03-04 08:00", periods=4, freq="90s")
    with pytest.raises(InvalidParameter, match="requirement interval must be whole minutes"):
        plan_shifts(pd.Series(1, index=index), [ShiftTemplate("x", "08:00", 240)])
