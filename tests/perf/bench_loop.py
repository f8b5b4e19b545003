"""Training-loop benchmark: what logging, console capture and system metrics cost a loop.

    python tests/perf/bench_loop.py [--steps 1000] [--repeats 15] [--step-ms 1.0]

Each step does about `--step-ms` of numpy work (a small model's forward/backward stand-in),
then, depending on the mode, logs three metrics and prints a `\\r` progress line every 20
steps. Modes, in rotating order within each repeat so machine noise hits all alike:

- bare: the loop alone
- logging: plus `run.log_metric` x 3 a step
- logging + console + system: plus `capture_console=True` and system metrics sampled every
  `--interval` s (0.5 by default: 20 times more often than the default 10 s, to make any
  cost visible)

Prints the median loop time of each mode and its overhead over bare; the target is < 1%.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # one BLAS thread: steps of steady length on a shared machine

import numpy as np  # noqa: E402

import store  # noqa: E402


def calibrate(step_ms: float) -> int:
    """How many 96x96 matmuls make one step of about `step_ms`."""
    a = np.random.default_rng(0).standard_normal((96, 96))
    for _ in range(200):
        a @ a  # warm up
    t = time.perf_counter()
    for _ in range(1000):
        a @ a
    per = (time.perf_counter() - t) / 1000
    return max(1, round(step_ms / 1000 / per))


def loop(steps: int, work: int, run: store.Run | None, console: bool) -> float:
    a = np.random.default_rng(0).standard_normal((96, 96))
    t = time.perf_counter()
    for step in range(steps):
        for _ in range(work):
            b = a @ a
        if run is not None:
            loss = float(b[0, 0])
            run.log_metric("train/loss", loss)
            run.log_metric("train/acc", 0.5)
            run.log_metric("lr", 0.001)
        if console and step % 20 == 0:
            sys.stdout.write(f"\rstep {step}/{steps} loss {float(b[0, 0]):.4f}")
            sys.stdout.flush()
    if console:
        sys.stdout.write("\n")
    return time.perf_counter() - t


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--step-ms", type=float, default=1.0)
    parser.add_argument("--interval", type=float, default=0.5, help="system metrics interval in the full mode")
    args = parser.parse_args()
    work = calibrate(args.step_ms)
    root = Path(tempfile.mkdtemp(prefix="bench-loop-"))
    times: dict[str, list[float]] = {"bare": [], "logging": [], "logging + console + system": []}
    devnull = os.open(os.devnull, os.O_WRONLY)
    real_stdout = os.dup(1)

    def measure(mode: str) -> float:
        if mode == "bare":
            return loop(args.steps, work, None, False)
        if mode == "logging":
            with store.start_run("bench", root=root, system_metrics_interval=0) as run:
                return loop(args.steps, work, run, False)
        os.dup2(devnull, 1)  # the progress lines go to /dev/null, through the capture
        try:
            with store.start_run("bench", root=root, capture_console=True,
                                 system_metrics_interval=args.interval) as run:
                return loop(args.steps, work, run, True)
        finally:
            sys.stdout.flush()
            os.dup2(real_stdout, 1)

    modes = list(times)
    for repeat in range(args.repeats):
        for mode in modes[repeat % 3:] + modes[:repeat % 3]:  # rotate, so drift in load hits every mode alike
            times[mode].append(measure(mode))
    bare, bare_min = statistics.median(times["bare"]), min(times["bare"])
    print(f"training loop, {args.steps} steps of ~{args.step_ms:g} ms, 3 metrics a step, {args.repeats} repeats "
          f"(system metrics every {args.interval:g} s in the last row); load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    print(f"| {'mode':<28} | {'median s':>8} | {'per step µs':>11} | {'overhead':>8} | {'min s':>6} | {'overhead':>8} |")
    print(f"|{'-' * 30}|{'-' * 10}|{'-' * 13}|{'-' * 10}|{'-' * 8}|{'-' * 10}|")
    for mode, values in times.items():
        med, low = statistics.median(values), min(values)
        print(f"| {mode:<28} | {med:>8.3f} | {med / args.steps * 1e6:>11.1f} | {100 * (med / bare - 1):>7.2f}% "
              f"| {low:>6.3f} | {100 * (low / bare_min - 1):>7.2f}% |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
