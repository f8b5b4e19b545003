"""Details a daily user hits at 80x24: escape order, restore in the session, fitting, toasts, images."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

import store
from store import curate
from tests.app_helpers import demo_app, screen_text, settle, shown_names
from tui.screens.media import MediaScreen
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


async def test_images_of_four_runs_at_80x24_page_with_brackets_and_say_which(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        frame = app.store.runs_frame()
        names = ["rf-baseline", "rf-deep", "rf-shallow", "rf-wide"]
        screen = MediaScreen(app.store, [str(frame.loc[frame["name"] == n, "run_id"].iloc[0]) for n in names])
        await app.push_screen(screen)
        await settle(pilot)
        assert "runs 1–2 of 4 ([ ])" in screen_text(app)
        seen = [n for n in names if n in screen_text(app).split("\n", 1)[1]]
        await pilot.press("right_square_bracket")
        await settle(pilot)
        text = screen_text(app)
        assert "runs 3–4 of 4" in text
        seen += [n for n in names if n in text.split("\n", 1)[1]]
        assert sorted(seen) == sorted(names)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert "runs 1–2 of 4" in screen_text(app)
