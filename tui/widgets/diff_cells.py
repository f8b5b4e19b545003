"""The diff table's cells as Rich text: a run's header, a field's cell, a run's value cell, and
the line below the table about the cursor's cell.

The diff screen lays the table out and fills it with these; each is styled with the current
theme's colours (`app`), and every string from the store is cut or sanitized here.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual.app import App

from ..shaping.diff import SECTION_TITLES, Diff, DiffRow, bounded, format_delta
from ..shaping.run_colors import run_colors
from ..shaping.sanitize import cut, printable_line
from ..theme import theme_style
from .run_legend import theme_palette

FIELD_WIDTH = 28
VALUE_WIDTH = 24
"""Cells longer than this are cut with `…`; the cursor cell's whole value is shown below the table."""
COMPACT_FIELD_WIDTH = 16
COMPACT_WIDTH = 13
"""Field and run column widths in the compact modes: four runs fit in 80 columns."""


def run_header(app: App[Any], diff: Diff, index: int, width: int) -> Text:
    """The run's name in its session colour (the same as in the charts), `(ref)` for the first."""
    run = diff.runs[index]
    r, g, b = run_colors(app).colors([run.run_id], theme_palette(app.theme_variables))[0]
    label = Text(cut(run.name, width - (6 if index == 0 else 0)), style=f"bold rgb({r},{g},{b})")
    if index == 0:
        label.append(" (ref)", style="dim")
    return label


def field_cell(app: App[Any], row: DiffRow, mode: str) -> Text:
    width = (COMPACT_FIELD_WIDTH if mode != "full" else FIELD_WIDTH) - 2
    if row.differs:
        text = Text()
        text.append("≠ ", style=theme_style(app, "warning", bold=True))
        text.append(cut(row.field, width), style="bold")
    else:
        text = Text("  " + cut(row.field, width))
    if row.metric is not None and row.stat == "last" and row.direction is not None:
        text.append(" ↓" if row.direction == "lower" else " ↑", style="dim")
    return text


def value_cell(app: App[Any], row: DiffRow, index: int, mode: str) -> Text:
    """Value, delta and ✓ (full); value and ✓ (values); the delta alone where there is one,
    else the value (deltas). Compact cells are cut to `COMPACT_WIDTH`, the ✓ kept."""
    best = bool(row.best and row.best[index])
    delta = format_delta(row, index, compact=mode == "deltas")
    if mode != "full":
        width = COMPACT_WIDTH - (2 if best else 0)
        if mode == "deltas" and delta:
            better = row.better[index]
            text = Text(
                delta[:width],
                style=theme_style(app, "success")
                if better
                else theme_style(app, "error")
                if better is False
                else Style(dim=True),
            )
        else:
            text = Text(cut(row.text(index), width), style="bold" if row.differs else "")
        if best:
            text.append(" ✓", style=theme_style(app, "success", bold=True))
        return text
    text = Text(cut(row.text(index), VALUE_WIDTH), style="bold" if row.differs else "")
    if delta:
        better = row.better[index]
        style = (
            theme_style(app, "success") if better else theme_style(app, "error") if better is False else Style(dim=True)
        )
        text.append(" " + delta, style=style)
    if row.best and row.best[index]:
        text.append(" ✓", style=theme_style(app, "success", bold=True))
    return text


def detail_line(diff: Diff, row: DiffRow, index: int) -> Text:
    """The line below the table: the cursor's field and, on a run's column (`index` >= 0), that
    run's whole value and its delta; on the field column, the metric's better direction."""
    text = Text()
    text.append(f"{SECTION_TITLES[row.section]} · ", style="dim")
    text.append(printable_line(bounded(row.field)), style="bold")
    if index < 0:
        if row.metric is not None:
            better = {"lower": "lower is better", "higher": "higher is better", None: "no better direction"}
            text.append(f" · {better[row.direction]} (f flips)", style="dim")
        text.append(" · " + ("differs" if row.differs else "same in all runs"), style="dim")
    else:
        text.append(" · ")
        text.append(printable_line(bounded(diff.runs[index].name)))
        text.append(": ")
        text.append(printable_line(bounded(row.text(index))))
        delta = format_delta(row, index)
        if delta:
            text.append(f"  {delta} vs reference", style="dim")
    return text
