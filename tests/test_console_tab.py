"""The app side of run context: a Console tab for runs that kept one; system metrics as their own group."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import store
from store.writing.console import ConsoleLog
from tests.app_helpers import demo_app, open_detail, screen_text, settle
from tui.screens.detail import DetailScreen
from tui.shaping.runs_view import RunsView
from tui.widgets.console_view import ConsoleView


def make_store(root: Path) -> tuple[str, str]:
    """A run with a console and system metrics, and one with neither."""
    with store.start_run("ctx", name="with-console", root=root, system_metrics_interval=0) as run:
        log = ConsoleLog(run.path)
        log.write(b"epoch 1\n10%\r55%\r100%\n\x1b[31mred alert\x1b[0m\n")
        log.close()
        run.log_metric("loss", 0.5)
        run.log_metric("system/cpu_percent", 40.0)
        run.log_metric("system/gpu0/util", 90.0)
    with store.start_run("ctx", name="plain", root=root, system_metrics_interval=0) as other:
        other.log_metric("loss", 0.7)
        other.log_metric("system/cpu_percent", 10.0)
    return run.id, other.id


async def test_console_tab_shows_final_lines_sanitized_and_metrics_group_system(tmp_path: Path) -> None:
    run_id, plain_id = make_store(tmp_path / "s")
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(DetailScreen(app.store, run_id))
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        text = screen_text(app)
        assert text.index("loss") < text.index("system/cpu_percent"), "machine metrics come last"
        await pilot.press("5")
        await settle(pilot)
        view = app.screen.query_one(ConsoleView)
        lines = [line.rstrip() for line in view.visible_text()]
        assert any(line.endswith("epoch 1") for line in lines)
        assert any(line.endswith("100%") for line in lines) and not any("55%" in line for line in lines)
        assert any(line.endswith("␛[31mred alert␛[0m") for line in lines)
        await pilot.press("escape")
        await settle(pilot)
        app.push_screen(DetailScreen(app.store, plain_id))
        await settle(pilot)
        await pilot.press("5")  # no console: nothing happens, no tab
        await settle(pilot)
        assert not app.screen.query(ConsoleView) and "Console" not in screen_text(app)


def test_system_metric_columns_are_hidden_until_all_columns_are_shown(tmp_path: Path) -> None:
    make_store(tmp_path / "s")
    frame = store.open_store(tmp_path / "s").runs_frame()
    view = RunsView(frame=frame, now=time.time())
    keys = [c.key for c in view.columns]
    assert "metrics.loss" in keys and "metrics.system/cpu_percent" not in keys
    view.show_all_columns = True
    view.update()
    assert "metrics.system/cpu_percent" in [c.key for c in view.columns]


def capped_console_store(root: Path) -> str:
    """A finished run whose console went past its cap and ends without a newline."""
    with store.start_run("ctx", name="capped", root=root, system_metrics_interval=0) as run:
        log = ConsoleLog(run.path, max_bytes=4096, tail_bytes=1024)
        for i in range(300):
            log.write(f"line {i:04d} ".encode() + b"x" * 20 + b"\n")
        log.write(b"partial end")
        log.close()
    return run.id


@pytest.mark.parametrize("paged", [True, False], ids=["paged", "read-whole"])
async def test_a_capped_console_shows_its_kept_end_and_last_partial_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paged: bool
) -> None:
    """Issue 21.12: a console too big to read whole was paged from its head file only, so the
    kept end of a capped console (its tail segments, the last lines before a crash) and its
    last line without a newline never showed (`paged` lowers the bound so a small console pages)."""
    import tui.widgets.console_view as console_view

    if paged:
        monkeypatch.setattr(console_view, "SMALL_CONSOLE", 1024)
    run_id = capped_console_store(tmp_path / "s")
    app = demo_app(tmp_path / "s")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_detail(pilot, run_id)
        await pilot.press("5")
        await settle(pilot)
        await pilot.press("G")
        await settle(pilot)
        view = app.screen.query_one(ConsoleView)
        lines = [line.rstrip() for line in view.visible_text() if line.strip()]
        assert lines[-1].endswith("partial end"), lines
        assert lines[-2].endswith("line 0299 " + "x" * 20), lines
        await pilot.press("g")
        await settle(pilot)
        assert view.visible_text()[0].rstrip().endswith("line 0000 " + "x" * 20), "the head is still there"
        await pilot.press("slash", *"partial", "enter")
        await settle(pilot)
        assert view.current_match_line == view.line_count - 1, "/ finds the kept end too"
