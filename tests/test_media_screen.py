"""The media screen through Pilot: scrubbing, runs side by side, runs lacking a step or key, opening it, a snapshot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from textual.pilot import Pilot

import store
from tests.app_helpers import demo_app, screen_text, settle
from tui.app import TrackApp
from tui.screens.media import MediaScreen
from tui.widgets.media_pane import MediaPane
from tui.widgets.runs_table import RunsTable


def _ids(app: TrackApp, *names: str) -> list[str]:
    frame = app.store.runs_frame()
    return [str(frame.loc[frame["name"] == name, "run_id"].iloc[0]) for name in names]


async def _open(app: TrackApp, pilot: Pilot[None], *names: str) -> MediaScreen:
    await settle(pilot)
    screen = MediaScreen(app.store, _ids(app, *names))
    await app.push_screen(screen)
    await settle(pilot)
    return screen


def _panes(screen: MediaScreen) -> list[MediaPane]:
    return list(screen.query(MediaPane))


async def test_keys_pressed_in_one_burst_land_on_the_right_step(demo: Path) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open(app, pilot, "rf-baseline")
        assert screen.key == "eval/confusion_matrix" and screen.step == 25  # opens on the latest step
        await pilot.press("home", "right", "right", "right", "end", "left", "left", "right")
        await settle(pilot)
        assert screen.step == 20
        (pane,) = _panes(screen)
        assert pane.shown_step == 20 and pane.note == ""
        text = screen_text(app)
        assert "step 20" in text and "5 of 6" in text
        assert "▀" in text or "▄" in text  # drawn with half-blocks
        await pilot.press("home", "left", "left")
        await settle(pilot)
        assert screen.step == 0 and pane.shown_step == 0


async def test_two_runs_side_by_side_and_a_run_lacking_the_step(demo: Path) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open(app, pilot, "rf-baseline", "rf-shallow")
        await pilot.press("home", "right")
        await settle(pilot)
        baseline, shallow = _panes(screen)
        assert screen.step == 5
        assert baseline.shown_step == 5 and baseline.note == ""
        assert shallow.shown_step == 0 and shallow.note == "nearest before step 5"
        text = screen_text(app)
        assert "rf-baseline · step 5" in text and "rf-shallow · step 0" in text and "nearest before" in text
        await pilot.press("down")  # the next key keeps the step
        await settle(pilot)
        assert screen.key == "eval/decision_regions" and screen.step == 5 and shallow.shown_step == 0


async def test_a_run_with_no_image_yet_and_one_without_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "s"
    image = np.zeros((4, 4, 3), dtype=np.uint8)
    names = {"early": [0, 1, 2], "late": [2], "other": []}
    for name, steps in names.items():
        with store.start_run(experiment="e", name=name, root=root, system_metrics_interval=0) as run:
            for step in steps:
                run.log_image("sample", image, step=step)
            if not steps:
                run.log_image("else", image)
    app = demo_app(root)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _open(app, pilot, *names)
        assert screen.keys == ["else", "sample"]
        await pilot.press("down", "home")
        await settle(pilot)
        early, late, other = _panes(screen)
        assert screen.key == "sample" and screen.step == 0 and early.shown_step == 0
        assert late.shown_step is None and other.shown_step is None
        text = screen_text(app)
        assert "no image at or before step 0" in text and "no images of this key" in text


async def test_opened_from_the_runs_table_with_the_marked_runs(demo: Path) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(RunsTable)
        wanted = _ids(app, "rf-deep", "rf-wide")
        for run_id in wanted:
            row = table.view.row_of(run_id)
            assert row is not None
            table.cursor_row = row
            await pilot.press("space")
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, MediaScreen) and app.screen.run_ids == wanted
        assert [pane.shown_step for pane in _panes(app.screen)] == [25, 25]


async def test_opened_from_the_run_detail(demo: Path) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        current = app.screen.query_one(RunsTable).current_run
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, MediaScreen) and app.screen.run_ids == [current]


def test_media_snapshot_80x24(snap_compare, demo: Path) -> None:
    async def ready(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, TrackApp)
        await _open(app, pilot, "rf-baseline", "rf-shallow")
        await pilot.press("home", "right")
        await settle(pilot)

    assert snap_compare(demo_app("demo"), run_before=ready, terminal_size=(80, 24))


async def test_reload_shows_steps_logged_since_and_help_lists_the_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "s"
    image = np.zeros((4, 4), dtype=np.uint8)
    with store.start_run(experiment="e", name="live", root=root, system_metrics_interval=0) as run:
        run.log_image("sample", image)
        run.log_image("sample", image)
    app = demo_app(root)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open(app, pilot, "live")
        assert screen.steps == [0, 1] and screen.step == 1
        with store.start_run(resume=run.id, root=root, system_metrics_interval=0) as again:
            again.log_image("sample", image)
        await pilot.press("r")
        await settle(pilot)
        assert screen.steps == [0, 1, 2] and screen.step == 1  # the step shown stays
        await pilot.press("end")
        await settle(pilot)
        assert _panes(screen)[0].shown_step == 2
        await pilot.press("question_mark")
        await settle(pilot)
        text = screen_text(app)
        assert "Prev step" in text and "Last" in text and "Reload" in text


async def test_many_runs_keep_a_readable_width_and_page(demo: Path) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(app, pilot, "rf-baseline", "rf-deep", "rf-shallow", "rf-wide")
        panes = _panes(screen)
        shown = [pane for pane in panes if pane.display]
        assert len(panes) == 4 and len(shown) == 2 and all(pane.size.width >= 24 for pane in shown)
        assert [pane.shown_step for pane in shown] == [25, 25]
        assert "runs 1–2 of 4" in screen_text(app)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert [pane.shown_step for pane in panes if pane.display] == [20, 25]
        assert "runs 3–4 of 4" in screen_text(app)
