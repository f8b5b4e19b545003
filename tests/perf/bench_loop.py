"""Training-loop benchmark: what logging, console capture and system metrics cost a loop.

    python tests/perf/bench_loop.py [--steps 1000] [--repeats 15] [--step-ms 1.0]

Each step does about `--step-ms` of numpy work (a small model's forward/backward stand-in),
then, depending on the mode, logs three metrics and prints a `\\r` progress line every 20
steps. Modes, in rotating order within each repeat so machine noise hits all alike:

- bare: the loop alone
- logging: plus `run.log_metric` x 3 a step
- logging + console + system: plus `capture_console=True` and system metrics, sampled at
  the default 10 s, and again every `--interval` s (0.5: 20 times as often, to make any
  cost visible)

Prints, per mode, the median wall time of the loop and the loop thread's own CPU time,
each against bare; the target is < 1%. On a machine with fewer free cores than threads the
wall column also counts waiting for the background threads to be scheduled.

    python tests/perf/bench_loop.py --callgrind [--steps 300] [--work 20]

counts instructions instead of time, which no other load on the machine changes: each mode
runs once in its own interpreter under `valgrind --tool=callgrind`, and every instruction of
every thread (the loop, the flusher, the console pump, the sampler) is counted. A mode's cost
is its count minus bare's, against the loop's own count (bare minus an empty loop, which
takes off the interpreter's start). Under valgrind the program runs ~50x slower while the
sampler keeps wall-clock intervals, so the sampler runs ~50x more often per loop step than in
real life: the sampler figures are an upper bound.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
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


def loop(steps: int, work: int, run: store.Run | None, console: bool) -> tuple[float, float]:
    """Wall time and the loop thread's own CPU time of `steps` steps."""
    a = np.random.default_rng(0).standard_normal((96, 96))
    t, cpu = time.perf_counter(), time.thread_time()
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
    return time.perf_counter() - t, time.thread_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--step-ms", type=float, default=1.0)
    parser.add_argument("--interval", type=float, default=0.5, help="system metrics interval of the stress row")
    parser.add_argument("--callgrind", action="store_true", help="count instructions under valgrind instead")
    parser.add_argument("--work", type=int, default=0, help="matmuls a step (default: calibrated to --step-ms)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    full = "logging + console + system"
    modes = ["bare", "logging", f"{full} (10 s)", f"{full} ({args.interval:g} s)"]
    if args.callgrind:
        return callgrind(args, modes)
    work = args.work or calibrate(args.step_ms)
    root = Path(tempfile.mkdtemp(prefix="bench-loop-"))
    times: dict[str, list[tuple[float, float]]] = {mode: [] for mode in modes}
    devnull = os.open(os.devnull, os.O_WRONLY)
    real_stdout = os.dup(1)

    def measure(mode: str) -> tuple[float, float]:
        if mode == "bare":
            return loop(args.steps, work, None, False)
        if mode == "logging":
            with store.start_run("bench", root=root, system_metrics_interval=0) as run:
                return loop(args.steps, work, run, False)
        interval = 10.0 if mode.endswith("(10 s)") else args.interval
        os.dup2(devnull, 1)  # the progress lines go to /dev/null, through the capture
        try:
            with store.start_run("bench", root=root, capture_console=True, system_metrics_interval=interval) as run:
                return loop(args.steps, work, run, True)
        finally:
            sys.stdout.flush()
            os.dup2(real_stdout, 1)

    if args.one is not None:  # one mode, once: what --callgrind runs under valgrind
        measure(args.one) if args.steps else None
        return 0
    for repeat in range(args.repeats):
        shift = repeat % len(modes)
        for mode in modes[shift:] + modes[:shift]:  # rotate, so drift in load hits every mode alike
            times[mode].append(measure(mode))
    wall0 = statistics.median(w for w, _ in times["bare"])
    cpu0 = statistics.median(c for _, c in times["bare"])
    print(
        f"training loop: {args.steps} steps of ~{args.step_ms:g} ms of numpy, 3 metrics a step, a progress line "
        f"every 20 steps; median of {args.repeats}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(f"| {'mode':<34} | {'wall s':>7} | {'overhead':>8} | {'loop CPU s':>10} | {'overhead':>8} |")
    print(f"|{'-' * 36}|{'-' * 9}|{'-' * 10}|{'-' * 12}|{'-' * 10}|")
    for mode, values in times.items():
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        print(
            f"| {mode:<34} | {wall:>7.3f} | {100 * (wall / wall0 - 1):>7.2f}% | {cpu:>10.3f} "
            f"| {100 * (cpu / cpu0 - 1):>7.2f}% |"
        )
    sample_ms = one_sample_ms(root)
    print(
        f"one system sample: {sample_ms:.2f} ms of CPU (median of 50), held against the loop at most "
        f"{sample_ms / 10_000 * 100:.3f}% at the default 10 s, {sample_ms / (args.interval * 1000) * 100:.2f}% at "
        f"{args.interval:g} s"
    )
    return 0


def callgrind(args: argparse.Namespace, modes: list[str]) -> int:
    """Instructions of each mode, from runs under callgrind (see the module docstring).

    Each mode runs at `steps` and at 3x `steps`; the difference over the extra steps is the
    per-step cost, free of the one-time costs of starting and finishing a run, which are
    shown apart.
    """
    out = Path(tempfile.mkdtemp(prefix="bench-loop-cg-"))
    steps = args.steps if args.steps != 1000 else 40
    work = args.work or 5

    def instructions(mode: str, n: int) -> int:
        target = out / f"cg.{len(list(out.iterdir()))}"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={target}",
                sys.executable,
                __file__,
                "--one",
                mode,
                "--steps",
                str(n),
                "--work",
                str(work),
                "--interval",
                str(args.interval),
            ],
            check=True,
            capture_output=True,
        )
        for line in target.read_text().splitlines():
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
        raise RuntimeError(f"no instruction total in {target}")

    short = {mode: instructions(mode, steps) for mode in modes}
    long = {mode: instructions(mode, 3 * steps) for mode in modes}
    per_step = {mode: (long[mode] - short[mode]) / (2 * steps) for mode in modes}
    bare = per_step["bare"]
    print(
        f"training loop under callgrind: steps of {work} 96x96 matmuls ({bare:,.0f} instructions), 3 metrics a "
        f"step, a progress line every 20 steps; all threads counted; per step = (count at {3 * steps} steps - "
        f"count at {steps}) / {2 * steps}"
    )
    print(f"| {'mode':<34} | {'per step':>12} | {'vs bare':>8} | {'vs logging':>10} | {'start+finish':>14} |")
    print(f"|{'-' * 36}|{'-' * 14}|{'-' * 10}|{'-' * 12}|{'-' * 16}|")
    for mode in modes:
        fixed = short[mode] - short["bare"] - (per_step[mode] - bare) * steps
        print(
            f"| {mode:<34} | {per_step[mode]:>12,.0f} | {100 * (per_step[mode] / bare - 1):>7.2f}% "
            f"| {100 * (per_step[mode] - per_step['logging']) / bare:>9.2f}% | {fixed:>14,.0f} |"
        )
    print(
        "vs logging: what console capture + system metrics add a step, as a share of the bare step; "
        "start+finish: one-time instructions of the run beyond bare"
    )
    return 0


def one_sample_ms(root: Path) -> float:
    """CPU time of one `SystemSampler.sample()`: the bound on what sampling can take from a loop."""
    from store.writing.system_metrics import Gpus, SystemSampler

    with store.start_run("bench", root=root, system_metrics_interval=0) as run:
        sampler = SystemSampler(run, 1.0)
        sampler._gpus = Gpus()
        sampler.sample()
        costs = []
        for _ in range(50):
            t = time.thread_time()
            sampler.sample()
            costs.append(time.thread_time() - t)
    return statistics.median(costs) * 1000


if __name__ == "__main__":
    raise SystemExit(main())
