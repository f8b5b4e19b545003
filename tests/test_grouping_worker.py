"""Grouping on a big table: worked out in a worker; keys pressed meanwhile act on the table shown.

The demo store has 10 runs; `FILTER_IN_WORKER_RUNS` is lowered to 0 so it takes the path a
100,000-run table takes (there, grouping took up to a second on the UI thread).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_helpers import burst, demo_app, move_to_column, settle, table, table_lines
from tui.screens.runs_filter import RunsFiltering

IRIS = "experiment=iris-classification"


@pytest.fixture(autouse=True)
def big_table_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RunsFiltering, "FILTER_IN_WORKER_RUNS", 0)


async def test_o_then_j_in_one_burst_groups_in_a_worker_and_the_cursor_keeps_the_run_j_moved_to(demo: Path) -> None:
    """`o j` in one burst: `j` moves on the table shown, the grouped table comes from the worker
    (a new view swapped in) and the cursor stays on the run `j` moved to.

    Failed before: `o` grouped the view in place, on the UI thread."""
    app = demo_app(demo)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        move_to_column(app, "experiment")
        before = table(app).view
        second = before.run_id_at(1)
        await burst(pilot, "o", "j")
        view = table(app).view
        assert view is not before  # made on a copy in a worker, then swapped in
        assert view.effective_group_keys == ("experiment",) and view.grouped is not None
        assert any(IRIS in line and "6 runs" in line for line in table_lines(app))
        assert table(app).current_run == second
        assert view.run_id_at(table(app).cursor_row) == second


async def test_a_sort_pressed_while_grouping_is_kept_and_the_groups_follow_it(demo: Path) -> None:
    """`o s` in one burst: the sort acts on the table shown; a grouping made for the settings
    before the sort is not shown as it is but made again, so the table ends grouped and sorted."""
    app = demo_app(demo)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        move_to_column(app, "experiment")
        await burst(pilot, "o", "s")
        view = table(app).view
        assert view.effective_group_keys == ("experiment",) and view.grouped is not None
        assert view.sort_key == "experiment" and not view.sort_descending
        assert view.grouped.labels[0].startswith(IRIS)


async def test_group_stat_and_collapse_in_the_worker_keep_the_cursor_on_its_group_row(demo: Path) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        move_to_column(app, "experiment")
        await burst(pilot, "o")
        row = table(app).view.row_of_group(IRIS)
        assert row is not None
        table(app).cursor_row = row
        await burst(pilot, "x")
        assert table(app).view.group_stat == "min" and table(app).cursor_row == table(app).view.row_of_group(IRIS)
        await burst(pilot, "enter")  # on the group row: collapse it
        assert IRIS in table(app).view.collapsed
        assert table(app).cursor_row == table(app).view.row_of_group(IRIS)
        assert not any("rf-" in line for line in table_lines(app))


async def test_a_filter_entered_while_grouping_keeps_the_grouping(demo: Path) -> None:
    """`o / degree enter` in one burst: the table ends grouped and filtered.

    Failed before groupings had their own jobs: enter's filter made the pending grouping stale,
    and it was dropped."""
    app = demo_app(demo)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        move_to_column(app, "experiment")
        await burst(pilot, "o", "slash", *"degree", "enter")
        view = table(app).view
        assert view.filter_text == "degree"
        assert view.effective_group_keys == ("experiment",) and view.grouped is not None
        assert [label.split()[0] for label in view.grouped.labels] == ["experiment=poly-regression"]
        assert any("4 runs" in line for line in table_lines(app))
