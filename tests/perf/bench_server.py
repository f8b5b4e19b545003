"""Benchmark: a 10,000-run MLflow tracking server read through REST, ours against `mlflow.search_runs`.

    python tests/perf/bench_server.py [--runs 10000] [--steps 10]

Needs mlflow importable (the `[bench]` extra). The database is filled the way
tests/perf/bench_mlflow.py fills it (MLflow makes the schema, the rows are bulk-inserted), then a
real `mlflow server` is started on loopback with it. Figures:

- cold listing: a fresh process, empty cache, `open_store(URL).runs_frame()`; and a fresh
  process running `mlflow.search_runs` over the same experiment (the ratio is printed);
- open from cache: a fresh process with the cache the cold listing saved, from the first
  import to the app's runs table filled (Pilot, headless);
- warm refresh: with 10 runs set RUNNING on the server, one incremental poll plus the new frame.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "perf")]

from bench_mlflow import build_store, run_json  # noqa: E402

from tests.mlflow_server import launch, wait_ready  # noqa: E402

OURS_COLD = """
import json, sys, time
t = time.perf_counter()
import store
s = store.open_store(sys.argv[1])
frame = s.runs_frame()
s.save_index()
print(json.dumps({"seconds": time.perf_counter() - t, "rows": len(frame)}))
"""

MLFLOW_COLD = """
import json, sys, time
t = time.perf_counter()
import mlflow
mlflow.set_tracking_uri(sys.argv[1])
frame = mlflow.search_runs(experiment_ids=[sys.argv[2]], max_results=100000)
print(json.dumps({"seconds": time.perf_counter() - t, "rows": len(frame)}))
"""

OURS_FROM_CACHE = """
import asyncio, json, sys, time
t = time.perf_counter()
from store import open_store
from tui.app import make_app
from tui.widgets.runs_table import RunsTable

async def main():
    store = open_store(sys.argv[1])
    store.cache_first = True
    app = make_app(sys.argv[1], store=store, poll_seconds=0)
    async with app.run_test(size=(160, 40)) as pilot:
        while True:
            await app.workers.wait_for_complete()
            await pilot.pause()
            table = app.screen.query_one(RunsTable)
            if table.view is not None and len(table.view.positions):
                break
        return len(table.view.positions), store.served_from_cache

rows, cached = asyncio.run(main())
print(json.dumps({"seconds": time.perf_counter() - t, "rows": rows, "cached": cached}))
"""

OURS_WARM = """
import json, statistics, sys, time
import store
s = store.open_store(sys.argv[1])
s.cache_first = True
s.runs_frame()
out = []
for _ in range(5):
    s._asked_at = 0.0  # the poll is rate-limited; the benchmark polls back to back
    t = time.perf_counter()
    s.refresh()
    frame = s.runs_frame()
    out.append(time.perf_counter() - t)
print(json.dumps({"seconds": statistics.median(out), "running": int((frame["status"] == "running").sum())}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tracktui-bench-server-"))
    db = folder / "mlflow.db"
    t = time.perf_counter()
    experiment = build_store(db, args.runs, args.steps, sys.executable)
    print(f"built {args.runs:,} runs in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    server = wait_ready(launch(folder))
    env = {**os.environ, "XDG_CACHE_HOME": str(folder / "cache"), "MLFLOW_DISABLE_TELEMETRY": "true",
           "PYTHONPATH": str(REPO)}
    rows: list[tuple[str, str]] = []
    try:
        ours = run_json(sys.executable, OURS_COLD, server.url, env=env)
        theirs = run_json(sys.executable, MLFLOW_COLD, server.url, experiment, env=env)
        rows.append(("cold listing, ours (REST, empty cache)", f"{ours['seconds']:.2f} s ({ours['rows']:,} runs)"))
        rows.append(("cold listing, mlflow.search_runs", f"{theirs['seconds']:.2f} s ({theirs['rows']:,} runs)"))
        rows.append(("ratio ours / mlflow", f"{ours['seconds'] / theirs['seconds']:.2f}"))
        opened = [run_json(sys.executable, OURS_FROM_CACHE, server.url, env=env) for _ in range(3)]
        rows.append(("open from cache to a filled table (median of 3)",
                     f"{statistics.median(o['seconds'] for o in opened):.2f} s (target ≤ 1.5 s)"))
        with sqlite3.connect(db) as con:
            con.execute("UPDATE runs SET status = 'RUNNING', end_time = NULL WHERE run_uuid IN "
                        "(SELECT run_uuid FROM runs ORDER BY start_time DESC LIMIT 10)")
        warm = run_json(sys.executable, OURS_WARM, server.url, env=env)
        rows.append(("warm incremental refresh + frame, 10 running (median of 5)",
                     f"{warm['seconds']:.2f} s (target ≤ 1 s; {warm['running']} running seen)"))
    finally:
        server.stop()
    width = max(len(r[0]) for r in rows)
    print(f"\n{'what':<{width}}  figure\n{'-' * width}  ------")
    for name, figure in rows:
        print(f"{name:<{width}}  {figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
