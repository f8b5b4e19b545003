"""A first open with no index paints the newest runs at once, then the rest as they are read.

The store is written in the writer's layout (tests/perf/make_big_store.py) and has no index, so
the app's first listing reads every run. The poll worker is held at a batch's report (a gate the
test opens), which stands for a slow disk: the table must already show the newest runs, say how
far the reading got, and take the cursor and a sort while the rest is read. Once it is read, the
table is exactly the listing any fresh reader makes.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import store
from store.ours import journal, reader
from store.ours.reader import TrackStore
from tests.app_helpers import bar_text, move_to_column, screen_text, settle, table
from tests.perf.make_big_store import make_store
from tests.test_first_open import traced_peak
from tui.app import TrackApp, make_app

if TYPE_CHECKING:
    from textual.pilot import Pilot

RUNS = 302
PAINT = 10
BATCH = 40


class Gate:
    """Holds the poll worker after each painted batch until the test lets it read the next one."""

    def __init__(self, app: TrackApp) -> None:
        self.app = app
        self.painted = threading.Event()
        self.go = threading.Event()
        self.holding = True
        self.reports: list[tuple[int, int]] = []
        paint = app._paint_partial

        self.paint_table = True
        """False: the batches that follow only count (as when painting the table is not due yet)."""

        def gated(read: int, total: int) -> None:
            # Every batch is painted, or counted: the test, not the clock, decides which.
            app._next_partial = 0.0 if self.paint_table else float("inf")
            app._next_count = 0.0
            paint(read, total)
            self.reports.append((read, total))
            if self.holding:
                self.painted.set()
                for _ in range(6000):  # until the test lets it go on, or the app quits
                    if self.go.wait(timeout=0.01) or getattr(app, "_closing", False):
                        break
                self.go.clear()

        app._paint_partial = gated  # type: ignore[method-assign]

    async def next_batch(self, pilot: object) -> None:
        """Wait until the worker painted a batch and is held, then let the screen handle the message."""
        assert await asyncio.to_thread(self.painted.wait, 60)
        self.painted.clear()
        await pilot.pause()  # type: ignore[attr-defined]

    def release(self) -> None:
        self.go.set()

    def open(self) -> None:
        self.holding = False
        self.go.set()


@pytest.fixture
def big_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_store(tmp_path / "store", RUNS - 2, n_params=4, n_metrics=2, steps=3, experiments=3, history=False)
    for i, key in enumerate(("only_old", "only_new")):  # fields some runs have and others not
        with store.start_run(experiment="odd", root=str(root), name=f"odd-{i}") as run:
            run.log_params({key: i})
            run.log_metric(f"m_{key}", 0.5)
    monkeypatch.setattr(reader, "FIRST_BATCH", BATCH)
    monkeypatch.setattr(reader, "FIRST_PAINT", PAINT)
    # The listing journal read in about CHUNKS chunks, each one painted (at 100,000 runs: 8 MB, ~5,000 runs).
    size = sum(p.stat().st_size for p in journal_files(root))
    monkeypatch.setattr(journal, "CHUNK", size // CHUNKS)
    return root


CHUNKS = 7


def journal_files(root: Path) -> list[Path]:
    return [root / name for name in journal.journal_names(str(root))]


async def test_first_listing_paints_newest_first_and_is_usable_while_it_fills(big_store: Path) -> None:
    app = make_app(big_store, poll_seconds=0)
    gate = Gate(app)
    async with app.run_test(size=(80, 24)) as pilot:
        try:
            await check_while_filling(app, pilot, gate, big_store)
        finally:
            gate.open()


async def check_while_filling(app: TrackApp, pilot: Pilot[None], gate: Gate, big_store: Path) -> None:
    if True:
        await gate.next_batch(pilot)
        view = table(app).view
        await pilot.pause()
        text = screen_text(app)
        assert f"reading {PAINT} / {RUNS}" in text  # on screen at 80x24, not only in the bar's text
        assert "odd-1" in text and "run-299" in text  # the newest runs, on screen
        assert len(view.frame) == PAINT < RUNS
        newest = sorted(TrackStore(big_store).runs_frame()["run_id"], reverse=True)[:PAINT]
        assert sorted(view.frame["run_id"], reverse=True) == newest  # the newest runs came first

        # While the rest is read: the cursor moves and a sort applies (keys in one burst).
        move_to_column(app, "name")
        third = str(view.frame.at[int(view.positions[2]), "run_id"])
        await pilot.press("down", "down", "s", "down")
        await pilot.pause()
        sorted_view = table(app).view
        names = [str(sorted_view.frame.at[int(p), "name"]) for p in sorted_view.positions]
        ids = [str(sorted_view.frame.at[int(p), "run_id"]) for p in sorted_view.positions]
        assert sorted_view.sort_key == "name"
        assert names == sorted(names)
        cursor_run = table(app).current_run
        assert cursor_run == ids[min(ids.index(third) + 1, len(ids) - 1)]  # `s` kept the cursor on its run, then `down`

        gate.release()  # one more batch (the journal's first chunk): painted with the sort, the cursor on its run
        await gate.next_batch(pilot)
        shown = table(app).view
        read = gate.reports[-1][0]
        assert PAINT < read < RUNS // 2
        assert f"reading {read} / {RUNS}" in bar_text(app)
        # The journal holds the oldest runs first: the newest stay painted until read again.
        assert len(shown.frame) == read + PAINT
        assert set(newest) <= set(shown.frame["run_id"])
        assert shown.sort_key == "name"
        names = [str(shown.frame.at[int(p), "name"]) for p in shown.positions]
        assert names == sorted(names)
        assert table(app).current_run == cursor_run

        gate.open()
        await settle(pilot)
        final = table(app).view
        assert "reading" not in bar_text(app)
        assert final.sort_key == "name"
        assert table(app).current_run == cursor_run
        full = TrackStore(big_store).runs_frame()
        assert final.frame.equals(full)
        assert gate.reports[-1] == (RUNS, RUNS)


async def test_quitting_while_the_first_listing_is_read_stops_the_reading(big_store: Path) -> None:
    """The exit saves the index under the store's lock, which the listing holds: the listing must
    stop at its next batch, or quitting would wait until every run is read."""
    app = make_app(big_store, poll_seconds=0)
    gate = Gate(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await gate.next_batch(pilot)
        assert f"reading {PAINT} / {RUNS}" in bar_text(app)
        await pilot.press("q")
    assert gate.reports[-1][0] < RUNS


async def test_the_count_goes_on_between_paints_of_the_table(big_store: Path) -> None:
    """The table is painted again only every so often (a paint of 100,000 runs takes a while); the
    bar's count of runs read goes on in between."""
    app = make_app(big_store, poll_seconds=0)
    gate = Gate(app)
    async with app.run_test(size=(80, 24)) as pilot:
        try:
            await gate.next_batch(pilot)
            gate.paint_table = False
            gate.release()
            await gate.next_batch(pilot)
            await pilot.pause()
            assert f"reading {gate.reports[-1][0]} / {RUNS}" in screen_text(app)
            assert len(table(app).view.frame) == PAINT
        finally:
            gate.open()
        await settle(pilot)
        assert "reading" not in bar_text(app)
        assert len(table(app).view.frame) == RUNS


