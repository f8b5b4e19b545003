"""The help screen (`?`) at the smallest size users have: every line reads whole."""

from __future__ import annotations

from pathlib import Path

from tests.app_helpers import burst, demo_app, screen_text, settle


async def test_the_rules_on_top_of_the_help_read_on_one_line_at_80x24(demo: Path) -> None:
    """Failed before: the rows above the binding ids (palette, back/quit) shared the ids' column
    widths, so at 80x24 "command palette: every action by name" broke over two lines."""
    app = demo_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await burst(pilot, "question_mark")
        lines = screen_text(app).splitlines()
        assert any("command palette: every action by name" in line for line in lines), lines
        assert any("back a screen (runs table: quit) / quit" in line for line in lines), lines
        assert any("runs.detail" in line for line in lines), "the binding ids are still listed"


async def test_the_help_lists_what_the_mouse_does_on_the_screen_below(demo: Path) -> None:
    """Failed before: the help listed keys only, though a click moves the chart cursor, the wheel
    zooms, a legend entry highlights its run and a click on a row or a header moves or sorts."""
    app = demo_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await burst(pilot, "question_mark")
        await burst(pilot, "end")  # after the keys
        await pilot.wait_for_scheduled_animations()
        text = screen_text(app)
        assert "Mouse" in text and "click a row" in text and "click a header" in text, text
        assert "wheel" not in text, "the charts' mouse is not listed over the runs table"
        await burst(pilot, "escape", "space", "space", "p")  # two runs marked, their charts
        assert type(app.screen).__name__ == "ChartsScreen"
        await burst(pilot, "question_mark")
        await burst(pilot, "end")
        await pilot.wait_for_scheduled_animations()
        text = screen_text(app)
        for action in ("click in a chart", "wheel over a chart", "click a legend entry"):
            assert action in text, text
