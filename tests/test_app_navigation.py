"""Where the runs table leaves you after the detail, and which runs `c` compares (issue 11, issue 12)."""

from __future__ import annotations

from pathlib import Path

from tests.app_helpers import demo_app, screen_text, settle
from tui.screens.detail import DetailScreen
from tui.screens.diff import DiffScreen
from tui.screens.runs import RunsScreen
from tui.widgets.runs_table import RunsTable


def table(app) -> RunsTable:
    return app.screen_stack[1].query_one(RunsTable)


async def test_escape_after_n_n_puts_the_cursor_on_the_run_shown_last(demo: Path) -> None:
    """Failed before the fix: the cursor went back to the run the detail was opened on."""
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter", "n", "n", "N", "n", "escape")  # rows 1 → 2 → 3 → 2 → 3
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen)
        assert table(app).cursor_row == 3 and table(app).current_run == table(app).view.run_id_at(3)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and "rf-shallow" in screen_text(app)


async def test_escape_after_n_past_the_end_wraps_to_the_first_row(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("G", "enter", "n", "escape")
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen) and table(app).cursor_row == 0


async def test_one_mark_and_the_cursor_on_another_run_compares_those_two(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("space", "j", "j", "c")  # marks row 0; the cursor ends on row 3
        await settle(pilot)
        view = table(app).view
        assert isinstance(app.screen, DiffScreen)
        assert app.screen.run_ids == [view.run_id_at(0), view.run_id_at(3)]
        text = screen_text(app)
        assert "rf-oom" in text and "rf-shallow" in text and "rf-broken" not in text


async def test_marks_hidden_by_the_filter_are_left_out_with_a_note(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # marks rf-oom, rf-broken (iris) and degree-10, degree-3 (poly), then shows poly only
        await pilot.press("space", "space", *"jjjj", "space", "space", "slash", *"degree >= 3", "enter", "c")
        await settle(pilot)
        view = table(app).view
        assert sorted(str(view.frame.at[int(p), "name"]) for p in view.positions) == ["degree-10", "degree-3"]
        assert isinstance(app.screen, DiffScreen)
        names = {str(table(app).view.frame.set_index("run_id").at[r, "name"]) for r in app.screen.run_ids}
        assert names == {"degree-10", "degree-3"}
        assert "4 marked, 2 not in view: left out" in screen_text(app)  # in the title, as long as it shows


async def test_one_mark_in_view_of_three_compares_it_with_the_cursor_run(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # marks rf-oom and rf-broken (iris) and degree-10; the filter shows poly only, cursor on degree-2
        await pilot.press("space", "space", *"jjjj", "space", "slash", *"degree >= 2", "enter", "j", "j", "c")
        await settle(pilot)
        assert isinstance(app.screen, DiffScreen)
        frame = table(app).view.frame.set_index("run_id")
        assert [str(frame.at[r, "name"]) for r in app.screen.run_ids] == ["degree-10", "degree-2"]
        assert "3 marked, 2 not in view: left out" in screen_text(app)
