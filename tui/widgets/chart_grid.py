"""ChartGrid: one `MetricChart` pane per metric, in a grid that fits the area it is given.

The grid picks its columns and rows from its size (80x24 holds one pane, 160x48 a 2x2 grid)
unless the screen sets `shape`; rows share the height and extra rows scroll. One pane can
fill the whole grid (`maximized`). The cursor, the highlighted run and hidden runs are shown
by every pane at once, so they stay in step.
"""

from __future__ import annotations

from textual.containers import VerticalScroll

from ..shaping.curves import RGB, ChartData
from .metric_chart import MetricChart

MIN_PANE_HEIGHT = 8
MAX_GRID = 4
"""At most this many pane columns or rows."""


def auto_grid(width: int, height: int) -> tuple[int, int]:
    """Pane columns and rows that suit a chart area of `width` x `height` cells: 80x24 gets one
    pane, 160x48 a 2x3 grid; a pane stays at least ~60 columns wide and `MIN_PANE_HEIGHT`+4 tall."""
    cols = max(1, min(MAX_GRID, width // 60))
    rows = max(1, min(MAX_GRID, height // (MIN_PANE_HEIGHT + 4)))
    return cols, rows


def grid_shape(panes: int, columns: int, rows: int) -> tuple[int, int]:
    """The grid actually used for `panes` panes with room for `columns` x `rows`: no empty
    column, and no more rows than the panes fill (the rest scroll)."""
    if panes <= 0:
        return 1, 1
    cols = max(1, min(columns, panes))
    return cols, max(1, min(rows, -(-panes // cols)))


class ChartGrid(VerticalScroll):
    """Panes keyed by metric, in the order the metrics were picked."""

    DEFAULT_CSS = """
    ChartGrid {
        height: 1fr;
        layout: grid;
        grid-size: 1;
        grid-gutter: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.panes: dict[str, MetricChart] = {}
        self.shape: tuple[int, int] | None = None
        """Columns and rows the user chose; None: fitted to the size."""
        self.maximized: str | None = None
        """The metric whose pane fills the grid, if any."""
        self.size_hint: tuple[int, int] = (80, 20)
        """The area's size before the grid has been laid out."""

    async def sync(self, metrics: list[str]) -> None:
        """Add and remove panes so there is one per metric, in `metrics`' order."""
        for metric in [m for m in self.panes if m not in metrics]:
            await self.panes.pop(metric).remove()
        previous: MetricChart | None = None
        for metric in metrics:
            pane = self.panes.get(metric)
            if pane is None:
                pane = MetricChart(metric)
                self.panes[metric] = pane
                if previous is None:
                    first = next(iter(self.children), None)
                    await (self.mount(pane, before=first) if first is not None else self.mount(pane))
                else:
                    await self.mount(pane, after=previous)
            previous = pane
        if self.maximized not in self.panes:
            self.maximized = None
        self.lay_out()

    def auto_shape(self) -> tuple[int, int]:
        width, height = self.size.width or self.size_hint[0], self.size.height or self.size_hint[1]
        return auto_grid(width, height)

    def in_use(self) -> tuple[int, int]:
        """The (columns, rows) the panes are laid out in now."""
        if self.maximized is not None:
            return 1, 1
        cols, rows = self.shape or self.auto_shape()
        return grid_shape(len(self.panes), cols, rows)

    def lay_out(self) -> None:
        """Rows share the height; a maximised pane is the only one shown."""
        cols, rows = self.in_use()
        for metric, pane in self.panes.items():
            pane.display = self.maximized is None or metric == self.maximized
        height = self.size.height or self.size_hint[1]
        self.styles.grid_size_columns = cols
        self.styles.grid_rows = str(max(MIN_PANE_HEIGHT, height // rows))

    def cycle_shape(self, columns: bool, rows: bool) -> tuple[int, int]:
        """Step the columns (or rows) 1 → 2 → 3 → 4 → 1 from the grid in use; leaves a maximised pane."""
        cols, rows_now = self.shape or self.auto_shape()
        self.shape = (cols % MAX_GRID + 1 if columns else cols, rows_now % MAX_GRID + 1 if rows else rows_now)
        self.maximized = None
        self.lay_out()
        return self.shape

    def toggle_maximized(self, metric: str | None) -> None:
        """Maximise `metric`'s pane (the first pane when it has none), or restore the grid."""
        if self.maximized is not None:
            self.maximized = None
        else:
            self.maximized = metric if metric in self.panes else next(iter(self.panes), None)
        self.lay_out()

    def on_resize(self) -> None:
        self.lay_out()

    def pane_width(self) -> int:
        """About how wide each pane is: what the curves are downsampled to."""
        return (self.size.width or self.size_hint[0]) // self.in_use()[0]

    def draw(self, charts: list[ChartData]) -> None:
        for chart in charts:
            pane = self.panes.get(chart.metric)
            if pane is not None:
                pane.draw(chart)

    def show(self, cursor: float | None, highlight: str | None, hidden: frozenset[str],
             cursor_color: RGB | None) -> None:
        """The cursor, highlight and hidden runs, in every pane."""
        for pane in self.panes.values():
            pane.cursor_color = cursor_color
            pane.show(cursor, highlight, hidden)

    def shown_data(self) -> list[ChartData]:
        return [p.data for p in self.panes.values() if p.display and p.data is not None]
