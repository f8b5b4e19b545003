"""Charts of groups, driven from the grouped runs table: each group's mean in a min–max band."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from textual.widgets import Select

from tests.app_helpers import demo_app, move_to_column, settle, table
from tests.screen_harness import settle_until
from tui.app import TrackApp
from tui.screens.charts import ChartsScreen
from tui.shaping.run_colors import run_colors
from tui.widgets.chart_readout import ChartReadout
from tui.widgets.metric_chart import MetricChart
from tui.widgets.param_scatter import ParamScatter
from tui.widgets.run_legend import RunLegend, theme_palette
from tui.widgets.scatter_view import ScatterView

IRIS = "experiment=iris-classification"
POLY = "experiment=poly-regression"


async def open_group_charts(app: TrackApp, pilot: Any, *keys: str) -> ChartsScreen:
    await settle(pilot)
    move_to_column(app, "experiment")
    await pilot.press("o", *keys, "p")
    await settle_until(app, pilot, lambda s: isinstance(s, ChartsScreen) and s.draws > 0)
    screen = app.screen
    assert isinstance(screen, ChartsScreen)
    return screen


def legend_text(screen: ChartsScreen) -> str:
    return str(screen.query_one(RunLegend).render())


async def test_p_on_a_group_row_charts_every_group_as_its_mean_in_a_band(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_group_charts(app, pilot, "g")  # g: the first row, a group row
        assert [g.label for g in screen.groups] == [IRIS, POLY]
        assert [len(g.run_ids) for g in screen.groups] == [6, 4]
        assert len(screen.run_ids) == 10
        title = str(screen.query_one("#charts-title").render())
        assert "2 groups: mean, min–max" in title and "10 runs" in title
        legend = legend_text(screen)
        assert "experiment=iris-cla… (6)" in legend and "experiment=poly-reg… (4)" in legend  # cut, count kept
        pane = next(iter(screen.query(MetricChart)))
        assert pane.data is not None and pane.data.curves
        for curve in pane.data.curves:
            assert curve.run_id in {"group:" + IRIS, "group:" + POLY}
            assert curve.band_low is not None and curve.band_high is not None
            ok = np.isfinite(curve.y)
            assert (curve.band_low[ok] <= curve.y[ok] + 1e-9).all()
            assert (curve.y[ok] <= curve.band_high[ok] + 1e-9).all()
        colours = run_colors(app).colors([c.run_id for c in pane.data.curves], theme_palette(app.theme_variables))
        assert [c.color for c in pane.data.curves] == colours and len(set(colours)) == len(colours)
        await pilot.press("right")  # the cursor reads each group's mean and its min–max
        box = pane.query_one(ChartReadout).query_one("Static")
        readout = "\n".join(box.render_line(y).text for y in range(box.size.height))  # as drawn, not cut off
        assert "[" in readout and "–" in readout.split("[", 1)[1] and "]" in readout, readout
        await pilot.press("h")  # highlight goes group by group
        assert screen.viewing.highlight == "group:" + IRIS
        await pilot.press("H")
        assert screen.viewing.hidden == {"group:" + IRIS}
        assert all(
            c.run_id != "group:" + IRIS
            for d in screen.grid_widget.shown_data()
            for c in d.curves
            if c.run_id not in screen.viewing.hidden
        )


async def test_marked_groups_are_charted_and_partly_marked_groups_chart_the_runs(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_group_charts(app, pilot, "g", "space")  # space on a group row marks its runs
        assert [g.label for g in screen.groups] == [IRIS]
        assert legend_text(screen).count("(6)") == 1
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("j", "space")  # one run of the group unmarked: the marked runs, not a group
        assert len(table(app).marks) == 5
        await pilot.press("p")
        await settle_until(app, pilot, lambda s: isinstance(s, ChartsScreen) and s is not screen and s.draws > 0)
        runs = app.screen
        assert isinstance(runs, ChartsScreen)
        assert not runs.groups and len(runs.run_ids) == 5


async def test_scatter_of_groups_plots_each_groups_mean_with_whiskers_or_its_runs(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_group_charts(app, pilot, "g")
        draws = screen.draws
        await pilot.press("s")
        await settle_until(app, pilot, lambda s: s is screen and s.draws > draws + 1)
        view = screen.query_one(ScatterView)
        await pilot.press("tab")
        scatter = view.query_one(ParamScatter)
        view.query_one("#scatter-metric", Select).value = "accuracy"
        await settle_until(app, pilot, lambda _s: scatter.data is not None and scatter.data.metric == "accuracy")
        data = scatter.data
        assert data is not None and data.low is not None and data.high is not None
        assert data.names == [f"{IRIS} (6)"], "the poly group has no accuracy"
        assert data.low[0] <= data.y[0] <= data.high[0] and data.low[0] < data.high[0]
        assert data.colors == [screen._palette()[0]]
        assert "1 groups: one point per group" not in str(screen.query_one("#charts-title").render())
        assert "group (mean, min–max)" in str(screen.query_one("#scatter-note").render())
        await pilot.press("e")
        await settle_until(app, pilot, lambda _s: scatter.data is not None and scatter.data.low is None)
        data = scatter.data
        assert data is not None and len(data.x) == 4 and data.colors == [screen._palette()[0]] * 4
        assert "their runs" in str(screen.query_one("#charts-title").render())


def test_snapshot_group_charts_80x24(snap_compare: Any, demo: Path) -> None:
    async def ready(pilot: Any) -> None:
        await open_group_charts(pilot.app, pilot, "g")
        await pilot.press("right")  # the cursor: each group's mean and min–max in the readout
        pilot.app.clear_notifications()  # "Grouped by …" lasts 3 s: on a busy machine it was gone, else not
        await pilot.pause()

    assert snap_compare(demo_app("demo"), run_before=ready, terminal_size=(80, 24))


async def test_the_charts_footer_ends_whole_at_80_columns_in_the_app(demo: Path) -> None:
    """Found by hand in tmux: the app's `q Quit` came last in the charts' footer, cut to `q Qu`."""
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle_until(app, pilot, lambda s: isinstance(s, ChartsScreen) and s.draws > 0)
        footer = app.screen._compositor.render_strips()[-1].text.rstrip()
        assert footer.endswith("esc Back"), footer
        await pilot.press("Q")  # quits from any screen (q goes back one)
        await pilot.pause()
        assert app.return_code is not None or not app.is_running
