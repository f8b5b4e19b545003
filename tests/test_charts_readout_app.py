"""The charts' cursor readout, per-pane log scale and mouse, driven with the pilot on 12 runs.

Issue 27: the readout listed the runs on one line, so 80x24 showed two of twelve and 160x48
three; `l` switched every pane to log at once; the wheel and the legend did nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual import events
from textual.widgets import Static

import store
from tests.test_charts_screen import ChartsHarness, advance, live_writer, open_charts, panes, settle
from tui.screens.charts import ChartsScreen
from tui.widgets.chart_readout import ChartReadout
from tui.widgets.run_legend import RunLegend

ORDER = [7, 2, 11, 0, 5, 9, 3, 10, 1, 6, 8, 4]
"""Run i's loss is ORDER[i] + 1 over (step + 1): the best run is not the first one logged."""
STEPS = 20


def make_sweep(root: Path) -> list[str]:
    """Twelve finished runs logging `train/loss` and `val/acc` at steps 0–19, with the real API."""
    ids = []
    for i, rank in enumerate(ORDER):
        with store.start_run(experiment="sweep", name=f"adamw-lr{i:02d}", root=root) as run:
            for step in range(STEPS):
                run.log_metric("train/loss", (rank + 1) / (step + 1), step=step)
                run.log_metric("val/acc", 1 - (rank + 1) / (10 * (step + 1)), step=step)
        ids.append(run.id)
    return ids


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    root = tmp_path_factory.mktemp("sweep") / "store"
    return root, make_sweep(root)


def by_loss() -> list[str]:
    """Run names, lowest loss first."""
    return [f"adamw-lr{i:02d}" for i in sorted(range(len(ORDER)), key=lambda i: ORDER[i])]


def readout_lines(screen: ChartsScreen, metric: str) -> list[str]:
    """The lines of a pane's readout that are on screen now (scrolled, cut to its width)."""
    box = panes(screen)[metric].query_one(ChartReadout)
    assert box.display, "the readout is shown"
    top, rows = round(box.scroll_y), box.scrollable_content_region.height
    content = box.query_one("Static")
    return [content.render_line(y).text.rstrip() for y in range(top, min(top + rows, content.size.height))]


def names_in(lines: list[str]) -> list[str]:
    return [word.strip("▸") for line in lines for word in line.split() if word.strip("▸").startswith("adamw-")]


@pytest.mark.parametrize(("size", "at_least"), [((160, 48), 12), ((80, 24), 6)])
async def test_readout_lists_every_run_best_first_with_the_highlighted_run_on_top(
    sweep: tuple[Path, list[str]], size: tuple[int, int], at_least: int
) -> None:
    """Issue 27: one line per run at the cursor, lowest loss first, the highlighted run above
    them all: twelve readable at 160x48, at least six at 80x24 (the rest scroll)."""
    root, ids = sweep
    app = ChartsHarness(store.open_store(root), ids)
    async with app.run_test(size=size) as pilot:
        screen = await open_charts(app, pilot)
        await pilot.press("right", "h", "h")  # a cursor, then highlight the second run
        await settle(app, pilot)
        assert screen.viewing.highlight == ids[1]
        lines = readout_lines(screen, "train/loss")
        assert lines[0] == "@ 10"
        names = names_in(lines)
        assert len(names) >= at_least, lines
        expected = ["adamw-lr01"] + [n for n in by_loss() if n != "adamw-lr01"]
        assert names == expected[: len(names)], "highlighted first, then lowest loss first"
        assert lines[1].startswith("▸") and lines[1].split()[-1] == "0.27273", "the value at step 10: 3 / 11"
        if at_least == 12:
            assert names == expected
            acc = names_in(readout_lines(screen, "val/acc"))
            assert acc[1:] == [n for n in by_loss() if n != "adamw-lr01"], "accuracy: highest first"
        width = panes(screen)["train/loss"].plot.size.width
        await pilot.press("shift+left")  # step 0: whole numbers, much shorter than 0.090909
        await settle(app, pilot)
        assert readout_lines(screen, "train/loss")[1].split()[-1] == "3"
        assert panes(screen)["train/loss"].plot.size.width == width, "the chart keeps its width as the cursor moves"


def pane_title(screen: ChartsScreen, metric: str) -> str:
    return str(panes(screen)[metric].query_one(".metric-chart--title", Static).render())


async def test_l_switches_one_pane_to_log_and_L_every_pane(sweep: tuple[Path, list[str]]) -> None:
    """Issue 27: `l` toggles the highlighted metric's pane only (its title says log, the
    other's does not); `L` switches every pane at once, and again back."""
    root, ids = sweep
    app = ChartsHarness(store.open_store(root), ids)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_charts(app, pilot)
        assert screen.selected == ["train/loss", "val/acc"]
        await pilot.press("down", "l")  # the list's cursor on val/acc
        await settle(app, pilot)
        acc, loss = panes(screen)["val/acc"].data, panes(screen)["train/loss"].data
        assert acc is not None and acc.log_y and loss is not None and not loss.log_y
        assert "log" in pane_title(screen, "val/acc").split() and "log" not in pane_title(screen, "train/loss").split()
        assert "y: log in 1 of 2" in str(screen.query_one("#charts-title", Static).render())
        assert acc.yticks is not None and all(t > 0 for t in acc.yticks[0]), "non-positive accuracies left out"
        await pilot.press("L")
        await settle(app, pilot)
        assert all("log" in pane_title(screen, m).split() for m in screen.selected)
        assert "y: log ·" in str(screen.query_one("#charts-title", Static).render())
        await pilot.press("l", "L")  # one pane back to linear, then every pane linear
        await settle(app, pilot)
        assert not any("log" in pane_title(screen, m).split() for m in screen.selected)


