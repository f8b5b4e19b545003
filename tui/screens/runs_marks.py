"""The runs screen's marks kept per store across restarts, `ctrl+a`, and `!`: the jump to runs that need a look.

`RunsMarks` is one of the runs screen's parts: the marks live in the table (`RunsTable.marks`),
where they are kept is `tui/settings.py`, and which runs need a look is decided in the app's
poll worker (`shaping/attention.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..settings import load_marks, save_marks
from ..shaping.attention import next_needing_look
from ..shaping.sanitize import printable_line

if TYPE_CHECKING:
    import pandas as pd

    from .runs import RunsScreen


class RunsMarks:
    """Reads the kept marks at mount, merges them in with the first listing, writes them after each change."""

    def __init__(self, screen: RunsScreen) -> None:
        self.screen = screen
        self._kept: list[str] | None = None
        """Marks of the last session, until a listing says which runs are still there."""
        self._saved: list[str] | None = None
        """The marks as last read or written (None until read: nothing is written before)."""
        self._to_save: list[str] | None = None
        """The marks to write, once they changed in this session; `_written`: the last written."""
        self._written: list[str] | None = None

    def read(self) -> None:
        self.screen.run_worker(
            self._read, thread=True, group="views-load", description="Reading your marks", exit_on_error=False
        )

    def _read(self) -> None:
        marks = load_marks(self.screen.session.store_path)
        self.screen.app.call_from_thread(self._arrived, marks)

    def _arrived(self, marks: list[str]) -> None:
        self._kept, self._saved = marks or None, marks
        if marks and self.screen.store is not None:  # the listing came first
            self.keep_listed(self.screen.view.frame)
            self.screen.table.refresh()
            self.screen.update_bar()

    def keep_listed(self, frame: pd.DataFrame) -> None:
        """Add the kept marks once; drop, quietly, marks of runs no longer listed (deleted, gone from the store)
        and keep the marks without them."""
        table = self.screen.table
        if self._kept is not None:
            table.marks = {**dict.fromkeys(self._kept), **table.marks}
            self._kept = None
        if table.marks and "run_id" in frame.columns:
            present = set(frame["run_id"][frame["run_id"].isin(list(table.marks))])
            table.marks = {run_id: None for run_id in table.marks if run_id in present}
        if self._saved is not None and list(table.marks) != self._saved:
            self.changed()  # unmarked by a delete, or gone: a deleted run must not come back marked with --deleted

    def changed(self) -> None:
        """Show the count and keep the marks for the next start; each write takes the newest marks, so
        writes finishing out of order still leave the last ones."""
        screen = self.screen
        screen.update_bar()
        self._to_save = self._saved = [*screen.table.marks, *(self._kept or ())]
        screen.run_worker(
            self._write, thread=True, group="views-save", description="Saving your marks", exit_on_error=False
        )

    def _write(self) -> None:
        with self.screen.saved_views.lock:
            marks = self._to_save
            if marks is not None:
                save_marks(self.screen.session.store_path, marks)
            self._written = marks

    def unmounted(self) -> None:
        """Quitting right after a change: write the marks now, not in a worker the exit may cut short."""
        if self._written is not self._to_save:
            self._write()

    def mark_all(self) -> None:
        table = self.screen.table
        added = table.mark_all()
        self.changed()
        self.screen.notify(
            f"Marked {added} more run{'s' if added != 1 else ''}; {len(table.marks)} marked (u: unmark all)", timeout=3
        )

    def next_attention(self) -> None:
        """The cursor to the next run flagged as needing a look, wrapping past the end."""
        screen, table = self.screen, self.screen.table
        found = next_needing_look(map(screen.view.row_of, table.attention), table.cursor_row)
        if found is None:
            screen.notify(
                "No run needs a look"
                if not table.attention
                else "The runs that need a look are not in view (filter, experiment or a collapsed group)",
                timeout=3,
            )
            return
        if found[1] and found[0] == table.cursor_row:  # wrapped round to where it stands
            why = printable_line(table.attention.get(table.current_run or "", ""))
            screen.notify(f"This is the only run needing a look: {why}", timeout=3, markup=False)
            return
        table.cursor_row = found[0]
        if found[1]:
            screen.notify("Back at the top: no more runs needing a look below", timeout=2)
