"""MetricChart: one metric's history for several runs, drawn in the terminal with plotext.

The chart only draws what it is handed: curves already smoothed and downsampled to about
twice its width by a worker (plotext rebuilds its picture from every point on each
render). Gaps (NaN) split a curve into segments, because plotext cannot draw NaN.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from tui.shaping.curves import MARKER, POINT_MARKER, ChartData
from tui.shaping.downsample import split_segments
from tui.shaping.sanitize import printable_line


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
    MetricChart > PlotextPlot {
        height: 1fr;
    }
    """

    def __init__(self, metric: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.metric = metric
        self.data: ChartData | None = None
        self.segments_drawn = 0
        """How many line segments the last draw handed to plotext (for tests and curiosity)."""

    def compose(self) -> ComposeResult:
        yield Static(self._title(), classes="metric-chart--title")
        yield PlotextPlot()

    def _title(self) -> Text:
        """The metric's name as the pane's title; `printable_line`, as it comes from the store."""
        return Text(printable_line(self.metric))

    @property
    def plot(self) -> PlotextPlot:
        return self.query_one(PlotextPlot)

    def draw(self, data: ChartData) -> None:
        """Replace what the chart shows; call inside `app.batch_update()` when drawing several."""
        self.data = data
        title = self._title()
        counts = [c.points for c in data.curves]
        if not data.curves:
            title.append("  no points", style="dim")
        else:
            title.append(f"  {sum(counts):,} points", style="dim")
        if data.note:
            title.append(f"  {printable_line(data.note)}", style="dim")
        self.query_one(".metric-chart--title", Static).update(title)

        self.segments_drawn = plot_chart(self.plot.plt, data)
        self.plot.refresh()


def plot_chart(plt: Plot, data: ChartData) -> int:
    """Put `data` on a plotext figure (cleared first); returns how many line segments it drew.

    Raw curves go first so the smoothed ones are drawn over them.
    """
    plt.clear_data()
    plt.clear_figure()
    plt.xscale("linear")
    plt.yscale("log" if data.log_y else "linear")
    plt.xlabel(data.x_label)
    if data.xticks is not None:
        plt.xticks(data.xticks[0], data.xticks[1])
    if data.yticks is not None:
        plt.yticks(data.yticks[0], data.yticks[1])
    drawn = 0
    for curve in data.curves:
        if curve.raw_x is not None and curve.raw_y is not None and curve.faint is not None:
            for xs, ys in split_segments(curve.raw_x, curve.raw_y):
                plt.plot(xs.tolist(), ys.tolist(), color=curve.faint, marker=MARKER)
                drawn += 1
    for curve in data.curves:
        point = POINT_MARKER if curve.marker == MARKER else curve.marker
        for xs, ys in split_segments(curve.x, curve.y):
            if xs.size == 1:
                plt.scatter(xs.tolist(), ys.tolist(), color=curve.color, marker=point)
            else:
                plt.plot(xs.tolist(), ys.tolist(), color=curve.color, marker=curve.marker)
            drawn += 1
    return drawn
