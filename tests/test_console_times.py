"""Console lines carry when they were printed and whether stderr printed them (the side index
`console.times.txt` beside `console.log`), and the Console tab's `t` shows both."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import store
from store.writing.console import CONSOLE, ConsoleLog, read_console, timed_lines, times_path
from tests.app_helpers import burst, demo_app, open_detail, settle
from tests.children import run_python
from tests.test_run_command import only_run, python, wrapper
from tui.widgets.console_view import ConsoleView, timed_line

WANDB_CONSOLE = Path(__file__).parent / "data/foreign/wandb-runs/console"

SCRIPT = """
    import sys, time
    print("out one", flush=True)
    print("err one", file=sys.stderr, flush=True)
    time.sleep(0.3)
    print("out two", flush=True)
    sys.stderr.write("err two, no newline")
"""

EXPECTED = {"out one": "o", "err one": "e", "out two": "o", "err two, no newline": "e"}
EXPECTED_BYTES = [b"out one", b"err one", b"out two", b"err two, no newline"]


def test_a_wrapped_commands_lines_have_their_times_and_stderr_marked(tmp_path: Path) -> None:
    before = time.time()
    proc = wrapper(tmp_path / "s", *python(SCRIPT))
    _out, err = proc.communicate(timeout=60)
    after = time.time()
    assert proc.returncode == 0, err
    run_path = Path(only_run(tmp_path / "s").facts["path"])
    lines = timed_lines(run_path)  # two pipes: lines printed at once may come in either order
    assert {line: stream for _, stream, line in lines} == EXPECTED
    times = {line: when for when, _, line in lines}
    assert all(when is not None and before <= when <= after for when in times.values())
    assert times["out two"] - times["out one"] >= 0.25, "printed after the sleep: the later time"  # type: ignore[operator]
    assert sorted(read_console(run_path).split(b"\n")) == sorted(EXPECTED_BYTES), "the console stays plain text"


def test_start_run_capture_console_marks_stderr_too(tmp_path: Path) -> None:
    child = run_python(f"""
        import sys, store
        with store.start_run(root={str(tmp_path / "s")!r}, capture_console=True):
            print("to stdout", flush=True)
            print("to stderr", file=sys.stderr, flush=True)
    """)
    _out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    lines = timed_lines(Path(only_run(tmp_path / "s").facts["path"]))
    assert {line: stream for _, stream, line in lines} == {"to stdout": "o", "to stderr": "e"}
    assert all(when is not None for when, _, _ in lines)


def test_a_console_from_before_the_index_reads_with_no_times(tmp_path: Path) -> None:
    (tmp_path / CONSOLE).write_bytes(b"old\n\nlines\n")
    assert timed_lines(tmp_path) == [(None, "-", "old"), (None, "-", ""), (None, "-", "lines")]
    assert timed_line(None, "-", "old") == "--:--:--   old"


def test_a_capped_console_keeps_times_for_its_kept_end_and_drops_them_with_its_segments(tmp_path: Path) -> None:
    log = ConsoleLog(tmp_path, max_bytes=4000, tail_bytes=1000)
    for i in range(2000):
        log.write(f"line {i:05d}\n".encode(), "e" if i % 2 else "o")
    log.close()
    segments = sorted(p.name for p in tmp_path.glob("console.tail.*.log"))
    assert [times_path(tmp_path / name).name for name in segments] == sorted(
        p.name for p in tmp_path.glob("console.tail.*.times.txt")
    ), "a dropped segment's index goes with it"
    lines = timed_lines(tmp_path)
    assert lines[-1][1:] == ("e", "line 01999") and lines[-2][1:] == ("o", "line 01998")
    assert all(when is not None for when, _, _ in lines)


def test_the_times_and_streams_wandb_recorded_with_its_console() -> None:
    pytest.importorskip("wandb.proto.wandb_internal_pb2")
    st = store.open_store(WANDB_CONSOLE)
    lines = st.console_lines(st.run_ids()[0])
    assert lines is not None
    assert [(stream, line) for _, stream, line in lines] == [("o", "out one"), ("e", "err one"), ("o", "out two")]
    first, _, last = (when for when, _, _ in lines)
    assert first is not None and last is not None and 1.0 <= last - first < 5, "printed 1.2 s apart"


async def test_the_console_tab_shows_wandbs_times_and_stderr_on_t() -> None:
    pytest.importorskip("wandb.proto.wandb_internal_pb2")
    app = demo_app(WANDB_CONSOLE)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.store is not None
        await open_detail(pilot, app.store.run_ids()[0])
        await pilot.press("5", "t")
        await settle(pilot)
        lines = shown(app.screen.query_one(ConsoleView))
        assert [line[9:] for line in lines] == ["  out one", "E err one", "  out two"]


async def test_the_console_tab_shows_times_and_the_stderr_mark_on_t(tmp_path: Path) -> None:
    proc = wrapper(tmp_path / "s", *python(SCRIPT))
    proc.communicate(timeout=60)
    run_id = only_run(tmp_path / "s").run_id
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_detail(pilot, run_id)
        await burst(pilot, "5", "t")  # the Console tab, then times, typed before the app handles either
        view = app.screen.query_one(ConsoleView)
        assert view.show_times, "the t typed right after 5 was lost (failed before: focus came after it)"
        lines = shown(view)
        assert sorted(line[9:] for line in lines) == ["  out one", "  out two", "E err one", "E err two, no newline"]
        assert all(line[2] == ":" and line[5] == ":" for line in lines), lines
        await pilot.press("t")
        await settle(pilot)
        assert sorted(shown(view)) == sorted(EXPECTED)


def shown(view: ConsoleView) -> list[str]:
    """The view's lines without the line-number gutter."""
    texts = [line.split("│", 1)[1].rstrip() for line in view.visible_text() if "│" in line]
    return [text for text in texts if text]


