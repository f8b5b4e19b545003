"""The charts' view: the cursor, zoom, outlier clipping, log or linear y, highlighted and hidden runs,
the palette and the grid's shape.

`ChartViewing` is one of the charts screen's parts (the screen's `action_*` hand these keys to it)
and holds what the user chose to see; the screen keeps loading and drawing. None of these needs
the worker except zoom, clipping and the y scale, which rebuild the curves through `redraw`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from textual.color import Color

from tui.shaping.chart_view import cursor_positions, next_highlight, step_cursor, union_extent, zoom
from tui.shaping.run_colors import run_colors
from tui.theme import theme_color

if TYPE_CHECKING:
    from .charts import ChartsScreen


class ChartViewing:
    """Bound in `ChartsScreen.BINDINGS`; the screen draws with this state (`cursor`, `x_range`, `clip`,
    `highlight`, `hidden`)."""

    def __init__(self, screen: ChartsScreen) -> None:
        self.screen = screen
        self.cursor: float | None = None
        """The cursor's x in the axis' drawn units, shared by every pane."""
        self.x_range: tuple[float, float] | None = None
        """The zoom: the x range drawn, or None for everything."""
        self.clip = False
        self.highlight: str | None = None
        self.hidden: set[str] = set()

    def show(self) -> None:
        """Cursor, highlight and hidden runs to every pane (no rebuild), and the legend."""
        foreground = Color.parse(theme_color(self.screen.app, "foreground", "white")).rgb
        self.screen.grid_widget.show(self.cursor, self.highlight, frozenset(self.hidden), foreground)
        self.screen.update_legend()

    def _positions(self) -> np.ndarray:
        return cursor_positions(
            c.x for d in self.screen.grid_widget.shown_data() for c in d.curves if c.run_id not in self.hidden
        )

    def move_cursor(self, step: int) -> None:
        self.cursor = step_cursor(self._positions(), self.cursor, step)
        self.show()

    def cursor_to(self, x: float) -> None:
        """A click puts the cursor on the point nearest `x` (where the terminal reports the mouse)."""
        positions = self._positions()
        if positions.size:
            self.cursor = float(positions[int(np.argmin(np.abs(positions - x)))])
            self.show()

    def drop_cursor(self) -> bool:
        """Escape takes the cursor away first; whether there was one."""
        if self.cursor is None:
            return False
        self.cursor = None
        self.show()
        return True

    def zoom(self, factor: float, around: float | None = None) -> None:
        """`z`/`Z` around the cursor, the mouse wheel around the pointer (`around`); y fits the new range."""
        extent = union_extent(d.extent for d in self.screen.grid_widget.shown_data())
        if extent is not None:
            self.x_range = zoom(extent, self.x_range, self.cursor if around is None else around, factor)
            self.screen.redraw()

    def reset(self) -> None:
        """The whole x range and no cursor (`0`, and another x axis: both were in the old one's units)."""
        self.cursor, self.x_range = None, None
        self.screen.redraw()

    def toggle_log(self) -> None:
        """The highlighted metric's pane (else the first) between linear and log; the scatter's y."""
        screen = self.screen
        if screen.scatter:
            self.toggle_log_all()
            return
        metric = screen.highlighted_metric()
        metric = metric if metric in screen.selected else next(iter(screen.selected), None)
        if metric is not None:
            screen.log_toggled ^= {metric}
            screen.redraw()

    def toggle_log_all(self) -> None:
        screen = self.screen
        screen.log_y = not screen.log_y
        screen.log_toggled.clear()
        screen.redraw()

    def toggle_clip(self) -> None:
        self.clip = not self.clip
        self.screen.redraw()

    def toggle_highlight(self, run_id: str) -> None:
        """A click on a legend entry highlights that run in every pane (as `h` does); again: none."""
        self.highlight = None if run_id == self.highlight else run_id
        self.show()

    def next_highlight(self) -> None:
        self.highlight = next_highlight(self.screen.series_ids, self.highlight)
        self.show()

    def hide(self) -> None:
        if self.highlight is None:
            self.screen.notify("Highlight a run with h first, then H hides or shows it", title="Charts", timeout=3)
            return
        self.hidden ^= {self.highlight}
        self.show()

    def toggle_colorblind(self) -> None:
        colors = run_colors(self.screen.app)
        colors.colorblind = not colors.colorblind
        self.screen.notify(
            "Colour-blind-safe run colours" if colors.colorblind else "Theme run colours", title="Charts", timeout=2
        )
        self.screen.redraw()

    def grid(self, columns: int, rows: int) -> None:
        """`c` (columns) and `r` (rows) step their count 1 → 2 → 3 → 4 → 1 from the grid in use."""
        cols, rows_now = self.screen.grid_widget.cycle_shape(bool(columns), bool(rows))
        self.screen.notify(
            f"{cols} column{'s' if cols != 1 else ''} × {rows_now} row{'s' if rows_now != 1 else ''}",
            title="Chart grid",
            timeout=2,
        )
        self.screen.redraw()

    def maximize(self) -> None:
        self.screen.grid_widget.toggle_maximized(self.screen.highlighted_metric())
        self.screen.redraw()
