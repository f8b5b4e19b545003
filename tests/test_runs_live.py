"""The runs table while a real writer process keeps logging: filters and cursor hold through refreshes."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

import store
from tests.app_helpers import demo_app, screen_text, settle, shown_names
from tests.live_writer import live_writer
from tui.widgets.runs_table import RunsTable


async def test_field_filter_holds_through_three_live_refreshes(demo: Path) -> None:
    """Failed before the fix: the first refresh after the filter showed every run again.

    Takes several seconds: the writer is a real child process (Python start-up, the store import),
    and the filter is typed key by key while it logs, each key re-filtering the table.
    """
    with live_writer(demo, runs=2):
        app = demo_app(demo)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            for _ in range(200):  # the writer logs `epoch` from its second step: wait until a listing has it
                frame = app.screen.query_one(RunsTable).view.frame  # for both runs (one may be listed first)
                if "metrics.epoch" in frame.columns and frame["metrics.epoch"].notna().sum() >= 2:
                    break
                app.poll()
                await settle(pilot)
            assert {"live-0", "live-1"} <= set(shown_names(app))
            await pilot.press("slash", *"epoch >= 1 and lr > 0.15", "enter")
            await pilot.pause()
            assert shown_names(app) == ["live-1"]
            for refresh in range(3):
                if refresh == 1:  # a new matching run starts and finishes between two refreshes
                    with store.start_run(experiment="live-sweep", name="late", root=demo) as run:
                        run.log_params({"lr": 0.5})
                        run.log_metric("epoch", 3.0)
                app.poll()  # what the 2 s timer calls
                await settle(pilot)
                assert app.screen.query_one("#filter", Input).value == "epoch >= 1 and lr > 0.15"
                assert sorted(shown_names(app)) == (["late", "live-1"] if refresh else ["live-1"])
            text = screen_text(app)
            assert "2/13 runs" in text and "2 running" in text
            assert not app.screen.query_one("#filter-error").display


async def test_refresh_that_removes_a_filtered_field_says_so_and_keeps_the_rows(demo: Path) -> None:
    import shutil

    with store.start_run(experiment="extra", name="solo", root=demo) as run:
        run.log_metric("special", 1.0)
    app = demo_app(demo)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        app.screen.query_one("#filter", Input).value = "special > 0 or degree >= 3"  # pasted
        await pilot.press("enter")
        await pilot.pause()
        assert sorted(shown_names(app)) == ["degree-10", "degree-3", "solo"]
        shutil.rmtree(run.path)  # the only run with `special`
        app.poll()
        await settle(pilot)
        assert sorted(shown_names(app)) == ["degree-10", "degree-3"]
        assert app.screen.query_one("#filter-error").display
        text = screen_text(app)
        assert "special" in text and "showing the runs it matched before" in text
        assert app.screen.query_one("#filter", Input).value == "special > 0 or degree >= 3"
        await pilot.press("escape")
        await pilot.pause()
        assert len(shown_names(app)) == 10 and not app.screen.query_one("#filter-error").display


async def test_sort_metric_stat_and_filter_hold_while_a_writer_logs(demo: Path) -> None:
    """The poll worker builds each view from the settings the screen published: min metrics, a sort
    and a filter chosen by keys hold through refreshes while a real writer keeps logging.

    Takes a few seconds: the writer is a real child process.
    """
    with live_writer(demo, runs=3):
        app = demo_app(demo)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("m", "slash", *"live", "enter")
            await settle(pilot)
            table = app.screen.query_one(RunsTable)
            for _ in range(200):  # put the cursor on the lr column, then sort by it (descending)
                column = table.current_column
                if column is not None and column.key == "params.lr":
                    break
                await pilot.press("l")
            await pilot.press("s", "s")
            await settle(pilot)
            for _ in range(3):
                before = table.view
                app.poll()
                await settle(pilot)
                assert table.view is not before  # a new view, built by the worker, swapped in
                assert table.view.metric_stat == "min" and table.view.sort_descending
                assert shown_names(app) == ["live-2", "live-1", "live-0"]
                assert app.screen.query_one("#filter", Input).value == "live"
            text = screen_text(app)
            assert "metrics: min" in text and "3/13 runs" in text and "lr▼" in text
            assert table.view.label("metrics.loss") == "loss (min)"  # hidden here: every run's min is the same


async def test_a_large_store_paints_its_saved_listing_first_then_checks_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17: at 100,000 runs even one stat a run delays the first paint, so the app shows the index as
    saved and checks the store right after; a run added since appears without waiting for a poll."""
    import store.ours.reader as reader
    from tests.screen_harness import settle_until
    from tui.app import make_app

    monkeypatch.setattr(reader, "QUICK_SCAN_FROM", 1)  # "large" from one run on
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    root = tmp_path / "store"
    for name in ("old-1", "old-2"):
        store.start_run(experiment="e", name=name, root=root).finish()
    listed = store.open_store(root)
    listed.runs_frame()
    listed.save_index()
    store.start_run(experiment="e", name="new-since", root=root).finish()

    app = make_app(root, poll_seconds=0)  # no poll timer: only the check after the cached paint can show it
    async with app.run_test(size=(120, 30)) as pilot:
        await settle_until(app, pilot, lambda screen: "old-1" in shown_names(app))
        assert app.store.served_from_cache
        await settle_until(app, pilot, lambda screen: "new-since" in shown_names(app))
        assert set(shown_names(app)) == {"old-1", "old-2", "new-since"}


async def test_a_small_store_is_never_painted_from_its_cache_unchecked(tmp_path: Path) -> None:
    root = tmp_path / "store"
    store.start_run(experiment="e", name="a", root=root).finish()
    listed = store.open_store(root)
    listed.runs_frame()
    listed.save_index()
    store.start_run(experiment="e", name="b", root=root).finish()
    from tui.app import make_app

    app = make_app(root, poll_seconds=0)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert set(shown_names(app)) == {"a", "b"} and not app.store.served_from_cache
