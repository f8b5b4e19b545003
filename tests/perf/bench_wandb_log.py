"""What the W&B-style `store.log({...})` costs a training loop, against `run.log_metric`.

    python tests/perf/bench_wandb_log.py [--calls 200000] [--repeats 7] [--loop-steps 1000]

Per call: three metrics a step, logged as three `run.log_metric` calls, one `run.log_metrics`
dict, a flat `store.log` dict, a nested `store.log` dict (`{"train": {"loss", "acc"}, "lr"}`)
and through `store.log` with numpy float32 values (what a loop that forgets `.item()` sends).
Prints the median over repeats of the calling thread's CPU time per step (all three metrics) in
microseconds (CPU time, so that other load on the machine counts less), with the background
flusher running as usual (flush every second). Then the training loop of bench_loop.py
(`--loop-steps` steps of ~1 ms of numpy) bare, with `run.log_metric` x 3 and with a nested
`store.log` a step: the loop thread's CPU time against bare.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

import numpy as np

import store
from tests.perf.bench_loop import calibrate

NAMES = [
    "run.log_metric x 3",
    "run.log_metrics({3})",
    "store.log({3}) flat",
    "store.log nested",
    "run.log({3}) numpy float32",
]


def cases(run: store.Run) -> dict[str, Callable[[float], None]]:
    f32 = np.float32(0.5)

    def three_log_metric(v: float) -> None:
        run.log_metric("train/loss", v)
        run.log_metric("train/acc", 0.5)
        run.log_metric("lr", 0.001)

    return {
        "run.log_metric x 3": three_log_metric,
        "run.log_metrics({3})": lambda v: run.log_metrics({"train/loss": v, "train/acc": 0.5, "lr": 0.001}),
        "store.log({3}) flat": lambda v: store.log({"train/loss": v, "train/acc": 0.5, "lr": 0.001}),
        "store.log nested": lambda v: store.log({"train": {"loss": v, "acc": 0.5}, "lr": 0.001}),
        "run.log({3}) numpy float32": lambda v: run.log({"train/loss": f32, "train/acc": f32, "lr": f32}),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--loop-steps", type=int, default=1000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-wandb-"))
    results: dict[str, list[float]] = {name: [] for name in NAMES}
    for repeat in range(args.repeats):
        names = NAMES  # in a rotating order, so drift in load hits every case alike
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            run = store.init(project="bench", root=root, system_metrics_interval=0)
            call = cases(run)[name]
            t = time.thread_time()
            for i in range(args.calls):
                call(float(i))
            per = (time.thread_time() - t) / args.calls
            run.finish()
            results[name].append(per * 1e6)
    base = statistics.median(results["run.log_metric x 3"])
    print(
        f"{args.calls:,} steps of 3 metrics, median of {args.repeats}; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores"
    )
    print(f"| {'call (3 metrics a step)':<30} | {'CPU µs':>9} | {'vs log_metric x 3':>17} |")
    print(f"|{'-' * 32}|{'-' * 11}|{'-' * 19}|")
    for name, values in results.items():
        med = statistics.median(values)
        print(f"| {name:<30} | {med:>9.2f} | {med / base:>16.2f}x |")
    training_loop(root, args.loop_steps, args.repeats)
    return 0


def training_loop(root: Path, steps: int, repeats: int) -> None:
    work = calibrate(1.0)
    a = np.random.default_rng(0).standard_normal((96, 96))

    def loop(mode: str) -> float:
        run = None if mode == "bare" else store.init(project="bench-loop", root=root, system_metrics_interval=0)
        t = time.thread_time()
        for _ in range(steps):
            for _ in range(work):
                b = a @ a
            loss = float(b[0, 0])
            if mode == "log_metric x 3":
                assert run is not None
                run.log_metric("train/loss", loss)
                run.log_metric("train/acc", 0.5)
                run.log_metric("lr", 0.001)
            elif mode == "store.log nested":
                store.log({"train": {"loss": loss, "acc": 0.5}, "lr": 0.001})
        wall = time.thread_time() - t
        if run is not None:
            run.finish()
        return wall

    modes = ["bare", "log_metric x 3", "store.log nested"]
    walls: dict[str, list[float]] = {mode: [] for mode in modes}
    for repeat in range(repeats):
        shift = repeat % len(modes)
        for mode in modes[shift:] + modes[:shift]:
            walls[mode].append(loop(mode))
    bare = statistics.median(walls["bare"])
    print(f"\ntraining loop: {steps} steps of ~1 ms of numpy, 3 metrics a step, median of {repeats}")
    print(f"| {'mode':<18} | {'CPU s':>7} | {'overhead':>8} |")
    print(f"|{'-' * 20}|{'-' * 9}|{'-' * 10}|")
    for mode, values in walls.items():
        wall = statistics.median(values)
        print(f"| {mode:<18} | {wall:>7.3f} | {100 * (wall / bare - 1):>7.2f}% |")


if __name__ == "__main__":
    raise SystemExit(main())
