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

CELL_PADDING = 2
"""What DataTable adds around each column's content (one cell each side)."""


def fit_window(widths: list[int], room: int, first: int, anchor: int | None) -> tuple[int, int]:
    """Which runs to show: (first, count) of consecutive run columns whose `widths` (plus
    padding) fit in `room`, starting near `first` and always including `anchor` when given.
    At least one run is shown; a window that leaves room pulls earlier runs back in."""
    n = len(widths)
    if not n:
        return 0, 0
    first = max(0, min(first, n - 1))
    if anchor is not None:
        anchor = max(0, min(anchor, n - 1))
        first = min(first, anchor)

    def count_from(start: int) -> int:
        used, count = 0, 0
        for w in widths[start:]:
            if count and used + w + CELL_PADDING > room:
                break
            used += w + CELL_PADDING
            count += 1
        return count

    while anchor is not None and anchor >= first + count_from(first):
        first += 1
    count = count_from(first)
    while first > 0 and sum(widths[first - 1 : first + count]) + CELL_PADDING * (count + 1) <= room:
        first -= 1
        count += 1
    return first, count


class DiffTable(DataTable[Text]):
    """Column 0 is the field, column 1 the reference run; columns 2… a window of the other runs."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "left,h",
            "run_column(-1)",
            "Left",
            show=False,
            id="diff.left",
            tooltip="Previous column; past the first shown run, show the run before it",
        ),
        Binding(
            "right,l",
            "run_column(1)",
            "Right",
            show=False,
            id="diff.right",
            tooltip="Next column; past the last shown run, show the run after it",
        ),
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
