"""Workspace benchmark: how long the UI thread works for a cursor move and for a live refresh.

    python tests/perf/bench_workspace.py [--runs 12] [--metrics 6] [--points 2000]

Writes a store of `runs` runs, each with `metrics` metrics of `points` points, starts the real
app headless at 160x48 and 80x24, opens the workspace (W) with every run marked, then times:

- a cursor move among the drawn runs (the highlight moves: every pane on the page redrawn),
- a cursor move onto a run not drawn yet (one marked run fewer: the worker reads its history),
- a live refresh that re-reads every run (as if all were running): the worker's time, and the
  UI thread's share (swapping the new curves into the panes and drawing them),

each the median of several repeats, in milliseconds. "key to …" is wall time from sending the
key; "… UI thread" is the UI thread's CPU time (`time.thread_time`), which a busy machine does
not inflate. "key to idle" includes the test harness's own settling (see the line without the
workspace). Not collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import numpy as np  # noqa: E402

import store  # noqa: E402
from tui.app import make_app  # noqa: E402
from tui.widgets.runs_table import RunsTable  # noqa: E402
from tui.widgets.workspace import Workspace  # noqa: E402


def write_store(root: Path, runs: int, metrics: int, points: int) -> None:
    rng = np.random.default_rng(0)
    for r in range(runs):
        with store.start_run(experiment="bench", name=f"run-{r:02d}", root=root, system_metrics_interval=0) as run:
            curves = {
                f"metric_{m}": 1.0 / np.arange(1, points + 1) + rng.normal(0, 0.01, points) for m in range(metrics)
            }
            for step in range(points):
                run.log_metrics({k: float(v[step]) for k, v in curves.items()}, step=step)


UI_TIMES: list[float] = []
DRAWN_AT: list[float] = []
"""When each build finished drawing (perf_counter): the key's latency is this minus when it was sent."""
_built = Workspace.on_workspace_built


async def timed_built(self: Workspace, message: Any) -> None:
    start = time.thread_time()  # CPU time of the UI thread: other processes on a busy machine do not count
    await _built(self, message)
    DRAWN_AT.append(time.perf_counter())
    UI_TIMES.append(time.thread_time() - start)


Workspace.on_workspace_built = timed_built  # type: ignore[method-assign]
FOLLOW_TIMES: list[float] = []
_follow = Workspace.follow


def timed_follow(self: Workspace, *args: Any, **kwargs: Any) -> None:
    start = time.thread_time()
    _follow(self, *args, **kwargs)
    DRAWN_AT.append(time.perf_counter())
    FOLLOW_TIMES.append(time.thread_time() - start)


Workspace.follow = timed_follow  # type: ignore[method-assign]


async def settle(pilot: Any) -> None:
    for _ in range(2):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def measure(root: Path, size: tuple[int, int], repeats: int) -> dict[str, float]:
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="config-")  # the workspace opens closed
    app = make_app(root, poll_seconds=0)
    out: dict[str, list[float]] = {
        "key to idle, no workspace": [],
        "key to idle": [],
        "key to redrawn": [],
        "redraw on the UI thread": [],
        "new run: key to redrawn": [],
        "refresh wall": [],
        "refresh UI thread": [],
    }
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        table = app.screen.query_one(RunsTable)
        for i in range(repeats):  # the baseline: the same key without the workspace
            start = time.perf_counter()
            await pilot.press("down" if i % 2 == 0 else "up")
            await settle(pilot)
            out["key to idle, no workspace"].append(time.perf_counter() - start)
        await pilot.press("W", "g", *["space"] * table.view.row_count, "g")
        await settle(pilot)
        ws = app.screen.query_one(Workspace)
        assert ws.runs is not None and len(ws.runs.run_ids) == table.view.row_count, ws.runs
        for i in range(repeats):
            FOLLOW_TIMES.clear()
            DRAWN_AT.clear()
            start = time.perf_counter()
            await pilot.press("down" if i % 2 == 0 else "up")
            await settle(pilot)
            out["key to idle"].append(time.perf_counter() - start)
            out["key to redrawn"].append(DRAWN_AT[-1] - start)
            out["redraw on the UI thread"].append(sum(FOLLOW_TIMES))
        await pilot.press("G", "space")  # unmark the last run: the cursor moves onto it from another
        await settle(pilot)
        for _ in range(repeats):
            await pilot.press("up")
            await settle(pilot)
            last = table.view.run_id_at(table.view.row_count - 1)
            if ws._histories is not None:  # its history read again, as for a run never drawn before
                for key in [k for k in ws._histories.series if k[0] == last]:
                    del ws._histories.series[key]
            DRAWN_AT.clear()
            start = time.perf_counter()
            await pilot.press("down")
            await settle(pilot)
            out["new run: key to redrawn"].append(DRAWN_AT[-1] - start)
        for _ in range(repeats):
            UI_TIMES.clear()
            start = time.perf_counter()
            ws._build(ws._request(reload=frozenset(ws.runs.run_ids)), dict(ws.infos))
            await settle(pilot)
            out["refresh wall"].append(time.perf_counter() - start)
            out["refresh UI thread"].append(sum(UI_TIMES))
    return {k: statistics.median(v) * 1000 for k, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=12)
    parser.add_argument("--metrics", type=int, default=6)
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")
        root = Path(tmp) / "store"
        start = time.perf_counter()
        write_store(root, args.runs, args.metrics, args.points)
        print(
            f"store: {args.runs} runs x {args.metrics} metrics x {args.points} points "
            f"(written in {time.perf_counter() - start:.1f} s)"
        )
        print(f"{'size':>8}  {'what':<26} {'ms (median)':>12}")
        for size in [(160, 48), (80, 24)]:
            for what, ms in asyncio.run(measure(root, size, args.repeats)).items():
                print(f"{size[0]}x{size[1]:<5}  {what:<26} {ms:>12.1f}")


if __name__ == "__main__":
    main()
