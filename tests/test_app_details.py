"""Details a daily user hits at 80x24: escape order, restore in the session, fitting, toasts, images."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from tests.app_helpers import demo_app, settle, shown_names
from tui.widgets.runs_table import RunsTable


async def test_escape_after_picking_an_experiment_closes_the_list_and_keeps_the_filter(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"degree", "enter")
        await settle(pilot)
        await pilot.press("e", "j", "enter")
        await settle(pilot)
        options = app.screen.query_one("#experiments")
        assert options.display and isinstance(app.focused, RunsTable)
        await pilot.press("escape")
        await settle(pilot)
        assert not options.display
        assert app.screen.query_one("#filter", Input).value == "degree"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.query_one("#filter", Input).value == ""
        assert shown_names(app)
