"""App benchmark: first paint, sort, filter, grouping and cursor moves on a big store.

    python tests/perf/bench_app.py [--runs 10000] [--runs 100000]

For each store size, a fresh process starts the real app headless (120x40) and reports the
time from interpreter start to the first frame with the table filled; then sort, filter and
cursor-move timings inside that app (medians of several repeats). Grouping goes through the
runs screen's own path (the `o` key's): by an int param with 10 values, by a float param (every
run a group of its own), and re-sorting the groups by a metric's mean. On a big table grouping
runs in a worker: each grouping reports the wall and CPU time until the grouped table is painted
and the UI thread's share of it (`_ui`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
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
        def once(fn):
            t = time.perf_counter(); fn(); return time.perf_counter() - t
        out["sort_text_first"] = once(sort_text)  # a text column's codes, made once per frame
        out["filter_text_first"] = once(filter_text)
        clear()
        out["sort_numeric"] = median(sort_numeric)
        out["sort_text"] = median(sort_text)
        out["filter_expr"] = median(filter_expr)
        out["filter_text"] = median(filter_text)
        clear()
        def ungroup():  # directly, on the UI thread, nothing pending (not what is measured)
            screen.filtering._view_job += 1; screen.filtering._group_job += 1
            screen.view.group_keys, screen.view.collapsed, screen.view.sort_key = (), set(), None
            screen.view.update(); table.reload()
        async def grouped(keys, n):
            # The o key's path until the grouped table is painted (a big table groups in a worker):
            # wall and CPU time of the whole, and the UI thread's share (the call itself, and applying
            # the worker's view; the worker's own time excluded).
            walls, cpus, uis = [], [], []
            apply = type(screen)._view_computed
            applied = []
            def timed_apply(self, message):
                t = time.perf_counter(); apply(self, message); applied.append(time.perf_counter() - t)
            type(screen)._view_computed = timed_apply
            for _ in range(n):
                ungroup(); applied.clear()
                t, c = time.perf_counter(), time.process_time()
                screen.grouping.set_group_keys(keys); paint()
                ui = time.perf_counter() - t
                await app.workers.wait_for_complete(); await pilot.pause(); paint()
                walls.append(time.perf_counter() - t); cpus.append(time.process_time() - c)
                uis.append(ui + sum(applied))
            type(screen)._view_computed = apply
            return statistics.median(walls), statistics.median(cpus), statistics.median(uis)
        out["group_10_groups"], out["group_10_groups_cpu"], out["group_10_groups_ui"] = await grouped(
            ("params.p0",), 7)
        out["group_10k_groups"], out["group_10k_groups_cpu"], out["group_10k_groups_ui"] = await grouped(
            ("params.p1",), 3)
        def sort_groups():
            screen._sort_by("metrics.m3"); paint()
        screen.grouping.set_group_keys(("params.p0",))
        await app.workers.wait_for_complete(); await pilot.pause()
        out["sort_groups"] = median(sort_groups)
        ungroup()
        def move():
            table.action_cursor_down(); paint()
        out["cursor_move"] = median(move, 50)
        def page():
            table.action_page_down(); paint()
        out["page_down"] = median(page, 20)
        gaps = []
        ticking = True
        async def tick():  # the UI loop's longest wait between 5 ms ticks: what a user would feel as a stall
            last = time.perf_counter()
            while ticking:
                await asyncio.sleep(0.005)
                now = time.perf_counter(); gaps.append(now - last - 0.005); last = now
        ticker = asyncio.create_task(tick())
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
        handled.clear()
        table.view.set_filter("run-1"); screen.refresh_table()
        for _ in range(5):
            app.poll(force=True)
            await app.workers.wait_for_complete()
            await pilot.pause()
        out["live_update_ui_filtered"] = statistics.median(handled)
        ticking = False
        await ticker
        out["live_longest_stall"] = max(gaps)
        out["rows"] = len(table.view.frame)
        out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))

asyncio.run(main())
"""


def run_child(store: Path, code: Path = REPO, child: str = CHILD) -> dict[str, float]:
    """One fresh app process (`child`, its script) importing `store/` and `tui/` from `code`; its own
    config folder, so no last view of an earlier child is restored."""
    with tempfile.TemporaryDirectory() as config:
        env = {**os.environ, "XDG_CONFIG_HOME": config, "PYTHONPATH": str(code)}
        proc = subprocess.run(
            [sys.executable, "-c", child, str(store)], capture_output=True, text=True, cwd=code, env=env
        )
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def medians(measure: Callable[[], dict[str, float]], repeat: int) -> dict[str, float]:
    """Each figure's median over `repeat` measures; each measure printed with the load around it."""
    results = []
    for _ in range(repeat):
        before = load()
        results.append(measure())
        print(
            f"load before {before}, after {load()}: " + json.dumps({k: round(v, 3) for k, v in results[-1].items()}),
            file=sys.stderr,
            flush=True,
        )
    return {k: statistics.median(r[k] for r in results) for k in results[0]}


def load() -> str:
    """The load averages (1, 5, 15 min): the machine may be shared, so each figure says how busy it was."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, action="append", help="store sizes (default 10000)")
    parser.add_argument(
        "--store",
        type=Path,
        action="append",
        help="an existing store instead (e.g. one make_big_store.py wrote); its run count names the column",
    )
    parser.add_argument("--repeat", type=int, default=3, help="fresh app starts per size")
    parser.add_argument(
        "--code",
        type=Path,
        default=REPO,
        help="a folder with the store/ and tui/ to measure "
        "(e.g. `git archive main store tui | tar -x -C DIR`); default this checkout",
    )
    args = parser.parse_args()
    stores = list(args.store or [])
    for n in args.runs or ([] if stores else [10_000]):
        stores.append(make_store(Path(tempfile.gettempdir()) / f"tracktui-bench-store-{n}", n))
    rows = []
    for store in stores:
        run_child(store, args.code)  # builds the listing index, as any first start does
        med = medians(lambda: run_child(store, args.code), args.repeat)  # noqa: B023 - called at once
        rows.append((int(med["rows"]), med))
    targets = {
        "first_paint": "≤ 2 s (10k), ≤ 3.5 s (100k)",
        "sort_text_first": "≤ 300 ms",
        "filter_text_first": "≤ 200 ms",
        "sort_numeric": "≤ 150 ms (10k), ≤ 300 ms (100k)",
        "sort_text": "≤ 150 ms (10k), ≤ 300 ms (100k)",
        "filter_expr": "≤ 200 ms",
        "filter_text": "≤ 200 ms",
        "group_10_groups": "≤ 150 ms (until painted)",
        "group_10_groups_cpu": "CPU time of it",
        "group_10_groups_ui": "UI-thread share: ≤ 30 ms",
        "group_10k_groups": "(every run its own group)",
        "group_10k_groups_cpu": "CPU time of it",
        "group_10k_groups_ui": "UI-thread share: ≤ 30 ms",
        "sort_groups": "≤ 150 ms",
        "cursor_move": "no stall",
        "page_down": "",
        "live_update_ui": "UI-thread share of a refresh: ≤ 30 ms",
        "live_update_ui_filtered": "the same with a filter on",
        "live_longest_stall": "UI loop's longest wait",
    }
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
