"""Write a large tracktui store quickly for benchmarks (same layout as the writer, no fsync)."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import numpy as np

from store import format as fmt
from store.writer import _merge_summary


def make_store(root: Path, n_runs: int = 10_000, n_params: int = 20, n_metrics: int = 10, steps: int = 100,
               experiments: int = 5) -> Path:
    marker = root / fmt.STORE_MARKER
    if marker.exists() and (root / ".complete").exists():
        return root
    root.mkdir(parents=True, exist_ok=True)
    fmt.atomic_write_json(marker, {"format": "tracktui", "version": fmt.FORMAT_VERSION}, fsync=False)
    rng = np.random.default_rng(0)
    dtype = np.dtype(list(fmt.HISTORY_FIELDS))
    start = time.time() - n_runs * 60
    host = socket.gethostname()
    for i in range(n_runs):
        created = start + i * 60
        exp = f"sweep-{i % experiments}"
        run_id = fmt.new_run_id(created)
        path = root / fmt.experiment_dirname(exp) / run_id
        (path / fmt.METRICS_DIR).mkdir(parents=True)
        (path / fmt.ARTIFACTS_DIR).mkdir()
        meta = {"version": 1, "run_id": run_id, "name": f"run-{i}", "experiment": exp, "status": "finished",
                "created": created, "ended": created + 50, "host": host, "pid": 1, "pid_start": 1,
                "user": "bench", "command": ["train.py"], "python": "3.11", "git": None, "error": None}
        fmt.atomic_write_json(path / fmt.META, meta, fsync=False)
        params = {f"p{j}": (float(rng.random()) if j % 3 else int(rng.integers(0, 10))) for j in range(n_params)}
        params["opt"] = {"name": "adam"}
        fmt.atomic_write_json(path / fmt.PARAMS, params, fsync=False)
        fmt.atomic_write_json(path / fmt.TAGS, {"sweep": exp}, fsync=False)
        summary = {}
        for m in range(n_metrics):
            arr = np.zeros(steps, dtype=dtype)
            arr["step"] = np.arange(steps)
            arr["time"] = created + np.arange(steps) * 0.5
            arr["value"] = rng.random(steps)
            arr.tofile(path / fmt.METRICS_DIR / fmt.metric_filename(f"m{m}"))
            summary[f"m{m}"] = _merge_summary(None, arr)
        fmt.atomic_write_json(path / fmt.SUMMARY, {"version": 1, "heartbeat": created + 50, "metrics": summary},
                              fsync=False)
    (root / ".complete").touch()
    return root


if __name__ == "__main__":
    make_store(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 10_000)
    print(os.path.abspath(sys.argv[1]))
