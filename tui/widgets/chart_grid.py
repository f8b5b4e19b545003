"""ChartGrid: one `MetricChart` pane per metric, in a grid that fits the area it is given.

The grid picks its columns and rows from its size (80x24 holds one pane, 160x48 a 2x2 grid)
unless the screen sets `shape`; rows share the height. Panes that do not fit are on further
pages (`turn_page`), and `page_label` says which are shown (`[1-2 of 6]`): a chosen chart is
never out of sight without the screen saying so. One pane can fill the whole grid
(`maximized`). The cursor, the highlighted run and hidden runs are shown by every pane at
once, so they stay in step.
"""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.message import Message

from ..shaping.curves import RGB, ChartData
from .metric_chart import MetricChart

MIN_PANE_HEIGHT = 8
MAX_GRID = 4
"""At most this many pane columns or rows."""


def auto_grid(width: int, height: int, min_pane: tuple[int, int] = (60, MIN_PANE_HEIGHT + 4)) -> tuple[int, int]:
    """Pane columns and rows that suit a chart area of `width` x `height` cells: 80x24 gets one
    pane, 160x48 a 2x3 grid; a pane stays at least `min_pane` (columns, rows) big."""
    cols = max(1, min(MAX_GRID, width // min_pane[0]))
    rows = max(1, min(MAX_GRID, height // min_pane[1]))
    return cols, rows


def grid_shape(panes: int, columns: int, rows: int) -> tuple[int, int]:
    """The grid actually used for `panes` panes with room for `columns` x `rows`: no empty
    column, and no more rows than the panes fill (the rest are on other pages)."""
    if panes <= 0:
        return 1, 1
    cols = max(1, min(columns, panes))
    return cols, max(1, min(rows, -(-panes // cols)))


def page_span(count: int, per_page: int, page: int) -> tuple[int, int]:
    """The panes on `page` (clamped to the pages there are) as a `range`'s (start, stop)."""
    per_page = max(1, per_page)
    last_page = max(0, -(-count // per_page) - 1)
    start = min(max(0, page), last_page) * per_page
    return start, min(count, start + per_page)


def page_label(start: int, stop: int, count: int) -> str:
    """`[1-2 of 6]` (counted from 1) when some panes are on other pages; "" when all are shown."""
    if count <= 0 or (start == 0 and stop >= count):
        return ""
    return f"[{start + 1} of {count}]" if stop - start == 1 else f"[{start + 1}-{stop} of {count}]"


class ChartGrid(VerticalScroll):
    """Panes keyed by metric, in the order the metrics were picked, a page at a time."""

    class Paged(Message):
        """The panes shown changed (a page turned, the grid or its size changed): titles say `label`."""

        def __init__(self, grid: ChartGrid, label: str) -> None:
            super().__init__()
            self.grid = grid
            self.label = label

        @property
        def control(self) -> ChartGrid:
            return self.grid

    DEFAULT_CSS = """
    ChartGrid {
        height: 1fr;
        layout: grid;
        grid-size: 1;
        grid-gutter: 0 1;
    }
    """

    def __init__(
        self,
        *,
        min_pane: tuple[int, int] = (60, MIN_PANE_HEIGHT + 4),
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.min_pane = min_pane
        """The smallest (columns, rows) a pane is given when the grid fits itself to its size."""
        self.page = 0
        """The page shown, counted from 0 (clamped when panes go or the grid grows)."""
        self.page_label = ""
        """Which panes are shown when not all are (`[1-2 of 6]`); "" when they all are."""
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
        return auto_grid(width, height, self.min_pane)

    def per_page(self) -> int:
        cols, rows = self.shape or self.auto_shape()
        return cols * rows

    def _span(self) -> tuple[int, int]:
        """The panes on the page shown, as (start, stop) in `panes`' order."""
        return page_span(len(self.panes), self.per_page(), self.page)

    def in_use(self) -> tuple[int, int]:
        """The (columns, rows) the panes are laid out in now."""
        if self.maximized is not None:
            return 1, 1
        cols, rows = self.shape or self.auto_shape()
        start, stop = self._span()
        return grid_shape(stop - start, cols, rows)

    def lay_out(self) -> None:
        """Rows share the height; only the page's panes are shown; a maximised pane is the only one."""
        cols, rows = self.in_use()
        start, stop = self._span()
        self.page = start // self.per_page()
        for index, (metric, pane) in enumerate(self.panes.items()):
            pane.display = metric == self.maximized if self.maximized is not None else start <= index < stop
        height = self.size.height or self.size_hint[1]
        self.styles.grid_size_columns = cols
        self.styles.grid_rows = str(max(min(MIN_PANE_HEIGHT, self.min_pane[1]), height // rows))
        label = "" if self.maximized is not None else page_label(start, stop, len(self.panes))
        if label != self.page_label:
            self.page_label = label
            self.post_message(self.Paged(self, label))

    def turn_page(self, delta: int) -> bool:
        """Show the next (`delta` 1) or previous (-1) page, round from the last to the first;
        False when every pane is on one page."""
        pages = -(-len(self.panes) // self.per_page())
        if pages <= 1 or self.maximized is not None:
            return False
        self.page = (self.page + delta) % pages
        self.lay_out()
        return True

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

    def show(
        self, cursor: float | None, highlight: str | None, hidden: frozenset[str], cursor_color: RGB | None
    ) -> None:
        """The cursor, highlight and hidden runs, in every pane."""
        for pane in self.panes.values():
            pane.cursor_color = cursor_color
            pane.show(cursor, highlight, hidden)

    def shown_data(self) -> list[ChartData]:
        return [p.data for p in self.panes.values() if p.display and p.data is not None]
