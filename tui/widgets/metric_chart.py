"""MetricChart: one metric's history for several runs: a title, the chart and, while there is
a cursor, the readout beside it (one line per run).

The chart only draws what it is handed: curves already smoothed and downsampled to about
twice its width by a worker, drawn in braille by `BrailleChart`. Gaps (NaN) split a curve.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from tui.shaping.curves import RGB, ChartData
from tui.shaping.sanitize import printable_line
from tui.widgets.braille_chart import BrailleChart
from tui.widgets.chart_readout import ChartReadout


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
        text-wrap: nowrap;
        text-overflow: ellipsis;
        color: $foreground;
        background: $boost;
        text-style: bold;
    }
    MetricChart > .metric-chart--body {
        height: 1fr;
    }
    MetricChart BrailleChart {
        width: 1fr;
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
        with Horizontal(classes="metric-chart--body"):
            yield BrailleChart()
            yield ChartReadout(classes="metric-chart--readout")

    def on_mount(self) -> None:
        self.query_one(ChartReadout).display = False

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
            title.append(f"  {sum(counts):,} point{'s' if sum(counts) != 1 else ''}", style="dim")
        if data.note:
            title.append(f"  {printable_line(data.note)}", style="dim")
        if data.log_y:
            title.append("  log")
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
        """Each shown run's label and value at the cursor (None where it has no point there),
        in the readout's order; empty without a cursor."""
        if self.data is None or self.cursor is None:
            return []
        return [(row.label, row.value) for row in self.query_one(ChartReadout).rows]

    def _replot(self) -> None:
        assert self.data is not None
        self._update_readout()
        self.plot.show(self.data, self.cursor, self.highlight, self.hidden, self.cursor_color)

    def on_resize(self, event: events.Resize) -> None:
        """The readout's width follows the pane's: sized during a layout that briefly had a
        scrollbar, it kept that width (one column off, in a full CI run's snapshot)."""
        if self.cursor is not None and self.data is not None:
            self._update_readout()

    def _update_readout(self) -> None:
        box = self.query_one(ChartReadout)
        box.display = self.cursor is not None and self.data is not None
        if self.cursor is not None and self.data is not None:
            box.show(self.data, self.cursor, self.highlight, self.hidden, self.size.width or 80)
