"""DiffTable: the diff's DataTable, which scrolls by whole run columns instead of by cells.

The screen shows only the runs that fit beside the fixed field and reference columns and says
how many are hidden on each side. Moving past the first or last shown run asks the screen (with `Shift`)
to slide that window by one run; the cursor stays on the edge column, now showing the next run.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable


class DiffTable(DataTable[Text]):
    """Column 0 is the field, column 1 the reference run; columns 2… a window of the other runs."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "run_column(-1)", "Left", show=False, id="diff.left",
                tooltip="Previous column; past the first shown run, show the run before it"),
        Binding("right,l", "run_column(1)", "Right", show=False, id="diff.right",
                tooltip="Next column; past the last shown run, show the run after it"),
    ]

    class Shift(Message):
        """Slide the shown runs by `step` (-1 or +1): the cursor hit an edge with runs hidden beyond it."""

        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, fixed_columns=1, zebra_stripes=False, cursor_type="cell")
        self.hidden_left = 0
        self.hidden_right = 0

    def action_run_column(self, step: int) -> None:
        column = self.cursor_coordinate.column
        last = len(self.columns) - 1
        if step < 0 and column == 2 and self.hidden_left:
            self.post_message(self.Shift(-1))
        elif step > 0 and column == last and self.hidden_right:
            self.post_message(self.Shift(1))
        elif 0 <= column + step <= last:
            self.move_cursor(column=column + step, animate=False)
