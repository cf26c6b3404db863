"""Forecast reads of a published run against a bare endpoint sending the same bytes.

    python bench/api.py                        # 16 connections, 5 rounds of 2 s per case
    python bench/api.py --seconds 8 --rounds 3

Builds a synthetic store with one published run (20 categories x phone/chat/total,
28 days daily, 14 days at 30 minutes for the totals) and a `read` API key in a temporary
folder, starts `uvicorn --factory api.app:create_app` on it twice (default settings, as
deployed: keys on, the run pointer re-read at most once a second; and
VOCAST_RUN_CHECK_SECONDS=0: re-read for every request), and a bare FastAPI app that
returns the real server's bytes from memory. Every request sends the key in `X-API-Key`,
as a BI tool does (the bare endpoint ignores it). Each case is driven over loopback only,
with wrk when installed (apt-get install wrk) and otherwise an asyncio httpx client,
alternating servers round by round so load from elsewhere on the machine hits them
alike; each figure is the median over the rounds, as bursts of other work on a shared
machine land in one round or another. Prints req/s, p50 and p99 per server and the
ratio to the bare endpoint; the targets (>= 0.7x throughput, p99 <= 2x) are printed,
never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from fastapi import Request
from fastapi.responses import Response

REPO_ROOT = Path(__file__).resolve().parents[1]
TIMEZONE = "Asia/Seoul"
RUN_ID = "bench-run"
CATEGORIES = [f"category-{k:02d}" for k in range(20)]
CHANNELS = ["phone", "chat", ""]
CASES = {  # name -> (query, extra request headers)
    "json": ("/v1/forecasts?freq=D&channel=phone", {}),
    "csv": ("/v1/forecasts?freq=D&channel=phone&format=csv", {}),
    "304": ("/v1/forecasts?freq=D&channel=phone", {"If-None-Match": "<etag>"}),
}
MIN_THROUGHPUT_RATIO = 0.7
MAX_P99_RATIO = 2.0
_WRK_LATENCY = re.compile(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_WRK_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True, slots=True)
class Sample:
    rate: float
    p50_ms: float
    p99_ms: float


def forecast_frame() -> pd.DataFrame:
    """Daily rows for every series, 30-minute rows for the all-channel totals."""
    days = pd.date_range("2026-03-02", periods=28, freq="D", tz=TIMEZONE)
    ticks = pd.date_range("2026-03-02", periods=14 * 48, freq="30min", tz=TIMEZONE)
    parts = []
    for k, category in enumerate(CATEGORIES):
        for channel in CHANNELS:
            parts.append(_rows(days, category, channel, "D", 100.0 + k))
        parts.append(_rows(ticks, category, "", "30min", 5.0 + k))
    return pd.concat(parts, ignore_index=True)


def _rows(ts: pd.DatetimeIndex, category: str, channel: str, freq: str, base: float
          ) -> pd.DataFrame:
    yhat = base + np.sin(np.arange(len(ts)) / 3.0) * base / 4
    return pd.DataFrame({"ts": ts, "category": category, "channel": channel, "freq": freq,
                         "yhat": yhat, "lo80": yhat * 0.9, "hi80": yhat * 1.1,
                         "lo95": yhat * 0.8, "hi95": yhat * 1.2, "model": "ets"})


def build_store(database_url: str) -> tuple[int, str]:
    """The published run's row count and a `read` key (which turns auth on)."""
    from data.store import open_store
    from forecast.store import ACCURACY_COLUMNS

    frame = forecast_frame()
    store = open_store(database_url)
    try:
        store.save_run(RUN_ID, frame, pd.DataFrame({c: [] for c in ACCURACY_COLUMNS}))
        store.publish_run(RUN_ID)
        _, token = store.create_api_key("bench-bi", ["read"])
    finally:
        store.dispose()
    return len(frame), token


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=sink,
                                stderr=subprocess.STDOUT)


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text()}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"server did not start in 60 s:\n{log.read_text()}")


