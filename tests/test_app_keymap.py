"""The user's keymap file through the real app, and the bindings it can name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.app_helpers import demo_app, screen_text, settle
from tui.app import TrackApp
from tui.screens.charts import ChartsScreen
from tui.screens.columns import ColumnList, ColumnsScreen
from tui.screens.runs import RunsScreen
from tui.widgets.runs_table import RunsTable


def write_keymap(root: Path, text: str) -> None:
    path = root / "config" / "tracktui" / "keymap.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def table(app) -> RunsTable:
    return app.screen_stack[1].query_one(RunsTable)


async def test_keymap_moves_plot_from_p_to_capital_p(demo: Path, tmp_path: Path) -> None:
    write_keymap(tmp_path, "runs.charts: P\n")
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "P Plot" in screen_text(app) and "p Plot" not in screen_text(app)  # the footer follows
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen)
        await pilot.press("question_mark")
        await settle(pilot)
        assert re.search(r"\bP\s+Plot\s+runs\.charts\b", screen_text(app))  # help names the id to remap
        await pilot.press("escape", "P")
        await settle(pilot)
        assert isinstance(app.screen, ChartsScreen)


async def test_one_vim_entry_remaps_the_table_and_the_column_picker(demo: Path, tmp_path: Path) -> None:
    write_keymap(tmp_path, "vim.down: n\nvim.up: [b]\n")
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n", "n", "b", "j")
        await settle(pilot)
        assert table(app).cursor_row == 1  # j no longer moves: it was remapped to n
        await pilot.press("C", "n", "n")
        await settle(pilot)
        assert isinstance(app.screen, ColumnsScreen)
        assert app.screen.query_one(ColumnList).highlighted == 2
        await pilot.press("escape", "question_mark")
        await settle(pilot)
        text = screen_text(app)
        assert "↓ / n, ↑ / b" in text and "move down / up" in text  # help shows the keys as remapped


@pytest.mark.parametrize("text", ["runs.charts: [P\n", "- not a mapping\n", "runs.charts: 3\n"])
async def test_broken_keymap_is_one_line_and_the_app_starts(demo: Path, tmp_path: Path, text: str) -> None:
    write_keymap(tmp_path, text)
    app = demo_app("demo")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        warnings = [n for n in app._notifications if n.title == "Keymap ignored"]
        assert len(warnings) == 1 and "keymap.yaml" in warnings[0].message and "\n" not in warnings[0].message
        assert not warnings[0].markup
        assert "rf-oom" in screen_text(app)
        await pilot.press("p")  # the default keys still work
        await settle(pilot)
        assert isinstance(app.screen, ChartsScreen)


def binding_owners() -> list[type]:
    """The app and every screen and widget class of tracktui."""
    import importlib
    import inspect
    import pkgutil

    from textual.dom import DOMNode

    import tui.screens
    import tui.widgets

    owners: list[type] = [TrackApp]
    for package in (tui.screens, tui.widgets):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            owners += [
                cls
                for _, cls in inspect.getmembers(module, inspect.isclass)
                if cls.__module__ == module.__name__ and issubclass(cls, DOMNode)
            ]
    return owners


@pytest.mark.parametrize("owner", binding_owners(), ids=lambda owner: owner.__name__)
def test_every_binding_has_an_id_and_every_shown_one_a_tooltip(owner: type) -> None:
    for binding in owner.__dict__.get("BINDINGS", []):
        assert binding.id, f"{owner.__name__}: {binding.key} has no id"
        assert not binding.show or not binding.description or binding.tooltip, (
            f"{owner.__name__}: {binding.id} is shown without a tooltip"
        )


async def test_a_typo_in_a_keymap_id_is_named_with_the_closest_id(demo: Path, tmp_path: Path) -> None:
    write_keymap(tmp_path, "runs.chartz: P\nvim.down: n\n")
    app = demo_app("demo")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        warnings = [n.message for n in app._notifications if n.title.startswith("Keymap")]
        assert len(warnings) == 1 and "\n" not in warnings[0]
        assert "'runs.chartz'" in warnings[0] and "did you mean 'runs.charts'" in warnings[0]
        await pilot.press("n")  # the entry that is right still applies
        await settle(pilot)
        assert table(app).cursor_row == 1
