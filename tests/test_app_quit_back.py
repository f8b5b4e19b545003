"""`q` goes back one screen everywhere and quits on the runs table; `Q` quits from anywhere; `[`/`]` sort."""

from __future__ import annotations

import re
from pathlib import Path

from tests.app_helpers import demo_app, move_to_column, screen_text, settle, shown_names
from tests.test_app_keymap import write_keymap
from tui.screens.charts import ChartsScreen
from tui.screens.detail import DetailScreen
from tui.screens.diff import DiffScreen
from tui.screens.runs import RunsScreen


async def test_q_goes_back_one_screen_and_quits_on_the_runs_table(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for opener, kind in (("enter", DetailScreen), ("p", ChartsScreen), ("c", DiffScreen)):
            await pilot.press(opener)
            await settle(pilot)
            assert isinstance(app.screen, kind)
            await pilot.press("q")
            await settle(pilot)
            assert isinstance(app.screen, RunsScreen), kind.__name__
            assert app.is_running
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        text = screen_text(app)
        assert re.search(r"\bq / Q\s+back a screen \(runs table: quit\) / quit", text)
        await pilot.press("q", "Q")  # q closes the help; Q quits from the detail screen
        await settle(pilot)
        assert not app.is_running


async def test_the_lazygit_habit_is_one_keymap_line_away(demo: Path, tmp_path: Path) -> None:
    write_keymap(tmp_path, "app.quit: q\nscreen.back: b\n")
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert not app.is_running


async def test_square_brackets_sort_the_cursor_column_ascending_and_descending(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        move_to_column(app, "name")
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert shown_names(app) == sorted(shown_names(app), reverse=True)
        await pilot.press("right_square_bracket")  # again: still descending (s would reverse)
        await settle(pilot)
        assert shown_names(app) == sorted(shown_names(app), reverse=True)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert shown_names(app) == sorted(shown_names(app))
