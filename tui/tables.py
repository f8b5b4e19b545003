"""The runs table as a Rich table, for `tracktui ls` (the app draws its own, lazily)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from .shaping.runs_view import RunsView

STATUS_STYLES = {"running": "cyan", "finished": "green", "failed": "red", "killed": "yellow",
                 "crashed": "bold red", "damaged": "bold yellow"}


def runs_rich_table(view: RunsView, title: Text | None = None) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold", box=None, pad_edge=False)
    for col in view.columns:
        table.add_column(Text(col.label), justify="right" if col.numeric else "left", no_wrap=True,
                         min_width=col.width, overflow="ellipsis")
    for row in range(view.row_count):
        status = view.status_at(row)
        cells = [Text(text, style=STATUS_STYLES.get(status, "") if col.key == "status" else "")
                 for col, text in zip(view.columns, view.cells(row))]
        table.add_row(*cells)
    return table
