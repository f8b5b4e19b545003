"""ChartsScreen with the pilot: metrics, axes, smoothing, log scale, search, scatter, live redraw."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Select, SelectionList, Static
from textual.widgets._footer import FooterKey

import store
from tests.app_helpers import burst
from tests.screen_harness import ScreenHarness, settle_until
from tests.test_diff_shaping import BASE_TIME, make_compare_store
from tui.screens.charts import ChartsScreen
from tui.widgets.chart_grid import auto_grid, grid_shape
from tui.widgets.chart_readout import ChartReadout
from tui.widgets.metric_chart import MetricChart
from tui.widgets.param_scatter import ParamScatter


class ChartsHarness(ScreenHarness):
    """Stands in for the main app: opens the charts over a blank screen, as `p` does."""

    def __init__(
        self,
        st: store.RunStore,
        run_ids: list[str],
        frame: pd.DataFrame | None = None,
        refresh_interval: float = 3600.0,
    ) -> None:
        super().__init__(lambda: ChartsScreen(st, run_ids, frame=frame, refresh_interval=refresh_interval))


async def settle(app: App[Any], pilot: Pilot[Any]) -> None:
    await settle_until(app, pilot, lambda screen: isinstance(screen, ChartsScreen) and screen.draws > 0)


async def settle_snapshot(pilot: Pilot[Any]) -> None:
    await settle(pilot.app, pilot)


@pytest.fixture
def compare(tmp_path: Path) -> tuple[store.RunStore, list[str]]:
    ids = make_compare_store(tmp_path / "store")
    return store.open_store(tmp_path / "store"), ids


def panes(screen: ChartsScreen) -> dict[str, MetricChart]:
    return {pane.metric: pane for pane in screen.query(MetricChart)}


async def open_charts(app: ChartsHarness, pilot: Pilot[Any]) -> ChartsScreen:
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, ChartsScreen)
    return screen


async def test_opens_with_result_metrics_overlaid_for_every_run(compare: tuple[store.RunStore, list[str]]) -> None:
    """Issue 12: the opening shows loss/accuracy-like metrics (as many as the grid holds), not
    `widgets`, which has as many points but says nothing about the model."""
    st, ids = compare
    app = ChartsHarness(st, ids)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_charts(app, pilot)
        picker = screen.query_one("#metric-list", SelectionList)
        assert [picker.get_option_at_index(i).value for i in range(picker.option_count)] == [
            "train/loss",
            "val_acc",
            "widgets",
        ]
        assert screen.selected == ["train/loss", "val_acc"] and picker.selected == ["train/loss", "val_acc"]
        data = panes(screen)["train/loss"].data
        assert data is not None
        assert [c.label for c in data.curves] == ["baseline", "degree-2", "[bold red]degree-3[/]"]
        assert len({c.color for c in data.curves}) == 3, "one colour per run"
        assert data.curves[1].y.tolist() == [4.0, 2.0, 1.0, 1.5]
        assert data.x_label == "step" and not data.log_y
        legend = screen.query_one("#run-legend", Static).render()
        assert "[bold red]degree-3[/]" in str(legend)
        assert all(c.raw_y is None for c in data.curves), "no faint raw curve without smoothing"


async def test_pick_more_metrics_as_panes(compare: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare
    app = ChartsHarness(st, ids)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_charts(app, pilot)
        assert screen.selected == ["train/loss"], "80x24 holds one pane: the opening shows one"
        await pilot.press("down", "space")
        await settle(app, pilot)
        assert screen.selected == ["train/loss", "val_acc"]
        assert list(panes(screen)) == ["train/loss", "val_acc"]
        acc = panes(screen)["val_acc"].data
        assert acc is not None and acc.curves[0].y.tolist() == [0.5, 0.6, 0.7, 0.7]
        await pilot.press("up", "space")
        await settle(app, pilot)
        assert screen.selected == ["val_acc"]
        assert list(panes(screen)) == ["val_acc"]


async def test_axis_log_and_smoothing_change_what_is_drawn(compare: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare
    app = ChartsHarness(st, ids)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_charts(app, pilot)
        pane = panes(screen)["train/loss"]

        await pilot.press("x")
        await settle(app, pilot)
        assert screen.axis == "relative"
        assert pane.data is not None and pane.data.x_label == "time since start (s)"
        assert pane.data.curves[0].x.tolist() == [0.0, 10.0, 20.0, 30.0]

        await pilot.press("x")
        await settle(app, pilot)
        assert screen.axis == "wall" and pane.data.x_label == "wall-clock time"
        assert pane.data.xticks is not None and pane.data.curves[0].x[0] == BASE_TIME

        await pilot.press("x")
        await settle(app, pilot)
        assert screen.axis == "step"

        await pilot.press("L")
        await settle(app, pilot)
        assert screen.log_y and pane.data.log_y
        assert "y: log" in str(screen.query_one("#charts-title", Static).render())
        assert pane.data.yticks == ([1.0, 2.0, 5.0], ["1", "2", "5"]), "round ticks on a log axis"

        await pilot.press("right_square_bracket")
        await settle(app, pilot)
        assert screen.smoothing == 0.6
        curve = pane.data.curves[0]
        assert curve.raw_y is not None and curve.raw_y.tolist() == [4.0, 3.0, 2.5, 2.0]
        assert curve.faint is not None and curve.faint != curve.color
        assert curve.y[0] == pytest.approx(4.0) and curve.y[-1] > 2.0, "smoothed lags behind the raw curve"
        assert "smoothed 0.6" in pane.data.note
        assert pane.segments_drawn == 6, "three raw curves behind three smoothed ones"

        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(app, pilot)
        assert screen.smoothing == 0.9
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket")
        await settle(app, pilot)
        assert screen.smoothing == 0.0 and pane.data.curves[0].raw_y is None


async def test_search_filters_the_metric_list_and_escape_closes_it(compare: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare
    app = ChartsHarness(st, ids)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_charts(app, pilot)
        await pilot.press("slash")
        search = screen.query_one("#metric-search", Input)
        assert search.display and search.has_focus
        await pilot.press("a", "c", "c")
        picker = screen.query_one("#metric-list", SelectionList)
        assert [picker.get_option_at_index(i).value for i in range(picker.option_count)] == ["val_acc"]
        assert screen.axis == "step", "typing x/l/s into the search does not trigger the chart keys"
        await pilot.press("enter", "space")
        await settle(app, pilot)
        assert screen.selected == ["train/loss", "val_acc"], "the hidden selection is kept"
        await pilot.press("escape")
        assert not search.display and picker.option_count == 3
        assert isinstance(app.screen, ChartsScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, ChartsScreen)


async def test_long_history_is_downsampled_and_gaps_break_the_line(tmp_path: Path) -> None:
    root = tmp_path / "store"
    run = store.start_run(experiment="big", name="big", root=root)
    values = np.sin(np.arange(50_000) / 500.0)
    values[10_000:10_100] = np.nan
    values[30_000] = 40.0
    for step, v in enumerate(values.tolist()):
        run.log_metric("loss", v, step=step, timestamp=BASE_TIME + step)
    run.finish()
    app = ChartsHarness(store.open_store(root), [run.id])
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_charts(app, pilot)
        pane = panes(screen)["loss"]
        assert pane.data is not None
        curve = pane.data.curves[0]
        assert curve.points == 50_000
        assert curve.x.size <= 2 * 100 + 100, "about twice the width, plus gap markers"
        assert np.nanmax(curve.y) == 40.0, "the spike survives downsampling"
        assert np.isnan(curve.y).any() and pane.segments_drawn >= 2
        assert "50,000 points" in str(pane.query_one(".metric-chart--title", Static).render())


async def test_scatter_of_param_against_metric(compare: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare
    app = ChartsHarness(st, ids, frame=st.runs_frame())
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_charts(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        assert screen.scatter
        assert "runs in the current filter: 3" in str(screen.query_one("#charts-title", Static).render())
        assert screen.query_one("#scatter-view").display and not screen.query_one("#chart-area").display
        plot = screen.query_one("#scatter-plot", ParamScatter)
        assert plot.data is not None
        assert (plot.data.param, plot.data.metric) == ("model.degree", "train/loss")
        assert sorted(zip(plot.data.x.tolist(), plot.data.y.tolist())) == [(1.0, 2.0), (2.0, 1.5), (3.0, 3.0)]
        note = str(screen.query_one("#scatter-note", Static).render())
        assert "lowest train/loss 1.5 at model.degree=2 (degree-2)" in note

        screen.query_one("#scatter-metric", Select).value = "val_acc"
        await settle(app, pilot)
        assert plot.data.metric == "val_acc"
        assert "highest val_acc 0.8" in str(screen.query_one("#scatter-note", Static).render())

        await pilot.press("x")  # disabled in scatter mode
        assert screen.axis == "step"
        shown = {key.key for key in screen.query(FooterKey)}
        assert "s" in shown and not shown & {"x", "left_square_bracket", "right_square_bracket", "slash"}, (
            "axis, smoothing and search are hidden from the footer in scatter mode"
        )
        await pilot.press("s")
        await settle(app, pilot)
        assert not screen.scatter and screen.query_one("#chart-area").display


async def test_runs_without_metrics_say_so(tmp_path: Path) -> None:
    root = tmp_path / "store"
    run = store.start_run(experiment="e", name="quiet", root=root, params={"a": 1})
    run.finish()
    app = ChartsHarness(store.open_store(root), [run.id])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_charts(app, pilot)
        assert screen.selected == [] and not panes(screen)
        assert "not logged any metrics" in str(screen.query_one("#run-legend", Static).render())


async def test_no_color_gives_each_run_its_own_marker(
    compare: tuple[store.RunStore, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    st, ids = compare
    monkeypatch.setenv("NO_COLOR", "1")
    app = ChartsHarness(st, ids)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_charts(app, pilot)
        assert app.no_color
        data = panes(screen)["train/loss"].data
        assert data is not None
        assert [c.marker for c in data.curves] == ["braille", "dot", "x"]
        legend = str(screen.query_one("#run-legend", Static).render())
        assert "⣀⣀ baseline" in legend and "•• degree-2" in legend and "xx [bold red]degree-3[/]" in legend


async def test_colour_keeps_braille_lines_and_the_keys_read_as_typed(compare: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare
    app = ChartsHarness(st, ids)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_charts(app, pilot)
        data = panes(screen)["train/loss"].data
        assert data is not None and {c.marker for c in data.curves} == {"braille"}
        assert "━━ baseline" in str(screen.query_one("#run-legend", Static).render())
        shown = {key.key: key.key_display for key in screen.query(FooterKey)}
        assert shown["left_square_bracket"] == "[" and shown["right_square_bracket"] == "]"
        bindings = {b.id: b for b in screen.BINDINGS if not isinstance(b, tuple) and hasattr(b, "id")}
        assert app.get_key_display(bindings["charts.smooth_less"]) == "["
        assert app.get_key_display(bindings["charts.smooth_more"]) == "]"


LIVE_WRITER = """
import sys
import store

