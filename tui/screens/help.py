"""Every key that works on the screen below, with what it does, and what the mouse does there."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ..keymap import keymap_path

NAVIGATION = [
    ("escape, ?", "close this help"),
    ("ctrl+p", "command palette: every action by name"),
]
MOTION_ROWS = [
    (("Down", "Up"), "move down / up"),
    (("Top", "Bottom"), "first / last"),
    (("Page down", "Page up"), "page down / up"),
    (("Left", "Right"), "column left / right"),
]
"""Motions are listed in pairs, with the keys they are bound to now (the user's keymap included)."""
MOTIONS = {name for pair, _ in MOTION_ROWS for name in pair}
MOUSE = {
    "RunsScreen": [
        ("click a row", "move the cursor to that run"),
        ("double-click a row", "open it (a group row: fold or unfold)"),
        ("click a header", "sort by that column; again: reverse"),
    ],
    "ChartsScreen": [
        ("click in a chart", "move the chart cursor there"),
        ("wheel over a chart", "zoom x at the pointer (up: in); y refits, as z"),
        ("click a legend entry", "highlight that run; again: none"),
    ],
}
"""What a click or the wheel does on a screen (by its class name): handled in its widgets, no binding lists it."""


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90; max-width: 95%; height: 85%; border: thick $primary;
                                  background: $surface; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close", tooltip="Close this help"),
    ]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        """Keys, what they do, and the binding id a keymap file names to move them. The rules that
        hold everywhere come first, in a table of their own: sharing the ids' column broke them over
        two lines at 80 columns."""
        rules: list[tuple[str, str]] = list(NAVIGATION)  # with the motions: they hold on every screen
        back, quit_ = self._keys_of("screen.back"), self._keys_of("app.quit")
        if back and quit_:  # the one rule for leaving, on every screen (visidata's q; lazygit's is a keymap line)
            rules.append((f"{back} / {quit_}", "back a screen (runs table: quit) / quit"))
        rows: dict[str, list[str]] = {}
        ids: dict[str, str] = {}
        motions: dict[str, list[str]] = {}
        chain = self.under._binding_chain
        chain = sorted(chain, key=lambda item: (item[0] is not self.under, item[0] is self.app))
        for _, bindings_map in chain:
            for bindings in bindings_map.key_to_bindings.values():
                for binding in bindings:
                    if binding.description in MOTIONS:
                        keys = motions.setdefault(binding.description, [])
                    elif binding.description and binding.id is not None:  # Textual's own (focus next, copy) carry no id
                        keys = rows.setdefault(binding.description, [])
                        ids.setdefault(binding.description, binding.id)  # the nearest one wins, as it does for keys
                    else:
                        continue
                    shown = self.app.get_key_display(binding)
                    if shown not in keys:
                        keys.append(shown)
        for (first, second), what in MOTION_ROWS:
            if first in motions and second in motions:
                rules.append((f"{' / '.join(motions[first])}, {' / '.join(motions[second])}", what))
        declared: dict[str, int] = {}  # a remapped key is bound last; list keys in the order the screen declares them
        for node, _ in chain:
            for binding in getattr(type(node), "BINDINGS", []):
                if isinstance(binding, Binding) and binding.id:
                    declared.setdefault(binding.id, len(declared))
        listed = [
            (", ".join(keys), description, ids[description])
            for description, keys in sorted(rows.items(), key=lambda item: declared.get(ids[item[0]], len(declared)))
        ]
        key_width = max(Text(row[0]).cell_len for row in [*rules, *listed])
        top, table = _keys_table(key_width), _keys_table(key_width)
        table.add_column(style="dim", no_wrap=True)
        for key, what in rules:
            top.add_row(Text(key), Text(what))
        for key, what, binding_id in listed:
            table.add_row(Text(key), Text(what), Text(binding_id))
        note = Text(f"\nOther keys: map binding ids (right) to keys in {keymap_path()}, like\n", style="dim")
        note.append("  runs.charts: P\n  vim.down: j,n", style="dim")
        with VerticalScroll():
            yield Static(Text("Keys", style="bold underline"))
            yield Static(top)
            yield Static(Text(""))
            yield Static(table)
            yield from _mouse_section(type(self.under).__name__)
            yield Static(note)

    def _keys_of(self, binding_id: str) -> str:
        """The keys the app's binding `binding_id` has now, the user's keymap included."""
        return ", ".join(
            self.app.get_key_display(b)
            for bindings in self.app._bindings.key_to_bindings.values()
            for b in bindings
            if b.id == binding_id
        )

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


def _keys_table(key_width: int) -> Table:
    """A table of keys and what they do; the keys' column as wide in every such table, so they line up."""
    table = Table(box=None, show_header=False, expand=True, padding=(0, 1))
    table.add_column(style="bold", no_wrap=True, width=key_width)
    table.add_column(ratio=1)
    return table


def _mouse_section(screen: str) -> list[Static]:
    """What the mouse does on `screen` (a class name), in a table of its own; none for a screen without."""
    mouse = MOUSE.get(screen, [])
    if not mouse:
        return []
    clicks = _keys_table(max(Text(where).cell_len for where, _ in mouse))
    for where, what in mouse:
        clicks.add_row(Text(where), Text(what))
    return [Static(Text("\nMouse", style="bold underline")), Static(clicks)]
