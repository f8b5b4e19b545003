"""The first paint of a small store comes before pandas: the table shows the runs laid out from the
store's records (`tui.shaping.first_listing`), then the frame's view replaces them in place.

The frame is held back (the store's `runs_frame` waits on a gate the test opens), which stands
for pandas being imported and the frame made: the table must already show every run, and once the
frame's view is in, the same lines with the cursor on the same run. Keys pressed in a burst while
the first rows show are not lost: they act, in order, on the frame's view.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from pathlib import Path
from typing import Any

from textual.worker import WorkerFailed

from store import StoreError, open_store
from tests.app_helpers import bar_text, settle, table, table_lines
from tests.test_first_listing import wandb_runs
from tui.app import TrackApp, make_app
from tui.shaping.first_listing import FirstListing


def gated_app(folder: Path) -> tuple[TrackApp, threading.Event]:
    """The app over `folder`, its store's frame made only once the returned event is set."""
    reader = open_store(folder)
    gate = threading.Event()
    runs_frame = reader.runs_frame

    def held(*args: Any, **kwargs: Any) -> Any:
        assert gate.wait(60)
        return runs_frame(*args, **kwargs)

    reader.runs_frame = held  # type: ignore[method-assign]
    return watch_first_rows(make_app(folder, store=reader, poll_seconds=0)), gate


def failing_frame_app(tmp_path: Path) -> tuple[TrackApp, threading.Event]:
    """The app over the W&B runs, whose store fails ("the disk went away") on the refresh that was to
    make the frame, once the returned event is set: the first rows stay."""
    folder = wandb_runs(tmp_path)
    reader = open_store(folder)
    gate = threading.Event()
    refresh = reader.refresh
    calls = []

    def failing_after_first() -> set[str]:
        calls.append(1)
        if len(calls) == 1:
            return refresh()
        assert gate.wait(60)
        raise StoreError("the disk went away")

    reader.refresh = failing_after_first  # type: ignore[method-assign]
    return watch_first_rows(make_app(folder, store=reader, poll_seconds=0)), gate


async def first_rows_shown(app: TrackApp, pilot: Any) -> None:
    """Wait until the runs screen has painted the first rows (the poll worker reads the store first)."""
    listings = app.runs_screen.listings
    shown = getattr(listings, "shown_event", None)
    assert isinstance(shown, threading.Event), "call watch_first_rows before the app runs"
    assert await asyncio.to_thread(shown.wait, 60), "the first rows were never shown"
    await pilot.pause()
    assert isinstance(table(app).shown, FirstListing) and table(app).shown.row_count


def watch_first_rows(app: TrackApp) -> TrackApp:
    """Make the runs screen's handling of the first rows set an event `first_rows_shown` waits on."""
    listings = app.runs_screen.listings
    shown = threading.Event()
    handle = listings.first_listed

    def first_listed(message: Any) -> None:
        handle(message)
        shown.set()

    listings.first_listed = first_listed  # type: ignore[method-assign]
    listings.shown_event = shown  # type: ignore[attr-defined]
    return app


