"""Chart timings for long metric histories. Target: a 1,000,000-point curve drawn in <= 300 ms.

    /work/venv/bin/python tests/perf/bench_charts.py [--points 1000000] [--width 120]

Prints the median of several repeats for: min/max downsampling, EMA smoothing, reading the
history from a store, the whole worker path (read + smooth + downsample) and the plot build
(the downsampled curves rasterised into the braille strips the widget shows), and
finally the time from opening the charts screen in a headless app to the chart being drawn.

Then the grid (issue 12; target <= 100 ms): 6 panes of 10 runs (2,000 points each) at 200x60,
timed for a redraw from cached histories (worker + plot build + screen refresh) and for a
cursor move (every pane replotted on the UI thread); and the same runs as two groups of five
(issue 13: each pane draws the groups' means in min–max bands).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import store
from store.ours import layout
from tui.shaping.curves import ChartRequest, build_chart, series_from_history
from tui.shaping.downsample import minmax_downsample
from tui.shaping.group_curves import RunGroup
from tui.shaping.smoothing import ema
from tui.widgets.braille_chart import render_chart

TARGET_MS = 300.0
GRID_TARGET_MS = 100.0
GRID_METRICS = ("train/loss", "val/loss", "train/acc", "val/acc", "grad_norm", "lr")


def timed(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def make_store(root: Path, points: int) -> str:
    """One run with a `loss` history of `points` points (with a spike and a NaN gap)."""
    run = store.start_run(experiment="bench", name="long", root=root)
    run.log_metric("loss", 1.0, step=0)
    run.finish()
    rng = np.random.default_rng(0)
    values = np.exp(-np.arange(points) / (points / 5)) + rng.normal(scale=0.05, size=points)
    values[points // 3] = 25.0
    values[points // 2 : points // 2 + 1000] = np.nan
    arr = np.empty(points, dtype=np.dtype(list(layout.HISTORY_FIELDS)))
    arr["step"] = np.arange(points)
    arr["time"] = 1_700_000_000.0 + np.arange(points) * 0.01
    arr["value"] = values
    (run.path / layout.METRICS_DIR / layout.metric_filename("loss")).write_bytes(arr.tobytes())
    return run.id


def request(width: int, smoothing: float) -> ChartRequest:
    colors = [(1, 120, 212), (255, 166, 43)]
    return ChartRequest(
        run_ids=[],
        metrics=["loss"],
        axis="step",
        log_y=False,
        smoothing=smoothing,
        buckets=width,
        colors=colors,
        faint=colors,
    )


async def app_first_draw(st: store.RunStore, run_id: str, size: tuple[int, int]) -> float:
    from textual.app import App

    from tui.screens.charts import ChartsScreen

    app: App[None] = App()
    async with app.run_test(size=size) as pilot:
        t0 = time.perf_counter()
        screen = ChartsScreen(st, [run_id], refresh_interval=3600)
        await app.push_screen(screen)
        while screen.draws == 0:
            await pilot.pause(0.005)
        await pilot.pause()
        return (time.perf_counter() - t0) * 1000


def make_grid_store(root: Path, runs: int = 10, points: int = 2000) -> list[str]:
    """`runs` runs, each with the six `GRID_METRICS` of `points` points."""
    rng = np.random.default_rng(1)
    ids = []
    steps = np.arange(points)
    for r in range(runs):
        run = store.start_run(experiment="grid", name=f"run-{r}", root=root)
        run.log({key: 1.0 for key in GRID_METRICS}, step=0)
        run.finish()
        for key in GRID_METRICS:
            values = np.exp(-steps / (300 + 40 * r)) + rng.normal(0, 0.02, points)
            arr = np.empty(points, dtype=np.dtype(list(layout.HISTORY_FIELDS)))
            arr["step"], arr["time"], arr["value"] = steps, 1_700_000_000.0 + steps, values
            (run.path / layout.METRICS_DIR / layout.metric_filename(key)).write_bytes(arr.tobytes())
        ids.append(run.id)
    return ids


async def grid_redraws(st: store.RunStore, ids: list[str], repeat: int, grouped: bool = False) -> dict[str, float]:
    """Median ms, 6 panes x 10 runs at 200x60: our work for a redraw from cached histories
    (building the six charts, as the worker does, then drawing them into the panes) and for a
    cursor move (every pane redraws its cursor column and readout), each with the repaint of the
    screen; and, for scale, what Textual takes to repaint the screen after a key that does nothing.
    `grouped`: the runs as two groups of five (each pane draws two means in min–max bands,
    aligned and aggregated in the worker)."""
    from textual.app import App

    from tui.screens.charts import ChartsScreen

    app: App[None] = App()
    async with app.run_test(size=(200, 60)) as pilot:
        half = len(ids) // 2
        groups = [RunGroup("half=1", tuple(ids[:half])), RunGroup("half=2", tuple(ids[half:]))] if grouped else None
        screen = ChartsScreen(st, ids, metrics=list(GRID_METRICS), refresh_interval=3600, groups=groups)
        await app.push_screen(screen)
        while screen.draws == 0:
            await pilot.pause(0.005)
        await pilot.pause()
        assert len(screen.grid_widget.panes) == 6

        def repaint() -> None:
            for pane in screen.grid_widget.panes.values():
                chart = pane.plot
                for y in range(chart.size.height):
                    chart.render_line(y)

        def redraw() -> None:
            result = screen.histories.charts(screen._request(), {})
            screen._draw(result)
            repaint()

        def move() -> None:
            screen.action_cursor(1)
            repaint()

        out = {"redraw": timed(redraw, repeat), "cursor move": timed(move, repeat)}
        idle, keyed = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            await pilot.press("f12")
            await pilot.pause()
            idle.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            await pilot.press("right")
            await pilot.pause()
            keyed.append((time.perf_counter() - t0) * 1000)
        out["key to screen, cursor move (headless pilot)"] = statistics.median(keyed)
        out["key to screen, a key that does nothing (headless pilot)"] = statistics.median(idle)
        return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--width", type=int, default=110, help="plot width in cells (buckets)")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    n, width = args.points, args.width

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "store"
        run_id = make_store(root, n)
        st = store.open_store(root)
        frame = st.history(run_id, ["loss"])
        series = series_from_history(frame)["loss"]
        x, y = series.step, series.value

        rows: list[tuple[str, float]] = []
        rows.append(
            (
                f"downsample {n:,} -> {2 * width} points (min/max per bucket)",
                timed(lambda: minmax_downsample(x, y, width), args.repeat),
            )
        )
        rows.append((f"EMA smoothing of {n:,} points (0.9)", timed(lambda: ema(y, 0.9), args.repeat)))
        rows.append(
            (
                f"read history of {n:,} points from the store",
                timed(lambda: series_from_history(st.history(run_id, ["loss"])), args.repeat),
            )
        )

        def worker_path(smoothing: float) -> Any:
            s = series_from_history(st.history(run_id, ["loss"]))["loss"]
            return build_chart("loss", [(run_id, "long", s)], request(width, smoothing))

        rows.append(("worker: read + downsample (no smoothing)", timed(lambda: worker_path(0.0), args.repeat)))
        rows.append(("worker: read + smooth + downsample both curves", timed(lambda: worker_path(0.9), args.repeat)))

        def build(data: Any) -> Any:
            return render_chart(data, width + 10, 30)

        plain = worker_path(0.0)
        smoothed = worker_path(0.9)
        rows.append(("plot build (braille), raw curve", timed(lambda: build(plain), args.repeat)))
        rows.append(("plot build (braille), smoothed + faint raw", timed(lambda: build(smoothed), args.repeat)))
        full_plain = timed(lambda: build(worker_path(0.0)), args.repeat)
        full_smooth = timed(lambda: build(worker_path(0.9)), args.repeat)
        rows.append((f"FULL: load + downsample + plot build ({n:,} points)", full_plain))
        rows.append((f"FULL: load + smooth + downsample + plot build ({n:,} points)", full_smooth))
        first = statistics.median(asyncio.run(app_first_draw(st, run_id, (width + 34, 40))) for _ in range(3))
        rows.append(("app: open ChartsScreen -> chart drawn (headless)", first))

        label_w = max(len(r[0]) for r in rows)
        print(f"{'what':<{label_w}}  {'median ms':>10}")
        print("-" * (label_w + 12))
        for label, ms in rows:
            print(f"{label:<{label_w}}  {ms:>10.1f}")
        ok = max(full_plain, full_smooth) <= TARGET_MS
        print(f"\ntarget: full path <= {TARGET_MS:.0f} ms: {'met' if ok else 'NOT met'}")

        grid_root = Path(tmp) / "grid"
        ids = make_grid_store(grid_root)
        grid = asyncio.run(grid_redraws(store.open_store(grid_root), ids, args.repeat))
        print("\ngrid, 6 panes x 10 runs x 2,000 points at 200x60:")
        for label, ms in grid.items():
            print(f"  {label:<{label_w}}  {ms:>10.1f}")
        grouped = asyncio.run(grid_redraws(store.open_store(grid_root), ids, args.repeat, grouped=True))
        print("\ngrid of groups, 6 panes x 2 groups of 5 runs (mean + min–max band) x 2,000 points at 200x60:")
        for label in ("redraw", "cursor move"):
            print(f"  {label:<{label_w}}  {grouped[label]:>10.1f}")
        grid_ok = max(grid["redraw"], grid["cursor move"], grouped["redraw"], grouped["cursor move"]) <= GRID_TARGET_MS
        print(f"target: grid redraw and cursor move <= {GRID_TARGET_MS:.0f} ms: {'met' if grid_ok else 'NOT met'}")
        return 0 if ok and grid_ok else 1


if __name__ == "__main__":
    sys.exit(main())