async def test_times_keep_up_with_a_live_run_and_never_take_the_app_down(tmp_path: Path) -> None:
    """A command still printing to stdout and stderr: with `t` on, lines printed after the toggle
    come in with their times and marks on the next re-read; the command is SIGKILLed at the end."""
    proc = wrapper(
        tmp_path / "s",
        *python("""
        import sys, time
        for i in range(100000):
            print(f"line {i}", flush=True)
            print(f"warn {i}", file=sys.stderr, flush=True)
            time.sleep(0.02)
    """),
    )
    try:
        deadline = time.monotonic() + 60
        while not list((tmp_path / "s").glob("*/*/console.times.txt")) and time.monotonic() < deadline:
            time.sleep(0.05)  # the wrapper's start, not the UI
        run_id = only_run(tmp_path / "s").run_id
        app = demo_app(tmp_path / "s")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            await open_detail(pilot, run_id)
            await pilot.press("5", "t")
            await settle(pilot)
            view = app.screen.query_one(ConsoleView)
            seen = len(timed_lines(view.run_path))
            while len(timed_lines(view.run_path)) < seen + 20 and time.monotonic() < deadline:
                time.sleep(0.05)  # the command prints on; the view re-reads on its timer, here at once
            view.reload()
            await settle(pilot)
            view.action_go_end()
            await settle(pilot)
            lines = shown(view)
            assert lines and all(line[2] == ":" and line[5] == ":" for line in lines), lines
            numbers = [int(line[11:].split()[1]) for line in lines if line[11:].startswith(("line", "warn"))]
            assert max(numbers) >= (seen + 20) // 2 - 1, "lines printed after the toggle are shown, timed"
            assert {line[9] for line in lines if line[11:].startswith("warn")} == {"E"}
            assert {line[9] for line in lines if line[11:].startswith("line")} == {" "}
    finally:
        proc.kill()
        proc.communicate(timeout=30)
