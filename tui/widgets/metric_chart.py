"""MetricChart: one metric's history for several runs, drawn in the terminal with plotext.

The chart only draws what it is handed: curves already smoothed and downsampled to about
twice its width by a worker (plotext rebuilds its picture from every point on each
render). Gaps (NaN) split a curve into segments, because plotext cannot draw NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from tui.shaping.downsample import split_segments
from tui.shaping.formatting import printable

RGB = tuple[int, int, int]
FloatArray = npt.NDArray[np.float64]
MARKER = "braille"
"""Braille dots give 2x4 points per cell, which is why curves are cut to about twice the width."""
POINT_MARKER = "hd"
"""A lone point (a one-point history, or one between two gaps) as a visible block, not one dot."""
DISTINCT_MARKERS: tuple[str, ...] = (MARKER, "dot", "x", "+", "o", "*", "#", "at")
"""One plotext marker per run when colour cannot tell the runs apart (`NO_COLOR`)."""
_MARKER_GLYPHS = {MARKER: "⣀", "dot": "•", "at": "@"}


def marker_glyph(marker: str) -> str:
    """The character a plotext marker draws, for the legend."""
    return _MARKER_GLYPHS.get(marker, marker)


@dataclass
class Curve:
    """One run's line in a chart; `raw_*` is the unsmoothed curve drawn faintly behind it."""

    run_id: str
    label: str
    color: RGB
    x: FloatArray
    y: FloatArray
    points: int
    """How many points the run logged for this metric (before downsampling)."""
    faint: RGB | None = None
    raw_x: FloatArray | None = None
    raw_y: FloatArray | None = None
    marker: str = MARKER


@dataclass
class ChartData:
    metric: str
    curves: list[Curve]
    x_label: str
    log_y: bool = False
    xticks: tuple[list[float], list[str]] | None = None
    yticks: tuple[list[float], list[str]] | None = None
    note: str = ""


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
        """The metric's name as the pane's title; `printable`, as it comes from the store."""
        return Text(printable(self.metric))

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
            title.append(f"  {printable(data.note)}", style="dim")
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
