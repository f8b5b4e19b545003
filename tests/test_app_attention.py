"""The runs screen flags runs that need a look (`!`) and keeps marks across restarts, with real writers logging.

A real child process logs through the public API while the app runs; it is stopped
(SIGSTOP) to go quiet and SIGKILLed to crash, as a hung or killed training job would.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from textual.widgets import Input

from tests.app_helpers import bar_text, demo_app, settle, shown_names, table
from tests.children import run_python
from tests.live_writer import live_writer
from tui.app import TrackApp, make_app
from tui.settings import save_marks


@contextlib.contextmanager
def two_live_runs(root: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """`steady` and `diverging` log `loss` every 20 ms; `diverging` logs one NaN once the returned file exists."""
    ready, poison = root / ".ready", root / ".poison"
    proc = run_python(
        f"""
        import math, pathlib, time, store
        runs = [store.start_run(experiment="live", name=name, root={str(root)!r}, flush_interval=0.05)
                for name in ("steady", "diverging")]
        for run in runs:
            run.log_metric("loss", 1.0)
            run.flush()
        pathlib.Path({str(ready)!r}).write_text("ok")
        step, poisoned = 1, False
        while True:
            for run in runs:
                bad = run.name == "diverging" and not poisoned and pathlib.Path({str(poison)!r}).exists()
                run.log_metric("loss", math.nan if bad else 1.0 / (step + 1), step=step)
                poisoned = poisoned or bad
            step += 1
            time.sleep(0.02)
    """,
        wait=False,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "the writer died"
            assert time.monotonic() < deadline, "the writer did not start within 60 s"
            time.sleep(0.02)
        yield proc, poison
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)


async def poll_until(app: TrackApp, pilot: object, done: object) -> None:
    """Re-list the store (as the app's timer does) until `done()` holds: the writer is a real process."""
    deadline = time.monotonic() + 30
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"not seen within 30 s; flagged: {table(app).attention}"
        app.poll(force=True)
        await settle(pilot)  # type: ignore[arg-type]


def gutter(app: TrackApp, name: str) -> str:
    """The two cells left of a run's status, as drawn (mark, then the attention flag)."""
    runs = table(app)
    row = next(r for r in range(runs.view.row_count) if runs.view.cells(r)[1] == name)
    return runs.render_line(row + 1 - int(runs.scroll_offset.y)).text[:2]


async def test_a_run_that_logs_nan_is_flagged_and_bang_jumps_to_it(tmp_path: Path) -> None:
    root = tmp_path / "store"
    root.mkdir()
    with two_live_runs(root) as (_, poison):
        app = make_app(root, poll_seconds=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert sorted(shown_names(app)) == ["diverging", "steady"]
            await pilot.press("exclamation_mark")
            await settle(pilot)
            assert table(app).attention == {}
            assert "No run needs a look" in [n.message for n in app._notifications]
            poison.write_text("go")
            diverging = next(r for r in table(app).view.shown_ids() if app.store.run(r).name == "diverging")
            await poll_until(app, pilot, lambda: diverging in table(app).attention)
            assert table(app).attention == {diverging: "NaN/inf in loss"}
            assert gutter(app, "diverging") == " !" and gutter(app, "steady") == "  "
            await pilot.press("G")  # to `steady`, the older run: the bar counts the flagged runs
            await settle(pilot)
            assert table(app).current_run != diverging
            assert "1 needs a look (!)" in bar_text(app)
            await pilot.press("G", "exclamation_mark", "space")  # one burst: the mark lands on the flagged run
            await settle(pilot)
            assert list(table(app).marks) == [diverging]
            assert gutter(app, "diverging") == "●!"
            await pilot.press("k")
            await settle(pilot)
            assert table(app).current_run == diverging
            assert "! NaN/inf in loss" in bar_text(app)
            await pilot.press("O", *"status", "enter", "z")  # grouped and collapsed: the group row is flagged
            await settle(pilot)
            runs = table(app)
            assert runs.view.row_count == 1 and runs.view.status_at(0) == "group"
            assert runs.render_line(1).text[:2] == " !"


def stopped(pid: int) -> None:
    """Wait until the process `pid` is stopped (state `T` in /proc), as SIGSTOP is delivered asynchronously."""
    for _ in range(1000):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state in ("T", "t"):
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} never stopped")


async def test_a_stopped_writer_is_quiet_then_crashed_once_killed(tmp_path: Path) -> None:
    root = tmp_path / "store"
    root.mkdir()
    now = [time.time()]
    with live_writer(root) as proc:
        app = make_app(root, clock=lambda: now[0], poll_seconds=0)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert shown_names(app) == ["live-0"]
            assert table(app).attention == {}
            (run_id,) = table(app).view.shown_ids()
            proc.send_signal(signal.SIGSTOP)  # hung: alive, silent
            stopped(proc.pid)  # the signal lands a moment later: a write may still come until then
            now[0] = time.time() + 61  # a second of room: the last write may stamp a time just before now
            app.poll(force=True)
            await settle(pilot)
            assert table(app).view.status_at(0) == "running"
            assert table(app).attention[run_id].startswith("quiet for 1m")
            assert gutter(app, "live-0") == " !"
            assert "! quiet for 1m" in bar_text(app)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            await poll_until(app, pilot, lambda: table(app).view.status_at(0) == "crashed")
            assert table(app).attention[run_id] == "crashed 1m ago"
            await pilot.press("exclamation_mark")
            await settle(pilot)
            assert table(app).current_run == run_id
            # the only flagged run, already under the cursor: said so, not "back at the top" (failed before)
            assert [n.message for n in app._notifications][-1] == (
                "This is the only run needing a look: crashed 1m ago"
            )


async def test_ctrl_a_marks_the_runs_in_view_u_clears_and_marks_come_back_after_a_restart(demo: Path) -> None:
    with live_writer(demo, runs=2):
        app = demo_app(demo)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            total = table(app).view.row_count
            await pilot.press("slash", *"live-", "ctrl+a")  # in the filter line, ctrl+a is the line's own
            await settle(pilot)
            assert table(app).marks == {} and isinstance(app.focused, Input)
            await pilot.press("enter", "ctrl+a")
            await settle(pilot)
            live = set(table(app).view.shown_ids())
            assert len(live) == 2 and set(table(app).marks) == live < set(app.store.run_ids())
            assert "2 marked" in bar_text(app)
            await pilot.press("u", "escape", "ctrl+a", "u", "slash", *"live-", "enter", "ctrl+a")
            await settle(pilot)
            assert set(table(app).marks) == live and total > 2
            await pilot.press("q")
            await settle(pilot)
        app = demo_app(demo)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert set(table(app).marks) == live
            assert "2 marked" in bar_text(app)


async def test_marks_of_runs_gone_since_are_dropped_quietly(demo: Path) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        kept = str(table(app).view.shown_ids()[1])
    save_marks(demo, ["gone-since", kept])
    app = demo_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert list(table(app).marks) == [kept]
        assert not [n for n in app._notifications if n.severity != "information"]


async def test_ctrl_a_on_a_group_row_marks_that_groups_runs(demo: Path) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("O", *"status", "enter", "g", "ctrl+a")
        await settle(pilot)
        runs = table(app)
        group = runs.view.group_at(0)
        assert group is not None
        members = runs.view.group_run_ids(group)
        assert set(runs.marks) == set(members) and 0 < len(members) < len(app.store.run_ids())
