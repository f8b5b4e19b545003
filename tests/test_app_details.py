"""Details a daily user hits at 80x24: escape order, restore in the session, fitting, toasts, images."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

import store
from store import curate
from tests.app_helpers import demo_app, screen_text, settle, shown_names
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


async def test_shift_d_right_after_d_brings_the_runs_back(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"degree-3", "enter")
        await settle(pilot)
        assert shown_names(app) == ["degree-3"]
        await pilot.press("d", "y")
        await settle(pilot)
        assert shown_names(app) == []
        await pilot.press("D")
        await settle(pilot)
        assert shown_names(app) == ["degree-3"]


async def test_shift_d_lists_the_trash_restores_and_the_empty_hint_says_the_trash_is_empty(demo: Path) -> None:
    runs = store.open_store("demo").runs_frame()
    curate.delete(store.open_store("demo"), str(runs.loc[runs["name"] == "degree-3", "run_id"].iloc[0]))
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"status = deleted", "enter")
        await settle(pilot)
        assert shown_names(app) == [] and "--deleted" in screen_text(app)
        await pilot.press("D")  # no deleted run here, nothing to undo: list the trash
        await settle(pilot)
        assert shown_names(app) == ["degree-3"]
        await pilot.press("D")  # on the deleted run: restore it
        await settle(pilot)
        assert shown_names(app) == []
        text = screen_text(app)
        assert "--deleted" not in text and "trash is empty" in text
