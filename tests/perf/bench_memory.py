"""Memory benchmark (issue 24): where the app's memory goes at 100,000 runs, this checkout beside another.

    python tests/perf/bench_memory.py STORE [--code DIR] [--top 12]

STORE is a store `make_big_store.make_store(root, 100_000, n_params=6, n_metrics=4, steps=20,
history=False)` wrote (what `bench_first_open.py` makes); `--code` a folder with another
`store/` and `tui/` (`git archive main store tui | tar -x -C DIR`), measured beside this checkout.

A fresh process per side starts the real app headless (160x48) and takes the figures at each
stage: the complete listing painted, the worker's preparation done (row index, sort and free-text
codes, which start a moment after the paint), a sort by text and by a number, two filters, a
grouping by a param, and three live refreshes. Each stage reports the process's resident memory now and its peak so far
(`ru_maxrss`), from a process without tracemalloc (which costs memory of its own); a second
process with tracemalloc reports the Python allocations live at each stage, the peak between
stages, and the lines that hold the most at the end of the biggest stage (each block charged to
the first line of this checkout in its traceback; `TRACE_DEPTH=8` in the environment follows
blocks out of pandas into our code, at many times the run time).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent

CHILD = r"""
import asyncio, json, resource, sys, tracemalloc
TRACE = sys.argv[2] == "trace"
import os
if TRACE:
    tracemalloc.start(int(os.environ.get("TRACE_DEPTH", "1")))
CODE = os.getcwd() + "/"

from tui.app import make_app
from tui.shaping.runs_view import RunsView
from tui.widgets.runs_bar import RunsBar
from tui.widgets.runs_table import RunsTable

MB = 1024 * 1024
stages, snaps = [], {}

def rss_now():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0

def stage(name):
    row = {"stage": name, "rss": rss_now(), "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if TRACE:
        current, peak = tracemalloc.get_traced_memory()
        row |= {"traced": current / MB, "traced_peak": peak / MB}
        tracemalloc.reset_peak()
        snaps[name] = tracemalloc.take_snapshot()
    stages.append(row)

async def main():
    stage("imports")
    app = make_app(sys.argv[1], poll_seconds=0)
    async with app.run_test(size=(160, 48)) as pilot:
        table, bar = app.screen.query_one(RunsTable), app.screen.query_one(RunsBar)
        while not isinstance(table.shown, RunsView) or table.shown.row_count == 0 or bar.reading is not None:
            await asyncio.sleep(0.01)  # the complete listing (first rows and partial listings come before)
        await pilot.pause()
        stage("first view")
        while "name" not in table.view.facts._sort:  # `RunsListings.prepare`, a moment after the paint
            await asyncio.sleep(0.05)
        await app.workers.wait_for_complete(); await pilot.pause()
        stage("prepared")
        screen = app.screen
        screen._sort_by("name"); await pilot.pause()
        screen._sort_by("metrics.m3"); await pilot.pause()
        stage("sorted")
        for text in ("run-99", "metrics.m3 > 0.5 and params.p1 < 0.2"):
            table.view.set_filter(text); table.reload(); await pilot.pause()
        stage("filtered")
        table.view.set_filter(""); table.reload()
        screen.grouping.set_group_keys(("params.p0",))
        await app.workers.wait_for_complete(); await pilot.pause()
        stage("grouped")
        screen.grouping.set_group_keys(())
        await app.workers.wait_for_complete(); await pilot.pause()
        for _ in range(3):
            app.poll(force=True)
            await app.workers.wait_for_complete(); await pilot.pause()
        stage("refreshed")
    top = []
    if TRACE:
        biggest = max(stages, key=lambda r: r["traced"])["stage"]
        sizes = {}
        for trace in snaps[biggest].traces:  # each block charged to the line of ours that asked for it
            ours = next((f for f in reversed(list(trace.traceback)) if f.filename.startswith(CODE)
                         and "/tests/" not in f.filename), trace.traceback[-1])
            where = f"{ours.filename.removeprefix(CODE)}:{ours.lineno}"
            sizes[where] = sizes.get(where, 0) + trace.size
        top = [biggest, sorted(((w, s / MB) for w, s in sizes.items()), key=lambda x: -x[1])[:int(sys.argv[3])]]
    print(json.dumps({"stages": stages, "top": top}))

asyncio.run(main())
"""


def run_child(store: Path, code: Path, mode: str, top: int) -> dict[str, object]:
    """One fresh app process importing `store/` and `tui/` from `code`, with its own config folder."""
    with tempfile.TemporaryDirectory() as config:
        env = {**os.environ, "XDG_CONFIG_HOME": config, "PYTHONPATH": str(code)}
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(store), mode, str(top)], capture_output=True, text=True, cwd=code, env=env
        )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--code", type=Path, action="append", default=[], help="another checkout's folder")
    parser.add_argument("--top", type=int, default=12, help="lines shown of the biggest stage's allocations")
    args = parser.parse_args()
    sides = {"this checkout": REPO, **{str(c): c for c in args.code}}
    run_child(args.store, REPO, "plain", 0)  # the listing index is built (and saved) once, as any first start does
    for name, code in sides.items():
        plain = run_child(args.store, code, "plain", 0)
        traced = run_child(args.store, code, "trace", args.top)
        print(f"\n## {name}\n")
        print("| stage | RSS now MB | peak RSS MB | traced now MB | traced peak since last stage MB |")
        print("|---|---:|---:|---:|---:|")
        for p, t in zip(plain["stages"], traced["stages"]):  # type: ignore[call-overload]
            print(f"| {p['stage']} | {p['rss']:.0f} | {p['peak']:.0f} | {t['traced']:.0f} | {t['traced_peak']:.0f} |")
        biggest, lines = traced["top"]  # type: ignore[misc]
        print(f"\nlargest live allocations at '{biggest}' (file:line, MB):")
        for where, size in lines:
            print(f"  {size:8.1f}  {where}")


if __name__ == "__main__":
    main()
