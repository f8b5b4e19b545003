"""Column picker: show, hide and reorder the runs table's columns."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from ..keymap import VIM_BINDINGS
from ..shaping.sanitize import printable

RESET = "reset"


class ColumnList(OptionList):
    """The picker's list: enter applies the picks (an OptionList's enter would select one row)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "screen.apply", "Apply", id="columns.list_apply", tooltip="Apply the picks and close"),
    ]


class ColumnsScreen(ModalScreen[list[tuple[str, bool]] | str | None]):
    """Returns every row as (column, shown) in the order left, `RESET` to go back to automatic
    columns, or None when cancelled. The caller saves only what differs from what it passed in."""

    DEFAULT_CSS = """
    ColumnsScreen { align: center middle; }
    ColumnsScreen > Vertical { width: 60; max-width: 95%; height: 80%; border: thick $primary; background: $surface; }
    ColumnsScreen #columns-help { height: auto; color: $text-muted; padding: 0 1; }
    ColumnsScreen OptionList { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_column", "Show/hide", id="columns.toggle", tooltip="Show or hide this column"),
        Binding("K,shift+up", "move(-1)", "Move up", show=False, id="columns.up", tooltip="Move this column left"),
        Binding(
            "J,shift+down", "move(1)", "Move down", show=False, id="columns.down", tooltip="Move this column right"
        ),
        # Not a priority binding: those run as a key arrives, so an enter typed right after
        # C (before this screen existed) would be lost. The list binds enter to apply too.
        Binding("enter", "apply", "Apply", id="columns.apply", tooltip="Apply the picks and close"),
        Binding("escape", "cancel", "Cancel", id="columns.cancel", tooltip="Close without changing the columns"),
        Binding("r", "reset", "Reset to automatic", id="columns.reset", tooltip="Back to the columns that vary"),
        # A modal screen does not see the app's bindings: the same vim motions, same ids.
        *VIM_BINDINGS,
    ]

    def __init__(self, shown: list[str], hidden: list[str], notes: dict[str, str] | None = None) -> None:
        """`notes` say why a column is where it is ("hidden by you", "same in every run")."""
        super().__init__()
        self.items: list[tuple[str, bool]] = [(c, True) for c in shown] + [(c, False) for c in hidden]
        self.notes = notes or {}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text(
                    "space show/hide · K/J move · enter apply · escape cancel\n"
                    "r reset to automatic: the columns that vary"
                ),
                id="columns-help",
            )
            yield ColumnList(*self._options(), id="column-list")
        yield Footer(compact=True)

    def _options(self) -> list[Option]:
        options = []
        for key, shown in self.items:
            text = Text(f"[{'x' if shown else ' '}] {printable(key)}")
            if key in self.notes:
                text.append(f"  {self.notes[key]}", style="dim")
            options.append(Option(text, id=key))
        return options

    def _redraw(self, highlight: int) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._options())
        options.highlighted = highlight

    def _highlighted(self) -> int | None:
        """The row under the cursor; the first one until the list has highlighted any (keys typed ahead)."""
        options = self.query_one(OptionList)
        if options.highlighted is None and options.option_count:
            options.highlighted = 0
        return options.highlighted

    def action_toggle_column(self) -> None:
        index = self._highlighted()
        if index is not None:
            key, shown = self.items[index]
            self.items[index] = (key, not shown)
            self._redraw(index)

    def action_move(self, delta: int) -> None:
        index = self._highlighted()
        if index is None:
            return
        target = index + delta
        if 0 <= target < len(self.items):
            self.items[index], self.items[target] = self.items[target], self.items[index]
            self._redraw(target)

    def action_apply(self) -> None:
        self.dismiss(list(self.items))

    def action_reset(self) -> None:
        self.dismiss(RESET)

    def action_cancel(self) -> None:
        self.dismiss(None)