run = store.start_run(experiment="live", name="live-run", root=sys.argv[1])
for i in range(5):
    run.log_metric("loss", 10.0 - i, step=i, timestamp=1_700_000_000.0 + i)
run.flush()
print(run.id, flush=True)
sys.stdin.readline()
for i in range(5, 12):
    run.log_metric("loss", 10.0 - i, step=i, timestamp=1_700_000_000.0 + i)
run.log_metric("acc", 0.5, step=0, timestamp=1_700_000_000.0)
run.flush()
print("flushed", flush=True)
sys.stdin.readline()
run.finish()
print("finished", flush=True)
"""


@contextlib.asynccontextmanager
async def live_writer(root: Path) -> AsyncIterator[tuple[subprocess.Popen[str], str]]:
    """`LIVE_WRITER` in a child process, with its run id once its first points are flushed;
    killed at the end if it has not finished."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LIVE_WRITER, str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        run_id = (await advance(proc, None)).strip()
        assert run_id, "the writer process did not start"
        yield proc, run_id
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


async def advance(proc: subprocess.Popen[str], go: str | None = "go") -> str:
    """Let the writer take its next step (`go` on its stdin) and return the line it prints then."""
    assert proc.stdin is not None and proc.stdout is not None
    if go is not None:
        proc.stdin.write(go + "\n")
        proc.stdin.flush()
    return (await asyncio.to_thread(proc.stdout.readline)).strip()


