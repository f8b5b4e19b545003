"""Benchmark: a 10,000-run MLflow tracking server read through REST, ours against `mlflow.search_runs`.

    python tests/perf/bench_server.py [--runs 10000] [--steps 10]

Needs mlflow importable (the `[bench]` extra). The database is filled the way
tests/perf/bench_mlflow.py fills it (MLflow makes the schema, the rows are bulk-inserted), then a
real `mlflow server` is started on loopback with it. Figures:

- cold listing: a fresh process, empty cache, `open_store(URL).runs_frame()`; and a fresh
  process running `mlflow.search_runs` over the same experiment, in alternating order (the
  ratio is printed per pair), each with the CPU time of its own process (the client's share);
  the server is warmed first by one small search and one search of all runs, since its first
  request after starting, and its first search of all runs, cost it far more than any later
  one (measured: 5.7 s for 10 runs; 118 s against 25-38 s) and would be charged to whichever
  client asked first;
- server alone (again after the cold listings): every run through one `runs/search` of up to 50,000
  (the server's limit), the body read but not parsed: what any client pays the server;
- open from cache: a fresh process with the cache the cold listing saved, from the first
  import to the app's runs table filled (Pilot, headless), with the time imports took; and a
  fresh process making only the runs frame from the cache (wall and CPU time: on a loaded
  machine the CPU time is the steadier figure);
- warm refresh: with 10 runs set RUNNING on the server, one incremental poll plus the new frame.
"""

from __future__ import annotations

import argparse
import os
import shutil
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

SERVER_ONLY = """
import json, sys, time, requests
t = time.perf_counter()
body = {"experiment_ids": [sys.argv[2]], "max_results": 50000, "run_view_type": "ALL"}
response = requests.post(sys.argv[1] + "/api/2.0/mlflow/runs/search", json=body)
print(json.dumps({"seconds": time.perf_counter() - t, "mb": len(response.content) / 1e6}))
"""

WARM_UP = """
import json, sys, requests
body = {"experiment_ids": [sys.argv[2]], "max_results": 10}
requests.post(sys.argv[1] + "/api/2.0/mlflow/runs/search", json=body).raise_for_status()
print("{}")
"""

OURS_COLD = """
import json, sys, time
t, cpu = time.perf_counter(), time.process_time()
import store
s = store.open_store(sys.argv[1])
frame = s.runs_frame()
s.save_index()
print(json.dumps({"seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu, "rows": len(frame)}))
"""

MLFLOW_COLD = """
import json, sys, time
t, cpu = time.perf_counter(), time.process_time()
import mlflow
mlflow.set_tracking_uri(sys.argv[1])
frame = mlflow.search_runs(experiment_ids=[sys.argv[2]], max_results=100000)
print(json.dumps({"seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu, "rows": len(frame)}))
"""

OURS_CACHE_FRAME = """
import json, sys, time
t, cpu = time.perf_counter(), time.process_time()
import store
s = store.open_store(sys.argv[1])
s.cache_first = True
frame = s.runs_frame()
print(json.dumps({"seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu, "rows": len(frame),
                  "cached": s.served_from_cache}))
"""

OURS_FROM_CACHE = """
import asyncio, json, sys, time
t, cpu = time.perf_counter(), time.process_time()
from store import open_store
from tui.app import make_app
from tui.widgets.runs_table import RunsTable
imported = time.perf_counter() - t

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
print(json.dumps({"seconds": time.perf_counter() - t, "cpu": time.process_time() - cpu, "imports": imported,
                  "rows": rows, "cached": cached}))
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


class Rows(list[tuple[str, str]]):
    """The table's rows, each also printed to stderr as it comes (a long run shows progress, and keeps it)."""

    def append(self, row: tuple[str, str]) -> None:
        print(f"{row[0]}: {row[1]}", file=sys.stderr, flush=True)
        super().append(row)


