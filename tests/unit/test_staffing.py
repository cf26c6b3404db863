"""Erlang C / Erlang A staffing: known answers, independent references, invariants."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from forecast.errors import InfeasibleStaffing, InvalidInput, InvalidParameter
from forecast.staffing import (
    StaffingResult,
    abandon_rate,
    asa,
    erlang_c,
    required_agents,
    service_level,
)
from forecast.staffing_table import STAFFING_COLUMNS, read_forecast_csv, staff_forecast

SL_80_20 = {"target_service_level": 0.8, "answer_seconds": 20}


def textbook_erlang_c(a: float, n: int) -> float:
    """P(wait) straight from the factorial formula (fine for small n)."""
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


def ctmc_erlang_a(a: float, n: int, aht: float, patience: float, t: float) -> tuple[float, ...]:
    """M/M/n+M by brute force: truncated birth-death steady state, then each waiting
    caller's fate from the absorbing chain of 'callers ahead' (expm and the fundamental
    matrix). Returns answered-within-t share, mean wait of answered, abandonment."""
    lam, mu, theta, size = a / aht, 1 / aht, 1 / patience, n + 120
    logp = np.cumsum([0.0] + [math.log(lam / (min(k, n) * mu + max(k - n, 0) * theta))
                              for k in range(1, size)])
    p = np.exp(logp - logp.max())
    p /= p.sum()
    within, served, wait = p[:n].sum(), p[:n].sum(), 0.0
    for ahead in range(size - n):
        if p[n + ahead] < 1e-16:
            break
        gen = np.zeros((ahead + 2, ahead + 2))  # states: callers ahead 0..ahead, then served
        for j in range(ahead + 1):
            advance = n * mu + j * theta
            gen[j, j] = -(advance + theta)
            gen[j, j - 1 if j else ahead + 1] = advance
        start = np.zeros(ahead + 2)
        start[ahead] = 1.0
        within += p[n + ahead] * (start @ expm(gen * t))[-1]
        fundamental = np.linalg.inv(-gen[:-1, :-1])
        exit_rate = gen[:-1, -1]
        served += p[n + ahead] * start[:-1] @ fundamental @ exit_rate
        wait += p[n + ahead] * start[:-1] @ fundamental @ fundamental @ exit_rate
    return within, wait / served, 1 - served


def staff(volume: object, **kwargs: object) -> StaffingResult:
    params: dict[str, object] = {"interval_minutes": 30, "aht_seconds": 180, **SL_80_20}
    params.update(kwargs)
    return required_agents(volume, **params)  # type: ignore[arg-type]


def test_known_answer_100_calls_80_in_20() -> None:
    result = required_agents([100], interval_minutes=30, aht_seconds=180, **SL_80_20,
                             max_occupancy=0.85, shrinkage=0.3)
    assert result.traffic_erlangs[0] == pytest.approx(10.0)
    assert result.agents.tolist() == [14]
    assert result.agents_scheduled.tolist() == [20]
    assert result.service_level[0] >= 0.8
    assert service_level(10, 13, aht_seconds=180, answer_seconds=20) < 0.8
    assert result.abandon_rate[0] == 0.0


@pytest.mark.parametrize(("a", "n"), [(0.5, 1), (1, 2), (2, 3), (4.2, 5), (10, 11), (10, 14),
                                      (17.5, 20), (30, 38)])
def test_recurrence_matches_factorial_formula(a: float, n: int) -> None:
    c = textbook_erlang_c(a, n)
    assert erlang_c(a, n) == pytest.approx(c, rel=1e-12)
    aht, t = 240.0, 15.0
    assert service_level(a, n, aht_seconds=aht, answer_seconds=t) == pytest.approx(
        1 - c * math.exp(-(n - a) * t / aht), rel=1e-12)
    assert asa(a, n, aht_seconds=aht) == pytest.approx(c * aht / (n - a), rel=1e-12)


def test_textbook_queues() -> None:
    assert erlang_c(0.7, 1) == pytest.approx(0.7)  # M/M/1: P(wait) = rho
    assert erlang_c(1.0, 2) == pytest.approx(1 / 3)  # M/M/2, rho = 0.5: 2 rho^2 / (1 + rho)
    assert erlang_c(5, 5) == 1.0 and asa(5, 4, aht_seconds=60) == math.inf
    assert erlang_c(0, 3) == 0.0


def test_zero_volume_needs_nobody() -> None:
    result = staff([0, 0.0, 40])
    assert result.agents.tolist()[:2] == [0, 0]
    assert result.agents[2] > 0
    assert result.service_level[:2].tolist() == [1.0, 1.0]
    assert result.asa_seconds[:2].tolist() == [0.0, 0.0]
    assert result.occupancy[:2].tolist() == [0.0, 0.0]
    assert result.agents.dtype == np.int64 and result.agents_scheduled.dtype == np.int64


def test_asa_target_alone_and_with_sl() -> None:
    only = staff([100], target_service_level=None, answer_seconds=None, target_asa_seconds=15)
    n = int(only.agents[0])
    assert only.asa_seconds[0] <= 15 < asa(10, n - 1, aht_seconds=180)
    assert math.isnan(only.service_level[0])
    both = staff([100], target_asa_seconds=5)
    assert both.asa_seconds[0] <= 5 and both.service_level[0] >= 0.8
    assert both.agents[0] == max(n, int(staff([100]).agents[0]), int(
        staff([100], target_service_level=None, answer_seconds=None,
              target_asa_seconds=5).agents[0]))


def test_concurrency_is_effective_aht() -> None:
    chats = staff([300, 50], aht_seconds=600, concurrency=3)
    plain = staff([300, 50], aht_seconds=200)
    assert chats.agents.tolist() == plain.agents.tolist()
    assert chats.traffic_erlangs.tolist() == pytest.approx(plain.traffic_erlangs.tolist())


def test_large_traffic_has_no_overflow() -> None:
    volume = 2000 * 1800 / 180  # 2,000 Erlangs
    result = staff([volume], max_occupancy=0.95)
    n = int(result.agents[0])
    assert 2000 < n < 2000 + 5 * math.sqrt(2000) + 110
    assert result.service_level[0] >= 0.8
    assert service_level(2000, n - 1, aht_seconds=180, answer_seconds=20) < 0.8 or \
        2000 / (n - 1) > 0.95
    patient = staff([volume], patience_seconds=300)
    assert 0 < patient.agents[0] <= n and np.isfinite(patient.asa_seconds).all()


@pytest.mark.parametrize(("a", "n", "patience", "t"), [
    (5, 6, 120, 20), (10, 8, 60, 20), (3, 2, 600, 30), (20, 22, 30, 10), (8, 12, 1000, 60)])
def test_erlang_a_matches_brute_force_chain(a: float, n: int, patience: float, t: float) -> None:
    within, wait, abandoned = ctmc_erlang_a(a, n, 180.0, patience, t)
    kw = {"aht_seconds": 180.0, "patience_seconds": patience}
    assert service_level(a, n, answer_seconds=t, **kw) == pytest.approx(within, rel=1e-8)
    assert asa(a, n, **kw) == pytest.approx(wait, rel=1e-7)
    assert abandon_rate(a, n, **kw) == pytest.approx(abandoned, rel=1e-8)


def test_erlang_a_tends_to_erlang_c_and_needs_fewer_agents() -> None:
    erlang_a = staff([100], patience_seconds=1e7)
    plain = staff([100])
    assert erlang_a.agents.tolist() == plain.agents.tolist()
    assert erlang_a.service_level[0] == pytest.approx(plain.service_level[0], abs=1e-5)
    impatient = staff([100], patience_seconds=120)
    assert impatient.agents[0] < plain.agents[0]
    assert 0 < impatient.abandon_rate[0] < 0.2


def test_agent_limit_raises_infeasible() -> None:
    with pytest.raises(InfeasibleStaffing, match="interval 1: .* more than 100000 agents"):
        staff([1, 1e9])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"target_service_level": 1.2}, "target_service_level must be in (0, 1); got 1.2"),
    ({"target_service_level": 0.0}, "target_service_level must be in (0, 1); got 0.0"),
    ({"answer_seconds": -1}, "answer_seconds must be a finite number >= 0; got -1.0"),
    ({"aht_seconds": 0}, "aht_seconds must be a finite number > 0; got 0.0"),
    ({"interval_minutes": "x"}, "interval_minutes must be a finite number > 0; got 'x'"),
    ({"max_occupancy": 1.5}, "max_occupancy must be in (0, 1]; got 1.5"),
    ({"shrinkage": 1.0}, "shrinkage must be in [0, 1); got 1.0"),
    ({"concurrency": 0.5}, "concurrency must be a number >= 1; got 0.5"),
    ({"patience_seconds": 0}, "patience_seconds must be a finite number > 0; got 0.0"),
    ({"answer_seconds": None}, "answer_seconds must be given together with"),
    ({"target_service_level": None, "answer_seconds": None}, "or target_asa_seconds"),
    ({"volume": [1, float("nan")]}, "volume[1] must be a finite number >= 0; got nan"),
    ({"volume": [[1, 2]]}, "volume must be one-dimensional"),
])
def test_invalid_parameters_are_named(kwargs: dict[str, object], message: str) -> None:
    volume = kwargs.pop("volume", [10])
    with pytest.raises(InvalidParameter) as caught:
        staff(volume, **kwargs)
    assert message in str(caught.value)


volumes = st.floats(min_value=0.0, max_value=3000.0, allow_nan=False)
queues = st.fixed_dictionaries({
    "aht_seconds": st.floats(min_value=30, max_value=900),
    "target_service_level": st.floats(min_value=0.5, max_value=0.95),
    "answer_seconds": st.sampled_from([0, 10, 20, 60]),
    "max_occupancy": st.floats(min_value=0.6, max_value=1.0),
    "patience_seconds": st.one_of(st.none(), st.floats(min_value=10, max_value=900)),
})


@settings(max_examples=80, deadline=None)
@given(low=volumes, extra=volumes, queue=queues)
def test_staffing_invariants(low: float, extra: float, queue: dict[str, float]) -> None:
    result = staff([low, low + extra], interval_minutes=15, **queue)
    cap, target = queue["max_occupancy"], queue["target_service_level"]
    assert result.agents[0] <= result.agents[1]
    assert np.all(result.occupancy <= cap)
    assert np.all(result.service_level >= target)
    busy = result.volume > 0
    if queue["patience_seconds"] is None:
        assert np.all(result.agents[busy] > result.traffic_erlangs[busy])
    assert np.all((result.agents > 0) == busy)
    kw = {"aht_seconds": queue["aht_seconds"], "patience_seconds": queue["patience_seconds"]}
    for a, n in zip(result.traffic_erlangs[busy], result.agents[busy], strict=True):
        if n == 1:
            continue
        fewer_sl = service_level(a, n - 1, answer_seconds=queue["answer_seconds"], **kw)
        fewer_occ = a / (n - 1) if kw["patience_seconds"] is None else \
            a * (1 - abandon_rate(a, n - 1, **kw)) / (n - 1)  # type: ignore[arg-type]
        assert fewer_sl < target or fewer_occ > cap, "one agent fewer must miss a target"


def test_staff_forecast_columns_and_interval_inference() -> None:
    ts = pd.date_range("2024-03-04 08:00", periods=4, freq="30min")
    frame = pd.DataFrame({"ts": list(ts) * 2, "category": ["billing"] * 4 + ["tech"] * 4,
                          "yhat": [100, 80, 0, 20, 5, 5, 5, 5], "model": "x"})
    out = staff_forecast(frame, aht_seconds=180, target_service_level=0.8, answer_seconds=20,
                         max_occupancy=0.85, shrinkage=0.3)
    assert tuple(out.columns) == STAFFING_COLUMNS
    assert out.loc[0, "agents"] == 14 and out.loc[0, "agents_scheduled"] == 20
    assert out.loc[2, "agents"] == 0
    assert out["ts"].tolist() == frame["ts"].tolist()


def test_staff_forecast_channel_and_erlang_a_columns() -> None:
    ts = pd.date_range("2024-03-31 00:00", periods=8, freq="30min", tz="Europe/Berlin")
    frame = pd.DataFrame({"ts": ts, "category": "a", "channel": "chat", "yhat": 50.0})
    out = staff_forecast(frame, aht_seconds=180, target_service_level=0.8, answer_seconds=20,
                         patience_seconds=90)
    assert list(out.columns) == [*STAFFING_COLUMNS[:2], "channel", *STAFFING_COLUMNS[2:],
                                 "abandon_rate"]
    expected = staff([50.0], patience_seconds=90)  # 30-min spacing across the DST change
    assert out["agents"].tolist() == [int(expected.agents[0])] * 8


def test_daily_forecast_needs_interval_minutes() -> None:
    frame = pd.DataFrame({"ts": pd.date_range("2024-03-04", periods=3, freq="D"),
                          "category": "a", "yhat": [1000.0, 1200.0, 900.0]})
    with pytest.raises(InvalidParameter, match="interval_minutes must be given for daily"):
        staff_forecast(frame, aht_seconds=180, target_service_level=0.8, answer_seconds=20)
    out = staff_forecast(frame, aht_seconds=180, target_service_level=0.8, answer_seconds=20,
                         interval_minutes=600)
    assert out["agents"].tolist() == staff([1000.0, 1200.0, 900.0],
                                           interval_minutes=600).agents.tolist()


@pytest.mark.parametrize(("text", "message"), [
    ("ts,category\n2024-03-04,a\n", "row 1: missing required column(s) yhat"),
    ("ts,category,yhat\n2024-03-04,a,1\n2024-03-05,a,-2\n",
     "row 3, column 'yhat': yhat must be >= 0; got '-2'"),
    ("ts,category,yhat\n2024-03-04,a,lots\n", "row 2, column 'yhat': yhat must be a finite"),
    ("ts,category,yhat\n2024-03-04,a,1\nsoon,a,1\n", "row 3, column 'ts': cannot parse"),
    ("ts,category,yhat\n2024-03-04,,1\n", "row 2, column 'category': category is empty"),
    ("ts,category,yhat\n2024-03-04,a,1\n2024-03-04,a,2\n", "row 3, column 'ts': duplicate"),
    ("", "the file is empty"),
])
def test_read_forecast_csv_names_row_and_column(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_forecast_csv(io.BytesIO(text.encode()))
    assert message in str(caught.value)


def test_read_forecast_csv_keeps_extra_columns() -> None:
    text = "ts,category,yhat,lo80,model\n2024-03-04T08:00:00,a,12.5,10,ets\n"
    frame = read_forecast_csv(text.encode())
    assert frame.loc[0, "yhat"] == 12.5 and frame.loc[0, "model"] == "ets"
    assert frame.loc[0, "ts"] == pd.Timestamp("2024-03-04 08:00")


def test_scalar_helpers_validate_and_handle_edges() -> None:
    with pytest.raises(InvalidParameter, match="agents must be a whole number >= 0; got 2.5"):
        erlang_c(1.0, 2.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameter, match="traffic must be a finite number >= 0"):
        asa(-1.0, 3, aht_seconds=60)
    with pytest.raises(InvalidParameter, match="volume must be an array of numbers"):
        staff(["many"])
    assert service_level(2.0, 0, aht_seconds=60, answer_seconds=20) == 0.0
    assert abandon_rate(2.0, 0, aht_seconds=60, patience_seconds=30) == 1.0
    assert service_level(0.0, 0, aht_seconds=60, answer_seconds=20) == 1.0
    assert 0 < abandon_rate(3.0, 2, aht_seconds=60, patience_seconds=30) < 1  # n < traffic


@pytest.mark.parametrize(("ts", "message"), [
    (["2024-03-04 08:00", "2024-03-04 08:00"], "every series has a single timestamp"),
    (["2024-03-04 08:00", "2024-03-04 08:30", "2024-03-04 09:15"], "series mix intervals"),
])
def test_interval_inference_refuses_to_guess(ts: list[str], message: str) -> None:
    frame = pd.DataFrame({"ts": pd.to_datetime(ts), "yhat": 10.0,
                          "category": [f"c{k}" for k in range(len(ts))]
                          if len(set(ts)) == 1 else "a"})
    with pytest.raises(InvalidParameter, match=message):
        staff_forecast(frame, aht_seconds=180, target_service_level=0.8, answer_seconds=20)