async def test_live_redraw_while_another_process_logs(tmp_path: Path) -> None:
    root = tmp_path / "store"
    async with live_writer(root) as (proc, run_id):
        app = ChartsHarness(store.open_store(root), [run_id])
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await open_charts(app, pilot)
            assert screen._timer is not None, "a timer polls running runs"
            pane = panes(screen)["loss"]
            assert pane.data is not None and pane.data.curves[0].points == 5
            assert "running, live" in str(screen.query_one("#charts-title", Static).render())
            await pilot.press("x", "right_square_bracket")
            await settle(app, pilot)

            assert await advance(proc) == "flushed"
            draws = screen.draws
            screen.poll_running()  # what the timer calls every 2 s
            await settle(app, pilot)
            assert screen.draws > draws
            assert pane.data.curves[0].points == 12
            assert pane.data.curves[0].raw_y is not None and pane.data.curves[0].raw_y[-1] == -1.0
            assert (screen.axis, screen.smoothing, screen.selected) == ("relative", 0.6, ["loss"])
            picker = screen.query_one("#metric-list", SelectionList)
            assert picker.option_count == 2, "a metric that appeared while running joins the list"

            assert await advance(proc) == "finished"
            screen.poll_running()
            await settle(app, pilot)
            assert screen.infos[run_id].status == "finished"
            assert "live" not in str(screen.query_one("#charts-title", Static).render())
            draws = screen.draws
            screen.poll_running()
            await settle(app, pilot)
            assert screen.draws == draws, "finished runs are not re-read"


