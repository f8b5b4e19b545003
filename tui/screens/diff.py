"""DiffScreen: runs side by side, one column per run, the first as reference.

A diff holds tens to hundreds of rows, so Textual's `DataTable` (with the field column
fixed while scrolling sideways) is fast enough here. Cells are `rich.text.Text` built
from store data, styled with colours read from the current theme. Every string from the
store goes through `_line` (or `_cut`, which uses it) so no escape code reaches the terminal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Static
from textual.widgets.data_table import RowDoesNotExist
from textual.worker import Worker, WorkerState

from tui.shaping.diff import (
    ONLY_DIFF_THRESHOLD, SECTION_TITLES, Diff, DiffRow, Direction, bounded, build_diff, flip_direction,
    format_delta, to_csv, to_markdown,
)
from tui.shaping.formatting import printable

if TYPE_CHECKING:
    from store import RunDetail, RunStore

FIELD_WIDTH = 28
VALUE_WIDTH = 24
"""Cells longer than this are cut with `…`; the cursor cell's whole value is shown below the table."""


@dataclass
class DiffExport:
    markdown_path: Path
    csv_path: Path
    markdown: str
    rows: int


class DiffScreen(Screen[None]):
    """Compare runs: params, metrics, tags and run facts, with deltas against the first run."""

    CSS_PATH = "diff.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="diff.close", tooltip="Back to the runs"),
        Binding("d", "toggle_only_diff", "Only diffs", id="diff.only_diff",
                tooltip="Show only the rows whose values differ, or all rows"),
        Binding("f", "flip_direction", "Flip better", id="diff.flip",
                tooltip="Flip whether lower or higher is better for the metric under the cursor"),
        Binding("x", "export", "Export", id="diff.export",
                tooltip="Write the diff as Markdown and CSV (asks where; the current folder by default) "
                        "and copy the Markdown"),
    ]

    def __init__(self, store: RunStore, run_ids: list[str], *, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.store = store
        self.run_ids = list(run_ids)
        self.details: list[RunDetail] = []
        self.diff: Diff | None = None
        self.runs_read = False
        """False until the runs have been read (or failed to be read)."""
        self.only_diff = False
        self.overrides: dict[str, Direction | None] = {}
        self.export_dir: Path | None = None
        """The folder the export prompt offers; None means the current working directory then.
        Set to the folder last written to."""

    def compose(self) -> ComposeResult:
        yield Static(Text("Loading runs…"), id="diff-title")
        yield DataTable(id="diff-table", fixed_columns=1, zebra_stripes=False, cursor_type="cell")
        yield Static(Text(""), id="diff-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._render_table())
        self.load()

    # -- loading ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="diff-load", exit_on_error=False, description="Reading runs to diff")
    def load(self) -> list[RunDetail]:
        return [self.store.run(run_id) for run_id in self.run_ids]

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == "diff-load":
            if event.state == WorkerState.SUCCESS and isinstance(worker.result, list):
                self.details = worker.result
                self.diff = build_diff(self.details, self.overrides)
                self.runs_read = True
                self.only_diff = len(self.diff.rows) > ONLY_DIFF_THRESHOLD
                self._render_table()
            elif event.state == WorkerState.ERROR:
                self.runs_read = True
                self._set_title(Text(f"Could not read the runs: {_line(str(worker.error))}",
                                    style=self._style("error")))
        elif worker.group == "diff-export":
            if event.state == WorkerState.SUCCESS and isinstance(worker.result, DiffExport):
                done = worker.result
                self.app.copy_to_clipboard(done.markdown)
                self.export_dir = done.markdown_path.parent
                self.notify(f"Wrote {printable(str(done.markdown_path))} and {printable(str(done.csv_path))} "
                            f"({done.rows} rows); Markdown copied to the clipboard", title="Diff exported",
                            markup=False)
            elif event.state == WorkerState.ERROR:
                self.notify(f"Could not write the export: {printable(str(worker.error))}", title="Export failed",
                            severity="error", markup=False)

    # -- drawing ------------------------------------------------------------------------

    def _style(self, variable: str, **extra: Any) -> Style:
        colour = self.app.theme_variables.get(variable)
        return Style(color=colour, **extra) if colour else Style(**extra)

    def _set_title(self, text: Text) -> None:
        self.query_one("#diff-title", Static).update(text)

    def _render_table(self) -> None:
        if self.diff is None:
            return
        table = self.query_one("#diff-table", DataTable)
        keep_row, keep_col = self._cursor_keys(table)
        diff = self.diff
        rows = diff.visible(self.only_diff)
        table.clear(columns=True)
        table.add_column(Text("field", style="bold"), key="field")
        for i, run in enumerate(diff.runs):
            label = Text(_cut(run.name, VALUE_WIDTH), style="bold")
            if i == 0:
                label.append(" (ref)", style="dim")
            table.add_column(label, key=f"run-{i}")
        section = None
        for row in rows:
            if row.section != section:
                section = row.section
                heading = Text(f"{SECTION_TITLES[section]}", style=self._style("accent", bold=True, underline=True))
                table.add_row(heading, *([Text("")] * len(diff.runs)), key=f"section:{section}")
            table.add_row(self._field_cell(row), *(self._value_cell(row, i) for i in range(len(diff.runs))),
                          key=row.key)
        if not rows:
            table.add_row(Text("no differences", style="dim"), *([Text("")] * len(diff.runs)), key="empty")
        self._update_title()
        self._restore_cursor(table, keep_row, keep_col)
        self._update_detail()

    def _update_title(self) -> None:
        diff = self.diff
        if diff is None:
            return
        title = Text()
        title.append(f"Diff of {len(diff.runs)} runs", style="bold")
        title.append(" · reference ")
        title.append(_line(diff.runs[0].name), style="bold")
        shown = len(diff.differing)
        if self.only_diff:
            title.append(f" · {shown} differing of {len(diff.rows)} fields (d: all)")
        else:
            title.append(f" · {len(diff.rows)} fields, {shown} differ (d: only those)")
        self._set_title(title)

    def _field_cell(self, row: DiffRow) -> Text:
        if row.differs:
            text = Text()
            text.append("≠ ", style=self._style("warning", bold=True))
            text.append(_cut(row.field, FIELD_WIDTH - 2), style="bold")
        else:
            text = Text("  " + _cut(row.field, FIELD_WIDTH - 2))
        if row.metric is not None and row.stat == "last" and row.direction is not None:
            text.append(" ↓" if row.direction == "lower" else " ↑", style="dim")
        return text

    def _value_cell(self, row: DiffRow, index: int) -> Text:
        text = Text(_cut(row.text(index), VALUE_WIDTH), style="bold" if row.differs else "")
        delta = format_delta(row, index)
        if delta:
            better = row.better[index]
            style = (self._style("success") if better else self._style("error") if better is False
                     else Style(dim=True))
            text.append(" " + delta, style=style)
        if row.best and row.best[index]:
            text.append(" ✓", style=self._style("success", bold=True))
        return text

    # -- cursor and the detail line -------------------------------------------------------

    def _cursor_keys(self, table: DataTable[Any]) -> tuple[str | None, int]:
        if not table.row_count:
            return None, 0
        cell = table.coordinate_to_cell_key(table.cursor_coordinate)
        return (str(cell.row_key.value) if cell.row_key.value is not None else None,
                table.cursor_coordinate.column)

    def _restore_cursor(self, table: DataTable[Any], row_key: str | None, column: int) -> None:
        row = 0
        if row_key is not None:
            try:
                row = table.get_row_index(row_key)
            except RowDoesNotExist:  # hidden now (only differences): back to the top
                row_key = None
        if row == 0 and table.row_count > 1 and row_key is None:
            row = 1  # start on the first field, not the first section heading
        table.move_cursor(row=row, column=min(column, len(table.columns) - 1), animate=False)

    def cursor_row(self) -> DiffRow | None:
        """The diff row under the cursor, or None on a section heading."""
        table = self.query_one("#diff-table", DataTable)
        if self.diff is None or not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        try:
            return self.diff.row(str(key))
        except KeyError:
            return None

    @on(DataTable.CellHighlighted, "#diff-table")
    def _cell_highlighted(self, event: DataTable.CellHighlighted) -> None:
        self._update_detail()

    def _update_detail(self) -> None:
        table = self.query_one("#diff-table", DataTable)
        detail = self.query_one("#diff-detail", Static)
        row = self.cursor_row()
        diff = self.diff
        if row is None or diff is None:
            detail.update(Text("↑↓←→ move · d only differences · f flip better · x export", style="dim"))
            return
        column = table.cursor_coordinate.column
        text = Text()
        text.append(f"{SECTION_TITLES[row.section]} · ", style="dim")
        text.append(_line(row.field), style="bold")
        if column == 0:
            if row.metric is not None:
                better = {"lower": "lower is better", "higher": "higher is better", None: "no better direction"}
                text.append(f" · {better[row.direction]} (f flips)", style="dim")
            text.append(" · " + ("differs" if row.differs else "same in all runs"), style="dim")
        else:
            index = column - 1
            text.append(" · ")
            text.append(_line(diff.runs[index].name))
            text.append(": ")
            text.append(_line(row.text(index)))
            delta = format_delta(row, index)
            if delta:
                text.append(f"  {delta} vs reference", style="dim")
        detail.update(text)

    # -- actions --------------------------------------------------------------------------

    def action_close(self) -> None:
        self.app.pop_screen()

    def action_toggle_only_diff(self) -> None:
        if self.diff is None:
            return
        self.only_diff = not self.only_diff
        self._render_table()

    def action_flip_direction(self) -> None:
        row = self.cursor_row()
        if row is None or row.metric is None or not self.details:
            self.notify("Put the cursor on a metric row to flip which direction is better", severity="warning")
            return
        self.overrides[row.metric] = flip_direction(row.metric, self.overrides)
        self.diff = build_diff(self.details, self.overrides)
        self._render_table()

    def action_export(self) -> None:
        if self.diff is None:
            return
        diff, only_diff = self.diff, self.only_diff

        def chosen(folder: Path | None) -> None:
            if folder is not None:
                self.export(diff, only_diff, folder)

        self.app.push_screen(ExportPrompt(self.export_dir or Path.cwd(), len(diff.visible(only_diff))), chosen)

    @work(thread=True, exclusive=True, group="diff-export", exit_on_error=False, description="Writing the diff")
    def export(self, diff: Diff, only_diff: bool, folder: Path) -> DiffExport:
        """Write both files into `folder` (made if missing); the Markdown is also returned to copy."""
        folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        markdown = to_markdown(diff, only_diff=only_diff)
        md_path = folder / f"tracktui-diff-{stamp}.md"
        csv_path = folder / f"tracktui-diff-{stamp}.csv"
        md_path.write_text(markdown, encoding="utf-8")
        csv_path.write_text(to_csv(diff, only_diff=only_diff), encoding="utf-8")
        return DiffExport(md_path, csv_path, markdown, len(diff.visible(only_diff)))


class ExportPrompt(ModalScreen[Path | None]):
    """Asks which folder the export goes to, offering `default`; returns it, or None (escape)."""

    DEFAULT_CSS = """
    ExportPrompt { align: center middle; }
    ExportPrompt > Vertical { width: 80; max-width: 95%; height: auto; border: thick $primary;
                              background: $surface; padding: 0 1; }
    ExportPrompt Static { height: auto; }
    ExportPrompt #export-help { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="diff.export.cancel", tooltip="Close without exporting"),
    ]

    def __init__(self, default: Path, rows: int) -> None:
        super().__init__()
        self.default = default
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Export {self.rows} rows as Markdown and CSV (Markdown also to the clipboard) "
                              f"into the folder (default: {printable(str(self.default))}):"), id="export-title")
            yield Input(value=str(self.default), id="export-folder")
            yield Static(Text("enter writes · escape cancels · a missing folder is made"), id="export-help")

    @on(Input.Submitted, "#export-folder")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self.dismiss(Path(text).expanduser() if text else self.default)

    def action_cancel(self) -> None:
        self.dismiss(None)


def _line(text: str) -> str:
    """Store text as one safe line: line breaks shown as `⏎`, every other control character
    (escape codes included) as a visible symbol by `printable`, so it cannot touch the terminal;
    at most `SHOWN_CHARS` characters and the size of the rest (`bounded`)."""
    return printable(bounded(text).replace("\r", " ").replace("\n", " ⏎ "))


def _cut(text: str, width: int) -> str:
    """One safe line (see `_line`) of at most `width` characters; the rest is replaced by `…`.
    Every character becomes at least one, so only the first `width + 1` need making safe."""
    line = _line(text[: width + 1])
    return line if len(line) <= width else line[: width - 1] + "…"
