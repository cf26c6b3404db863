"""Staffing forecast rows with per-interval handle times, and the shift requirement."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from forecast.interval_staffing import (
    STAFFING_COLUMNS,
    StaffingTargets,
    shift_requirement,
    staff_rows,
)
from forecast.overrides import Override, OverrideKind, apply_overrides
from forecast.staffing import required_agents

TARGETS = StaffingTargets(service_level=0.8, answer_seconds=20.0, shrinkage=0.3,
                          max_occupancy=0.85)


def _rows(volume: list[float], *, tz: str = "Asia/Seoul") -> pd.DataFrame:
    ts = pd.date_range("2026-03-02 09:00", periods=len(volume), freq="30min", tz=tz)
    return pd.DataFrame({"ts": ts, "category": "billing", "channel": "phone",
                         "freq": "30min", "yhat": volume})


def test_each_row_is_staffed_at_its_own_handle_time() -> None:
    volume = [100.0, 100.0, 0.0, 40.0, 250.0]
    aht = np.array([180.0, 300.4, 999.0, 180.2, 95.0])
    out = staff_rows(_rows(volume), aht, TARGETS, interval_minutes=30)
    assert list(out.columns) == list(STAFFING_COLUMNS)
    for i, (v, a) in enumerate(zip(volume, np.round(aht), strict=True)):
        one = required_agents([v], interval_minutes=30, aht_seconds=a,
                              target_service_level=0.8, answer_seconds=20.0,
                              max_occupancy=0.85, shrinkage=0.3)
        assert out["agents"].iloc[i] == one.agents[0]
        assert out["agents_scheduled"].iloc[i] == one.agents_scheduled[0]
        assert out["service_level"].iloc[i] == pytest.approx(one.service_level[0])
    assert out.loc[0, ["agents", "agents_scheduled"]].tolist() == [14, 20]  # the reference
    assert out["aht_seconds"].tolist() == [180.0, 300.0, 999.0, 180.0, 95.0]
    assert out.loc[2, ["agents", "occupancy"]].tolist() == [0, 0.0]
    assert out["volume_model"].tolist() == volume and out["override_id"].isna().all()


def test_erlang_a_adds_abandonment_and_overrides_show_the_model_volume() -> None:
    rows = _rows([100.0, 60.0])
    rows["yhat_model"] = [80.0, 60.0]
    rows["override_id"] = pd.array([7, None], dtype="Int64")
    targets = StaffingTargets(0.8, 20.0, patience_seconds=120.0)
    out = staff_rows(rows, np.array([180.0, 180.0]), targets, interval_minutes=30)
    assert out.columns[-1] == "abandon_rate" and (out["abandon_rate"] > 0).all()
    assert out["volume_model"].tolist() == [80.0, 60.0]
    assert out["override_id"].iloc[0] == 7 and pd.isna(out["override_id"].iloc[1])


def test_adjusted_volumes_need_more_agents() -> None:
    rows = _rows([100.0, 100.0]).assign(lo80=90.0, hi80=110.0, lo95=80.0, hi95=120.0)
    override = Override(
        id=3, category="billing", channel="phone", freq=None,
        start=rows["ts"].iloc[0].to_pydatetime(), end=rows["ts"].iloc[1].to_pydatetime(),
        kind=OverrideKind.MULTIPLY, value=1.5, reason="mailing", created_by="ann",
        created_at=datetime(2026, 3, 1, tzinfo=UTC), expires_at=None)
    out = staff_rows(apply_overrides(rows, [override]), np.array([180.0, 180.0]), TARGETS,
                     interval_minutes=30)
    assert out["volume"].tolist() == [150.0, 100.0]
    assert out["volume_model"].tolist() == [100.0, 100.0]
    assert out["agents"].iloc[0] > out["agents"].iloc[1]


def test_requirement_sums_series_and_fills_the_repeated_dst_hour() -> None:
    ts = pd.date_range("2026-10-25 01:00", "2026-10-25 04:00", freq="30min",
                       tz="Europe/Berlin", inclusive="left")
    published = ts[(ts.hour != 2) | (ts.tz_convert("UTC").hour != 1)]  # the second 02:xx lost
    assert len(ts) - len(published) == 2
    staffed = pd.concat([
        pd.DataFrame({"ts": published, "agents_scheduled": np.arange(len(published))}),
        pd.DataFrame({"ts": published, "agents_scheduled": 1}),
    ], ignore_index=True)
    need = shift_requirement(staffed)
    assert len(need) == len(ts) and need.index.equals(ts)
    assert need.iloc[0] == 1.0
    filled = need[ts.tz_convert("UTC").hour == 1]
    previous = need[ts.tz_convert("UTC").hour == 0].iloc[-1]
    assert (filled == previous).all()
