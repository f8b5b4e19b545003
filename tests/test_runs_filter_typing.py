"""Typing a filter on a big table: applied after a pause, in a worker; enter applies at once; the newest text wins.

The demo store has 10 runs; `FILTER_IN_WORKER_RUNS` is lowered to 0 so it takes the path a
100,000-run table takes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.app_helpers import bar_text, demo_app, settle, shown_names, table
from tui.screens.runs import RunsScreen
from tui.screens.runs_filter import RunsFiltering, ViewComputed


@pytest.fixture(autouse=True)
def big_table_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RunsFiltering, "FILTER_IN_WORKER_RUNS", 0)


async def filter_applied(pilot: Pilot[None]) -> None:
    """Wait until the pause after the last key has passed and the worker's view is in the table."""
    screen = pilot.app.screen
    assert isinstance(screen, RunsScreen)
    while screen.filtering._filter_timer is not None:
        await pilot.pause()
    await settle(pilot)


async def test_keys_typed_in_a_burst_end_with_the_rows_of_the_whole_text(demo: Path) -> None:
    """Each key restarts the pause; the rows shown are those of the full text, not of a prefix."""
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"degree >= 3")
        await filter_applied(pilot)
        assert sorted(shown_names(app)) == ["degree-10", "degree-3"]
        assert app.screen.query_one("#filter", Input).value == "degree >= 3"
        assert "2/10 runs" in bar_text(app)


async def test_enter_applies_at_once_so_the_next_keys_act_on_the_filtered_rows(demo: Path) -> None:
    """`/ degree >= 2 enter j` in one burst: the cursor is on the second of the filtered runs.

    Failed before enter applied at once: `j` moved on the unfiltered table."""
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"degree >= 2", "enter", "j")
        view = table(app).view
        assert view.filter_text == "degree >= 2"
        assert table(app).cursor_row == 1
        assert table(app).current_run == view.run_id_at(1)
        assert str(view.frame.set_index("run_id").at[table(app).current_run, "name"]) in shown_names(app)
        await filter_applied(pilot)  # nothing pending may land later and move the rows under the cursor
        assert table(app).view is view and table(app).cursor_row == 1


async def test_a_stale_filter_result_is_dropped(demo: Path) -> None:
    """A worker's result for an older text never shows, even when it arrives after the newer one."""
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        stale = screen.view.fork()
        stale.set_filter("rf-")
        base = screen.view.settings()
        job = screen.filtering._view_job + 1
        screen.filtering._view_job = job
        await pilot.press("slash", *"degree >= 3", "enter")  # newer: applied at once
        # The older job's result comes last.
        screen.post_message(ViewComputed(job, stale, base, lambda view: view.set_filter("rf-"), "stale"))
        await settle(pilot)
        assert sorted(shown_names(app)) == ["degree-10", "degree-3"]


async def test_the_cursor_stays_on_its_run_when_the_filter_keeps_it(demo: Path) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        names = shown_names(app)
        target = names.index("degree-3")
        await pilot.press(*"j" * target)
        run_id = table(app).current_run
        await pilot.press("slash", *"degree")
        await filter_applied(pilot)
        assert table(app).current_run == run_id
        await pilot.press("escape")
        await settle(pilot)
        assert len(shown_names(app)) == 10 and table(app).current_run == run_id


async def test_a_filter_typed_while_the_store_refreshes_lands_on_the_new_listing(demo: Path) -> None:
    """A refresh between the key and the worker's result: the filter is redone on the new frame."""
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"rf-")
        app.poll(force=True)
        await filter_applied(pilot)
        await settle(pilot)
        view = table(app).view
        assert view.filter_text == "rf-"
        names = [str(n) for n in view.frame["name"]]
        assert sorted(shown_names(app)) == sorted(n for n in names if n.startswith("rf-"))
        assert len(shown_names(app)) < len(names)


async def test_a_listing_made_for_older_settings_is_made_again_for_the_current_ones(demo: Path) -> None:
    """The table changed while the poll worker read (here without telling the app): the listing is
    not applied, the screen publishes its settings and asks again, once; the table keeps its rows."""
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        screen.view.set_sort("name")
        before = table(app).view
        app.poll(force=True)
        await settle(pilot)
        assert app._view_settings == screen.view.settings()
        assert table(app).view is not before and table(app).view.sort_key == "name"
        assert shown_names(app) == sorted(shown_names(app), key=str.lower)
        assert not app.workers._workers  # no poll asking again and again


@pytest.mark.parametrize("slash_first", [False, True])
@pytest.mark.parametrize("big", [False, True])
async def test_keys_after_enter_in_one_burst_move_on_the_filtered_table(
    demo: Path, monkeypatch: pytest.MonkeyPatch, big: bool, slash_first: bool
) -> None:
    """`/ degree >= 2 enter j j` all sent before the app handles any: the filter is exactly the
    text before enter and the cursor is on the third filtered run. With `slash_first`, the filter
    line is open before the burst, so the keys go to it, not to the table.

    Failed before: enter was a binding, run once the key had bubbled up to the app, after the
    `j`s had been typed into the filter line (seen in tmux at 100,000 runs)."""
    from tests.test_runs_keys_ahead import burst

    if not big:
        monkeypatch.setattr(RunsFiltering, "FILTER_IN_WORKER_RUNS", 20_000)
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        if slash_first:
            await pilot.press("slash")
            await settle(pilot)
        await burst(pilot, *([] if slash_first else ["slash"]), *"degree >= 2", "enter", "j", "j")
        await filter_applied(pilot)
        assert app.screen.query_one("#filter", Input).value == "degree >= 2"
        view = table(app).view
        assert view.filter_text == "degree >= 2" and app.focused is table(app)
        assert table(app).cursor_row == 2 and table(app).current_run == view.run_id_at(2)


async def test_a_new_listing_is_prepared_in_a_worker_after_it_is_painted(demo: Path) -> None:
    """Name sort codes and free-text columns are made in a worker, not at the first sort or filter."""
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = table(app).view
        while "name" not in view.facts._sort:  # a moment after the paint, in a worker
            await pilot.pause()
            await settle(pilot)
        assert {"name", "run_id", "experiment"} <= set(view.filter_columns()._lower)