def load() -> str:
    """The 1-minute load average beside a figure: the machine may be shared."""
    return f"load {os.getloadavg()[0]:.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=2, help="cold listings of ours and mlflow's, alternating")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tracktui-bench-server-"))
    db = folder / "mlflow.db"
    t = time.perf_counter()
    experiment = build_store(db, args.runs, args.steps, sys.executable)
    print(f"built {args.runs:,} runs in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    server = wait_ready(launch(folder))
    env = {
        **os.environ,
        "XDG_CACHE_HOME": str(folder / "cache"),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONPATH": str(REPO),
    }
    rows = Rows()
    try:
        t = time.perf_counter()
        run_json(sys.executable, WARM_UP, server.url, experiment, env=env)
        rows.append(
            (f"server's first request after start (warm-up, not counted), {load()}", f"{time.perf_counter() - t:.2f} s")
        )
        first = run_json(sys.executable, SERVER_ONLY, server.url, experiment, env=env)
        rows.append(
            (f"server's first search of all runs (warm-up, not counted), {load()}", f"{first['seconds']:.2f} s")
        )
        ratios = []
        cache = Path(env["XDG_CACHE_HOME"]) / "tracktui"
        for pair in range(args.pairs):
            order = ("ours", "mlflow") if pair % 2 == 0 else ("mlflow", "ours")
            got = {}
            for who in order:
                if who == "ours":
                    shutil.rmtree(cache, ignore_errors=True)
                    got[who] = run_json(sys.executable, OURS_COLD, server.url, env=env)
                else:
                    got[who] = run_json(sys.executable, MLFLOW_COLD, server.url, experiment, env=env)
            ours, theirs = got["ours"], got["mlflow"]
            ratios.append(ours["seconds"] / theirs["seconds"])
            rows.append(
                (
                    f"cold listing, ours (REST, empty cache), pair {pair + 1}, {load()}",
                    f"{ours['seconds']:.2f} s, client CPU {ours['cpu']:.2f} s ({ours['rows']:,} runs)",
                )
            )
            rows.append(
                (
                    f"cold listing, mlflow.search_runs, pair {pair + 1}, {order[0]} first, {load()}",
                    f"{theirs['seconds']:.2f} s, client CPU {theirs['cpu']:.2f} s ({theirs['rows']:,} runs)",
                )
            )
        rows.append(("ratio ours / mlflow (each pair; target ≤ 1.0)", ", ".join(f"{r:.2f}" for r in ratios)))
        alone = run_json(sys.executable, SERVER_ONLY, server.url, experiment, env=env)
        rows.append(
            (
                f"server alone: all runs in one page, body not parsed, {load()}",
                f"{alone['seconds']:.2f} s ({alone['mb']:.0f} MB)",
            )
        )
        framed = [run_json(sys.executable, OURS_CACHE_FRAME, server.url, env=env) for _ in range(3)]
        rows.append(
            (
                f"runs frame from cache, fresh process (median of 3), {load()}",
                f"{statistics.median(f['seconds'] for f in framed):.2f} s, CPU "
                f"{statistics.median(f['cpu'] for f in framed):.2f} s",
            )
        )
        opened = [run_json(sys.executable, OURS_FROM_CACHE, server.url, env=env) for _ in range(3)]
        rows.append(
            (
                f"open from cache to a filled table (median of 3), {load()}",
                f"{statistics.median(o['seconds'] for o in opened):.2f} s, of which imports "
                f"{statistics.median(o['imports'] for o in opened):.2f} s; CPU "
                f"{statistics.median(o['cpu'] for o in opened):.2f} s (target ≤ 1.5 s)",
            )
        )
        with sqlite3.connect(db) as con:
            con.execute(
                "UPDATE runs SET status = 'RUNNING', end_time = NULL WHERE run_uuid IN "
                "(SELECT run_uuid FROM runs ORDER BY start_time DESC LIMIT 10)"
            )
        warm = run_json(sys.executable, OURS_WARM, server.url, env=env)
        rows.append(
            (
                f"warm incremental refresh + frame, 10 running (median of 5), {load()}",
                f"{warm['seconds']:.2f} s (target ≤ 1 s; {warm['running']} running seen)",
            )
        )
    finally:
        server.stop()
    width = max(len(r[0]) for r in rows)
    print(f"\n{'what':<{width}}  figure\n{'-' * width}  ------")
    for name, figure in rows:
        print(f"{name:<{width}}  {figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
