"""Grouping timings. Target: grouping + aggregating 10,000 runs by one param, and re-sorting
the groups, each <= 150 ms.

    python tests/perf/bench_grouping.py [--runs 10000] [--groups 50]

The frame is shaped as `RunStore.runs_frame()` makes it (params as object columns holding
Python values, metrics as float columns): 20 params, 10 metrics. Prints the median of
several repeats for: grouping by one param with count and mean/std/min/max/median of every
metric; re-sorting the groups by an aggregate; ordering the runs group after group (sorted
within each); best per group; grouping by two columns.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from tui.shaping.grouping import best_per_group, group_runs, run_order

TARGET_MS = 150.0


def timed(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def make_frame(runs: int, groups: int, params: int = 20, metrics: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    columns: dict[str, Any] = {
        "run_id": [f"run-{i:06d}" for i in range(runs)],
        "experiment": np.array([f"exp-{i % 5}" for i in range(runs)], dtype=object),
        "name": [f"name-{i}" for i in range(runs)],
        "status": np.array(rng.choice(["finished", "failed", "running"], runs), dtype=object),
        "created": 1.7e9 + np.arange(runs, dtype=float),
    }
    lr_values = [float(v) for v in np.round(np.geomspace(1e-5, 1, groups), 7)]
    columns["params.lr"] = np.array([lr_values[i % groups] for i in range(runs)], dtype=object)
    for p in range(params - 1):
        columns[f"params.p{p}"] = np.array([int(v) for v in rng.integers(0, 8, runs)], dtype=object)
    for m in range(metrics):
        values = rng.normal(size=runs)
        values[rng.random(runs) < 0.05] = np.nan
        columns[f"metrics.m{m}_loss"] = values
    return pd.DataFrame(columns)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    frame = make_frame(args.runs, args.groups)
    groups = group_runs(frame, ["params.lr"])
    rows = [
        (
            "group by params.lr + count + 5 aggregates x 10 metrics",
            timed(lambda: group_runs(frame, ["params.lr"]), args.repeat),
            True,
        ),
        (
            "re-sort groups by metrics.m0_loss.mean",
            timed(lambda: groups.sorted_by("metrics.m0_loss.mean", descending=True), args.repeat),
            True,
        ),
        (
            "runs group after group, sorted within by metrics.m1_loss",
            timed(lambda: run_order(frame, groups, "metrics.m1_loss"), args.repeat),
            True,
        ),
        (
            "best per group by metrics.m0_loss",
            timed(lambda: best_per_group(frame, groups, "metrics.m0_loss"), args.repeat),
            False,
        ),
        ("group by params.lr + status", timed(lambda: group_runs(frame, ["params.lr", "status"]), args.repeat), False),
    ]
    print(f"{args.runs:,} runs, {len(groups)} groups, median of {args.repeat}")
    print(f"{'what':58} {'ms':>8}  target")
    failed = False
    for what, ms, targeted in rows:
        verdict = ("ok" if ms <= TARGET_MS else "SLOW") if targeted else ""
        failed |= targeted and ms > TARGET_MS
        print(f"{what:58} {ms:8.1f}  {f'<= {TARGET_MS:g} {verdict}' if targeted else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
