"""Keys typed ahead: every action acts on the row the cursor is on after the keys before it.

`pilot.press` waits for the app to idle between keys, which hides ordering bugs; `burst`
hands every key to the driver at once, as a fast typist or an SSH connection does.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from tests.app_helpers import burst, demo_app, settle
from tui.screens.detail import DetailScreen
from tui.widgets.runs_table import RunsTable


def table(app) -> RunsTable:
    return app.screen_stack[1].query_one(RunsTable)


async def test_j_j_enter_in_one_burst_opens_the_third_run(demo: Path) -> None:
    """Failed before the fix: enter opened the first run (RunsTable.key_enter ran before the bound moves)."""
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        third = table(app).view.run_id_at(2)
        await burst(pilot, "j", "j", "enter")
        assert isinstance(app.screen, DetailScreen) and app.screen.run_id == third
        assert sum(isinstance(s, DetailScreen) for s in app.screen_stack) == 1


async def test_pilot_press_j_j_enter_without_pause(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        third = table(app).view.run_id_at(2)
        await pilot.press("j", "j", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.run_id == third


async def test_G_k_enter_in_one_burst_opens_the_last_but_one(demo: Path) -> None:
    """Failed before the fix, like j j enter."""
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        wanted = table(app).view.run_id_at(table(app).view.row_count - 2)
        await burst(pilot, "G", "k", "enter")
        assert isinstance(app.screen, DetailScreen) and app.screen.run_id == wanted


async def test_space_compare_plot_artifacts_after_moves_in_one_burst(demo: Path) -> None:
    from tui.screens.artifacts import ArtifactsScreen
    from tui.screens.charts import ChartsScreen
    from tui.screens.diff import DiffScreen

    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = table(app).view
        rows = [view.run_id_at(r) for r in range(4)]
        await burst(pilot, "j", "j", "space", "space")
        assert list(table(app).marks) == [rows[2], rows[3]]
        await burst(pilot, "u", "g", "j", "j", "c")
        assert isinstance(app.screen, DiffScreen) and app.screen.run_ids == rows[1:3]
        await burst(pilot, "escape", "j", "p")
        assert isinstance(app.screen, ChartsScreen) and app.screen.run_ids == [rows[3]]
        await burst(pilot, "escape", "k", "k", "a")
        assert isinstance(app.screen, ArtifactsScreen) and app.screen.detail.run_id == rows[1]


async def test_sort_acts_on_the_column_reached_by_keys_in_the_same_burst(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        wanted = table(app).view.columns[3].key
        await burst(pilot, "l", "l", "s")
        assert table(app).view.sort_key == wanted


async def test_filter_typed_straight_after_slash_lands_in_the_input(demo: Path) -> None:
    """Keys typed right after `/` are text for the filter, not `m`, `s` or `e` actions.

    Failed before: they reached the table before `/` moved the focus and ran as actions.
    """
    from textual.widgets import Input

    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await burst(pilot, "slash", *"mse < 1", "enter")
        assert app.screen.query_one("#filter", Input).value == "mse < 1"
        assert table(app).view.row_count == 2 and table(app).view.sort_key is None
        await burst(pilot, "slash", *"degree = 2", "enter")  # `/` again: the new text replaces the old
        assert app.screen.query_one("#filter", Input).value == "degree = 2"
        assert table(app).view.row_count == 1
        await burst(pilot, "escape", "slash", *"val/loss < 0.1", "enter")  # a `/` in the filter is text
        assert app.screen.query_one("#filter", Input).value == "val/loss < 0.1"
        assert sorted(cast(str, table(app).view.frame.at[int(p), "name"]) for p in table(app).view.positions) == [
            "rf-deep",
            "rf-shallow",
        ]


async def test_picker_keys_typed_right_after_C(demo: Path) -> None:
    """Failed before: space and enter typed with C were lost (enter was a priority binding,
    checked only as a key arrives, before the picker existed)."""
    from tui.screens.runs import RunsScreen

    app = demo_app("demo")
    async with app.run_test(size=(200, 40)) as pilot:
        await settle(pilot)
        await burst(pilot, "C", "space", "enter")  # hide the first column
        assert isinstance(app.screen, RunsScreen)
        assert "status" not in [c.key for c in table(app).view.columns]
