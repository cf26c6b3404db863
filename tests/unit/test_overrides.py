"""Planner overrides applied to forecast rows, and the checks on new overrides."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from forecast.errors import InvalidParameter
from forecast.overrides import (
    Override,
    OverrideKind,
    OverrideRequest,
    adjusted_forecast,
)
from forecast.overrides import (
    apply_overrides as apply,
)
from forecast.series import Freq

TZ = "Asia/Seoul"
START = pd.Timestamp("2026-03-02 08:00", tz=TZ)
VALUES = ["yhat", "lo80", "hi80", "lo95", "hi95"]


def _rows(channel: str = "phone", freq: str = "60min", periods: int = 6) -> pd.DataFrame:
    ts = pd.date_range(START, periods=periods, freq="h")
    yhat = np.array([0.0, 10.0, 20.0, 30.0, 40.0, 50.0])[:periods]
    return pd.DataFrame({"ts": ts, "category": "billing", "channel": channel, "freq": freq,
                         "yhat": yhat, "lo80": yhat * 0.8, "hi80": yhat * 1.2,
                         "lo95": yhat * 0.5, "hi95": yhat * 1.5, "model": "mstl",
                         "run_id": "run-1"})


def _override(oid: int = 1, *, kind: OverrideKind = OverrideKind.MULTIPLY, value: float = 2.0,
              hours: tuple[int, int] = (1, 3), channel: str | None = "phone",
              freq: Freq | None = None, created: int = 0) -> Override:
    return Override(
        id=oid, category="billing", channel=channel, freq=freq,
        start=(START + pd.Timedelta(hours=hours[0])).to_pydatetime(),
        end=(START + pd.Timedelta(hours=hours[1])).to_pydatetime(), kind=kind, value=value,
        reason="campaign", created_by="ann", created_at=datetime(2026, 3, 1, tzinfo=UTC)
        + timedelta(minutes=created), expires_at=None)


def test_multiply_scales_yhat_and_bounds_in_range_and_keeps_the_model_value() -> None:
    rows = _rows()
    out = apply(rows, [_override(value=1.5)])
    inside = [1, 2]
    for column in VALUES:
        np.testing.assert_allclose(out[column].iloc[inside], rows[column].iloc[inside] * 1.5)
        np.testing.assert_allclose(out[column].drop(index=inside), rows[column].drop(index=inside))
    assert out["yhat_model"].tolist() == rows["yhat"].tolist()
    assert out["override_id"].tolist() == [pd.NA, 1, 1, pd.NA, pd.NA, pd.NA]
    assert out["model"].equals(rows["model"])


def test_add_shifts_bounds_clips_at_zero_and_skips_closed_intervals() -> None:
    rows = _rows()
    out = apply(rows, [_override(kind=OverrideKind.ADD, value=-15.0, hours=(0, 6))])
    assert out["yhat"].tolist() == [0.0, 0.0, 5.0, 15.0, 25.0, 35.0]
    assert out["hi95"].iloc[3] == pytest.approx(45.0 - 15.0)
    assert out["lo95"].iloc[3] == pytest.approx(0.0)  # 15 - 15
    assert pd.isna(out["override_id"].iloc[0])  # closed: left at zero
    raised = apply(rows, [_override(kind=OverrideKind.ADD, value=5.0, hours=(0, 6))])
    assert raised["yhat"].tolist() == [0.0, 15.0, 25.0, 35.0, 45.0, 55.0]


def test_bounds_stay_ordered_after_any_override() -> None:
    rows = _rows()
    for override in (_override(value=0.0), _override(kind=OverrideKind.ADD, value=-12.0),
                     _override(kind=OverrideKind.ADD, value=7.5), _override(value=3.0)):
        out = apply(rows, [override])
        ordered = out[["lo95", "lo80", "yhat", "hi80", "hi95"]].to_numpy()
        assert (np.diff(ordered, axis=1) >= -1e-12).all()
        assert (ordered >= 0).all()


def test_overrides_compose_in_creation_order_and_the_last_one_is_named() -> None:
    rows = _rows()
    add_first = _override(1, kind=OverrideKind.ADD, value=10.0, created=0)
    then_double = _override(2, value=2.0, created=5)
    out = apply(rows, [then_double, add_first])
    assert out["yhat"].iloc[1] == pytest.approx((10.0 + 10.0) * 2.0)
    assert out["override_id"].iloc[1] == 2


def test_scope_by_channel_freq_and_category() -> None:
    rows = pd.concat([_rows("phone"), _rows("chat"), _rows("", freq="30min")],
                     ignore_index=True)
    every_channel = apply(rows, [_override(channel=None)])
    assert every_channel["override_id"].notna().sum() == 6
    only_hourly = apply(rows, [_override(channel=None, freq=Freq.H60)])
    assert set(only_hourly.loc[only_hourly["override_id"].notna(), "channel"]) == {"phone",
                                                                                   "chat"}
    other = replace(_override(), category="refund")
    assert apply(rows, [other])["override_id"].isna().all()


def test_no_overrides_or_no_rows_still_give_the_model_columns() -> None:
    out = apply(_rows(), [])
    assert out["yhat_model"].tolist() == out["yhat"].tolist()
    assert out["override_id"].isna().all()
    empty = apply(_rows().iloc[:0], [_override()])
    assert {"yhat_model", "override_id"} <= set(empty.columns) and empty.empty


def test_adjusted_forecast_reads_active_overrides_at_the_given_instant() -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)

    class FakeStore:
        asked: dict[str, object] = {}

        def latest_forecast(self, **filters: object) -> pd.DataFrame:
            self.asked.update(filters)
            return _rows()

        def list_overrides(self, *, active_at: datetime | None = None) -> list[Override]:
            assert active_at == now
            return [_override()]

    store = FakeStore()
    out = adjusted_forecast(store, now=now, category="billing", freq=Freq.H60)
    assert store.asked["category"] == "billing" and store.asked["freq"] is Freq.H60
    assert out["override_id"].notna().sum() == 2


def _request(**changes: object) -> OverrideRequest:
    fields: dict[str, object] = {
        "category": "billing", "channel": None, "freq": None,
        "start": datetime(2026, 3, 2, tzinfo=UTC), "end": datetime(2026, 3, 3, tzinfo=UTC),
        "kind": OverrideKind.MULTIPLY, "value": 1.1, "reason": "mailing",
        "created_by": "ann",
    }
    fields.update(changes)
    return OverrideRequest(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(("changes", "parameter"), [
    ({"category": " "}, "category"),
    ({"reason": ""}, "reason"),
    ({"created_by": ""}, "created_by"),
    ({"end": datetime(2026, 3, 1, tzinfo=UTC)}, "end"),
    ({"start": datetime(2026, 3, 2)}, "start"),
    ({"value": -0.5}, "value"),
    ({"value": float("nan")}, "value"),
    ({"kind": OverrideKind.ADD, "value": float("inf")}, "value"),
])
def test_bad_requests_name_the_parameter(changes: dict[str, object], parameter: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        _request(**changes)
    assert info.value.name == parameter


def test_negative_adds_are_allowed_and_expiry_defaults_to_the_end() -> None:
    request = _request(kind=OverrideKind.ADD, value=-3.0)
    assert request.expiry() == request.end
    later = datetime(2026, 4, 1, tzinfo=UTC)
    assert _request(expires_at=later).expiry() == later


def test_status_reports_revoked_and_expired() -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    active = replace(_override(), expires_at=now + timedelta(days=1))
    assert active.status(now) == "active"
    assert active.status(now + timedelta(days=2)) == "expired"
    assert replace(active, revoked_at=now, revoked_by="bob").status(now) == "revoked"
