"""The charts' view actions: the cursor, zoom, outlier clipping, highlighted and hidden runs,
the palette and the grid's shape.

A mixin `ChartsScreen` inherits (as the runs screen's action families are), so the screen keeps
loading and drawing. None of these needs the worker except zoom and clipping, which rebuild the
curves for the new range through `redraw`.
"""

from __future__ import annotations

import numpy as np
from textual.color import Color
from textual.screen import Screen

from tui.shaping.chart_view import cursor_positions, next_highlight, step_cursor, union_extent, zoom
from tui.shaping.run_colors import run_colors
from tui.theme import theme_color
from tui.widgets.braille_chart import BrailleChart
from tui.widgets.chart_grid import ChartGrid


class ChartViewActions(Screen[None]):
    """Bound in `ChartsScreen.BINDINGS`; the screen provides the state and `redraw`."""

    cursor: float | None
    x_range: tuple[float, float] | None
    clip: bool
    highlight: str | None
    hidden: set[str]

    @property
    def grid_widget(self) -> ChartGrid:
        return self.query_one("#chart-panes", ChartGrid)

    @property
    def series_ids(self) -> list[str]:
        raise NotImplementedError

    def redraw(self, reload: frozenset[str] = frozenset()) -> None:
        raise NotImplementedError

    def _update_legend(self) -> None:
        raise NotImplementedError

    def _highlighted_metric(self) -> str | None:
        raise NotImplementedError

    def _show_view(self) -> None:
        """Cursor, highlight and hidden runs to every pane (no rebuild), and the legend."""
        foreground = Color.parse(theme_color(self.app, "foreground", "white")).rgb
        self.grid_widget.show(self.cursor, self.highlight, frozenset(self.hidden), foreground)
        self._update_legend()

    def _positions(self) -> np.ndarray:
        return cursor_positions(c.x for d in self.grid_widget.shown_data() for c in d.curves
                                if c.run_id not in self.hidden)

    def action_cursor(self, step: int) -> None:
        self.cursor = step_cursor(self._positions(), self.cursor, step)
        self._show_view()

    def on_braille_chart_clicked(self, event: BrailleChart.Clicked) -> None:
        """A click puts the cursor on the point nearest the mouse (where the terminal reports it)."""
        positions = self._positions()
        if positions.size:
            self.cursor = float(positions[int(np.argmin(np.abs(positions - event.x)))])
            self._show_view()

    def action_zoom(self, factor: float) -> None:
        extent = union_extent(d.extent for d in self.grid_widget.shown_data())
        if extent is not None:
            self.x_range = zoom(extent, self.x_range, self.cursor, factor)
            self.redraw()

    def action_reset_view(self) -> None:
        self.cursor, self.x_range = None, None
        self.redraw()

    def action_toggle_clip(self) -> None:
        self.clip = not self.clip
        self.redraw()

    def action_highlight(self) -> None:
        self.highlight = next_highlight(self.series_ids, self.highlight)
        self._show_view()

    def action_hide(self) -> None:
        if self.highlight is None:
            self.notify("Highlight a run with h first, then H hides or shows it", title="Charts", timeout=3)
            return
        self.hidden ^= {self.highlight}
        self._show_view()

    def action_colorblind(self) -> None:
        colors = run_colors(self.app)
        colors.colorblind = not colors.colorblind
        self.notify("Colour-blind-safe run colours" if colors.colorblind else "Theme run colours",
                    title="Charts", timeout=2)
        self.redraw()

    def action_grid(self, columns: int, rows: int) -> None:
        """`c` (columns) and `r` (rows) step their count 1 → 2 → 3 → 4 → 1 from the grid in use."""
        cols, rows_now = self.grid_widget.cycle_shape(bool(columns), bool(rows))
        self.notify(f"{cols} column{'s' if cols != 1 else ''} × {rows_now} row{'s' if rows_now != 1 else ''}",
                    title="Chart grid", timeout=2)
        self.redraw()

    def action_maximize(self) -> None:
        self.grid_widget.toggle_maximized(self._highlighted_metric())
        self.redraw()
