"""The runs table's cursor stays on its run through sorts and filters, and its ages follow the clock."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from tests.app_helpers import NOW, burst, demo_app, move_to_column, settle, shown_names, table, table_lines
from tests.screen_harness import settle_until
from tui.app import make_app


def put_cursor_on(app, name: str) -> None:
    table(app).cursor_row = shown_names(app).index(name)


async def test_sort_keeps_the_cursor_on_its_run(demo: Path) -> None:
    """Issue 22.11: `s` put the cursor on row 0, on another run than the one it was on."""
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        put_cursor_on(app, "rf-wide")
        move_to_column(app, "name")
        await burst(pilot, "s")
        assert shown_names(app)[:2] == ["degree-1", "degree-10"], "sorted by name"
        assert table(app).current_run == table(app).view.run_id_at(shown_names(app).index("rf-wide"))
        await burst(pilot, "s", "j")
        assert shown_names(app)[0] == "rf-wide", "descending by name"
        assert shown_names(app)[table(app).cursor_row] == "rf-shallow", "j moved from rf-wide, where s left it"


async def test_a_filter_that_still_matches_keeps_the_cursor_on_its_run(demo: Path) -> None:
    """Issue 22.11: a typo (`rf-x`, no match) then backspace left the cursor on row 0 of `rf-`'s
    matches, not on the run it was on, which `rf-` still matches."""
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        put_cursor_on(app, "rf-wide")
        before = table(app).current_run
        await pilot.press("slash", *"rf-x")
        await settle(pilot)
        assert shown_names(app) == []
        await pilot.press("backspace")
        await settle(pilot)
        assert len(shown_names(app)) == 6 and shown_names(app)[0] != "rf-wide"
        assert table(app).current_run == before
        await pilot.press("backspace", "backspace", "backspace", "enter")
        await settle(pilot)
        assert app.screen.query_one("#filter", Input).value == ""
        assert len(shown_names(app)) == 10 and table(app).current_run == before


async def test_ages_advance_with_the_clock_while_the_store_is_quiet(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 22.11: `created` said "just now" four minutes later: ages changed only on a re-listing,
    and a quiet store is never re-listed. A timer re-draws the age cells with the clock's time."""
    import tui.screens.runs as runs

    monkeypatch.setattr(runs, "AGE_SECONDS", 0.01, raising=False)
    clock = [NOW]
    app = make_app(demo, clock=lambda: clock[0], poll_seconds=0)
    async with app.run_test(size=(200, 40)) as pilot:  # wide enough to show `created` unscrolled
        await settle(pilot)
        assert "21h ago" in table(app).view.cells(0) and "21h ago" in table_lines(app)[1]
        clock[0] += 3 * 3600
        await settle_until(app, pilot, lambda screen: "1d ago" in table(app).view.cells(0))
        assert "1d ago" in table_lines(app)[1], "what is drawn, not only the text"
