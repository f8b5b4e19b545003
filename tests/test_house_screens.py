"""The screens' floor plan, checked on the classes themselves: a screen holds small parts (one per
family of keys) rather than inheriting a chain of mixins, and the messages name no widget type.

Every screen module is found by walking `tui/screens`, so a screen added later is covered too.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

from textual.screen import Screen
from textual.widget import Widget

import tui.screens
from tui.messages import ForwardsWorkerFailures

REPO = Path(__file__).resolve().parents[1]


def screen_classes() -> list[type[Screen[object]]]:
    found: list[type[Screen[object]]] = []
    for info in pkgutil.iter_modules(tui.screens.__path__):
        module = importlib.import_module(f"tui.screens.{info.name}")
        found += [
            obj
            for obj in vars(module).values()
            if inspect.isclass(obj) and issubclass(obj, Screen) and obj.__module__ == module.__name__
        ]
    return found


def test_no_screen_is_spread_over_mixins() -> None:
    """A screen's classes of our own are itself and `ForwardsWorkerFailures`; its keys' code lives in
    parts it holds. Failed before: RunsScreen inherited six mixins (runs_*.py), ChartsScreen
    ChartViewActions and DetailScreen RunModelsActions."""
    screens = screen_classes()
    assert {"RunsScreen", "ChartsScreen", "DetailScreen"} <= {s.__name__ for s in screens}
    mixed = {
        screen.__name__: [
            c.__name__
            for c in screen.__mro__[1:]
            if c.__module__.startswith("tui.") and c is not ForwardsWorkerFailures
        ]
        for screen in screens
    }
    assert {name: bases for name, bases in mixed.items() if bases} == {}


def test_messages_name_no_widget_type() -> None:
    """Messages carry data; a message naming a widget class ties the messages module to the widgets.
    Failed before: four text-viewer messages were typed with `LazyText`."""
    tree = ast.parse((REPO / "tui" / "messages.py").read_text())
    named: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and (node.module or "").startswith("widgets"):
            module = importlib.import_module(f"tui.{node.module}")
            named += [
                f"{node.module}.{alias.name}"
                for alias in node.names
                if inspect.isclass(cls := getattr(module, alias.name)) and issubclass(cls, Widget)
            ]
    assert named == []
