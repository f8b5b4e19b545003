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

from tui.shaping.curves import MARKER, POINT_MARKER, RGB, ChartData, marker_glyph, value_at
from tui.shaping.downsample import split_segments
from tui.shaping.formatting import format_number
from tui.shaping.sanitize import cut, printable_line


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
    MetricChart > PlotextPlot {
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
        self.segments_drawn = 0
        """How many line segments the last draw handed to plotext (for tests and curiosity)."""

    def compose(self) -> ComposeResult:
        yield Static(self._title(), classes="metric-chart--title")
        yield Static(Text(""), classes="metric-chart--readout")
        yield PlotextPlot()

    def on_mount(self) -> None:
        self.query_one(".metric-chart--readout").display = False

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
        self.segments_drawn = plot_chart(self.plot.plt, self.data, self.cursor, self.highlight, self.hidden,
                                         self.cursor_color)
        self._update_readout()
        self.plot.refresh()

    def _update_readout(self) -> None:
        line = self.query_one(".metric-chart--readout", Static)
        line.display = self.cursor is not None and self.data is not None
        if self.cursor is None or self.data is None:
            return
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"@ {format_number(self.cursor)}", style="bold")
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
        line.update(text)


def plot_chart(plt: Plot, data: ChartData, cursor: float | None = None, highlight: str | None = None,
               hidden: frozenset[str] = frozenset(), cursor_color: RGB | None = None) -> int:
    """Put `data` on a plotext figure (cleared first); returns how many line segments it drew.

    Raw curves go first so the smoothed ones are drawn over them; with a `highlight`, the other
    runs are drawn in their faint colour first and the highlighted one last. Runs in `hidden`
    are left out. `cursor` draws a vertical line at that x.
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
    if data.xlim is not None:
        plt.xlim(*data.xlim)
    if data.ylim is not None:
        plt.ylim(*data.ylim)
    curves = [c for c in data.curves if c.run_id not in hidden]
    if highlight is not None:
        curves.sort(key=lambda c: c.run_id == highlight)
    drawn = 0
    for curve in curves:
        if curve.raw_x is not None and curve.raw_y is not None and curve.faint is not None and highlight is None:
            for xs, ys in split_segments(curve.raw_x, curve.raw_y):
                plt.plot(xs.tolist(), ys.tolist(), color=curve.faint, marker=MARKER)
                drawn += 1
    for curve in curves:
        point = POINT_MARKER if curve.marker == MARKER else curve.marker
        dimmed = highlight is not None and curve.run_id != highlight and curve.faint is not None
        color = curve.faint if dimmed else curve.color
        for xs, ys in split_segments(curve.x, curve.y):
            if xs.size == 1:
                plt.scatter(xs.tolist(), ys.tolist(), color=color, marker=point)
            else:
                plt.plot(xs.tolist(), ys.tolist(), color=color, marker=curve.marker)
            drawn += 1
    if cursor is not None:
        plt.vline(cursor, color=cursor_color)
    return drawn
