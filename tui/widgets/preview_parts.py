"""Renderables the artifact preview builds: its header, an MLflow model summary, a binary's facts,
a folder's counts, a table sample's DataTable and its rows status, and a wrapper that rebuilds a
text for the width it is drawn at."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.widgets import DataTable

from ..artifacts.kinds import human_size
from ..artifacts.mlmodel import MLModelSummary
from ..artifacts.preview_plan import Facts, FolderPlan
from ..artifacts.table_sample import TableSample
from ..shaping.formatting import format_timestamp
from ..shaping.sanitize import printable_line


def mlmodel_renderable(summary: MLModelSummary, style: Callable[[str], Style]) -> Group:
    """Flavors, signature, requirements and facts of an MLflow model; `style` gives the
    preview's component styles by name."""
    title = style("artifact-preview--title")
    meta = style("artifact-preview--meta")
    note = style("artifact-preview--note")
    parts: list[Any] = []

    def section(name: str, rows: list[tuple[str, str]]) -> None:
        parts.append(Text(name, title))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style=meta, no_wrap=True)
        grid.add_column()
        for key, value in rows or [("", "(none)")]:
            grid.add_row(Text(printable_line(key)), Text(printable_line(value)))
        parts.extend([grid, Text()])

    flavor_rows: list[tuple[str, str]] = []
    for name, facts in summary.flavors.items():
        flavor_rows.append((name, ", ".join(f"{k}={v}" for k, v in facts.items()) or "-"))
    section("Flavors", flavor_rows)
    section(
        "Signature",
        [("inputs", "; ".join(summary.inputs) or "(none)"), ("outputs", "; ".join(summary.outputs) or "(none)")]
        + ([("params", "; ".join(summary.params))] if summary.params else []),
    )
    section("Requirements", [("", r) for r in summary.requirements])
    section("Model", list(summary.facts.items()))
    for problem in summary.problems:
        parts.append(Text(printable_line(problem), note))
    return Group(*parts)


FACT_LABEL_WIDTH = 9
"""Width of the `size`/`sha256` labels in front of a binary's facts."""
HEX_DIGITS = frozenset("0123456789abcdef")


class FitToWidth:
    """A renderable rebuilt for the width it is drawn at, so it still fits after the pane is resized."""

    def __init__(self, build: Callable[[int], Text]) -> None:
        self.build = build

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.build(options.max_width)


def binary_facts(size: int | None, digest: str | None, meta: Style) -> FitToWidth:
    """Size, SHA-256 and a caption; a digest too wide for the pane is split evenly over aligned lines."""

    def build(width: int) -> Text:
        text = Text()
        text.append("size".ljust(FACT_LABEL_WIDTH), meta)
        text.append(f"{human_size(size)} ({size or 0:,} bytes)\n")
        text.append("sha256".ljust(FACT_LABEL_WIDTH), meta)
        value = digest or "computing…"
        step = len(value)
        while FACT_LABEL_WIDTH + step > width and step > 16 and all(c in HEX_DIGITS for c in value):
            step //= 2
        text.append(("\n" + " " * FACT_LABEL_WIDTH).join(value[i : i + step] for i in range(0, len(value), step)))
        text.append("\n\nfirst bytes:", meta)
        return text

    return FitToWidth(build)


def header_text(facts: Facts | None, status: str, style: Callable[[str], Style]) -> Text:
    """The preview's header: the artifact's title, then its kind, size, `status` and time, then its notes."""
    if facts is None:
        return Text("no file selected", style("artifact-preview--meta"))
    meta = style("artifact-preview--meta")
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(printable_line(facts.title), style("artifact-preview--title"))
    bits = [facts.kind]
    if facts.size is not None:
        bits.append(human_size(facts.size))
    if status:
        bits.append(status)
    if facts.mtime is not None:
        bits.append(format_timestamp(facts.mtime, seconds=False) or "?")
    text.append("\n" + " · ".join(printable_line(b) for b in bits), meta)
    for note in facts.notes:
        text.append("\n" + printable_line(note), style("artifact-preview--note"))
    return text


def folder_text(plan: FolderPlan, expanded: bool, meta: Style) -> Text:
    """A folder's counts; while it is closed in the tree, a hint to open it."""
    text = Text()
    text.append(
        f"{plan.files:,} files, {plan.folders:,} folders, {human_size(plan.total)}"
        + (" (stopped counting)" if plan.partial else "")
    )
    if not expanded:
        text.append("\n\nexpand it in the tree to see its files", meta)
    return text


def sample_table(sample: TableSample, meta: Style) -> DataTable[Text]:
    """A table artifact's first rows, each column headed by its name and type; numbers right-aligned."""
    table: DataTable[Text] = DataTable(classes="preview-table", zebra_stripes=True)
    for name, kind in zip(sample.columns, sample.types):
        table.add_column(Text(printable_line(name)) + Text(f" {kind}", meta))
    numeric = [t in ("int", "float") for t in sample.types]
    for row in sample.rows:
        table.add_row(*(Text(printable_line(v), justify="right" if numeric[i] else "left") for i, v in enumerate(row)))
    return table


def rows_status(sample: TableSample, count: int | None, finished: bool) -> str:
    """The header's status for a table: its rows (counted so far), its columns, how many rows show."""
    if count is None or not finished:
        total = "counting rows…" if count is None else f"counting rows… {count:,}"
    else:
        total = f"{count:,} rows"
    shown = f" · first {len(sample.rows):,} rows shown" if sample.more_rows else ""
    return f"{total} · {len(sample.columns)} columns{shown}"
