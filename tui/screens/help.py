"""Every key that works on the screen below, with what it does."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ..widgets.runs_table import RunsTable

NAVIGATION = [
    ("escape, ?", "close this help"),
    ("j / ↓, k / ↑", "move down / up"),
    ("g / home, G / end", "first / last"),
    ("pgup, pgdn", "page up / down"),
    ("ctrl+p", "command palette: every action by name"),
]
TABLE_NAVIGATION = [("h / ←, l / →", "column left / right")]
MOTIONS = {"Down", "Up", "Left", "Right", "Page down", "Page up", "Top", "Bottom"}


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 72; max-width: 95%; height: 85%; border: thick $primary;
                                  background: $surface; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close", tooltip="Close this help"),
    ]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, expand=True, padding=(0, 1))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        rows: dict[str, list[str]] = {}
        chain = self.under._binding_chain
        chain = sorted(chain, key=lambda item: (item[0] is not self.under, item[0] is self.app))
        for _, bindings_map in chain:
            for bindings in bindings_map.key_to_bindings.values():
                for binding in bindings:
                    if not binding.description or binding.description in MOTIONS or binding.id is None:
                        continue  # Textual's own (focus next, copy) carry no id
                    keys = rows.setdefault(binding.description, [])
                    shown = self.app.get_key_display(binding)
                    if shown not in keys:
                        keys.append(shown)
        for description, keys in rows.items():
            table.add_row(Text(", ".join(keys)), Text(description))
        table.add_row()
        extra = TABLE_NAVIGATION if self.under.query(RunsTable) else []
        for key, what in [*NAVIGATION, *extra]:
            table.add_row(Text(key), Text(what))
        with VerticalScroll():
            yield Static(Text("Keys", style="bold underline"))
            yield Static(table)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)

