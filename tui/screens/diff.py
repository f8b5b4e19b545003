"""DiffScreen: runs side by side, one column per run, the first as reference.

A diff holds tens to hundreds of rows, so Textual's `DataTable` (with the field column
fixed) is fast enough here. It never hides a run silently: only the runs that fit beside the
field column are shown, the cursor slides that window run by run, and a line above the table
says how many runs are hidden on each side. A compact mode (values only, or deltas only) fits
four runs in 80 columns. Cells are `rich.text.Text` built from store data, styled with colours
read from the current theme; every string from the store goes through the one sanitizer.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Static
from textual.widgets.data_table import RowDoesNotExist

from tui.messages import DiffExported, DiffRunsRead, ForwardsWorkerFailures, WorkerFailed, post_result
from tui.screens.export_prompt import ExportPrompt
from tui.shaping.diff import (
    ONLY_DIFF_THRESHOLD,
    SECTION_TITLES,
    Diff,
    DiffRow,
    bounded,
    build_diff,
    to_csv,
    to_markdown,
)
from tui.shaping.direction import Direction, flip_direction
from tui.shaping.formatting import format_file_stamp
from tui.shaping.sanitize import printable, printable_line
from tui.theme import theme_style
from tui.widgets.diff_cells import (
    COMPACT_FIELD_WIDTH,
    COMPACT_WIDTH,
    FIELD_WIDTH,
    VALUE_WIDTH,
    detail_line,
    field_cell,
    run_header,
    value_cell,
)
from tui.widgets.diff_table import CELL_PADDING, DiffTable, fit_window

if TYPE_CHECKING:
    from store import RunDetail, RunStore

MAX_COLUMN_WIDTH = 40
"""A run column never grows past this (value, delta and ✓ together)."""
SCROLLBAR = 2
MODES: tuple[str, ...] = ("full", "values", "deltas")
MODE_NAMES = {"full": "values and deltas", "values": "values only", "deltas": "deltas only"}


class DiffScreen(ForwardsWorkerFailures, Screen[None]):
    """Compare runs: params, metrics, tags and run facts, with deltas against the first run."""

    CSS_PATH = "diff.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="diff.close", tooltip="Back to the runs"),
        Binding(
            "d",
            "toggle_only_diff",
            "Diffs",
            id="diff.only_diff",
            tooltip="Show only the rows whose values differ, or all rows",
        ),
        Binding(
            "f",
            "flip_direction",
            "Flip",
            id="diff.flip",
            tooltip="Flip whether lower or higher is better for the metric under the cursor",
        ),
        Binding(
            "m",
            "cycle_mode",
            "Compact",
            id="diff.mode",
            tooltip="Cells show values and deltas, values only, or deltas only (compact: more runs fit)",
        ),
        Binding(
            "x",
            "export",
            "Export",
            id="diff.export",
            tooltip="Write the diff as Markdown and CSV (asks where; the current folder by default) "
            "and copy the Markdown",
        ),
        Binding("question_mark", "app.help", "Keys", id="diff.help", tooltip="Every key of this screen"),
    ]

    def __init__(
        self,
        store: RunStore,
        run_ids: list[str],
        *,
        note: str | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        refresh_seconds: float | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.store = store
        self.run_ids = list(run_ids)
        self.refresh_seconds = refresh_seconds
        """How often runs still running are read again; None: as often as the app polls the store."""
        self.read_at: float | None = None
        """When the runs shown were read (the title says it while one of them runs)."""
        self._live: Timer | None = None
        self.note = note
        """Said in the title for as long as the diff shows: marks the filter hid and the diff left out."""
        self.details: list[RunDetail] = []
        self.diff: Diff | None = None
        self.runs_read = False
        """False until the runs have been read (or failed to be read)."""
        self.only_diff = False
        self.mode = "full"
        self.first_run = 1
        """The first run shown after the reference; runs between are hidden (`◀ n more`)."""
        self.shown: list[int] = []
        """The runs (indexes in `diff.runs`) shown, column 1 onwards: the reference, then a window."""
        self.overrides: dict[str, Direction | None] = {}
        self.export_dir: Path | None = None
        """The folder the export prompt offers; None means the current working directory then.
        Set to the folder last written to."""

    def compose(self) -> ComposeResult:
        yield Static(Text("Loading runs…"), id="diff-title")
        yield Static(Text(""), id="diff-more")
        yield DiffTable(id="diff-table")
        yield Static(Text(""), id="diff-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._render_table())
        self.load()

    # -- loading ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="diff-load", exit_on_error=False, description="Reading runs to diff")
    def load(self) -> None:
        post_result(self, DiffRunsRead([self.store.run(run_id) for run_id in self.run_ids]))

    @on(DiffRunsRead)
    def _runs_read(self, message: DiffRunsRead) -> None:
        """Show the runs read; while one of them runs they are read again on the poll, so the
        diff stays live (the view, cursor and direction flips are kept)."""
        self.details = message.details
        diff = build_diff(self.details, self.overrides)
        changed = diff != self.diff
        if changed:
            self.diff = diff
        self.read_at = time.time()
        if not self.runs_read:
            self.only_diff = len(diff.rows) > ONLY_DIFF_THRESHOLD
        self.runs_read = True
        seconds = (
            self.refresh_seconds if self.refresh_seconds is not None else float(getattr(self.app, "poll_seconds", 0))
        )
        running = any(d.status == "running" for d in self.details)
        if running and self._live is None and seconds > 0:
            self._live = self.set_interval(seconds, self.load)
        elif not running and self._live is not None:
            self._live.stop()
            self._live = None
        if changed:
            self._render_table()
        else:  # a poll that found nothing new: the table (and where the user scrolled) stays
            self._update_title()

    @on(WorkerFailed)
    def _failed(self, message: WorkerFailed) -> None:
        """The app reports the failure (the message bubbles on); a failed read also leaves the
        title saying why the screen is empty."""
        if not self.runs_read:
            self.runs_read = True
            reason = printable_line(bounded(str(message.error)))
            self._set_title(Text(f"Could not read the runs: {reason}", style=theme_style(self.app, "error")))

    @on(DiffExported)
    def _exported(self, done: DiffExported) -> None:
        self.app.copy_to_clipboard(done.markdown)
        self.export_dir = done.markdown_path.parent
        self.notify(
            f"Wrote {printable(str(done.markdown_path))} and {printable(str(done.csv_path))} "
            f"({done.rows} rows); Markdown copied to the clipboard",
            title="Diff exported",
            markup=False,
        )

    # -- drawing ------------------------------------------------------------------------

    def _set_title(self, text: Text) -> None:
        self.query_one("#diff-title", Static).update(text)

    def _render_table(self, anchor: int | None = None) -> None:
        """Rebuild the table with the runs that fit; `anchor` is a run index that must be shown
        (the one the cursor moves to), else the cursor's run stays where it is."""
        if self.diff is None:
            return
        table = self.query_one("#diff-table", DiffTable)
        keep_row, keep_run = self._cursor_keys(table)
        if anchor is not None:
            keep_run = anchor
        diff = self.diff
        rows = diff.visible(self.only_diff)
        runs = len(diff.runs)
        compact = self.mode != "full"
        field_cells = [field_cell(self.app, row, self.mode) for row in rows]
        columns = [[value_cell(self.app, row, i, self.mode) for row in rows] for i in range(runs)]
        headers = [run_header(self.app, diff, i, COMPACT_WIDTH if compact else VALUE_WIDTH) for i in range(runs)]
        field_width = (
            COMPACT_FIELD_WIDTH
            if compact
            else min(FIELD_WIDTH + 2, max([cell_len("field"), *(c.cell_len for c in field_cells)]))
        )
        area = table.size.width or self.app.size.width
        room = max(10, area - SCROLLBAR - field_width - CELL_PADDING)
        widths = [
            COMPACT_WIDTH
            if compact
            else min(MAX_COLUMN_WIDTH, room - CELL_PADDING, max([h.cell_len, *(c.cell_len for c in cells)]))
            for h, cells in zip(headers, columns)
        ]
        anchor = keep_run - 1 if keep_run >= 1 else None
        first, count = fit_window(widths[1:], room - widths[0] - CELL_PADDING, self.first_run - 1, anchor)
        self.first_run = first + 1
        shown = self.shown = [0, *range(first + 1, first + 1 + count)]
        table.hidden_left, table.hidden_right = first, runs - 1 - first - count
        table.clear(columns=True)
        table.add_column(Text("field", style="bold"), key="field", width=field_width)
        for i in shown:
            table.add_column(headers[i], key=f"run-{i}", width=widths[i])
        section = None
        for r, row in enumerate(rows):
            if row.section != section:
                section = row.section
                heading = Text(
                    f"{SECTION_TITLES[section]}", style=theme_style(self.app, "accent", bold=True, underline=True)
                )
                table.add_row(heading, *([Text("")] * len(shown)), key=f"section:{section}")
            table.add_row(field_cells[r], *(columns[i][r] for i in shown), key=row.key)
        if not rows:
            table.add_row(Text("no differences", style="dim"), *([Text("")] * len(shown)), key="empty")
        self._update_title()
        self._update_more()
        self._restore_cursor(table, keep_row, keep_run)
        self._update_detail()

    def _update_more(self) -> None:
        """`◀ 2 more` / `3 more ▶` beside which runs show, or nothing when every run fits."""
        more = self.query_one("#diff-more", Static)
        table = self.query_one("#diff-table", DiffTable)
        left, right = table.hidden_left, table.hidden_right
        more.display = bool(left or right)
        if not (left or right):
            return
        others = len(self.shown) - 1
        runs = left + others + right
        start = f"◀ {left} more" if left else ""
        end = f"{right} more ▶" if right else ""
        which = f"run {left + 2}" if others == 1 else f"runs {left + 2}–{left + 1 + others}"
        middle = f"  reference + {which} of {runs + 1} · h/l or ←/→ scroll · m compact  "
        width = (more.size.width or self.app.size.width) - 2
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(start, style="bold")
        text.append(middle.center(max(len(middle), width - len(start) - len(end))), style="dim")
        text.append(end, style="bold")
        more.update(text)

    def on_resize(self) -> None:
        self.call_after_refresh(self._render_table)

    @on(DiffTable.Shift)
    def _shift(self, event: DiffTable.Shift) -> None:
        _, run = self._cursor_keys(self.query_one("#diff-table", DiffTable))
        if run >= 1:
            self.first_run = max(1, self.first_run + event.step)
            self._render_table(anchor=run + event.step)

    def _update_title(self) -> None:
        diff = self.diff
        if diff is None:
            return
        title = Text()
        title.append(f"Diff of {len(diff.runs)} runs", style="bold")
        title.append(" · reference ")
        title.append(printable_line(bounded(diff.runs[0].name)), style="bold")
        shown = len(diff.differing)
        if self.only_diff:
            title.append(f" · {shown} differing of {len(diff.rows)} fields (d: all)")
        else:
            title.append(f" · {len(diff.rows)} fields, {shown} differ (d: only those)")
        running = sum(d.status == "running" for d in self.details)
        if running and self.read_at is not None:
            when = time.strftime("%H:%M:%S", time.localtime(self.read_at))
            title.append(
                f" · {running} running: {'live, ' if self._live is not None else ''}read at {when}",
                style=theme_style(self.app, "accent"),
            )
        if self.note:
            title.append(f" · {self.note}", style=theme_style(self.app, "warning"))
        self._set_title(title)

    # -- cursor and the detail line -------------------------------------------------------

    def _cursor_keys(self, table: DataTable[Any]) -> tuple[str | None, int]:
        """The row key and the run index under the cursor (-1 on the field column)."""
        if not table.row_count:
            return None, -1
        cell = table.coordinate_to_cell_key(table.cursor_coordinate)
        return (str(cell.row_key.value) if cell.row_key.value is not None else None, self.cursor_run())

    def cursor_run(self) -> int:
        """The index of the run under the cursor in `diff.runs`, or -1 on the field column."""
        column = self.query_one("#diff-table", DiffTable).cursor_coordinate.column
        return self.shown[column - 1] if 0 < column <= len(self.shown) else -1

    def _restore_cursor(self, table: DataTable[Any], row_key: str | None, run: int) -> None:
        if run < 0 or not self.shown:
            column = 0
        elif run in self.shown:
            column = self.shown.index(run) + 1
        else:
            column = 2 if run < self.first_run and len(self.shown) > 1 else len(self.shown)
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
        detail = self.query_one("#diff-detail", Static)
        row = self.cursor_row()
        diff = self.diff
        if row is None or diff is None:
            detail.update(Text("↑↓←→ move · d only differences · f flip better · x export", style="dim"))
            return
        detail.update(detail_line(diff, row, self.cursor_run()))

    # -- actions --------------------------------------------------------------------------

    def action_close(self) -> None:
        self.app.pop_screen()

    def action_cycle_mode(self) -> None:
        if self.diff is None:
            return
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)]
        self._render_table()

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
    def export(self, diff: Diff, only_diff: bool, folder: Path) -> None:
        """Write both files into `folder` (made if missing); the Markdown is also returned to copy."""
        folder.mkdir(parents=True, exist_ok=True)
        stamp = format_file_stamp(time.time())
        markdown = to_markdown(diff, only_diff=only_diff)
        md_path = folder / f"tracktui-diff-{stamp}.md"
        csv_path = folder / f"tracktui-diff-{stamp}.csv"
        md_path.write_text(markdown, encoding="utf-8")
        csv_path.write_text(to_csv(diff, only_diff=only_diff), encoding="utf-8")
        post_result(self, DiffExported(md_path, csv_path, markdown, len(diff.visible(only_diff))))
