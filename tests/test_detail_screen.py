"""The run detail driven through Pilot: first view, next/previous, live updates, wide runs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import store
from tests.app_helpers import demo_app, demo_store, screen_text, settle
from tests.live_writer import live_writer
from tests.screen_harness import ScreenHarness, settle_until
from tui.screens.detail import DetailScreen
from tui.screens.runs import RunsScreen
from tui.widgets.lazy_text import LazyText
from tui.widgets.run_overview import OVERVIEW_ROWS
from tui.widgets.runs_table import RunsTable


def current_run(app: Any) -> str | None:
    return app.screen.query_one(RunsTable).current_run


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_first_view_shows_params_and_metrics(demo: Path, size: tuple[int, int]) -> None:
    """Issue 9.14: Enter answers "what was this run and how did it do" without switching tabs."""
    app = demo_app("demo")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        run_id = current_run(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        detail = app.screen.detail
        assert detail is not None and detail.run_id == run_id
        text = screen_text(app)
        assert "params (" in text and "metrics (" in text
        assert all(key in text for key in list(detail.flat_params)[:3])
        assert next(iter(sorted(detail.metrics))) in text
        assert "last" in text and "min" in text and "max" in text


async def test_next_and_previous_run_keep_the_tab(demo: Path) -> None:
    """Issue 9.6: `n`/`N` step through the table's runs in its order, on the same tab."""
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(RunsTable)
        order = [str(r) for r in table.view.visible_frame()["run_id"]]
        await pilot.press("j", "enter", "2", "n")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        assert screen.detail is not None and screen.detail.run_id == order[2]
        assert screen.query_one("TabbedContent").active == "params"  # type: ignore[attr-defined]
        assert f"(3/{len(order)})" in screen_text(app)
        await pilot.press("N", "N", "N")
        await settle(pilot)
        assert screen.detail is not None and screen.detail.run_id == order[-1]  # wraps around
        assert screen.query_one("TabbedContent").active == "params"  # type: ignore[attr-defined]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, RunsScreen)


async def test_running_run_detail_updates_live(tmp_path: Path) -> None:
    """Issue 9.6: a running run's detail re-reads steps, duration and metrics while it runs."""
    root = tmp_path / "store"
    root.mkdir()
    with live_writer(root):
        reader = store.open_store(root)
        run_id = reader.run_ids()[0]
        app = ScreenHarness(lambda: DetailScreen(reader, run_id, poll_seconds=0.1))
        async with app.run_test(size=(120, 40)) as pilot:
            await settle_until(app, pilot, lambda s: isinstance(s, DetailScreen) and s.detail is not None)
            screen = app.screen
            assert isinstance(screen, DetailScreen) and screen.detail is not None
            first = screen.detail.metrics["loss"]["count"]
            assert screen.detail.status == "running"
            for _ in range(500):
                await pilot.pause(0.05)
                assert screen.detail is not None
                if screen.detail.metrics["loss"]["count"] > first + 5:
                    break
            later = screen.detail.metrics["loss"]["count"]
            assert later > first + 5
            assert f"{later:,}" in screen_text(app)


async def test_ten_thousand_params_stay_responsive(tmp_path: Path) -> None:
    """Issue 10.15: 10,000 params are listed virtually (the overview shows the first few, the params
    tab draws only the lines on screen, no 10,000-node tree)."""
    root = tmp_path / "store"
    with store.start_run(experiment="wide", name="wide", root=root) as run:
        run.log_params({f"p{i:05d}": i for i in range(10_000)})
        run.log_metric("loss", 0.5)
        run_id = run.id
    reader = store.open_store(root)
    app = ScreenHarness(lambda: DetailScreen(reader, run_id))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle_until(app, pilot, lambda s: isinstance(s, DetailScreen) and s.detail is not None)
        text = screen_text(app)
        assert "params (10,000)" in text and "p00000" in text
        widget = app.screen.query_one("#overview-params")
        overview = "\n".join(widget.render_line(y).text for y in range(widget.size.height))
        assert f"{10_000 - OVERVIEW_ROWS:,} more" in overview
        await pilot.press("2")
        await pilot.pause()
        viewer = app.screen.query_one("#params-list", LazyText)
        assert viewer.line_count == 10_000
        assert not app.screen.query_one("#params-tree").display
        viewer.focus()
        await pilot.press("G")
        await pilot.pause()
        assert any("p09999" in line for line in viewer.visible_text())


def test_snapshot_crashed_run_detail_80x24(snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crashed run: last seen instead of ended, its params and metrics on the first view (the
    finished run's detail is in test_snapshots_runs.py; the failed run's traceback names the
    checkout's path, so it is not a snapshot)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    demo_store(tmp_path / "demo")

    async def open_detail(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("enter")
        await settle_until(pilot.app, pilot, lambda s: isinstance(s, DetailScreen) and s.detail is not None)

    try:
        assert snap_compare(demo_app("demo"), run_before=open_detail, terminal_size=(80, 24))
    finally:
        monkeypatch.undo()
        time.tzset()


async def test_detail_footer_fits_80_columns(demo: Path) -> None:
    """Issue 9.15: the most important keys first and `?` visible at 80 columns."""
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        footer = app.screen._compositor.render_strips()[-1].text
        assert footer.lstrip().startswith("n Next run")
        for key in ("a Artifacts", "p Plot", "? Keys", "esc Back"):
            assert key in footer, footer
        await pilot.press("question_mark")
        await pilot.pause()
        help_text = screen_text(app)
        assert "Next run" in help_text and "Prev run" in help_text and "Params" in help_text
