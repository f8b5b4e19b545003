"""Curation from the keyboard, driven through the real app: tags, notes, names, trash; refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Markdown

import store
from tests.app_helpers import demo_app, screen_text, settle, shown_names
from tests.live_writer import live_writer
from tests.mlflow_fixtures import tree_snapshot, unpack
from tui.screens.detail import DetailScreen
from tui.screens.prompt import PromptScreen
from tui.screens.runs import RunsScreen
from tui.widgets.runs_table import RunsTable


def table(app) -> RunsTable:
    return app.runs_screen.query_one(RunsTable)


def frame_of(path: Path, **kwargs: object):
    return store.open_store(path, **kwargs).runs_frame()  # type: ignore[arg-type]


def failures(app) -> list[str]:
    return [n.message for n in app._notifications if n.title == "Something failed"]


async def test_tags_added_changed_and_removed_on_the_cursor_run(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        run_id = table(app).current_run
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, PromptScreen)
        assert "stage=tuning" in screen_text(app)  # the run's tags, to edit in place
        await pilot.press("ctrl+u", *"stage=winner reviewed=yes", "enter")
        await settle(pilot)
        row = frame_of(demo).set_index("run_id").loc[run_id]
        assert row["tags.stage"] == "winner" and row["tags.reviewed"] == "yes"
        assert "winner" in table(app).view.cells(0)  # the table re-read the store
        await pilot.press("t", "ctrl+u", *"reviewed=yes", "enter")  # stage left out: removed
        await settle(pilot)
        row = frame_of(demo).set_index("run_id").loc[run_id]
        assert not isinstance(row.get("tags.stage"), str) and row["tags.reviewed"] == "yes"
        assert not failures(app)


async def test_tags_on_all_marked_runs(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("space", "space", "t", *" picked=1", "enter")
        await settle(pilot)
        marked = list(table(app).marks)
        assert len(marked) == 2
        frame = frame_of(demo).set_index("run_id")
        assert list(frame.loc[marked, "tags.picked"]) == ["1", "1"]
        assert frame["tags.picked"].notna().sum() == 2


async def test_note_written_in_several_lines_shows_as_markdown_in_the_detail(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        run_id = table(app).current_run
        assert run_id is not None
        await pilot.press("N")
        await settle(pilot)
        assert isinstance(app.screen, PromptScreen)
        await pilot.press(*"# Why it crashed", "enter", *"- out of **memory**", "ctrl+s")
        await settle(pilot)
        assert store.open_store(demo).run(run_id).facts["note"] == "# Why it crashed\n- out of **memory**"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        note = app.screen.query_one("#note-markdown", Markdown)
        assert note.display and note.source.startswith("# Why it crashed")
        text = screen_text(app)
        assert "Why it crashed" in text and "out of memory" in text and "**" not in text  # rendered, not raw


async def test_rename_the_cursor_run(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        run_id = table(app).current_run
        await pilot.press("r", "ctrl+u", *"champion", "enter")
        await settle(pilot)
        assert frame_of(demo).set_index("run_id").loc[run_id, "name"] == "champion"
        assert "champion" in shown_names(app)


async def test_delete_asks_then_moves_marked_runs_to_the_trash_and_restore_brings_them_back(demo: Path) -> None:
    """Two app sessions (the second opens the store with --deleted): about 5 s."""
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        first, second = shown_names(app)[:2]
        await pilot.press("space", "space", "d", "n")  # asked, and said no
        await settle(pilot)
        assert len(shown_names(app)) == 10
        await pilot.press("d")
        await pilot.pause()
        assert "trash" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert first not in shown_names(app) and second not in shown_names(app) and len(shown_names(app)) == 8
    deleted = frame_of(demo, include_deleted=True)
    assert set(deleted.loc[deleted["status"] == "deleted", "name"]) == {first, second}

    app = demo_app("demo", include_deleted=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"status = deleted", "enter")
        await settle(pilot)
        assert sorted(shown_names(app)) == sorted([first, second])
        restored, still_deleted = shown_names(app)
        await pilot.press("D")  # the cursor's run
        await settle(pilot)
        assert not failures(app)
    names = set(frame_of(demo)["name"])
    assert len(names) == 9 and restored in names and still_deleted not in names


async def test_restore_on_a_run_not_deleted_lists_the_trash(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("D")
        await settle(pilot)
        assert any("Deleted runs are listed now" in n.message for n in app._notifications)
        assert len(frame_of(demo)) == 10


async def test_mlflow_store_refuses_every_edit_and_stays_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = unpack(tmp_path / "fx") / "filestore" / "mlruns"
    before = tree_snapshot(path.parent)
    app = demo_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("t", "N", "r", "d")
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen)  # no editor opened
        messages = failures(app)
        assert len(messages) == 4 and all("read-only" in m and "MLflow" in m for m in messages)
        assert messages[0].startswith("Editing tags failed")
    assert tree_snapshot(path.parent) == before


async def test_live_run_is_not_renamed_or_deleted_the_store_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real writer process keeps the run live while the app tries."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    root = tmp_path / "live"
    root.mkdir()
    with live_writer(root):
        app = demo_app(root)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            assert shown_names(app) == ["live-0"]
            await pilot.press("r", "ctrl+u", *"renamed", "enter")
            await settle(pilot)
            await pilot.press("d", "y")
            await settle(pilot)
            messages = failures(app)
            assert len(messages) == 2
            assert messages[0].startswith("Renaming a run failed") and "live" in messages[0]
            assert messages[1].startswith("Deleting runs failed") and "live" in messages[1]
            await pilot.press("t", *" seen=yes", "enter")  # tags are fine on a live run
            await settle(pilot)
        frame = frame_of(root)
        assert list(frame["name"]) == ["live-0"] and list(frame["tags.seen"]) == ["yes"]
