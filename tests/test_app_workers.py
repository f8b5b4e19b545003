"""Worker failures: one kind of notification, from the app, in plain text; screens show results only."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

import pytest
from textual.worker import WorkerFailed

from tests.app_helpers import demo_app, settle
from tui.screens.detail import DetailScreen
from tui.widgets.runs_table import RunsTable

HOSTILE = "disk gone \x1b[31m[bold red]boom[/]\nsecond line"


async def settle_failing(pilot: Any) -> None:
    """`settle`, for workers meant to fail (waiting on a failed worker re-raises its error)."""
    for _ in range(3):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerFailed:
            pass
        await pilot.pause()


def failures(app: Any) -> list[Any]:
    return [n for n in app._notifications if n.severity == "error"]


def assert_plain_one_line(notification: Any) -> None:
    assert not notification.markup
    assert "[bold red]boom[/]" in notification.message  # shown as typed, never parsed as markup
    assert "\x1b" not in notification.message and "␛" in notification.message
    assert "\n" not in notification.message


async def test_detail_read_failure_is_reported_once_by_the_app(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)

        def broken(run_id: str) -> NoReturn:
            raise OSError(HOSTILE)

        app.store.run = broken  # type: ignore[method-assign]
        await pilot.press("j", "enter")
        await settle_failing(pilot)
        assert isinstance(app.screen, DetailScreen)
        [failure] = failures(app)
        assert failure.message.startswith("Reading the run failed: disk gone")
        assert_plain_one_line(failure)


async def test_poll_failure_is_reported_and_the_table_keeps_its_runs(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle_failing(pilot)

        def broken() -> set[str]:
            raise OSError(HOSTILE)

        app.store.refresh = broken  # type: ignore[method-assign]
        app.poll()
        await settle_failing(pilot)
        [failure] = failures(app)
        assert failure.message.startswith("Reading the store failed: disk gone")
        assert_plain_one_line(failure)
        assert app.screen.query_one(RunsTable).view.row_count == 10


async def test_artifacts_open_failure_is_reported_and_the_table_stays(demo: Path) -> None:
    from tui.screens.runs import RunsScreen

    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle_failing(pilot)

        def broken(run_id: str) -> NoReturn:
            raise PermissionError(HOSTILE)

        app.store.run = broken  # type: ignore[method-assign]
        await pilot.press("a")
        await settle_failing(pilot)
        assert isinstance(app.screen, RunsScreen)
        [failure] = failures(app)
        assert failure.message.startswith("Opening artifacts failed: disk gone")
        assert_plain_one_line(failure)


async def test_charts_build_failure_is_reported_once_by_the_app(demo: Path) -> None:
    from tui.screens.charts import ChartsScreen

    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(ChartsScreen(app.store, app.store.run_ids()[:2]))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ChartsScreen)

        def broken(*args: object, **kwargs: object) -> NoReturn:
            raise OSError(HOSTILE)

        screen.histories.charts = broken  # type: ignore[method-assign]
        screen.redraw()
        await settle_failing(pilot)
        [failure] = failures(app)
        assert failure.message.startswith("Building charts failed: disk gone")
        assert_plain_one_line(failure)
        assert app.screen is screen


async def test_diff_read_failure_is_reported_once_and_the_title_says_so(demo: Path) -> None:
    from textual.widgets import Static

    from tui.screens.diff import DiffScreen

    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        ids = app.store.run_ids()[:2]

        def broken(run_id: str) -> NoReturn:
            raise OSError(HOSTILE)

        app.store.run = broken  # type: ignore[method-assign]
        app.push_screen(DiffScreen(app.store, ids))
        await settle_failing(pilot)
        [failure] = failures(app)
        assert failure.message.startswith("Reading runs to diff failed: disk gone")
        assert_plain_one_line(failure)
        title = str(app.screen.query_one("#diff-title", Static).render())
        assert "Could not read the runs" in title and "\x1b" not in title


async def test_artifact_copy_failure_is_reported_once_by_the_app(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui.screens.artifacts as artifacts_screen
    from tui.widgets.artifact_tree import ArtifactTree

    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        details = (app.store.run(run_id) for run_id in app.store.run_ids())  # in no promised order
        with_files = next(
            d for d in details if d.artifacts_dir and any(p.is_file() for p in d.artifacts_dir.rglob("*"))
        )
        app.push_screen(artifacts_screen.ArtifactsScreen(with_files))
        await settle(pilot)
        tree = app.screen.query_one(ArtifactTree)
        nodes = [tree.root]
        for n in nodes:
            nodes.extend(n.children)
        node = next(
            n.data for n in nodes if n.data is not None and n.data.entry is not None and not n.data.entry.is_dir
        )

        def broken(path: Path) -> None:
            raise OSError(HOSTILE)

        monkeypatch.setattr(artifacts_screen, "open_regular", broken)
        app.screen._copy_for_editor(node, tmp_path)  # type: ignore[attr-defined]
        await settle_failing(pilot)
        [failure] = failures(app)
        assert failure.message.startswith("Copying an artifact for $EDITOR failed: disk gone")
        assert_plain_one_line(failure)
