"""MetricChart: one metric's history for several runs: a title, the cursor readout, the chart.

The chart only draws what it is handed: curves already smoothed and downsampled to about
twice its width by a worker, drawn in braille by `BrailleChart`. Gaps (NaN) split a curve.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui.shaping.curves import MARKER, RGB, ChartData, format_x, marker_glyph, value_at
from tui.shaping.formatting import format_number
from tui.shaping.sanitize import cut, printable_line
from tui.widgets.braille_chart import BrailleChart


class MetricChart(Vertical):
    """A titled plotext pane for one metric."""

    DEFAULT_CSS = """
    MetricChart {
        height: 1fr;
        min-height: 8;
    }
    MetricChart > .metric-chart--title {
        height: 1;
        padding: 0 1;
        color: $foreground;
        background: $boost;
        text-style: bold;
    }
    MetricChart > .metric-chart--readout {
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    MetricChart > BrailleChart {
        height: 1fr;
    }
    """

    def __init__(self, metric: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.metric = metric
        self.data: ChartData | None = None
        self.cursor: float | None = None
        """The x of the vertical cursor (in the axis' drawn units), shared by every pane."""
        self.highlight: str | None = None
        """A run id drawn on top in full colour while the others are dimmed."""
        self.hidden: frozenset[str] = frozenset()
        """Run ids not drawn."""
        self.cursor_color: RGB | None = None
        """The cursor line's colour (the theme's foreground), set by the screen."""

    def compose(self) -> ComposeResult:
        yield Static(self._title(), classes="metric-chart--title")
        yield Static(Text(""), classes="metric-chart--readout")
        yield BrailleChart()

    def on_mount(self) -> None:
        self.query_one(".metric-chart--readout").display = False

    def _title(self) -> Text:
        """The metric's name as the pane's title; `printable_line`, as it comes from the store."""
        return Text(printable_line(self.metric))

    @property
    def segments_drawn(self) -> int:
        """How many line segments the last drawing drew (for tests and curiosity)."""
        return self.plot.segments_drawn

    @property
    def plot(self) -> BrailleChart:
        return self.query_one(BrailleChart)

    def draw(self, data: ChartData) -> None:
        """Replace what the chart shows; call inside `app.batch_update()` when drawing several."""
        self.data = data
        title = Text(printable_line(data.title)) if data.title else self._title()
        counts = [c.points for c in data.curves]
        if not data.curves:
            title.append("  no points", style="dim")
        else:
            title.append(f"  {sum(counts):,} points", style="dim")
        if data.note:
            title.append(f"  {printable_line(data.note)}", style="dim")
        if data.x_label != "step":
            title.append(f"  x: {printable_line(data.x_label)}", style="dim")
        self.query_one(".metric-chart--title", Static).update(title)
        self._replot()

    def show(self, cursor: float | None, highlight: str | None, hidden: frozenset[str]) -> None:
        """Move the cursor, highlight a run or hide some, without rebuilding the curves."""
        if (cursor, highlight, hidden) == (self.cursor, self.highlight, self.hidden):
            return
        self.cursor, self.highlight, self.hidden = cursor, highlight, hidden
        if self.data is not None:
            self._replot()

    def readout(self) -> list[tuple[str, float | None]]:
        """Each shown run's label and value at the cursor (None where it has no point there)."""
        if self.data is None or self.cursor is None:
            return []
        return [(c.label, value_at(c.full_x, c.full_y, self.cursor) if c.full_x is not None and c.full_y is not None
                 else None) for c in self.data.curves if c.run_id not in self.hidden]

    def _replot(self) -> None:
        assert self.data is not None
        self.plot.show(self.data, self.cursor, self.highlight, self.hidden, self.cursor_color)
        self._update_readout()

    def _update_readout(self) -> None:
        line = self.query_one(".metric-chart--readout", Static)
        line.display = self.cursor is not None and self.data is not None
        if self.cursor is None or self.data is None:
            return
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"@ {format_x(self.cursor, self.data.wall_clock)}", style="bold")
        for curve in self.data.curves:
            if curve.run_id in self.hidden:
                continue
            value = (value_at(curve.full_x, curve.full_y, self.cursor)
                     if curve.full_x is not None and curve.full_y is not None else None)
            r, g, b = curve.color
            glyph = "━" if curve.marker == MARKER else marker_glyph(curve.marker)
            text.append(f"  {glyph} ", style=f"rgb({r},{g},{b})")
            text.append(f"{cut(curve.label, 12)} ", style="bold" if curve.run_id == self.highlight else "")
            text.append("—" if value is None else format_number(value))
            if value is not None and curve.band_low is not None and curve.band_high is not None:
                low = value_at(curve.x, curve.band_low, self.cursor)
                high = value_at(curve.x, curve.band_high, self.cursor)
                if low is not None and high is not None:
                    text.append(f" [{format_number(low)}–{format_number(high)}]", style="dim")
        line.update(text)
