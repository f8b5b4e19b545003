"""Saved views, driven through the real app: the last view comes back after a restart, named views
are picked from V and the palette, "reset to automatic" always exists; the status hint."""

from __future__ import annotations

import json
from pathlib import Path

from tests.app_helpers import demo_app, move_to_column, screen_text, settle, shown_names, table_lines
from tests.mlflow_fixtures import tree_snapshot
from tui.screens.prompt import PickScreen
from tui.widgets.runs_table import RunsTable


def table(app) -> RunsTable:
    return app.runs_screen.query_one(RunsTable)


async def test_last_view_comes_back_after_a_restart(demo: Path, tmp_path: Path) -> None:
    """Two app sessions, one after the other: about 4 s."""
    before = {k for k in tree_snapshot(demo) if not k.startswith(".tracktui-index")}
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"train/loss < 1", "enter")
        move_to_column(app, "status")
        await pilot.press("o")
        move_to_column(app, "metrics.train/loss")
        await pilot.press("s", "s", "x", "m")
        await settle(pilot)
        expected = shown_names(app)
        assert expected[:2] == ["rf-broken", "rf-oom"]
    saved = json.loads((tmp_path / "config" / "tracktui" / "views.json").read_text())
    assert any("last_view" in v for v in saved.values() if isinstance(v, dict)), saved
    assert {k for k in tree_snapshot(demo) if not k.startswith(".tracktui-index")} == before  # never in the store

    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        view = table(app).view
        assert view.filter_text == "train/loss < 1"
        assert (view.sort_key, view.sort_descending) == ("metrics.train/loss", True)
        assert view.effective_group_keys == ("status",) and view.group_stat == "min"
        assert view.metric_stat == "min"
        assert shown_names(app) == expected
        assert "train/loss < 1" in screen_text(app)  # the filter line shows it too
        assert "groups (min" in screen_text(app)


async def test_named_view_picked_from_v_and_the_palette_and_reset_to_automatic(demo: Path) -> None:
    """Two app sessions (the second checks named views last): about 5 s."""
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        move_to_column(app, "experiment")
        await pilot.press("o", "slash", *"accuracy > 0.9", "enter", "S", *"good iris", "enter")
        await settle(pilot)
        await pilot.press("V")
        await pilot.pause()
        assert isinstance(app.screen, PickScreen)
        assert "reset to automatic" in screen_text(app) and "good iris" in screen_text(app)
        await pilot.press("enter")  # the first entry: automatic
        await settle(pilot)
        view = table(app).view
        assert view.filter_text == "" and view.grouped is None and len(shown_names(app)) == 10
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "View: good iris" in titles and "View: reset to automatic" in titles
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "View: good iris")
        command.callback()
        await settle(pilot)
        assert view.filter_text == "accuracy > 0.9" and view.effective_group_keys == ("experiment",)
        assert sorted(shown_names(app)) == ["rf-baseline", "rf-deep", "rf-shallow", "rf-wide"]

    app = demo_app("demo")  # named views last across restarts
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("V", "j", "enter")
        await settle(pilot)
        assert table(app).view.filter_text == "accuracy > 0.9"


async def test_status_equality_matching_nothing_shows_the_hint(demo: Path) -> None:
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"status = finised", "enter")
        await settle(pilot)
        lines = table_lines(app)
        assert "No runs match: no run has status 'finised' — did you mean finished?" in lines[1]
        await pilot.press("escape", "slash", *"status = deleted", "enter")
        await settle(pilot)
        assert "--deleted" in table_lines(app)[1]
