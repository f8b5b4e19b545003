"""Write a large tracktui store quickly for benchmarks: the writer's layout (store/FORMAT.md), written directly.

    python tests/perf/make_big_store.py /tmp/s100k 100000 [--steps 100]

Each run is what `start_run` + `log_params` + `log_metric` x steps + `finish` leaves behind:
`meta.json`, `params.json` (20 params, a third ints, and one nested `opt.name`), `tags.json`,
`summary.json` (the same summary `metric_summary.merge_summary` makes) and one `metrics/<key>.f64` file
per metric. Plain writes, no fsync, no temporary files, metric values drawn in one numpy call
per run. Creating small files is what costs: on this machine about 2.5 ms a run on tmpfs and
16 ms on disk with history files. `--no-history` keeps the summaries (so the listing is the
same) but writes no `metrics/*.f64` files: 100,000 runs in about 3 minutes and 2.4 GB on disk,
which is what listing benchmarks need; `--steps 0` also leaves the metrics out of the summaries.
A finished store is marked with `.complete-2` and reused. Each run's rows are appended to the
listing journal as its writer appends them (`journal.note_run`): one when it is created (its
`meta.json` saying running), one when it finishes; a store made before the journal existed gets
its finished rows added at its next use.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import time
from pathlib import Path

import numpy as np

from store.ours import journal, layout

COMPLETE = ".complete-2"
"""Marks a finished store; "-2": since runs have their creation rows in the journal too."""


def make_store(
    root: Path,
    n_runs: int = 10_000,
    n_params: int = 20,
    n_metrics: int = 10,
    steps: int = 100,
    experiments: int = 5,
    history: bool = True,
) -> Path:
    marker = root / layout.STORE_MARKER
    if marker.exists() and (root / COMPLETE).exists():
        if not journal.journal_names(str(root)):
            for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
                for run in sorted(folder.iterdir()):
                    journal.note_run(root, run)
        return root
    if marker.exists():
        raise SystemExit(f"{root} is an unfinished store or one an older make_big_store made: remove it to rebuild")
    root.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"format": "tracktui", "version": layout.FORMAT_VERSION}))
    rng = np.random.default_rng(0)
    dtype = np.dtype(list(layout.HISTORY_FIELDS))
    start = time.time() - n_runs * 60
    host = socket.gethostname()
    metric_files = [layout.metric_filename(f"m{m}") for m in range(n_metrics)]
    step_numbers = np.arange(steps)
    arr = np.zeros((n_metrics, steps), dtype=dtype)
    arr["step"] = step_numbers
    dumps = json.dumps
    for i in range(n_runs):
        created = start + i * 60
        exp = f"sweep-{i % experiments}"
        run_id = layout.new_run_id(created)
        path = os.path.join(root, layout.experiment_dirname(exp), run_id)
        os.makedirs(os.path.join(path, layout.METRICS_DIR))
        os.mkdir(os.path.join(path, layout.ARTIFACTS_DIR))
        meta = {
            "version": 1,
            "run_id": run_id,
            "name": f"run-{i}",
            "experiment": exp,
            "status": "finished",
            "created": created,
            "ended": created + 50,
            "host": host,
            "pid": 1,
            "pid_start": 1,
            "user": "bench",
            "command": ["train.py"],
            "python": "3.11",
            "git": None,
            "error": None,
        }
        with open(os.path.join(path, layout.META), "w") as f:  # as `start_run` leaves it, and notes it
            f.write(dumps({**meta, "status": "running", "ended": None}))
        journal.note_run(root, Path(path))
        ints = rng.integers(0, 10, n_params)
        floats = rng.random(n_params)
        params: dict[str, object] = {f"p{j}": (float(floats[j]) if j % 3 else int(ints[j])) for j in range(n_params)}
        params["opt"] = {"name": "adam"}
        summary = {}
        if steps:
            values = rng.random((n_metrics, steps))
            arr["time"] = created + step_numbers * 0.5
            arr["value"] = values
            lo, hi = values.min(axis=1), values.max(axis=1)
            for m, name in enumerate(metric_files):
                if history:
                    with open(os.path.join(path, layout.METRICS_DIR, name), "wb") as f:
                        f.write(arr[m].tobytes())
                summary[f"m{m}"] = {
                    "last": float(values[m, -1]),
                    "last_step": steps - 1,
                    "last_time": float(arr["time"][m, -1]),
                    "min": float(lo[m]),
                    "max": float(hi[m]),
                    "count": steps,
                }
        for name, obj in (
            (layout.META, meta),
            (layout.PARAMS, params),
            (layout.TAGS, {"sweep": exp}),
            (layout.SUMMARY, {"version": 1, "heartbeat": created + 50, "metrics": summary}),
        ):
            with open(os.path.join(path, name), "w") as f:
                f.write(dumps(obj))
        journal.note_run(root, Path(path))
    (root / COMPLETE).touch()
    return root


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("runs", type=int, nargs="?", default=10_000)
    parser.add_argument("--steps", type=int, default=100, help="points per metric (0: no metrics at all)")
    parser.add_argument("--no-history", action="store_true", help="summaries only, no metrics/*.f64 files")
    args = parser.parse_args()
    t = time.perf_counter()
    make_store(args.root, args.runs, steps=args.steps, history=not args.no_history)
    print(f"{os.path.abspath(args.root)} ({time.perf_counter() - t:.1f} s)")