def vocast_server(database_url: str, workdir: Path, **settings: str
                  ) -> tuple[str, subprocess.Popen[bytes]]:
    """The real server with default settings but for `settings` (VOCAST_ names, lower case)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOCAST_")}
    env |= {"VOCAST_DATABASE_URL": database_url, "VOCAST_TIMEZONE": TIMEZONE,
            "PYTHONPATH": str(REPO_ROOT), **{f"VOCAST_{k.upper()}": v for k, v in settings.items()}}
    log = workdir / f"vocast-{port}.log"
    process = start([sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app",
                     "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                     "--no-access-log"], env, log)
    base = f"http://127.0.0.1:{port}"
    wait_ready(f"{base}/healthz", process, log)
    return base, process


def bare_server(bodies: Path, workdir: Path) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    log = workdir / "bare.log"
    process = start([sys.executable, __file__, "--serve-bare", str(bodies), str(port)],
                    dict(os.environ), log)
    base = f"http://127.0.0.1:{port}"
    wait_ready(f"{base}/healthz", process, log)
    return base, process


def serve_bare(bodies: Path, port: int) -> None:
    """A FastAPI app that only returns prepared bytes (what wire speed means here).

    `Request` and `Response` are imported at module level: FastAPI resolves the handlers'
    (postponed) annotations in the module's globals.
    """
    import uvicorn
    from fastapi import FastAPI

    json_body = (bodies / "body.json").read_bytes()
    csv_body = (bodies / "body.csv").read_bytes()
    etag = (bodies / "etag").read_text()
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(b"{}", media_type="application/json")

    @app.get("/v1/forecasts")
    async def forecasts(request: Request) -> Response:
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        if request.query_params.get("format") == "csv":
            return Response(csv_body, media_type="text/csv; charset=utf-8")
        return Response(json_body, media_type="application/json")

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def drive_wrk(url: str, headers: dict[str, str], seconds: float, connections: int) -> Sample:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", url]
    for name, value in headers.items():
        command[1:1] = ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    latency = {m[0]: float(m[1]) * _UNIT_MS[m[2]] for m in _WRK_LATENCY.findall(output)}
    if "Non-2xx or 3xx responses" in output:
        raise SystemExit(f"error answers from {url}:\n{output}")
    rate = _WRK_RATE.search(output)
    if rate is None or set(latency) != {"50", "99"}:
        raise SystemExit(f"cannot read wrk output:\n{output}")
    return Sample(float(rate.group(1)), latency["50"], latency["99"])


def drive_httpx(url: str, headers: dict[str, str], seconds: float, connections: int
                ) -> Sample:
    async def run() -> Sample:
        latencies: list[float] = []
        limits = httpx.Limits(max_connections=connections)
        async with httpx.AsyncClient(limits=limits, headers=headers, timeout=10.0) as client:
            deadline = time.perf_counter() + seconds

            async def worker() -> None:
                while (began := time.perf_counter()) < deadline:
                    if (await client.get(url)).status_code >= 400:
                        raise SystemExit(f"error answer from {url}")
                    latencies.append((time.perf_counter() - began) * 1000)

            await asyncio.gather(*(worker() for _ in range(connections)))
        cuts = statistics.quantiles(latencies, n=100)
        return Sample(len(latencies) / seconds, cuts[49], cuts[98])

    return asyncio.run(run())


def measure(bases: dict[str, str], case: str, etag: str, token: str,
            args: argparse.Namespace) -> dict[str, Sample]:
    query, headers = CASES[case]
    headers = {k: v.replace("<etag>", etag) for k, v in headers.items()} | {"X-API-Key": token}
    drive = drive_wrk if shutil.which("wrk") and not args.httpx else drive_httpx
    rounds: dict[str, list[Sample]] = {name: [] for name in bases}
    for _ in range(args.rounds):
        for name, base in bases.items():
            drive(base + query, headers, 1.0, args.connections)  # warm-up
            rounds[name].append(drive(base + query, headers, args.seconds, args.connections))
    return {name: Sample(statistics.median(s.rate for s in samples),
                         statistics.median(s.p50_ms for s in samples),
                         statistics.median(s.p99_ms for s in samples))
            for name, samples in rounds.items()}


def report(case: str, samples: dict[str, Sample]) -> None:
    bare = samples["bare"]
    for name, sample in samples.items():
        verdict = ""
        if name != "bare":
            rate_ratio = sample.rate / bare.rate
            p99_ratio = sample.p99_ms / bare.p99_ms
            met = rate_ratio >= MIN_THROUGHPUT_RATIO and p99_ratio <= MAX_P99_RATIO
            verdict = (f"{rate_ratio:5.2f}x req/s  {p99_ratio:5.2f}x p99  "
                       f"{'target met' if met else 'below target'}")
        print(f"  {case:<5} {name:<22} {sample.rate:9.0f} {sample.p50_ms:8.2f} "
              f"{sample.p99_ms:8.2f}   {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per round and server")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--httpx", action="store_true", help="use httpx even if wrk exists")
    parser.add_argument("--serve-bare", nargs=2, metavar=("BODIES", "PORT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(Path(args.serve_bare[0]), int(args.serve_bare[1]))
        return
    with tempfile.TemporaryDirectory(prefix="vocast-bench-api-") as folder:
        run_bench(Path(folder), args)


def run_bench(workdir: Path, args: argparse.Namespace) -> None:
    database_url = f"sqlite:///{workdir / 'bench.db'}"
    rows, token = build_store(database_url)
    key = {"X-API-Key": token}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        default, process = vocast_server(database_url, workdir)
        processes.append(process)
        strict, process = vocast_server(database_url, workdir, run_check_seconds="0")
        processes.append(process)
        first = httpx.get(default + CASES["json"][0], headers=key)
        first.raise_for_status()
        etag = first.headers["etag"]
        (workdir / "body.json").write_bytes(first.content)
        csv_body = httpx.get(default + CASES["csv"][0], headers=key).content
        (workdir / "body.csv").write_bytes(csv_body)
        (workdir / "etag").write_text(etag)
        bare, process = bare_server(workdir, workdir)
        processes.append(process)
        bases = {"bare": bare, "vocast (defaults)": default, "vocast (check per req)": strict}
        tool = "wrk" if shutil.which("wrk") and not args.httpx else "httpx (asyncio)"
        print(f"store: {rows:,} forecast rows; view: {len(first.json()['rows'])} rows, "
              f"{len(first.content):,} B JSON; API key sent; {args.connections} connections, "
              f"{tool}, {args.rounds} x {args.seconds:g} s per server, loopback, one worker each")
        print(f"  {'case':<5} {'server':<22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}   "
              f"vs bare (target >= {MIN_THROUGHPUT_RATIO}x req/s, <= {MAX_P99_RATIO}x p99)")
        for case in CASES:
            report(case, measure(bases, case, etag, token, args))
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=15)


if __name__ == "__main__":
    main()