async def test_the_frame_replaces_the_first_rows_in_place(tmp_path: Path) -> None:
    app, gate = gated_app(wandb_runs(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        try:
            await first_rows_shown(app, pilot)
            first = table_lines(app)
            runs = table(app).shown.row_count
            names = ("console", "hostile", "media", "instant", "crashed", "short", "finished", "odd")
            assert runs == len(names) and all(any(n in line.split() for line in first) for n in names)  # every run
            assert f"{runs}/{runs} runs" in bar_text(app) and " wandb " in bar_text(app)
            assert table(app).current_run == table(app).shown.run_id_at(0)
            cursor = table(app).current_run
        finally:
            gate.set()
        await settle(pilot)
        assert not isinstance(table(app).shown, FirstListing)
        assert table(app).view is app.runs_screen.view
        assert table_lines(app) == first  # no row, column or width moved
        assert table(app).current_run == cursor and table(app).cursor_row == 0


async def test_keys_pressed_before_the_frame_is_in_act_on_it(tmp_path: Path) -> None:
    app, gate = gated_app(wandb_runs(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        try:
            await first_rows_shown(app, pilot)
            order = [table(app).shown.run_id_at(row) for row in range(table(app).shown.row_count)]
            await pilot.press("down", "down", "s", "space")  # in one burst: sort by name (the cursor column), mark
            assert table(app).cursor_row == 0  # held until the frame's view is in
        finally:
            gate.set()
        await settle(pilot)
        view = table(app).view
        assert view.sort_key == "name" and not view.sort_descending
        names = [str(view.frame.at[int(p), "name"]) for p in view.positions]
        assert names == sorted(names)
        assert list(table(app).marks) == [order[2]]  # the third run, marked after the sort kept the cursor on it
        marked = view.row_of(order[2])
        assert marked is not None and table(app).current_run == view.run_id_at(marked + 1)  # space moves down


async def test_keys_are_not_held_for_good_when_the_frame_cannot_be_made(tmp_path: Path) -> None:
    """The store fails on the refresh that was to make the frame (a disk gone): the failure is told,
    and the keys held meanwhile still act (on the first rows), so the app does not stop answering."""
    app, gate = failing_frame_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        try:
            await first_rows_shown(app, pilot)
            await pilot.press("down", "down")
            assert table(app).cursor_row == 0
        finally:
            gate.set()
        with contextlib.suppress(WorkerFailed):  # the poll's failure, which the app reports
            await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        assert table(app).cursor_row == 2
        assert any("the disk went away" in str(n.message) for n in app._notifications)


async def test_ctrl_a_marks_the_first_rows_when_the_frame_cannot_be_made(tmp_path: Path) -> None:
    """The frame's refresh fails after the first rows are shown: `ctrl+a` (held, then replayed) marks
    the runs shown, as on the frame's view, instead of taking the app down (it raised LookupError)."""
    app, gate = failing_frame_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        try:
            await first_rows_shown(app, pilot)
            await pilot.press("ctrl+a")
        finally:
            gate.set()
        with contextlib.suppress(WorkerFailed):
            await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        assert app._exception is None and app.is_running
        assert set(table(app).marks) == set(table(app).shown.shown_ids()) and len(table(app).marks) == 8


async def test_quitting_does_not_wait_for_the_frame(tmp_path: Path) -> None:
    """While the first rows are shown the keys wait for the frame's view, but not the quit key: a store
    slow to give its frame (a wedged network disk) must not keep the user in the app."""
    app, gate = gated_app(wandb_runs(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        try:
            await first_rows_shown(app, pilot)
            await pilot.press("ctrl+q")
            await pilot.pause()
            assert app._exit and app.return_code == 0  # the app is leaving, its frame still held back
            assert not app._held_keys
        finally:
            gate.set()


async def test_keys_pressed_before_anything_is_listed_act_on_the_first_view(tmp_path: Path) -> None:
    """A warm store of 100,000 runs takes seconds to its first view, the screen saying `0/0 runs`
    meanwhile: keys typed then were pressed on an empty table and lost. They are held until a view is
    shown; and released when the first listing fails, so the app never stops answering."""
    folder = wandb_runs(tmp_path)
    for fails in (False, True):
        reader = open_store(folder)
        gate = threading.Event()
        refresh = reader.refresh

        def held(refresh: Any = refresh, gate: threading.Event = gate, fails: bool = fails) -> set[str]:
            assert gate.wait(60)
            if fails:
                raise StoreError("the disk went away")
            return refresh()

        reader.refresh = held  # type: ignore[method-assign]
        app = make_app(folder, store=reader, poll_seconds=0)
        async with app.run_test(size=(80, 24)) as pilot:
            try:
                await pilot.pause()
                assert "0/0 runs" in bar_text(app)  # nothing listed yet
                await pilot.press("down", "down", "question_mark" if fails else "down")
            finally:
                gate.set()
            with contextlib.suppress(WorkerFailed):
                await app.workers.wait_for_complete()
            await settle(pilot)
            if fails:  # held, then pressed on what the failure left: the help screen opens
                assert app.screen is not app.runs_screen and app._held_keys is None
            else:
                assert table(app).cursor_row == 3 and table(app).shown.row_count == 8