def _snapshot_app(tmp_path: Path, scatter_frame: bool = False) -> ChartsHarness:
    ids = make_compare_store(tmp_path / "store")
    st = store.open_store(tmp_path / "store")
    return ChartsHarness(st, ids, frame=st.runs_frame() if scatter_frame else None)


def test_snapshot_charts_80x24(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(_snapshot_app(tmp_path), terminal_size=(80, 24), run_before=settle_snapshot)


def test_snapshot_charts_two_metrics_smoothed_120x40(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot.app, pilot)
        await pilot.press("right_square_bracket")  # train/loss and val_acc open by default
        await settle(pilot.app, pilot)

    assert snap_compare(_snapshot_app(tmp_path), terminal_size=(120, 40), run_before=run_before)


def test_snapshot_scatter_80x24(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot.app, pilot)
        await pilot.press("s")
        await settle(pilot.app, pilot)

    assert snap_compare(_snapshot_app(tmp_path, scatter_frame=True), terminal_size=(80, 24), run_before=run_before)


async def test_escape_codes_in_run_names_and_metric_keys_are_shown_not_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "store"
    # Our writer refuses such a key, but other stores (MLflow) hold them: let this one through.
    monkeypatch.setattr(store.ours.layout, "check_key", lambda key, what="key": key)
    run = store.start_run(experiment="e", name="\x1b]0;PWNED\x07evil", root=root, tags={"stage": "\x1b[31mred"})
    run.log_metric("loss\x1b[2J", 1.0, step=0)
    run.log_metric("loss\x1b[2J", 0.5, step=1)
    run.finish()
    app = ChartsHarness(store.open_store(root), [run.id])
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_charts(app, pilot)
        legend = str(screen.query_one("#run-legend", Static).render())
        assert "␛]0;PWNED␇evil" in legend and "\x1b" not in legend
        (pane,) = panes(screen).values()
        title = str(pane.query_one(".metric-chart--title", Static).render())
        assert title.startswith("loss␛[2J") and "\x1b" not in title
        shown = app.export_screenshot()
        assert "␛]0;PWNED␇evil" in shown and "loss␛[2J" in shown
        assert "\x1b" not in shown and "\x07" not in shown


def footer_text(app: App[Any]) -> str:
    """The footer's last line exactly as drawn (what fits in the terminal's width)."""
    strips = app.screen._compositor.render_strips()
    return strips[-1].text


async def test_footer_fits_80_columns_with_pick_first_and_help_visible(
    compare: tuple[store.RunStore, list[str]],
) -> None:
    """Issue 9.15: at 80 columns `?` was cut off, and `space` (pick a metric) was in no footer or help."""
    st, ids = compare
    app = ChartsHarness(st, ids)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_charts(app, pilot)
        footer = footer_text(app)
        assert footer.lstrip().startswith("space Pick") and "? Keys" in footer and "esc Back" in footer
        await pilot.press("question_mark")
        await pilot.pause()
        help_text = "\n".join(s.text for s in app.screen._compositor.render_strips())
        assert "space" in help_text and "Pick" in help_text


async def test_metric_list_marks_drawn_metrics_with_a_glyph(compare: tuple[store.RunStore, list[str]]) -> None:
    """Issue 9.15: which metrics are drawn showed only as the box's colour."""
    st, ids = compare
    app = ChartsHarness(st, ids)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_charts(app, pilot)
        picker = screen.query_one("#metric-list", SelectionList)

        def rows() -> list[str]:
            return [picker.render_line(y).text for y in range(picker.option_count)]

        assert rows()[0].startswith("▐✓▌ train/loss") and rows()[1].startswith("▐ ▌ val_acc")
        picker.highlighted = 1
        await pilot.press("space")
        await settle(app, pilot)
        assert screen.selected == ["train/loss", "val_acc"]
        assert rows()[1].startswith("▐✓▌ val_acc") and rows()[2].startswith("▐ ▌ widgets")


def test_grid_fits_the_terminal_and_the_panes() -> None:
    assert auto_grid(56, 20) == (1, 1), "80x24 holds one pane"
    assert auto_grid(136, 44) == (2, 3)
    assert grid_shape(3, 2, 3) == (2, 2)
    assert grid_shape(1, 3, 3) == (1, 1)
    assert grid_shape(9, 2, 2) == (2, 2), "more panes than room: the rest scroll"
    assert grid_shape(0, 2, 2) == (1, 1)


async def test_grid_keys_lay_out_and_maximise_panes(compare: tuple[store.RunStore, list[str]]) -> None:
    """Issue 12: panes in a grid that fits the terminal; c/r change columns/rows; f maximises."""
    st, ids = compare
    app = ChartsHarness(st, ids)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_charts(app, pilot)
        assert screen.selected == ["train/loss", "val_acc"]
        assert screen.grid_widget.in_use() == (2, 1), "two panes side by side at 160 columns"
        loss, acc = panes(screen)["train/loss"], panes(screen)["val_acc"]
        assert loss.region.y == acc.region.y and loss.region.x < acc.region.x
        await pilot.press("down", "down", "space")
        await settle(app, pilot)
        assert screen.grid_widget.in_use() == (2, 2) and len(panes(screen)) == 3
        await pilot.press("c")
        await settle(app, pilot)
        assert screen.grid_widget.in_use() == (3, 1)
        assert len({p.region.y for p in panes(screen).values()}) == 1, "three panes in one row"
        await pilot.press("c", "r")
        await settle(app, pilot)
        assert screen.grid_widget.shape == (4, 4) and screen.grid_widget.in_use() == (3, 1)
        await pilot.press("up", "f")  # the highlighted metric: val_acc
        await settle(app, pilot)
        assert screen.grid_widget.maximized == "val_acc" and screen.grid_widget.in_use() == (1, 1)
        assert [m for m, p in panes(screen).items() if p.display] == ["val_acc"]
        assert panes(screen)["val_acc"].region.width > 100
        await pilot.press("f")
        await settle(app, pilot)
        assert screen.grid_widget.maximized is None and all(p.display for p in panes(screen).values())


def readout(screen: ChartsScreen, metric: str) -> dict[str, float | None]:
    return dict(panes(screen)[metric].readout())


async def test_cursor_reads_every_run_in_every_pane_and_zoom_follows_it(
    compare: tuple[store.RunStore, list[str]],
) -> None:
    """Issue 12: a keyboard cursor shows each run's value at its x in every pane at once; z/Z zoom
    around it, 0 resets; escape first drops the cursor."""
    st, ids = compare
    app = ChartsHarness(st, ids)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_charts(app, pilot)
        await pilot.press("right")
        await pilot.pause()
        assert screen.viewing.cursor == 2.0, "the first press puts the cursor in the middle"
        assert readout(screen, "train/loss") == {"baseline": 2.5, "degree-2": 1.0, "[bold red]degree-3[/]": 3.0}
        assert readout(screen, "val_acc") == {"baseline": 0.7, "degree-2": 0.8, "[bold red]degree-3[/]": 0.6}
        lines = panes(screen)["val_acc"].query_one(ChartReadout).text.splitlines()
        assert lines[0] == "@ 2" and lines[1].split() == ["━", "degree-2", "0.8"], "best (highest) first"
        await pilot.press("right", "right", "left", "left", "left")
        await pilot.pause()
        assert screen.viewing.cursor == 0.0, "the cursor stops at the last point and at the first"
        await pilot.press("right")
        await pilot.pause()
        assert screen.viewing.cursor == 1.0 and readout(screen, "train/loss")["degree-2"] == 2.0
        assert "cursor at step 1" in str(screen.query_one("#run-legend", Static).render())

        await pilot.press("z")
        await settle(app, pilot)
        assert screen.viewing.x_range == (0.5, 2.0)
        data = panes(screen)["train/loss"].data
        assert data is not None and data.xlim == (0.5, 2.0) and data.extent == (0.0, 3.0)
        assert "0.5–2" in str(screen.query_one("#charts-title", Static).render())
        await pilot.press("Z")
        await settle(app, pilot)
        assert screen.viewing.x_range is None, "zoomed out to everything: no zoom"
        await pilot.press("z", "0")
        await settle(app, pilot)
        assert screen.viewing.x_range is None and screen.viewing.cursor is None

        chart = panes(screen)["val_acc"].plot
        await pilot.click(chart, offset=(chart.size.width - 3, 3))
        await pilot.pause()
        assert screen.viewing.cursor == 3.0, "a click puts the cursor on the nearest point"
        await pilot.press("escape")
        await pilot.pause()
        assert screen.viewing.cursor is None and app.screen is screen, "escape drops the cursor before leaving"
        assert not panes(screen)["train/loss"].query_one(".metric-chart--readout").display


async def test_highlight_hide_clip_and_colour_blind_palette(compare: tuple[store.RunStore, list[str]]) -> None:
    from tui.shaping.run_colors import COLORBLIND

    st, ids = compare
    app = ChartsHarness(st, ids)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_charts(app, pilot)
        drawn = panes(screen)["train/loss"].segments_drawn
        await pilot.press("h")
        await pilot.pause()
        assert screen.viewing.highlight == ids[0]
        assert "▸━━ baseline" in str(screen.query_one("#run-legend", Static).render())
        await pilot.press("H", "right")
        await pilot.pause()
        assert screen.viewing.hidden == {ids[0]}
        assert panes(screen)["train/loss"].segments_drawn == drawn - 1
        assert "baseline" not in readout(screen, "train/loss"), "a hidden run is not read out"
        await pilot.press("h", "h", "h")
        await pilot.pause()
        assert screen.viewing.highlight is None
        await pilot.press("h")
        assert screen.viewing.highlight == ids[0], "the hidden run can be highlighted again to show it"
        await pilot.press("H")
        assert screen.viewing.hidden == set()

        await pilot.press("o")
        await settle(app, pilot)
        data = panes(screen)["train/loss"].data
        assert data is not None and data.ylim is not None and "y clipped" in data.note

        await pilot.press("b")
        await settle(app, pilot)
        data = panes(screen)["train/loss"].data
        assert data is not None and [c.color for c in data.curves] == list(COLORBLIND[:3])


async def test_a_run_keeps_its_colour_in_every_chart_of_the_session(compare: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare
    app = ChartsHarness(st, ids)
    async with app.run_test(size=(120, 40)) as pilot:
        first = await open_charts(app, pilot)
        data = panes(first)["train/loss"].data
        assert data is not None
        colours = {c.run_id: c.color for c in data.curves}
        second = ChartsScreen(st, [ids[2], ids[0]], refresh_interval=3600)
        await app.push_screen(second)
        await settle_until(app, pilot, lambda s: s is second and second.draws > 0)
        again = panes(second)["train/loss"].data
        assert again is not None
        assert {c.run_id: c.color for c in again.curves} == {ids[2]: colours[ids[2]], ids[0]: colours[ids[0]]}


async def test_another_metric_as_the_x_axis(compare: tuple[store.RunStore, list[str]]) -> None:
    st, ids = compare
    app = ChartsHarness(st, ids)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_charts(app, pilot)
        await pilot.press("down", "X")  # val_acc is highlighted in the list
        await settle(app, pilot)
        assert screen.axis == "metric:val_acc"
        data = panes(screen)["train/loss"].data
        assert data is not None and data.x_label == "val_acc"
        assert data.curves[1].x.tolist() == [0.5, 0.7, 0.8, 0.8]
        assert data.curves[1].y.tolist() == [4.0, 2.0, 1.0, 1.5]
        assert "x: val_acc" in str(screen.query_one("#charts-title", Static).render())
        await pilot.press("X")
        await settle(app, pilot)
        assert screen.axis == "step"


async def test_legend_of_twenty_runs_fits_with_a_count(tmp_path: Path) -> None:
    from tests.test_diff_shaping import RUNS

    runs = [dict(RUNS[i % 3], name=f"run-number-{i:02d}") for i in range(20)]
    ids = make_compare_store(tmp_path / "store", runs)
    app = ChartsHarness(store.open_store(tmp_path / "store"), ids)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_charts(app, pilot)
        legend = screen.query_one("#run-legend", Static)
        text = str(legend.render())
        assert "more" in text and "run-number-00" in text and "run-number-19" not in text
        assert legend.size.height <= 2
        for _ in range(20):
            await pilot.press("h")
        await pilot.pause()
        assert screen.viewing.highlight == ids[19]
        assert "run-number-19" in str(legend.render()), "the highlighted run is always in the legend"


def test_snapshot_grid_with_cursor_and_highlight_160x48(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot.app, pilot)
        await pilot.press("down", "down", "space", "right", "h", "h")
        await settle(pilot.app, pilot)

    assert snap_compare(_snapshot_app(tmp_path), terminal_size=(160, 48), run_before=run_before)


def test_legend_packs_whole_entries_into_two_lines() -> None:
    from tui.widgets.run_legend import pack_lines

    assert pack_lines([10] * 3, 100, 2) == [[0, 1, 2]]
    assert pack_lines([10] * 10, 30, 2) == [[0, 1], [2]], "room for +n more on the last line"
    assert pack_lines([10] * 10, 30, 2, keep=9) == [[0, 1], [9]]
    assert pack_lines([50, 5], 20, 2) == [[0], [1]], "an entry wider than the line still shows"


def test_snapshot_metric_as_x_zoomed_with_cursor_80x24(snap_compare: Any, tmp_path: Path) -> None:
    """Issue 12's done-when: x = another metric and zoom, in a snapshot too."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot.app, pilot)
        await pilot.press("down", "X")  # x = val_acc
        await settle(pilot.app, pilot)
        await pilot.press("right", "z")  # a cursor, then zoom in around it
        await settle(pilot.app, pilot)
        await settle(pilot.app, pilot)  # the readout box lays out after its redraw (a full run caught it between)

    assert snap_compare(_snapshot_app(tmp_path), terminal_size=(80, 24), run_before=run_before)


async def test_pick_then_move_in_one_burst_toggles_the_row_under_the_cursor(
    compare: tuple[store.RunStore, list[str]],
) -> None:
    """Issue 22.10: `space` then a move, pressed together, drew the *next* metric: the list
    toggled whatever was highlighted when its message was handled, not when the key came."""
    st, ids = compare
    app = ChartsHarness(st, ids)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_charts(app, pilot)
        assert screen.selected == ["train/loss"]
        await pilot.press("down")
        await burst(pilot, "space", "down")
        await settle(app, pilot)
        assert screen.selected == ["train/loss", "val_acc"], "val_acc was under the cursor at `space`"
        await pilot.press("up")
        await burst(pilot, "enter", "down", "down")
        await settle(app, pilot)
        assert screen.selected == ["train/loss"], "enter hid val_acc, the row it was pressed on"
