"""The console tab's find (`/`, Enter, `n`/`N`), jumps (`g`/`G`), live follow, and a big console paged from disk."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

from textual.color import Color

import store
from store.writing.console import CONSOLE, ConsoleLog
from tests.app_helpers import demo_app, screen_text, settle
from tests.screen_harness import settle_until
from tui.artifacts.line_search import search_file, search_texts
from tui.screens.detail import DetailScreen
from tui.widgets.console_view import SMALL_CONSOLE, ConsoleView
from tui.widgets.lazy_text import CACHE_LINES
from tui.widgets.text_lines import FileLines, MemoryLines


def console_run(root: Path, text: bytes, name: str = "loud") -> tuple[str, Path]:
    with store.start_run("ctx", name=name, root=root, system_metrics_interval=0) as run:
        log = ConsoleLog(run.path)
        log.write(text)
        log.close()
    return run.id, run.path


def numbered(n: int, every: int = 50) -> bytes:
    return b"".join(f"step {i}{' NEEDLE here' if i % every == 7 else ''}\n".encode() for i in range(n))


async def open_console(app, run_id: str, pilot, run_ids: list[str] | None = None) -> ConsoleView:
    await settle(pilot)
    app.push_screen(DetailScreen(app.store, run_id, run_ids))
    await settle(pilot)
    await pilot.press("5")
    await settle_until(app, pilot, lambda screen: bool(screen.query(ConsoleView)))  # the tab mounts it (later, loaded)
    return app.screen.query_one(ConsoleView)


async def test_find_highlights_counts_and_steps_with_n_and_capital_n(tmp_path: Path) -> None:
    run_id, _ = console_run(tmp_path / "s", numbered(400))
    other_id, _ = console_run(tmp_path / "s", b"quiet\n", name="quiet")
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_console(app, run_id, pilot, [run_id, other_id])
        assert view.at_end and view.visible_text()[-1].rstrip().endswith("step 399")  # opens at the end
        await pilot.press("g")
        assert int(view.scroll_y) == 0
        await pilot.press("slash", *"needle", "enter")  # lower case: any case matches
        await settle(pilot)
        assert view.matches is not None and view.matches.count == 8
        assert view.current_match_line == 7
        assert "match 1/8 lines holding “needle”" in screen_text(app)
        row = next(y for y, line in enumerate(view.visible_text()) if "step 7 NEEDLE" in line)
        style = view.get_visual_style("lazy-text--current")
        assert any(
            seg.text == "NEEDLE"
            and seg.style is not None
            and seg.style.bgcolor is not None
            and seg.style.bgcolor.triplet is not None
            and seg.style.bgcolor.triplet.hex == cast(Color, style.background).hex.lower()
            for seg in view.render_line(row)
        )
        await pilot.press("n", "n")
        assert view.current_match_line == 107 and "match 3/8" in screen_text(app)
        await pilot.press("N", "N", "N")  # wraps around to the last match
        assert view.current_match_line == 357
        assert any("step 357 NEEDLE" in line for line in view.visible_text())
        await pilot.press("G")
        assert view.at_end
        await pilot.press("home")
        assert int(view.scroll_y) == 0
        await pilot.press("end")
        assert view.at_end
        await pilot.press("slash", *"Needle", "enter")  # a capital: exact case only
        await settle(pilot)
        assert "no line holds “Needle”" in screen_text(app)
        await pilot.press("n")  # no matches: n is the screen's again, the next run
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.run_id == other_id
        view = app.screen.query_one(ConsoleView)  # the next run's console, not the one left
        assert view.visible_text()[0].rstrip().endswith("quiet")


async def test_live_console_stays_at_the_end_or_where_the_user_is(tmp_path: Path) -> None:
    root = tmp_path / "s"
    run = store.start_run("ctx", name="live", root=root, system_metrics_interval=0)
    log = ConsoleLog(run.path)
    log.write(numbered(100))
    try:
        app = demo_app(root)
        async with app.run_test(size=(100, 30)) as pilot:
            view = await open_console(app, run.id, pilot)
            assert view.follow_live and view.at_end and view.line_count == 100
            log.write(b"fresh line\n")
            view.reload()
            await settle(pilot)
            assert view.line_count == 101 and view.at_end
            assert view.visible_text()[-1].rstrip().endswith("fresh line")
            await pilot.press("g")
            log.write(b"another\n")
            view.reload()
            await settle(pilot)
            assert view.line_count == 102 and int(view.scroll_y) == 0  # not yanked to the end
    finally:
        log.close()
        run.finish()


def big_console(run_path: Path, size: int) -> None:
    """A sparse file of `size` bytes: lines at the start, a hole of NULs, lines at the end."""
    with open(run_path / CONSOLE, "r+b") as fh:
        fh.write(numbered(1000))
        fh.seek(size - 200_000)
        fh.write(b"\n" + numbered(5000, every=1000)[-150_000:] + b"last words NEEDLE\n")


async def test_a_big_console_is_paged_from_disk_and_searched_in_a_worker(tmp_path: Path) -> None:
    run_id, path = console_run(tmp_path / "s", b"")
    size = 300 * 1024 * 1024
    big_console(path, size)
    assert os.stat(path / CONSOLE).st_size > SMALL_CONSOLE
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(100, 30)) as pilot:
        view = await open_console(app, run_id, pilot)
        assert isinstance(view.source, FileLines) and view.source.complete  # paged: never read whole
        assert len(view._cache) <= CACHE_LINES
        assert view.at_end and view.visible_text()[-1].rstrip().endswith("last words NEEDLE")
        await pilot.press("slash", *"needle", "enter")
        await settle(pilot)
        assert view.matches is not None and view.matches.complete
        lines = [int(n) for n in view.matches.lines]
        assert len(lines) == 1000 // 50 + 5 + 1 and lines[-1] == view.line_count - 1
        assert "match 26/26" in screen_text(app)  # the first from the top of the screen on: the last line
        assert "n Next match" in screen_text(app)  # the footer says what n does now
        await pilot.press("N")
        assert view.current_match_line == lines[-2] and "match 25/26" in screen_text(app)


def test_file_search_counts_lines_across_chunks_and_stops_when_cancelled(tmp_path: Path) -> None:
    path = tmp_path / "log"
    data = numbered(10_000, every=7)
    path.write_bytes(data)
    texts = data.decode().splitlines()
    with open(path, "rb") as fh:
        found = search_file(fh, "needle", chunk_bytes=1000)
    assert [int(n) for n in found.lines] == [int(n) for n in search_texts(texts, "needle").lines]
    assert found.count == len([t for t in texts if "NEEDLE" in t]) and found.complete
    with open(path, "rb") as fh:
        stopped = search_file(fh, "needle", chunk_bytes=1000, cancelled=lambda: True)
    assert not stopped.complete and stopped.count == 0
    assert search_texts(texts, "Needle").count == 0 and MemoryLines([]).line_count == 0


async def test_stepping_between_consoles_in_a_burst_lands_on_the_next_console(tmp_path: Path) -> None:
    """`n` from a console shows the next run's console once it is mounted, not before.

    The tab was switched one refresh after the pane was added, which under load could come before the pane's
    console view was mounted: the app died on `#console-view` (seen once in CI)."""
    ids = [console_run(tmp_path / "s", numbered(20 + i), name=f"r{i}")[0] for i in range(4)]
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(100, 30)) as pilot:
        await open_console(app, ids[0], pilot, ids)
        await pilot.press(*"nnnnnnn")  # seven steps in one burst, each from the console tab
        await settle_until(app, pilot, lambda screen: bool(screen.query(ConsoleView)))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DetailScreen) and screen.run_id == ids[7 % 4]
        view = screen.query_one(ConsoleView)
        shown = [line.rstrip() for line in view.visible_text() if line.strip()]
        assert shown[-1].endswith(f"step {20 + 7 % 4 - 1}")  # r3's console: 23 lines
        assert app.focused is view


async def test_the_console_key_pressed_before_the_run_is_read_opens_its_console(tmp_path: Path) -> None:
    """`Enter 5` in one burst: `5` came before the run was read, when it had no Console tab yet, and was lost."""
    import threading

    from textual.widgets import TabbedContent

    run_id, _ = console_run(tmp_path / "s", numbered(30))
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        gate, read = threading.Event(), app.store.run

        def held(run_id: str) -> Any:  # the read held back, as a slow disk or server holds it
            assert gate.wait(60)
            return read(run_id)

        app.store.run = held  # type: ignore[method-assign]
        app.push_screen(DetailScreen(app.store, run_id, [run_id]))
        try:
            await pilot.press("5")  # before the screen's worker has read the run
        finally:
            gate.set()
        await settle_until(app, pilot, lambda screen: bool(screen.query(ConsoleView)))
        await settle(pilot)
        assert app.screen.query_one(TabbedContent).active == "console"
        assert app.focused is app.screen.query_one(ConsoleView)
