"""Agents required per interval: Erlang C, and Erlang A when customer patience is known.

Each interval is an independent steady state. Erlang C (M/M/n) assumes every contact waits
until answered; Erlang A (M/M/n+M) lets contacts abandon after an exponential patience, and
its service level counts abandoned contacts as misses. Erlang B comes from the recurrence
B(k) = A·B(k-1) / (k + A·B(k-1)): it stays in (0, 1] and needs no factorials.

Erlang A uses exact closed forms of the M/M/n+M steady state (the Garnett-Mandelbaum-Reiman
model) written with M(s, z) = 1F1(1; s+1; z), evaluated in log space: P(wait) from Erlang B
and M(x, y); abandonment and the answered-within-t fraction from ratios of M; the mean wait
of answered contacts from d/ds log M. Here x = n·patience/AHT and y = A·patience/AHT.

Chat concurrency: an agent who handles `concurrency` chats at once is modelled as one server
working that many times faster (effective AHT = aht / concurrency). This common planning
approximation ignores that concurrent chats slow each other down, so give the AHT measured
while agents work at that concurrency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import special

from forecast.errors import InfeasibleStaffing, InvalidParameter

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

AGENT_LIMIT = 100_000  # per interval; larger queues should be split
_SERIES_TERMS = 5_000
_ROUNDING = 1e-9  # relative slack so 14 / 0.7 rounds up to 20, not 21


@dataclass(frozen=True, slots=True)
class StaffingResult:
    """Per-interval staffing; every field is an array aligned with `volume`.

    `traffic_erlangs` uses the effective AHT (aht / concurrency). `service_level` is the share
    of offered contacts answered within `answer_seconds` (NaN when no answer time was given);
    `asa_seconds` is the mean wait of answered contacts; `occupancy` is carried traffic per
    agent; `abandon_rate` is the share of contacts that hang up (0 under Erlang C).
    """

    volume: FloatArray
    traffic_erlangs: FloatArray
    agents: IntArray
    agents_scheduled: IntArray
    service_level: FloatArray
    asa_seconds: FloatArray
    occupancy: FloatArray
    abandon_rate: FloatArray


@dataclass(frozen=True, slots=True)
class _Queue:
    """Validated parameters; `aht` is the effective handling time in seconds."""

    aht: float
    answer_seconds: float | None
    target_sl: float | None
    target_asa: float | None
    max_occupancy: float
    patience: float | None


class _Metrics(NamedTuple):
    service_level: FloatArray
    asa: FloatArray
    occupancy: FloatArray
    abandon: FloatArray


def required_agents(
    volume: npt.ArrayLike,
    *,
    interval_minutes: float,
    aht_seconds: float,
    target_service_level: float | None = None,
    answer_seconds: float | None = None,
    target_asa_seconds: float | None = None,
    max_occupancy: float = 1.0,
    shrinkage: float = 0.0,
    concurrency: float = 1.0,
    patience_seconds: float | None = None,
) -> StaffingResult:
    """Fewest agents per interval meeting every given target and the occupancy cap.

    Targets: `target_service_level` with `answer_seconds` (e.g. 0.8 in 20 s), and/or
    `target_asa_seconds`. Under Erlang C agents also exceed the traffic intensity; with
    `patience_seconds` (Erlang A) abandonment keeps the queue stable, so fewer agents than
    Erlangs is possible. Zero volume needs zero agents. `agents_scheduled` adds shrinkage:
    ceil(agents / (1 - shrinkage)).
    """
    vol = _volume_array(volume)
    minutes = _number("interval_minutes", interval_minutes, low=0.0)
    queue = _queue(aht_seconds, target_service_level, answer_seconds, target_asa_seconds,
                   max_occupancy, concurrency, patience_seconds)
    shrink = _number("shrinkage", shrinkage, low=0.0, high=1.0, closed_low=True,
                     expected="in [0, 1)")
    traffic = vol * queue.aht / (minutes * 60.0)
    busy = np.flatnonzero(vol > 0)
    agents = np.zeros(vol.shape, dtype=np.int64)
    sl = np.full(vol.shape, 1.0 if queue.answer_seconds is not None else math.nan)
    asa_s, occ, ab = np.zeros(vol.shape), np.zeros(vol.shape), np.zeros(vol.shape)
    if busy.size:
        solve = _solve_erlang_a if queue.patience is not None else _solve_erlang_c
        agents[busy] = solve(traffic[busy], queue, busy)
        sl[busy], asa_s[busy], occ[busy], ab[busy] = _metrics(traffic[busy], agents[busy], queue)
    scheduled = np.ceil(agents / (1.0 - shrink) * (1.0 - _ROUNDING)).astype(np.int64)
    return StaffingResult(vol, traffic, agents, scheduled, sl, asa_s, occ, ab)


def erlang_c(traffic: float, agents: int) -> float:
    """Probability that a contact waits (M/M/n); 1.0 when agents <= traffic."""
    a, n = _pair(traffic, agents)
    if n <= a:
        return 1.0 if a > 0 else 0.0
    return float(_prob_wait_c(np.array([a]), np.array([n]))[0])


def service_level(traffic: float, agents: int, *, aht_seconds: float, answer_seconds: float,
                  patience_seconds: float | None = None) -> float:
    """Share of contacts answered within `answer_seconds` (Erlang A with patience)."""
    return float(_point(traffic, agents, aht_seconds, answer_seconds, patience_seconds)[0])


def asa(traffic: float, agents: int, *, aht_seconds: float,
        patience_seconds: float | None = None) -> float:
    """Mean wait in seconds of answered contacts (inf for Erlang C with agents <= traffic)."""
    return float(_point(traffic, agents, aht_seconds, None, patience_seconds)[1])


def abandon_rate(traffic: float, agents: int, *, aht_seconds: float,
                 patience_seconds: float) -> float:
    """Share of contacts that hang up before an answer (Erlang A)."""
    return float(_point(traffic, agents, aht_seconds, None, patience_seconds)[3])


def _point(traffic: float, agents: int, aht_seconds: float, answer_seconds: float | None,
           patience_seconds: float | None) -> tuple[float, float, float, float]:
    a, n = _pair(traffic, agents)
    queue = _Queue(
        aht=_number("aht_seconds", aht_seconds, low=0.0),
        answer_seconds=None if answer_seconds is None else _number(
            "answer_seconds", answer_seconds, low=0.0, closed_low=True),
        target_sl=None, target_asa=None, max_occupancy=1.0,
        patience=None if patience_seconds is None else _number(
            "patience_seconds", patience_seconds, low=0.0),
    )
    if a == 0:
        return 1.0, 0.0, 0.0, 0.0
    if n == 0:
        return 0.0, math.inf, 0.0, (0.0 if queue.patience is None else 1.0)
    if queue.patience is None and n <= a:
        return 0.0, math.inf, 1.0, 0.0
    m = _metrics(np.array([a]), np.array([n], dtype=np.int64), queue)
    return float(m[0][0]), float(m[1][0]), float(m[2][0]), float(m[3][0])


def _erlang_b(traffic: FloatArray, agents: IntArray) -> FloatArray:
    """Erlang B for each (traffic, agents) pair by the recurrence, in cost sum(agents)."""
    order = np.argsort(agents, kind="stable")
    a, n = traffic[order], agents[order]
    b = np.ones(a.shape)
    top = int(n[-1]) if n.size else 0
    starts = np.searchsorted(n, np.arange(1, top + 1), side="left")
    for k, start in enumerate(starts, start=1):
        if a.size - start <= 4:  # a few long tails: plain floats beat numpy call overhead
            b[start:] = [_erlang_b_tail(float(ai), float(bi), k, int(ni))
                         for ai, bi, ni in zip(a[start:], b[start:], n[start:], strict=True)]
            break
        ab = a[start:] * b[start:]
        b[start:] = ab / (k + ab)
    out = np.empty_like(b)
    out[order] = b
    return out


def _erlang_b_tail(a: float, b: float, first: int, last: int) -> float:
    for k in range(first, last + 1):
        b = a * b / (k + a * b)
    return b


def _prob_wait_c(a: FloatArray, n: IntArray, b: FloatArray | None = None) -> FloatArray:
    """Erlang C from Erlang B: C = n·B / (n - A·(1 - B)); needs n > A."""
    b = _erlang_b(a, n) if b is None else b
    return np.asarray(n * b / (n - a * (1.0 - b)), dtype=np.float64)


def _metrics_c(a: FloatArray, n: IntArray, q: _Queue, b: FloatArray | None = None) -> _Metrics:
    c = _prob_wait_c(a, n, b)
    gap = n - a
    sl = (np.full(a.shape, math.nan) if q.answer_seconds is None
          else 1.0 - c * np.exp(-gap * q.answer_seconds / q.aht))
    return _Metrics(sl, c * q.aht / gap, a / n, np.zeros(a.shape))


def _log_kummer(s: FloatArray, z: FloatArray) -> FloatArray:
    """log M(s, z) = log 1F1(1; s+1; z) = log(s·e^z·z^-s·γ(s, z)) for s > 0, z >= 0.

    The regularised incomplete gamma is used unless it would underflow (z well below s),
    where the series sum_m prod_{j<=m} z/(s+j) converges fast instead.
    """
    u = np.maximum(z / s, 1e-300)
    series = (z == 0) | ((u < 1.0) & (s * (u - 1.0 - np.log(u)) > 600.0))
    out = np.empty(s.shape)
    g = ~series
    sg, zg = s[g], z[g]
    out[g] = (np.log(sg) + zg - sg * np.log(zg) + special.gammaln(sg)
              + np.log(special.gammainc(sg, zg)))
    if series.any():
        out[series] = _kummer_series(s[series], z[series])
    return out


def _kummer_series(s: FloatArray, z: FloatArray) -> FloatArray:
    total, term = np.ones(s.shape), np.ones(s.shape)
    for j in range(1, _SERIES_TERMS):
        term *= z / (s + j)
        total += term
        if np.all(term <= 1e-17 * total):
            break
    return np.asarray(np.log(total), dtype=np.float64)


def _metrics_a(a: FloatArray, n: IntArray, q: _Queue, patience: float) -> _Metrics:
    """M/M/n+M: P(wait), abandonment, answered within t, ASA of answered contacts."""
    b = _erlang_b(a, n)
    x = np.asarray(n * (patience / q.aht), dtype=np.float64)
    y = a * (patience / q.aht)
    l0, l1 = _log_kummer(x, y), _log_kummer(x + 1.0, y)
    p_wait = b / (b + (1.0 - b) * np.exp(-l0))
    served_if_wait = x / (x + 1.0) * np.exp(l1 - l0)
    abandon = np.clip(p_wait * (1.0 - served_if_wait), 0.0, 1.0)
    sl = np.full(a.shape, math.nan)
    if q.answer_seconds is not None:
        t = q.answer_seconds
        decay = math.exp(-t / patience)
        late = np.exp(y * (1.0 - decay) - (n / q.aht + 1.0 / patience) * t
                      + _log_kummer(x + 1.0, y * decay) - l0)
        sl = np.clip(1.0 - p_wait + p_wait * x / (x + 1.0) * (np.exp(l1 - l0) - late), 0.0, 1.0)
    h = 1e-5 * (x + 1.0)
    slope = (_log_kummer(x + 1.0 + h, y) - _log_kummer(x + 1.0 - h, y)) / (2.0 * h)
    wait_served = p_wait * served_if_wait * patience * (1.0 / (x + 1.0) - slope)
    asa_s = np.maximum(wait_served, 0.0) / (1.0 - abandon)
    return _Metrics(sl, asa_s, a * (1.0 - abandon) / n, abandon)


def _metrics(a: FloatArray, n: IntArray, q: _Queue) -> _Metrics:
    return _metrics_c(a, n, q) if q.patience is None else _metrics_a(a, n, q, q.patience)


def _meets(m: _Metrics, q: _Queue) -> npt.NDArray[np.bool_]:
    ok = m.occupancy <= q.max_occupancy
    if q.target_sl is not None:
        ok &= m.service_level >= q.target_sl
    if q.target_asa is not None:
        ok &= m.asa <= q.target_asa
    return np.asarray(ok, dtype=np.bool_)


def _search_limit(a: FloatArray, q: _Queue) -> IntArray:
    limit = np.ceil(a / q.max_occupancy) + 20 * np.ceil(np.sqrt(a)) + 200
    return np.asarray(limit, dtype=np.int64)


def _solve_erlang_c(a: FloatArray, q: _Queue, where: IntArray) -> IntArray:
    """Start at the least n with n > A and A/n <= cap, then step up until targets hold."""
    n = np.maximum(np.floor(a).astype(np.int64) + 1, _occupancy_floor(a, q.max_occupancy))
    limit = _search_limit(a, q)
    _raise_if_over(n, limit, a, where, q)
    b = _erlang_b(a, n)
    todo = np.flatnonzero(~_meets(_metrics_c(a, n, q, b), q))
    while todo.size:
        n[todo] += 1
        ab = a[todo] * b[todo]
        b[todo] = ab / (n[todo] + ab)
        _raise_if_over(n[todo], limit[todo], a[todo], where[todo], q)
        ok = _meets(_metrics_c(a[todo], n[todo], q, b[todo]), q)
        todo = todo[~ok]
    return n


def _solve_erlang_a(a: FloatArray, q: _Queue, where: IntArray) -> IntArray:
    """Bisection on n: every target is monotone in n, and n < target_sl·A always fails."""
    limit = _search_limit(a, q)
    floor_sl = 0.0 if q.target_sl is None else q.target_sl
    lo = np.maximum(np.ceil(floor_sl * a / q.max_occupancy).astype(np.int64) - 1, 0)
    hi = np.maximum(lo + 1, np.ceil(a).astype(np.int64) + 1)
    _raise_if_over(hi, limit, a, where, q)

    def meets(idx: npt.NDArray[np.intp], n: IntArray) -> npt.NDArray[np.bool_]:
        return _meets(_metrics(a[idx], n, q), q)

    todo = np.flatnonzero(~meets(np.arange(a.size), hi))
    while todo.size:
        _raise_if_over(hi[todo] + 1, limit[todo], a[todo], where[todo], q)
        lo[todo], hi[todo] = hi[todo], np.minimum(2 * hi[todo], limit[todo])
        todo = todo[~meets(todo, hi[todo])]
    todo = np.flatnonzero(hi - lo > 1)
    while todo.size:
        mid = (lo[todo] + hi[todo]) // 2
        ok = meets(todo, mid)
        hi[todo[ok]], lo[todo[~ok]] = mid[ok], mid[~ok]
        todo = todo[hi[todo] - lo[todo] > 1]
    return np.asarray(hi, dtype=np.int64)


def _occupancy_floor(a: FloatArray, cap: float) -> IntArray:
    """Least integer n with a / n <= cap in floating point."""
    n = np.maximum(np.ceil(a / cap).astype(np.int64), 1)
    n = np.where((n > 1) & (a / np.maximum(n - 1, 1) <= cap), n - 1, n)
    return np.asarray(np.where(a / n > cap, n + 1, n), dtype=np.int64)


def _raise_if_over(n: IntArray, limit: IntArray, a: FloatArray, where: IntArray,
                   q: _Queue) -> None:
    big = np.flatnonzero(n > AGENT_LIMIT)
    if big.size:
        i = big[0]
        raise InfeasibleStaffing(
            f"interval {int(where[i])}: {a[i]:.6g} Erlangs at max_occupancy={q.max_occupancy} "
            f"needs more than {AGENT_LIMIT} agents; split the queue or check volume and AHT")
    over = np.flatnonzero(n > limit)
    if over.size:
        i = over[0]
        targets = ", ".join(f"{k}={v}" for k, v in (
            ("target_service_level", q.target_sl), ("answer_seconds", q.answer_seconds),
            ("target_asa_seconds", q.target_asa)) if v is not None)
        raise InfeasibleStaffing(
            f"interval {int(where[i])}: no agent count up to {int(limit[i])} meets {targets} "
            f"at {a[i]:.6g} Erlangs; relax the target")


def _queue(aht: float, sl: float | None, answer: float | None, asa_target: float | None,
           occupancy: float, concurrency: float, patience: float | None) -> _Queue:
    if sl is None and asa_target is None:
        raise InvalidParameter("target_service_level", None, "given, or target_asa_seconds")
    if (sl is None) != (answer is None):
        missing = "answer_seconds" if answer is None else "target_service_level"
        raise InvalidParameter(missing, None, "given together with "
                               + ("target_service_level" if answer is None else "answer_seconds"))
    return _Queue(
        aht=_number("aht_seconds", aht, low=0.0) / _number(
            "concurrency", concurrency, low=1.0, closed_low=True, expected="a number >= 1"),
        answer_seconds=None if answer is None else _number(
            "answer_seconds", answer, low=0.0, closed_low=True),
        target_sl=None if sl is None else _number(
            "target_service_level", sl, low=0.0, high=1.0, expected="in (0, 1)"),
        target_asa=None if asa_target is None else _number(
            "target_asa_seconds", asa_target, low=0.0),
        max_occupancy=_number("max_occupancy", occupancy, low=0.0, high=1.0,
                              closed_high=True, expected="in (0, 1]"),
        patience=None if patience is None else _number("patience_seconds", patience, low=0.0),
    )


def _number(name: str, value: object, *, low: float, high: float = math.inf,
            closed_low: bool = False, closed_high: bool = False,
            expected: str | None = None) -> float:
    """Validate a finite number in a range; the error names the parameter and the value."""
    if expected is None:
        expected = f"a finite number {'>=' if closed_low else '>'} {low:g}"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidParameter(name, value, expected) from None
    above = number >= low if closed_low else number > low
    below = number <= high if closed_high else number < high
    if not (math.isfinite(number) and above and below):
        raise InvalidParameter(name, number, expected)
    return number


def _volume_array(volume: npt.ArrayLike) -> FloatArray:
    try:
        vol = np.atleast_1d(np.asarray(volume, dtype=np.float64))
    except (TypeError, ValueError):
        raise InvalidParameter("volume", volume, "an array of numbers") from None
    if vol.ndim != 1:
        raise InvalidParameter("volume", f"shape {vol.shape}", "one-dimensional")
    bad = np.flatnonzero(~np.isfinite(vol) | (vol < 0))
    if bad.size:
        raise InvalidParameter(f"volume[{int(bad[0])}]", float(vol[bad[0]]),
                               "a finite number >= 0")
    return vol


def _pair(traffic: float, agents: int) -> tuple[float, int]:
    n = _number("agents", agents, low=0.0, closed_low=True, expected="a whole number >= 0")
    if not n.is_integer():
        raise InvalidParameter("agents", agents, "a whole number >= 0")
    return _number("traffic", traffic, low=0.0, closed_low=True), int(n)
