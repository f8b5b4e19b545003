"""The charts' caption: the title line (what is drawn, on which axes, how) and the run legend.

`ChartCaption` is one of the charts screen's parts: it only reads the screen's state and the
viewing part's, and writes the two widgets that say what the panes show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from tui.shaping.curves import axis_name, format_x
from tui.shaping.formatting import format_number
from tui.shaping.sanitize import printable_line
from tui.theme import theme_color
from tui.widgets.run_legend import LegendEntry, RunLegend
from tui.widgets.scatter_view import ScatterView

if TYPE_CHECKING:
    from .charts import ChartsScreen


class ChartCaption:
    """Writes `#charts-title` and the `RunLegend` from the screen's choices; cheap to call often."""

    def __init__(self, screen: ChartsScreen) -> None:
        self.screen = screen

    def update_title(self) -> None:
        screen, viewing = self.screen, self.screen.viewing
        title = Text()
        title.append("Scatter" if screen.scatter else "Charts", style="bold")
        if screen.scatter:
            scatter = screen.query_one(ScatterView)
            frame = scatter.frame
            if screen.groups:
                shown = "one point per group (mean, min–max)" if scatter.by_group else "their runs"
                title.append(f" · {len(screen.groups)} groups: {shown}")
            else:
                title.append(f" · runs in the current filter: {len(frame) if frame is not None else 0}")
        else:
            if screen.groups:
                title.append(f" · {len(screen.groups)} group{'s' if len(screen.groups) != 1 else ''}: mean, min–max")
            title.append(f" · {len(screen.run_ids)} run{'s' if len(screen.run_ids) != 1 else ''}")
            title.append(f" · x: {printable_line(axis_name(screen.axis))}")
            x_range = viewing.x_range
            if x_range is not None:
                title.append(f" {format_number(x_range[0])}–{format_number(x_range[1])}")
        title.append(f" · y: {self.y_scale()}")
        if not screen.scatter and screen.grid_widget.page_label:
            title.append(f" · charts {screen.grid_widget.page_label} (n/N)", style="bold")
        if not screen.scatter:
            title.append(f" · smoothing: {screen.smoothing:g}" if screen.smoothing else " · smoothing: off")
            title.append(" · y clipped" if viewing.clip else "")
        running = [i for i in screen.infos.values() if i.status == "running"]
        if running:
            title.append(f" · {len(running)} running, live", style=theme_color(screen.app, "success"))
        stale = getattr(screen.histories.store, "stale", "")  # a tracking server that failed: what was read before
        if stale:
            title.append(f" · stale: {printable_line(stale)}", style=theme_color(screen.app, "warning"))
        screen.query_one("#charts-title", Static).update(title)

    def y_scale(self) -> str:
        """`log`, `linear`, or how many panes are log when they differ (`l` on one pane)."""
        screen = self.screen
        logs = sum(screen.log_y != (m in screen.log_toggled) for m in screen.selected)
        if not screen.scatter and 0 < logs < len(screen.selected):
            return f"log in {logs} of {len(screen.selected)}"
        return "log" if (screen.log_y if screen.scatter or not screen.selected else logs) else "linear"

    def update_legend(self) -> None:
        screen, viewing = self.screen, self.screen.viewing
        colors, markers = screen._palette(), screen._markers()
        names = (
            {g.key: g.label for g in screen.groups}
            if screen.groups
            else {r: screen.infos[r].name if r in screen.infos else r for r in screen.run_ids}
        )
        counts = {g.key: len(g.run_ids) for g in screen.groups}
        entries = [
            LegendEntry(
                names[r],
                colors[i],
                markers[i % len(markers)] if screen.app.no_color else None,
                r == viewing.highlight,
                r in viewing.hidden,
                counts.get(r),
                key=r,
            )
            for i, r in enumerate(screen.series_ids)
        ]
        note = ""
        if screen.infos and not screen.metric_keys:
            note = "These runs have not logged any metrics yet."
        elif viewing.cursor is not None:
            at = format_x(viewing.cursor, screen.axis == "wall")
            note = f"cursor at {printable_line(axis_name(screen.axis))} {at}: values in each pane"
        screen.query_one(RunLegend).show_runs(entries, note)
