"""App benchmark: first paint, sort, filter, grouping and cursor moves on a big store.

    python tests/perf/bench_app.py [--runs 10000] [--runs 100000]

For each store size, a fresh process starts the real app headless (120x40) and reports the
time from interpreter start to the first frame with the table filled; then sort, filter and
cursor-move timings inside that app (medians of several repeats). Grouping goes through the
runs screen's own path (the `o` key's): by an int param with 10 values, by a float param (every
run a group of its own), and re-sorting the groups by a metric's mean.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from make_big_store import make_store  # noqa: E402

CHILD = r"""
import time
T0 = time.perf_counter()
import asyncio, json, statistics, sys, resource
from tui.app import make_app
from tui.widgets.runs_table import RunsTable

def median(fn, n=7):
    times = []
    for _ in range(n):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return statistics.median(times)

async def main():
    app = make_app(sys.argv[1], poll_seconds=0)
    out = {}
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one(RunsTable)
        while table.view.row_count == 0:
            await asyncio.sleep(0.005)
        await pilot.pause()
        out["first_paint"] = time.perf_counter() - T0
        screen = app.screen
        def paint():
            for y in range(table.size.height):
                table.render_line(y)
        def sort_numeric():
            screen._sort_by("metrics.m3"); paint()
        def sort_text():
            screen._sort_by("name"); paint()
        def filter_expr():
            table.view.set_filter("metrics.m3 > 0.5 and params.p1 < 0.2"); table.reload(); paint()
        def filter_text():
            table.view.set_filter("run-99"); table.reload(); paint()
        def clear():
            table.view.set_filter(""); table.reload()
        out["sort_numeric"] = median(sort_numeric)
        out["sort_text"] = median(sort_text)
        out["filter_expr"] = median(filter_expr)
        out["filter_text"] = median(filter_text)
        clear()
        def timed_after(setup, fn, n=7):
            times = []
            for _ in range(n):
                setup(); t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
            return statistics.median(times)
        def ungroup():
            screen._set_group_keys(()); screen.view.sort_key = None; screen.view.update()
        def group_by_param():
            screen._set_group_keys(("params.p0",)); paint()
        out["group_10_groups"] = timed_after(ungroup, group_by_param)
        def group_by_float():
            screen._set_group_keys(("params.p1",)); paint()
        out["group_10k_groups"] = timed_after(ungroup, group_by_float, 3)
        def sort_groups():
            screen._sort_by("metrics.m3"); paint()
        group_by_param()
        out["sort_groups"] = median(sort_groups)
        ungroup()
        def move():
            table.action_cursor_down(); paint()
        out["cursor_move"] = median(move, 50)
        def page():
            table.action_page_down(); paint()
        out["page_down"] = median(page, 20)
        handled = []
        original = type(screen).on_store_loaded
        def timed(self, message):
            t = time.perf_counter(); original(self, message); handled.append(time.perf_counter() - t)
        type(screen).on_store_loaded = timed
        for _ in range(5):
            app.poll(force=True)
            await app.workers.wait_for_complete()
            await pilot.pause()
        out["live_update_ui"] = statistics.median(handled)
        out["rows"] = table.view.row_count
        out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))

asyncio.run(main())
"""


def run_child(store: Path) -> dict[str, float]:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(store)], capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, action="append", help="store sizes (default 10000)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh app starts per size")
    args = parser.parse_args()
    sizes = args.runs or [10_000]
    rows = []
    for n in sizes:
        store = make_store(Path(tempfile.gettempdir()) / f"tracktui-bench-store-{n}", n)
        run_child(store)  # builds the listing index, as any first start does
        results = [run_child(store) for _ in range(args.repeat)]
        med = {k: statistics.median(r[k] for r in results) for k in results[0]}
        rows.append((n, med))
    targets = {"first_paint": "≤ 2 s (10k)", "sort_numeric": "≤ 150 ms", "sort_text": "≤ 150 ms",
               "filter_expr": "≤ 200 ms", "filter_text": "≤ 200 ms", "group_10_groups": "≤ 150 ms",
               "group_10k_groups": "(every run its own group)", "sort_groups": "≤ 150 ms",
               "cursor_move": "no stall", "page_down": "",
               "live_update_ui": "UI-thread share of a refresh"}
    header = ["measure", *[f"{n:,} runs" for n, _ in rows], "target"]
    table = []
    for key, target in targets.items():
        cells = []
        for _, med in rows:
            value = med[key]
            cells.append(f"{value:.2f} s" if key == "first_paint" else f"{value * 1000:.1f} ms")
        table.append([key.replace("_", " "), *cells, target])
    table.append(["peak memory", *[f"{med['peak_mb']:.0f} MB" for _, med in rows], ""])
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for r in table:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))


if __name__ == "__main__":
    main()
