"""Speed and memory of the evaluation contract, `vocast forecast`, on whole files.

    python -m bench.contract [--data-dir DIR] [--events-rows N]

Each case runs `vocast forecast` in a fresh process, once on one process (`--workers 1`)
and once on one per core (`--workers 0`), and prints the wall time and the peak memory
of the command and of its busiest worker. Cases: every real file in --data-dir at its
own interval (the IT service desk's 45 categories included), and a raw-event file of
`--events-rows` inquiries over two years and five categories, forecast daily.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from bench._datasets import DEFAULT_DATA_DIR

REAL_CASES = (
    ("casestudy_daily_calls_2013_2016.csv", "D", 28),
    ("na_bank_calls_2003.csv", "60min", 168),
    ("na_bank_calls_2003_5min.csv", "15min", 672),
    ("anon_bank_feb1999_by_type_15min.csv", "15min", 672),
    ("itsm_incidents_2016_by_category.csv", "60min", 168),
)

# Runs the CLI in this child and reports its wall time and peak memory as JSON. The
# command's own peak is read from /proc (VmHWM): ru_maxrss would carry the bench's own
# peak over the exec.
_RUNNER = """
import json, resource, sys, time
from jobs.cli import main
started = time.perf_counter()
code = main(sys.argv[1:])
seconds = time.perf_counter() - started
status = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
own = int(status) / 1024
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"code": code, "seconds": seconds, "own_mib": own, "worker_mib": workers}))
"""


def raw_events_file(path: Path, rows: int, seed: int = 1) -> Path:
    """`rows` inquiries (about) over 2024-2025 in five categories, one row each."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", "2025-12-31")
    shares = np.array([0.5, 0.27, 0.18, 0.04, 0.01])
    per_day = rows / len(days) * np.where(days.day_of_week < 5, 1.17, 0.57)
    parts = []
    for category, share in zip(("billing", "tech", "sales", "returns", "vip"), shares,
                               strict=True):
        counts = rng.poisson(per_day * share)
        stamps = np.repeat(days.to_numpy(), counts)
        seconds = rng.normal(13.5 * 3600, 3 * 3600, size=len(stamps)).clip(0, 86399)
        ts = pd.DatetimeIndex(stamps) + pd.to_timedelta(seconds.astype(np.int64), unit="s")
        parts.append(pd.DataFrame({"ts": ts.strftime("%Y-%m-%dT%H:%M:%S"),
                                   "category": category}))
    pd.concat(parts).sample(frac=1.0, random_state=seed).to_csv(path, index=False)
    return path


def run_case(path: Path, freq: str, horizon: int, workers: int) -> dict[str, float]:
    out = Path(tempfile.mkstemp(suffix=".csv")[1])
    try:
        done = subprocess.run(
            [sys.executable, "-c", _RUNNER, "forecast", "--input", str(path), "--freq", freq,
             "--horizon", str(horizon), "--workers", str(workers), "--out", str(out)],
            capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{path.name}: {done.stderr.strip().splitlines()[-1]}")
        result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
        result["rows"] = sum(1 for _ in out.open()) - 1
        return result
    finally:
        out.unlink(missing_ok=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--events-rows", type=int, default=1_600_000)
    args = parser.parse_args(argv)
    cases = [(args.data_dir / name, freq, horizon) for name, freq, horizon in REAL_CASES
             if (args.data_dir / name).is_file()]
    with tempfile.TemporaryDirectory() as tmp:
        cases.append((raw_events_file(Path(tmp) / "raw_events.csv", args.events_rows), "D", 28))
        print(f"{'file':40s} {'freq':>6s} {'rows out':>9s}  {'1 process':>10s}  "
              f"{os.cpu_count()} processes  peak MiB (command / worker)")
        for path, freq, horizon in cases:
            one = run_case(path, freq, horizon, workers=1)
            many = run_case(path, freq, horizon, workers=0)
            print(f"{path.name:40s} {freq:>6s} {int(many['rows']):>9,d}  "
                  f"{one['seconds']:>8.1f} s  {many['seconds']:>9.1f} s  "
                  f"{one['own_mib']:.0f} / {many['worker_mib']:.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
