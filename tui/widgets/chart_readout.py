"""ChartReadout: the values at the cursor, one line per run, beside a pane's chart.

Every shown run gets its own line (colour swatch, name, value), the highlighted run first and
the rest best first (`tui.shaping.readout`), so a dozen runs can be compared without a legend
hunt. The box is as wide as the longest name and a `VALUE_WIDTH` value (at most `MAX_SHARE` of
the pane), whatever the values at the cursor: a width that followed them would resize the chart,
and redraw it, on every cursor step. It scrolls when the pane is too short for every run.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ..shaping.curves import MARKER, ChartData, format_x, marker_glyph
from ..shaping.formatting import format_number
from ..shaping.readout import ReadoutRow, readout_rows
from ..shaping.sanitize import cut

NAME_WIDTH = 16
MAX_SHARE = 0.5
"""The readout takes at most this share of the pane's width; names are cut to fit."""
VALUE_WIDTH = 9
"""Room kept for a value (`format_number` gives up to about ten characters); a longer value
shortens the names instead of being cut."""
FRAME = 2 + 3 + 1
"""Padding and scrollbar gutter, swatch, the space before the value."""


def readout_text(rows: list[ReadoutRow], at: str, name_width: int = NAME_WIDTH) -> Text:
    """`@ x` then one line per row: swatch, name (sanitized, cut to `name_width`), value
    (right-aligned, so magnitudes line up); a group's `[min–max]` on a line of its own below,
    so a narrow box never cuts it off."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"@ {at}", style="bold")
    width = min(name_width, max((len(row.label) for row in rows), default=1))
    values = ["—" if row.value is None else format_number(row.value) for row in rows]
    value_width = max((len(v) for v in values), default=1)
    for row, value in zip(rows, values):
        r, g, b = row.color
        glyph = "━" if row.marker == MARKER else marker_glyph(row.marker)
        text.append("\n")
        text.append(("▸" if row.highlighted else " ") + glyph + " ", style=f"rgb({r},{g},{b})")
        text.append(cut(row.label, width).ljust(width) + " ", style="bold" if row.highlighted else "")
        text.append(value.rjust(value_width))
        if row.value is not None and row.low is not None and row.high is not None:
            text.append(f"\n   [{format_number(row.low)}–{format_number(row.high)}]", style="dim")
    return text


class ChartReadout(VerticalScroll):
    """Shown while there is a cursor; `show` redraws it for the pane's data and view."""

    DEFAULT_CSS = """
    ChartReadout {
        width: auto;
        height: 1fr;
        padding: 0 0 0 1;
        background: $boost;
        scrollbar-size-vertical: 1;
        scrollbar-gutter: stable;
    }
    ChartReadout > Static {
        width: 1fr;
        height: auto;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.rows: list[ReadoutRow] = []
        """The rows shown, in order (for tests and curiosity)."""
        self._lines = 0

    def compose(self) -> ComposeResult:
        yield Static(Text(""))

    def show(
        self, data: ChartData, cursor: float, highlight: str | None, hidden: frozenset[str], pane_width: int
    ) -> None:
        self.rows = readout_rows(data, cursor, highlight, hidden)
        labels = max((len(c.label) for c in data.curves), default=1)
        width = min(max(12, int(pane_width * MAX_SHARE)), FRAME + min(NAME_WIDTH, labels) + VALUE_WIDTH)
        if self.styles.width is None or self.styles.width.value != width:
            self.styles.width = width
        values = max((len(format_number(r.value)) for r in self.rows if r.value is not None), default=1)
        name_width = max(1, width - FRAME - values)
        text = readout_text(self.rows, format_x(cursor, data.wall_clock), name_width)
        lines, self._lines = self._lines, len(text.plain.splitlines())
        self.query_one(Static).update(text, layout=lines != self._lines)  # a cursor step: no layout

    @property
    def text(self) -> str:
        """What the box says, as plain text (for tests and curiosity)."""
        content = self.query_one(Static).content
        return content.plain if isinstance(content, Text) else str(content)
