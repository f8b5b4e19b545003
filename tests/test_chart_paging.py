"""The charts screen pages its chart grid: what does not fit is on a page the title names, never hidden silently."""

from __future__ import annotations

from pathlib import Path

from tests.app_helpers import demo_app, screen_text, settle
from tui.screens.charts import ChartsScreen
from tui.widgets.chart_grid import ChartGrid


async def test_charts_at_80x24_say_which_are_shown_and_n_pages(demo: Path) -> None:
    """Failed before paging: at 80x24 three picked charts gave one pane on screen and two below it,
    reachable only by scrolling, with nothing saying they were there."""
    app = demo_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        ids = list(app.store.runs_frame().set_index("name").loc[["rf-wide", "rf-shallow"], "run_id"])
        app.push_screen(ChartsScreen(app.store, ids, metrics=["train/loss", "val/acc", "val/loss"]))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChartsScreen)
        grid = screen.query_one(ChartGrid)
        assert len(grid.panes) == 3
        assert "charts [1 of 3]" in screen_text(app)
        shown = [m for m, pane in grid.panes.items() if pane.display]
        assert len(shown) == 1
        await pilot.press("n")
        await settle(pilot)
        assert "charts [2 of 3]" in screen_text(app)
        assert [m for m, pane in grid.panes.items() if pane.display] != shown
        await pilot.press("N", "N")
        await settle(pilot)
        assert "charts [3 of 3]" in screen_text(app)  # round from the first page to the last
        await pilot.press("f")  # maximising shows one chart on purpose: no page to name
        await settle(pilot)
        assert "charts [" not in screen_text(app)