def test_the_apps_first_listing_holds_a_chunk_of_journal_rows_at_a_time(big_store: Path) -> None:
    """Failed before: the app's first open (a listing that reports as it reads) parsed every run's journal
    row before folding any, and held every run's record until its batch was made columns (at 100,000
    runs over 1 GB); now it is the chunked fold of `tracktui ls`, each chunk told to the app as it is made."""
    size = sum(p.stat().st_size for p in journal_files(big_store))
    listing = TrackStore(big_store)
    reports: list[tuple[int, int]] = []
    listing.listing_progress = lambda read, total: reports.append((read, total))
    peak = traced_peak(listing.refresh)
    assert peak < 4.25 * size, (peak, size)  # 3.6x; before, 5x (and the gap grows with the store)
    assert len(reports) >= CHUNKS and reports[-1] == (RUNS, RUNS)
    for index in big_store.glob(".tracktui-index*"):
        index.unlink()
    assert listing.runs_frame().equals(TrackStore(big_store).runs_frame())


async def test_the_table_is_painted_again_only_as_the_runs_read_double_and_up_to_half(
    big_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failed before: each batch was painted whenever the clock said so, up to the last. A paint makes a
    frame of every run read (~1.6 KB a run), and the one on screen while the whole one is made cost
    ~400 MB of the peak at 100,000 runs. Now the runs read must have doubled since the last paint,
    and past half of them only the count goes on."""
    painted: list[int] = []
    partial_frame = TrackStore.partial_frame

    def recording(self: TrackStore, metric_stat: str = "last") -> object:
        frame = partial_frame(self, metric_stat)
        painted.append(len(frame))
        return frame

    monkeypatch.setattr(TrackStore, "partial_frame", recording)
    app = make_app(big_store, poll_seconds=0)
    gate = Gate(app)
    gate.open()  # every batch due by the clock, none held
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "reading" not in bar_text(app)
        assert len(table(app).view.frame) == RUNS
    assert len(gate.reports) >= CHUNKS and gate.reports[-1] == (RUNS, RUNS)
    assert painted[0] == PAINT and len(painted) >= 2  # the newest, then at least one chunk
    assert painted == sorted(painted) and len(painted) < len(gate.reports)
    assert max(painted) <= RUNS // 2 + PAINT  # the newest runs stay painted until read again


def test_a_listing_painted_as_it_is_read_leaves_the_index_to_the_next_refresh(big_store: Path) -> None:
    """The app waits for its first listing: saving the index there (0.2 s at 100,000 runs) would hold up the
    full table, so the next refresh saves it (or the app's exit: `TrackApp.on_unmount`)."""
    listing = TrackStore(big_store)
    listing.listing_progress = lambda read, total: None
    listing.refresh()
    assert not list(big_store.glob(".tracktui-index*"))
    listing.listing_progress = None
    listing.refresh()
    assert list(big_store.glob(".tracktui-index*"))
    assert TrackStore(big_store).runs_frame().equals(listing.runs_frame())


async def test_the_apps_first_open_with_its_children_shows_each_file_as_it_is_once_checked(
    big_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large store's first open in the app (here at any size): a child stats the run folders, two more
    parse the listing journal, and a row is shown where its run's folder is as the row says. A
    finished run's params.json rewritten in place (its folder's times kept) is shown as its row says
    until the refresh the app makes at once after such a listing checks every file; then as it is. A
    real writer logs into the store throughout: its run is read from its files (its row says running)."""
    import re

    from tests.live_writer import live_writer
    from tests.screen_harness import settle_until
    from tests.test_first_open import apps_first_open

    started = apps_first_open(monkeypatch)
    params = sorted(big_store.glob("*/*/params.json"))[5]
    run_id = params.parent.name
    text = params.read_bytes()
    old = re.search(rb'"p0": (\d)', text)
    assert old is not None
    new = (int(old.group(1)) + 1) % 10
    with open(params, "r+b") as fh:  # in place: same length, the folder untouched
        fh.write(text[: old.start(1)] + str(new).encode() + text[old.end(1) :])

    def p0_shown() -> object:
        frame = table(app).view.frame
        return frame.loc[frame["run_id"] == run_id, "params.p0"].tolist()

    with live_writer(big_store, experiment="live", runs=1):
        app = make_app(big_store, poll_seconds=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle_until(app, pilot, lambda screen: p0_shown() == [new])
            frame = table(app).view.frame
            assert len(frame) == RUNS + 1 and "running" in set(frame["status"])
            assert "reading" not in bar_text(app)
    assert len(started) == 1 and started[0] is not None


async def test_the_newest_runs_are_painted_before_pandas_and_keys_pressed_meanwhile_wait_for_the_frame(
    big_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failed before: the newest runs waited for their frame, and so for pandas' import (~0.3 s of a 100,000-run
    first open's first second). Now they are laid out from their records (`tui.shaping.first_listing`) and
    painted, and the frame's view replaces them; keys pressed in a burst meanwhile wait for it, then act."""
    from tui.shaping.first_listing import FirstListing

    made, go = threading.Event(), threading.Event()
    partial_frame = TrackStore.partial_frame

    def slow(self: TrackStore, metric_stat: str = "last") -> object:
        if not made.is_set():  # the first frame held back, as a slow import of pandas would
            made.set()
            go.wait(60)
        return partial_frame(self, metric_stat)

    monkeypatch.setattr(TrackStore, "partial_frame", slow)
    app = make_app(big_store, poll_seconds=0)
    gate = Gate(app)
    async with app.run_test(size=(80, 24)) as pilot:
        try:
            assert await asyncio.to_thread(made.wait, 60)
            for _ in range(50):
                await pilot.pause()
                if isinstance(table(app).shown, FirstListing):
                    break
            first = table(app).shown
            assert isinstance(first, FirstListing) and first.row_count == PAINT
            text = screen_text(app)
            assert f"reading {PAINT} / {RUNS}" in text and "odd-1" in text and "run-299" in text
            third = first.run_id_at(2)
            await pilot.press("down", "down")  # held: the frame they act on is not in yet
            assert table(app).shown is first
            go.set()
            await gate.next_batch(pilot)
            await settle_keys(pilot)
            view = table(app).view
            assert not isinstance(view, FirstListing) and len(view.frame) == PAINT
            assert table(app).current_run == third
        finally:
            go.set()
            gate.open()


async def settle_keys(pilot: Pilot[None]) -> None:
    for _ in range(3):
        await pilot.pause()