def axis_labels(screen: ChartsScreen, metric: str) -> tuple[list[str], list[str]]:
    """A pane's x tick labels and y tick labels, as drawn."""
    plot = panes(screen)[metric].plot
    lines = [plot.render_line(y).text for y in range(plot.size.height)]
    return lines[-1].split(), [line.split("┤")[0].strip() for line in lines[:-2] if "┤" in line]


async def test_wheel_zooms_x_around_the_pointer_and_fits_y(sweep: tuple[Path, list[str]]) -> None:
    """Issue 27: the wheel over a chart zooms x around the value under the pointer, as `z` does
    around the cursor (y fits what is left: the loss's early peak drops out), and back out."""
    root, ids = sweep
    app = ChartsHarness(store.open_store(root), ids)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_charts(app, pilot)
        plot = panes(screen)["train/loss"].plot
        x_before, y_before = axis_labels(screen, "train/loss")
        column = plot.size.width * 3 // 4
        pointer = plot.x_at(column)
        assert pointer is not None and 12 < pointer < 16
        await pilot._post_mouse_events([events.MouseScrollUp], plot, offset=(column, 5))
        await settle(app, pilot)
        assert screen.viewing.x_range is not None and screen.viewing.x_range[0] < pointer < screen.viewing.x_range[1]
        assert screen.viewing.x_range[1] - screen.viewing.x_range[0] == pytest.approx(19 * 2 / 3)
        x_after, y_after = axis_labels(screen, "train/loss")
        assert x_after != x_before and float(x_after[0]) > float(x_before[0]), (x_before, x_after)
        assert float(y_after[0]) < float(y_before[0]), "y fits the points in the zoomed range"
        acc = panes(screen)["val/acc"].data
        assert acc is not None and acc.xlim == screen.viewing.x_range, "every pane zooms together"
        await pilot._post_mouse_events([events.MouseScrollDown], plot, offset=(column, 5))
        await settle(app, pilot)
        assert screen.viewing.x_range is None and axis_labels(screen, "train/loss") == (x_before, y_before)


async def test_click_on_a_legend_entry_highlights_that_run_in_every_pane(sweep: tuple[Path, list[str]]) -> None:
    """Issue 27: a click on a run's name in the legend highlights it (as `h` does) in every pane;
    a second click on it highlights none."""
    root, ids = sweep
    app = ChartsHarness(store.open_store(root), ids)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_charts(app, pilot)
        legend = screen.query_one(RunLegend)
        lines = [legend.render_line(y).text for y in range(legend.size.height)]
        row = next(y for y, line in enumerate(lines) if "adamw-lr05" in line)
        column = lines[row].index("adamw-lr05") + 3
        await pilot.click(legend, offset=(column, row))
        await settle(app, pilot)
        assert screen.viewing.highlight == ids[5]
        assert all(pane.highlight == ids[5] and pane.plot.highlight == ids[5] for pane in panes(screen).values())
        assert "▸━━ adamw-lr05" in legend.render_line(row).text
        await pilot.press("right")
        await settle(app, pilot)
        assert names_in(readout_lines(screen, "train/loss"))[0] == "adamw-lr05"
        await pilot.click(legend, offset=(column, row))
        await settle(app, pilot)
        assert screen.viewing.highlight is None
        assert all(pane.highlight is None for pane in panes(screen).values())


async def test_readout_log_pane_and_highlight_survive_a_live_redraw(tmp_path: Path) -> None:
    """While another process logs, the timer's redraw keeps the cursor, the readout, the
    highlighted run and the one log pane (all set in one burst of keys)."""
    root = tmp_path / "store"
    async with live_writer(root) as (proc, run_id):
        app = ChartsHarness(store.open_store(root), [run_id])
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_charts(app, pilot)
            await pilot.press("right", "h", "l")
            await settle(app, pilot)
            assert readout_lines(screen, "loss")[:2] == ["@ 2", "▸━ live-run 8"]
            assert await advance(proc) == "flushed"
            screen.poll_running()  # what the timer calls every 2 s
            await settle(app, pilot)
            data = panes(screen)["loss"].data
            assert data is not None and data.curves[0].points == 12 and data.log_y
            assert "log" in pane_title(screen, "loss").split() and screen.viewing.highlight == run_id
            assert readout_lines(screen, "loss")[:2] == ["@ 2", "▸━ live-run 8"]
            await pilot.press(*["right"] * 7)  # the cursor reaches the points that came in
            await settle(app, pilot)
            assert readout_lines(screen, "loss")[:2] == ["@ 9", "▸━ live-run 1"]
